"""Specifications of the one-dimensional toy problem of the theory chapter (book.toy, toy_plots)."""

from __future__ import annotations

import math

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from notebook_utils import BOOK_DIR, read_notebook

from dcgan_lib import losses
from dcgan_lib.book import toy, toy_plots

# A grid wide enough that every density used below is negligible at its ends.
GRID = np.linspace(-15.0, 25.0, 8001)
DATA_MEAN, DATA_STD = 4.0, 1.25

GAUSSIAN_PAIRS = [
    # (data mean, data std, generator mean, generator std)
    (4.0, 1.25, 1.5, 0.75),
    (4.0, 1.25, 4.0, 2.0),
    (0.0, 1.0, 3.0, 1.0),
    (2.0, 0.5, -1.0, 1.5),
]


def _densities(data_mean, data_std, generator_mean, generator_std):
    return (
        toy.gaussian_density(GRID, data_mean, data_std),
        toy.gaussian_density(GRID, generator_mean, generator_std),
    )


def _uniform_density(x: np.ndarray, start: float) -> np.ndarray:
    return ((x >= start) & (x <= start + 1.0)).astype(np.float64)


# --- binary cross-entropy as taught in the chapter ---------------------------


def _teaching_binary_cross_entropy():
    """The numpy `binary_cross_entropy` that the chapter defines, run from its own cell."""
    notebook = read_notebook(BOOK_DIR / "gan_theory.ipynb")
    sources = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.source.startswith("def binary_cross_entropy(")
    ]
    assert len(sources) == 1, "the chapter defines binary_cross_entropy in exactly one cell"
    namespace = {"np": np}
    exec(sources[0], namespace)
    return namespace["binary_cross_entropy"]


def test_teaching_binary_cross_entropy_matches_keras_and_the_book_losses():
    binary_cross_entropy = _teaching_binary_cross_entropy()
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, size=200).astype(np.float64)
    logits = rng.normal(0.0, 3.0, size=200)
    probabilities = toy.sigmoid(logits)

    ours = binary_cross_entropy(labels, probabilities)
    from_keras = float(keras.losses.BinaryCrossentropy()(labels, probabilities))
    from_logits = float(losses.binary_cross_entropy_from_logits(labels, logits))

    assert ours == pytest.approx(from_keras, abs=1e-5)
    assert ours == pytest.approx(from_logits, abs=1e-5)


def test_teaching_binary_cross_entropy_is_the_negative_log_of_the_true_label_probability():
    binary_cross_entropy = _teaching_binary_cross_entropy()
    assert binary_cross_entropy([1.0], [0.8]) == pytest.approx(-math.log(0.8))
    assert binary_cross_entropy([0.0], [0.8]) == pytest.approx(-math.log(0.2))


# --- densities, the optimal discriminator and the value function -------------


def test_gaussian_density_integrates_to_one_and_matches_its_cdf():
    density = toy.gaussian_density(GRID, DATA_MEAN, DATA_STD)
    assert np.sum(density) * (GRID[1] - GRID[0]) == pytest.approx(1.0, abs=1e-10)
    assert toy.gaussian_cdf(np.array([DATA_MEAN]), DATA_MEAN, DATA_STD)[0] == pytest.approx(0.5)
    one_sigma = toy.gaussian_cdf(np.array([DATA_MEAN + DATA_STD]), DATA_MEAN, DATA_STD)[0]
    assert one_sigma == pytest.approx(0.841344746, abs=1e-9)


@pytest.mark.parametrize("pair", GAUSSIAN_PAIRS)
def test_optimal_discriminator_is_the_ratio_of_the_data_density_to_the_sum(pair):
    p_data, p_g = _densities(*pair)
    mask = (p_data + p_g) > 1e-300
    expected = p_data[mask] / (p_data[mask] + p_g[mask])
    np.testing.assert_allclose(toy.optimal_discriminator(p_data, p_g)[mask], expected, atol=1e-12)


def test_optimal_discriminator_is_one_half_when_the_generator_matches_the_data():
    p_data = toy.gaussian_density(GRID, DATA_MEAN, DATA_STD)
    np.testing.assert_array_equal(toy.optimal_discriminator(p_data, p_data), 0.5)


def test_optimal_discriminator_is_one_half_where_both_densities_vanish():
    zeros = np.zeros(3)
    np.testing.assert_array_equal(toy.optimal_discriminator(zeros, zeros), 0.5)
    assert toy.optimal_discriminator(np.array([1.0]), np.array([0.0]))[0] == 1.0


@pytest.mark.parametrize("pair", GAUSSIAN_PAIRS)
def test_optimal_discriminator_scores_higher_than_perturbed_discriminators(pair):
    p_data, p_g = _densities(*pair)
    optimal_logit = toy.optimal_discriminator_logit(p_data, p_g)
    best = toy.value_function(GRID, p_data, p_g, optimal_logit)
    for perturbed in [
        optimal_logit + 0.1,
        optimal_logit - 0.1,
        1.1 * optimal_logit,
        optimal_logit + 0.2 * np.sin(GRID),
        np.zeros_like(GRID),
    ]:
        assert toy.value_function(GRID, p_data, p_g, perturbed) < best


@pytest.mark.parametrize("pair", GAUSSIAN_PAIRS)
def test_value_at_the_optimal_discriminator_is_minus_log_4_plus_twice_the_jsd(pair):
    p_data, p_g = _densities(*pair)
    value = toy.value_function(GRID, p_data, p_g, toy.optimal_discriminator_logit(p_data, p_g))
    jsd = toy.js_divergence(GRID, p_data, p_g)
    assert value == pytest.approx(-math.log(4.0) + 2.0 * jsd, abs=1e-9)


def test_value_at_a_perfect_generator_is_minus_log_4():
    p_data = toy.gaussian_density(GRID, DATA_MEAN, DATA_STD)
    logit = toy.optimal_discriminator_logit(p_data, p_data)
    assert toy.value_function(GRID, p_data, p_data, logit) == pytest.approx(-math.log(4.0))


def test_value_function_of_a_constant_discriminator_is_the_closed_form():
    # With D(x) = d everywhere, V = log d + log(1 - d) for any two densities.
    p_data, p_g = _densities(*GAUSSIAN_PAIRS[0])
    d = 0.3
    logit = np.full_like(GRID, math.log(d / (1 - d)))
    expected = math.log(d) + math.log(1 - d)
    assert toy.value_function(GRID, p_data, p_g, logit) == pytest.approx(expected, abs=1e-9)


def test_value_function_stays_finite_where_the_discriminator_is_certain():
    # The optimal logit is +inf where p_g underflows to zero; V must not become nan.
    p_data = toy.gaussian_density(GRID, 0.0, 3.0)
    p_g = toy.gaussian_density(GRID, 0.0, 0.2)
    assert np.isinf(toy.optimal_discriminator_logit(p_data, p_g)).any()
    value = toy.value_function(GRID, p_data, p_g, toy.optimal_discriminator_logit(p_data, p_g))
    assert np.isfinite(value)


# --- divergences -------------------------------------------------------------


@pytest.mark.parametrize("pair", GAUSSIAN_PAIRS)
def test_kl_divergence_matches_the_gaussian_closed_form(pair):
    p_data, p_g = _densities(*pair)
    expected = toy.gaussian_kl_divergence(*pair)
    assert toy.kl_divergence(GRID, p_data, p_g) == pytest.approx(expected, rel=1e-8)


def test_kl_divergence_of_a_density_from_itself_is_zero():
    p_data = toy.gaussian_density(GRID, DATA_MEAN, DATA_STD)
    assert toy.kl_divergence(GRID, p_data, p_data) == 0.0
    assert toy.gaussian_kl_divergence(1.0, 2.0, 1.0, 2.0) == 0.0


@pytest.mark.parametrize("shift", [0.0, 0.25, 0.5, 0.75])
def test_js_divergence_of_shifted_uniforms_is_the_shift_times_log_2(shift):
    # U[0, 1] against U[s, 1 + s]: only the non-overlapping mass s on each side counts,
    # and there each density is twice the mixture, so JSD = s log 2.
    x = np.linspace(-1.0, 3.0, 400_001)
    jsd = toy.js_divergence(x, _uniform_density(x, 0.0), _uniform_density(x, shift))
    assert jsd == pytest.approx(shift * math.log(2.0), abs=1e-4)


def test_js_divergence_is_log_2_for_disjoint_supports():
    x = np.linspace(-1.0, 4.0, 50_001)
    jsd = toy.js_divergence(x, _uniform_density(x, 0.0), _uniform_density(x, 2.0))
    assert jsd == pytest.approx(math.log(2.0), abs=1e-4)


@pytest.mark.parametrize("pair", GAUSSIAN_PAIRS)
def test_js_divergence_is_symmetric_and_between_zero_and_log_2(pair):
    p_data, p_g = _densities(*pair)
    forward = toy.js_divergence(GRID, p_data, p_g)
    assert forward == pytest.approx(toy.js_divergence(GRID, p_g, p_data), abs=1e-12)
    assert 0.0 < forward < math.log(2.0)


def test_histogram_js_divergence_is_near_zero_for_data_and_near_log_2_far_from_it():
    rng = np.random.default_rng(0)
    edges = np.linspace(DATA_MEAN - 6 * DATA_STD, DATA_MEAN + 6 * DATA_STD, 121)
    from_data = rng.normal(DATA_MEAN, DATA_STD, size=50_000)
    far_away = rng.normal(DATA_MEAN + 20.0, DATA_STD, size=50_000)
    assert toy.histogram_js_divergence(from_data, DATA_MEAN, DATA_STD, edges) < 0.005
    far = toy.histogram_js_divergence(far_away, DATA_MEAN, DATA_STD, edges)
    assert far == pytest.approx(math.log(2.0), abs=1e-3)


# --- a discriminator trained on samples --------------------------------------


@pytest.mark.parametrize("pair", GAUSSIAN_PAIRS)
def test_gaussian_optimal_logit_coefficients_give_the_log_density_ratio(pair):
    p_data, p_g = _densities(*pair)
    a, b, c = toy.gaussian_optimal_logit_coefficients(*pair)
    x = np.linspace(-5.0, 8.0, 101)
    expected = np.log(toy.gaussian_density(x, pair[0], pair[1])) - np.log(
        toy.gaussian_density(x, pair[2], pair[3])
    )
    np.testing.assert_allclose(a * x**2 + b * x + c, expected, atol=1e-9)


def test_quadratic_discriminator_trained_on_samples_approaches_the_optimal_one():
    pair = GAUSSIAN_PAIRS[0]
    rng = np.random.default_rng(0)
    real = rng.normal(pair[0], pair[1], size=20_000)
    fake = rng.normal(pair[2], pair[3], size=20_000)
    fitted = toy.fit_quadratic_discriminator(real, fake)
    exact = toy.gaussian_optimal_logit_coefficients(*pair)
    np.testing.assert_allclose(fitted.coefficients, exact, atol=0.1)

    p_data, p_g = _densities(*pair)
    best = toy.value_function(GRID, p_data, p_g, toy.optimal_discriminator_logit(p_data, p_g))
    trained = toy.value_function(GRID, p_data, p_g, fitted.logit(GRID))
    assert best - 1e-3 < trained < best
    where_it_matters = (p_data + p_g) > 1e-3
    gap = np.abs(fitted(GRID) - toy.optimal_discriminator(p_data, p_g))
    assert np.max(gap[where_it_matters]) < 0.05


# --- generator losses and their gradients ------------------------------------


def test_generator_loss_gradients_match_their_closed_forms():
    logits = np.linspace(-8.0, 8.0, 161)
    d_fake = toy.sigmoid(logits)
    saturating, saturating_gradient = toy.per_example_loss_and_gradient(
        losses.saturating_generator_loss, logits
    )
    non_saturating, non_saturating_gradient = toy.per_example_loss_and_gradient(
        losses.generator_loss, logits
    )
    np.testing.assert_allclose(saturating, np.log(1.0 - d_fake), atol=1e-5)
    np.testing.assert_allclose(non_saturating, -np.log(d_fake), atol=1e-5)
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l);  d/dl [-log sigmoid(l)] = -(1 - sigmoid(l)).
    np.testing.assert_allclose(saturating_gradient, -d_fake, atol=1e-6)
    np.testing.assert_allclose(non_saturating_gradient, -(1.0 - d_fake), atol=1e-6)


def test_non_saturating_gradient_is_far_larger_when_the_discriminator_rejects_fakes():
    rejected = np.array([math.log(0.001 / 0.999)])  # D(G(z)) = 0.001
    _, saturating = toy.per_example_loss_and_gradient(losses.saturating_generator_loss, rejected)
    _, non_saturating = toy.per_example_loss_and_gradient(losses.generator_loss, rejected)
    assert abs(non_saturating[0]) > 500 * abs(saturating[0])


# --- the tiny GAN ------------------------------------------------------------


@pytest.fixture(scope="module")
def short_history() -> toy.ToyGANHistory:
    return toy.train_toy_gan(steps=300, seed=0)


def test_short_toy_gan_run_moves_the_generated_mean_toward_the_data_mean(short_history):
    start = abs(short_history.generated_mean[0] - short_history.data_mean)
    end = abs(short_history.generated_mean[-1] - short_history.data_mean)
    assert end < 0.5 * start
    assert short_history.js_divergence[-1] < short_history.js_divergence[0]


def test_toy_gan_history_records_every_step_and_the_snapshots(short_history):
    assert len(short_history.discriminator_loss) == 300
    assert len(short_history.generator_loss) == len(short_history.d_real) == 300
    assert short_history.steps[0] == 0 and short_history.steps[-1] == 300
    assert [snapshot.step for snapshot in short_history.snapshots] == (
        toy.default_snapshot_steps(300)
    )
    for snapshot in short_history.snapshots:
        assert snapshot.generated.shape == (20_000,)
        assert snapshot.discriminator.shape == short_history.grid.shape
        assert np.all((snapshot.discriminator > 0) & (snapshot.discriminator < 1))


def test_toy_gan_with_k_discriminator_steps_is_reproducible_with_a_seed():
    first = toy.train_toy_gan(steps=20, seed=3, discriminator_steps=2, evaluate_every=10)
    second = toy.train_toy_gan(steps=20, seed=3, discriminator_steps=2, evaluate_every=10)
    assert len(first.generator_loss) == len(first.discriminator_loss) == 20
    np.testing.assert_allclose(first.generator_loss, second.generator_loss, rtol=1e-6)
    np.testing.assert_allclose(first.discriminator_loss, second.discriminator_loss, rtol=1e-6)
    np.testing.assert_allclose(
        first.snapshots[-1].generated, second.snapshots[-1].generated, rtol=1e-6, atol=1e-6
    )


def test_default_snapshot_steps_start_at_zero_and_end_at_the_last_step():
    assert toy.default_snapshot_steps(3000) == [0, 100, 200, 400, 1000, 3000]
    assert toy.default_snapshot_steps(300)[-1] == 300


# --- figures -----------------------------------------------------------------


def test_every_figure_of_the_chapter_draws(short_history):
    p_data, p_g = _densities(*GAUSSIAN_PAIRS[0])
    logits = np.linspace(-5.0, 5.0, 11)
    figures = [
        toy_plots.plot_optimal_discriminator(GRID, p_data, p_g, fitted=np.full_like(GRID, 0.5)),
        toy_plots.plot_generator_objective(
            np.linspace(0.0, 8.0, 9), np.full(9, -1.0), np.full(9, 0.2), DATA_MEAN
        ),
        toy_plots.plot_generator_losses(toy.sigmoid(logits), logits, logits, logits, logits),
        toy_plots.plot_toy_gan_snapshots(short_history),
        toy_plots.plot_toy_gan_training(short_history),
    ]
    for figure in figures:
        assert figure.axes
        plt.close(figure)
