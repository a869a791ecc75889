"""The chapter "The latent space": style measures, principal directions, explorer frames."""

from __future__ import annotations

import numpy as np
import pytest

from dcgan_lib._runtime import keras
from dcgan_lib.book.latent_analysis import (
    clearest_noise,
    principal_directions,
    readings_along_walks,
    select_exemplars,
    slant,
    standardised,
    stroke_width,
    style_along_walks,
    vector_arithmetic,
)
from dcgan_lib.book.static_explorer import path_frames, slice_frames, slice_points
from dcgan_lib.latent import generate, random_directions, sample_noise
from dcgan_lib.models import build_generator


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(3)
    return build_generator()


def _stroke(width: int, angle_shift: float = 0.0) -> np.ndarray:
    image = np.zeros((28, 28), np.uint8)
    for row in range(4, 24):
        left = int(round(12 + angle_shift * (14 - row)))
        image[row, left : left + width] = 255
    return image


def test_stroke_width_measures_the_width_of_a_bar():
    widths = stroke_width(np.stack([_stroke(2), _stroke(4), np.zeros((28, 28), np.uint8)]))
    assert widths[0] == pytest.approx(2, abs=0.3)
    assert widths[1] == pytest.approx(4, abs=0.7)
    assert widths[2] == 0


def test_slant_is_positive_for_a_digit_leaning_right():
    angles = slant(np.stack([_stroke(3), _stroke(3, 0.5), _stroke(3, -0.5)]))
    assert angles[0] == pytest.approx(0, abs=1)
    assert angles[1] == pytest.approx(np.degrees(np.arctan(0.5)), abs=3)
    assert angles[2] == pytest.approx(-angles[1], abs=1e-6)


def test_exemplars_are_extreme_in_every_requested_attribute():
    scores = np.array([[3.0, -0.1], [1.0, 1.0], [2.0, 2.0], [-2.0, 3.0], [0.5, 0.4]])
    np.testing.assert_array_equal(select_exemplars(scores, (+1, +1), count=3), [2, 1, 4])
    np.testing.assert_array_equal(select_exemplars(scores, (+1, -1), count=1), [0])
    with pytest.raises(ValueError, match="sign"):
        select_exemplars(scores, (+1,))


def test_standardised_values_have_mean_zero_and_unit_spread():
    values = standardised(np.array([1.0, 2.0, 6.0]))
    assert values.mean() == pytest.approx(0)
    assert values.std() == pytest.approx(1)


def test_principal_directions_are_unit_vectors_with_shares_of_variance(generator):
    result = principal_directions(generator, count=2, num_samples=200, seed=0)
    assert result.directions.shape == (2, 100)
    np.testing.assert_allclose(np.linalg.norm(result.directions, axis=1), 1, rtol=1e-5)
    assert result.components.shape == (2, 784)
    assert np.all(np.diff(result.explained_variance) <= 0)
    assert np.all((result.r_squared >= 0) & (result.r_squared <= 1))


def test_frames_along_a_path_and_over_a_slice(generator):
    z0, z1 = sample_noise(2, 100, seed=0)
    frames = path_frames(generator, z0, z1, steps=5)
    assert frames.shape == (5, 28, 28) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames[0], generate(generator, z0)[0])
    directions = random_directions(100, 2, seed=0)
    grid = slice_frames(generator, z0, directions, size=3, extent=1.0)
    assert grid.shape == (3, 3, 28, 28)
    np.testing.assert_array_equal(grid[1, 1], generate(generator, z0)[0])
    points = slice_points(z0, directions, size=3, extent=1.0)
    np.testing.assert_allclose(points[2, 1] - z0, directions[0], atol=1e-6)


def test_style_along_walks_has_one_row_per_direction_and_one_column_per_amount(generator):
    starts = sample_noise(4, 100, seed=0)
    directions = random_directions(100, 2, seed=0)
    width, angle = style_along_walks(generator, starts, directions, np.array([-1.0, 0.0, 1.0]))
    assert width.shape == angle.shape == (2, 3)
    digits = generate(generator, starts)
    assert width[0, 1] == pytest.approx(stroke_width(digits).mean())
    assert angle[1, 1] == pytest.approx(slant(digits).mean())


def test_vector_arithmetic_of_three_exemplar_means():
    plus, minus, plus_too = (sample_noise(3, 100, seed=s) for s in (1, 2, 3))
    expected = plus.mean(0) - minus.mean(0) + plus_too.mean(0)
    np.testing.assert_allclose(vector_arithmetic(plus, minus, plus_too), expected, rtol=1e-5)


class _ReadsBrightness:
    """A stand-in classifier: the brighter a drawing, the more surely it is a 7."""

    def predict(self, images):
        brightness = np.asarray(images, dtype=np.float64).mean(axis=(1, 2))
        sevens = (brightness - brightness.min()) / (np.ptp(brightness) + 1e-9)
        probabilities = np.zeros((len(images), 10))
        probabilities[:, 7], probabilities[:, 1] = 0.5 + sevens / 2, 0.5 - sevens / 2
        return probabilities


def test_the_clearest_noise_draws_the_surest_digit_among_its_candidates(generator):
    z = clearest_noise(generator, _ReadsBrightness(), digit=7, num_candidates=50, seed=1)
    candidates = sample_noise(50, 100, seed=1)
    brightness = generate(generator, candidates).astype(float).mean(axis=(1, 2))
    assert np.array_equal(z, candidates[np.argmax(brightness)])
    with pytest.raises(ValueError, match="read as a 3"):
        clearest_noise(generator, _ReadsBrightness(), digit=3, num_candidates=50, seed=1)


class _ReadsInkLevel:
    """A stand-in classifier that reads each drawing on its own, by its mean pixel."""

    def predict(self, images):
        levels = (np.asarray(images, dtype=np.float64).mean(axis=(1, 2)) // 25).astype(int) % 10
        return np.eye(10)[levels]


def test_readings_along_walks_read_every_step_of_every_walk(generator):
    starts = sample_noise(3, 100, seed=0)
    directions = random_directions(100, 2, seed=0)
    amounts = np.array([-2.0, 0.0, 2.0])
    classifier = _ReadsInkLevel()
    readings = readings_along_walks(generator, classifier, starts, directions, amounts)
    assert readings.shape == (2, 3, 3)
    assert np.issubdtype(readings.dtype, np.integer)
    point = starts[1] + amounts[2] * directions[0]
    drawn = generate(generator, point)
    assert readings[0, 1, 2] == classifier.predict(drawn).argmax(axis=1)[0]
    np.testing.assert_array_equal(
        readings[1, :, 1], classifier.predict(generate(generator, starts)).argmax(axis=1)
    )
