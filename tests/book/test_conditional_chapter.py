"""The conditional chapter's helpers: per-digit measurement, digit grids and code paths."""

from __future__ import annotations

import numpy as np
import pytest

from dcgan_lib._runtime import keras
from dcgan_lib.book import conditional
from dcgan_lib.book.source import source_from
from dcgan_lib.latent import generate, sample_noise
from dcgan_lib.metrics import SAMPLE_DATA
from dcgan_lib.models import build_generator


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(5)
    return build_generator(num_classes=10)


class DigitReader:
    """A stand-in classifier that reads every image as ``digit`` and embeds it by its pixels."""

    def __init__(self, digit: int | None = None) -> None:
        self.digit = digit

    def _flat(self, images) -> np.ndarray:
        images = np.asarray(images, np.float32)
        if images.max() > 1.5:  # uint8 pixels
            images = images / 127.5 - 1
        return images.reshape(len(images), -1)[:, ::49]  # 16 pixels as features

    def embed(self, images) -> np.ndarray:
        return self._flat(images)

    def predict_and_embed(self, images):
        features = self._flat(images)
        probabilities = np.zeros((len(features), 10))
        probabilities[:, self.digit] = 1.0
        return probabilities, features


def test_measure_digits_reports_the_share_read_as_the_digit_asked_for(generator):
    measured = conditional.measure_digits(
        generator, 20, data=SAMPLE_DATA, classifier=DigitReader(digit=4)
    )
    assert [row.digit for row in measured] == list(range(10))
    assert [row.accuracy for row in measured] == [0.0] * 4 + [1.0] + [0.0] * 5
    assert all(row.num_samples == 20 and row.num_real == 100 for row in measured)
    # Drawings of an untrained generator are far from real digits; real digits are close.
    assert all(row.frechet_distance > row.real_frechet_distance for row in measured)
    summary = conditional.digits_record(measured)
    assert summary["lowest_accuracy"] == 0.0 and summary["mean_accuracy"] == pytest.approx(0.1)


def test_measurements_survive_a_round_trip_through_json(generator, tmp_path):
    measured = conditional.measure_digits(
        generator, 12, data=SAMPLE_DATA, classifier=DigitReader(1)
    )
    conditional.save_measurements(measured, tmp_path / "digits.json")
    assert conditional.load_measurements(tmp_path / "digits.json") == measured


def test_measure_digits_refuses_an_unconditional_generator():
    with pytest.raises(ValueError, match="conditional generator"):
        conditional.measure_digits(build_generator(), 5, data=SAMPLE_DATA)


def test_a_digit_grid_draws_each_row_of_noise_as_every_digit(generator):
    grid = conditional.digit_grid(generator, rows=3, seed=2)
    assert grid.shape == (3, 10, 28, 28) and grid.dtype == np.uint8
    z = sample_noise(3, 100, seed=2)
    np.testing.assert_array_equal(grid[1, 7], generate(generator, z[1], digits=7)[0])


def test_a_code_path_runs_from_one_digit_to_the_other(generator):
    z = sample_noise(1, 100, seed=0)[0]
    frames = conditional.code_path(generator, z, 3, 8, steps=5)
    assert frames.shape == (5, 28, 28)
    # The ends are the one-hot codes, i.e. the generator asked for 3 and for 8.
    for frame, digit in ((frames[0], 3), (frames[-1], 8)):
        expected = generate(generator, z, digits=digit)[0].astype(int)
        assert np.abs(frame.astype(int) - expected).max() <= 1
    assert np.abs(frames[2].astype(int) - frames[0]).max() > 0


def test_the_conditional_code_on_the_page_is_the_code_that_runs():
    assert "CategoryEncoding" in source_from(build_generator, "if not num_classes")
    with pytest.raises(ValueError, match="no line containing"):
        source_from(build_generator, "a line that is not there")


def test_the_figures_have_one_panel_per_digit(generator):
    grid = conditional.digit_grid(generator, rows=2)
    assert len(conditional.plot_digit_grid(grid).axes) == 20
    z = sample_noise(1, 100, seed=0)[0]
    paths = {"3 to 8": conditional.code_path(generator, z, 3, 8, 4)}
    assert len(conditional.plot_code_path(paths).axes) == 4
    measured = conditional.measure_digits(generator, 5, data=SAMPLE_DATA, classifier=DigitReader(0))
    assert len(conditional.plot_accuracy(measured, aim=0.98).axes[0].patches) == 10
