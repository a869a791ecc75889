"""The GAN losses from logits (dcgan_lib.losses)."""

import numpy as np

from dcgan_lib import losses


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_discriminator_loss_is_minus_the_value_function():
    real, fake = np.array([[2.0], [-0.5]]), np.array([[-1.0], [0.3]])
    expected = -np.mean(np.log(sigmoid(real))) - np.mean(np.log(1 - sigmoid(fake)))
    assert np.isclose(float(losses.discriminator_loss(real, fake)), expected, rtol=1e-6)


def test_label_smoothing_lowers_the_real_target():
    real, fake = np.array([[3.0]]), np.array([[-3.0]])
    p = sigmoid(3.0)
    expected = -(0.9 * np.log(p) + 0.1 * np.log(1 - p)) - np.log(1 - sigmoid(-3.0))
    value = float(losses.discriminator_loss(real, fake, label_smoothing=0.1))
    assert np.isclose(value, expected, rtol=1e-6)


def test_generator_losses_match_their_formulas():
    fake = np.array([[-2.0], [1.0]])
    non_saturating = -np.mean(np.log(sigmoid(fake)))
    saturating = np.mean(np.log(1 - sigmoid(fake)))
    assert np.isclose(float(losses.generator_loss(fake)), non_saturating, rtol=1e-6)
    assert np.isclose(float(losses.saturating_generator_loss(fake)), saturating, rtol=1e-6)


def test_losses_stay_finite_for_confident_logits():
    confident = np.array([[1000.0]], np.float32)
    assert np.isclose(float(losses.generator_loss(-confident)), 1000.0)
    assert np.isfinite(float(losses.discriminator_loss(-confident, confident)))
