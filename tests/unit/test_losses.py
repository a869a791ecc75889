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


def test_least_squares_losses_match_their_formulas():
    real, fake = np.array([[2.0], [0.5]]), np.array([[-1.0], [0.25]])
    d_expected = 0.5 * (np.mean((real - 1) ** 2) + np.mean(fake**2))
    g_expected = 0.5 * np.mean((fake - 1) ** 2)
    assert np.isclose(float(losses.least_squares_discriminator_loss(real, fake)), d_expected)
    assert np.isclose(float(losses.least_squares_generator_loss(fake)), g_expected)
    smoothed = 0.5 * (np.mean((real - 0.9) ** 2) + np.mean(fake**2))
    value = float(losses.least_squares_discriminator_loss(real, fake, label_smoothing=0.1))
    assert np.isclose(value, smoothed)


def test_hinge_losses_cost_nothing_beyond_the_margins():
    real, fake = np.array([[2.0], [0.5]]), np.array([[-3.0], [0.25]])
    # Only the second of each pair is inside its margin: 1 - 0.5 and 1 + 0.25.
    assert np.isclose(float(losses.hinge_discriminator_loss(real, fake)), 0.5 / 2 + 1.25 / 2)
    assert np.isclose(float(losses.hinge_generator_loss(fake)), -np.mean(fake))


def test_every_named_loss_pairs_a_discriminator_loss_with_a_generator_loss():
    assert list(losses.LOSSES) == ["non_saturating", "minimax", "least_squares", "hinge"]
    assert losses.LOSSES["non_saturating"] == (losses.discriminator_loss, losses.generator_loss)
    assert losses.LOSSES["minimax"][1] is losses.saturating_generator_loss
