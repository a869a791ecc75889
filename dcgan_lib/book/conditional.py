"""Measurements and figures of the conditional DCGAN (chapter "Ask for a digit").

Part of the book's helpers, not of ``dcgan_lib``'s API.

* :func:`measure_digits`: for each digit, how often the book's classifier reads the
  generator's drawings of it as that digit, and their Fréchet distance to the real
  test images of that digit, beside the distance of real training images of it;
* :func:`digit_grid` and :func:`code_path`: the figures' digits: fixed noise across
  all ten digits, and a walk from one digit's code to another's at fixed noise;
* :func:`plot_digit_grid`, :func:`plot_code_path` and :func:`plot_accuracy`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from dcgan_lib._runtime import keras
from dcgan_lib.classifier import MnistClassifier, load_classifier
from dcgan_lib.data import to_pixels
from dcgan_lib.latent import generate, latent_dim_of, sample_noise
from dcgan_lib.metrics import frechet_distance, load_real_splits
from dcgan_lib.models import num_classes_of

DIGITS_FILE = "digits.json"


@dataclasses.dataclass(frozen=True)
class DigitMeasurement:
    """How well a conditional generator draws one digit.

    Attributes:
        digit: the digit asked for.
        accuracy: share of its drawings that the classifier reads as ``digit``.
        frechet_distance: of its drawings against the real test images of ``digit``.
        real_frechet_distance: of as many real training images of ``digit``
            against the same test images: what a perfect generator would score.
        num_samples: drawings (and real training images) measured.
        num_real: real test images of ``digit`` compared with.
    """

    digit: int
    accuracy: float
    frechet_distance: float
    real_frechet_distance: float
    num_samples: int
    num_real: int


def measure_digits(
    generator: keras.Model,
    num_per_digit: int,
    *,
    seed: int = 0,
    data: str | Path | None = None,
    classifier: MnistClassifier | None = None,
) -> list[DigitMeasurement]:
    """Measure each digit of a conditional generator (see :class:`DigitMeasurement`).

    Every digit is drawn from the same ``num_per_digit`` noise vectors, so the
    digits differ only in what was asked for.
    """
    classes = num_classes_of(generator)
    if not classes:
        raise ValueError("measure_digits needs a conditional generator.")
    classifier = classifier or load_classifier()
    (x_train, y_train), (x_test, y_test) = load_real_splits(data)
    z = sample_noise(num_per_digit, latent_dim_of(generator), seed)
    rng = np.random.default_rng(seed)
    results = []
    for digit in range(classes):
        probabilities, features = classifier.predict_and_embed(
            generate(generator, z, digits=digit, pixels=False)
        )
        real = x_test[y_test == digit]
        train_of_digit = x_train[y_train == digit]
        stand_ins = train_of_digit[rng.choice(len(train_of_digit), num_per_digit, replace=False)]
        real_features = classifier.embed(real)
        results.append(
            DigitMeasurement(
                digit=digit,
                accuracy=float(np.mean(probabilities.argmax(axis=1) == digit)),
                frechet_distance=frechet_distance(features, real_features),
                real_frechet_distance=frechet_distance(classifier.embed(stand_ins), real_features),
                num_samples=num_per_digit,
                num_real=len(real),
            )
        )
    return results


def save_measurements(measurements: list[DigitMeasurement], path: str | Path) -> None:
    """Write :func:`measure_digits`' results as JSON, one object per digit."""
    rows = [dataclasses.asdict(row) for row in measurements]
    Path(path).write_text(json.dumps(rows, indent=1) + "\n")


def load_measurements(path: str | Path) -> list[DigitMeasurement]:
    """Read what :func:`save_measurements` wrote."""
    return [DigitMeasurement(**row) for row in json.loads(Path(path).read_text())]


def digit_grid(generator: keras.Model, rows: int, seed: int = 0) -> np.ndarray:
    """``rows`` noise vectors, each drawn as every digit: uint8 (rows, classes, 28, 28)."""
    classes = num_classes_of(generator)
    z = np.repeat(sample_noise(rows, latent_dim_of(generator), seed), classes, axis=0)
    digits = np.tile(np.arange(classes), rows)
    return generate(generator, z, digits=digits).reshape(rows, classes, 28, 28)


def draw_codes(generator: keras.Model, z: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The generator's images for noise ``z`` and digit codes that need not be one-hot.

    A conditional generator turns its integer digit into a one-hot code; this runs
    the layers after that step on any code, such as a mix of two digits' codes.

    Returns:
        uint8 pixels (N, 28, 28).
    """
    names = [layer.name for layer in generator.layers]
    start = names.index("z_and_digit")
    x = generator.layers[start]([np.asarray(z, np.float32), np.asarray(codes, np.float32)])
    for layer in generator.layers[start + 1 :]:
        x = layer(x, training=False)
    return to_pixels(np.asarray(x))


def code_path(
    generator: keras.Model, z: np.ndarray, first: int, second: int, steps: int
) -> np.ndarray:
    """One noise vector drawn with codes from ``first``'s one-hot to ``second``'s.

    Returns:
        uint8 pixels (steps, 28, 28).
    """
    eye = np.eye(num_classes_of(generator), dtype=np.float32)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    codes = (1 - t) * eye[first] + t * eye[second]
    return draw_codes(generator, np.repeat(np.atleast_2d(z), steps, axis=0), codes)


def _show(axis: plt.Axes, pixels: np.ndarray) -> None:
    axis.imshow(pixels, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axis.set_xticks([])
    axis.set_yticks([])


def plot_digit_grid(grid: np.ndarray, cell: float = 0.75) -> plt.Figure:
    """Rows of :func:`digit_grid` (one noise vector each) under a header of the digits."""
    rows, columns = grid.shape[:2]
    figure, axes = plt.subplots(
        rows, columns, figsize=(cell * columns, cell * rows + 0.3), squeeze=False
    )
    for row in range(rows):
        for column in range(columns):
            _show(axes[row, column], grid[row, column])
        axes[row, 0].set_ylabel(f"z{row + 1}", rotation=0, ha="right", va="center")
    for column in range(columns):
        axes[0, column].set_title(str(column))
    figure.subplots_adjust(wspace=0.04, hspace=0.04, left=0.06, right=0.99, top=0.93, bottom=0.01)
    return figure


def plot_code_path(paths: dict[str, np.ndarray], cell: float = 0.75) -> plt.Figure:
    """One row per labelled :func:`code_path`, the mix of the codes above the columns."""
    steps = len(next(iter(paths.values())))
    figure, axes = plt.subplots(
        len(paths), steps, figsize=(cell * steps + 0.8, cell * len(paths) + 0.35), squeeze=False
    )
    for row, (label, frames) in enumerate(paths.items()):
        for column, frame in enumerate(frames):
            _show(axes[row, column], frame)
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    for column, t in enumerate(np.linspace(0, 1, steps)):
        axes[0, column].set_title(f"{t:.2f}", fontsize=8)
    figure.subplots_adjust(wspace=0.04, hspace=0.04, left=0.1, right=0.99, top=0.9, bottom=0.01)
    return figure


def plot_accuracy(measurements: list[DigitMeasurement], aim: float) -> plt.Figure:
    """Per-digit accuracy as bars, with the aim as a line."""
    figure, axis = plt.subplots(figsize=(7, 3))
    digits = [row.digit for row in measurements]
    accuracy = [100 * row.accuracy for row in measurements]
    axis.bar(digits, accuracy, color="tab:blue")
    axis.axhline(100 * aim, color="tab:red", linestyle="--", label=f"aim: {100 * aim:.0f} %")
    low = min(min(accuracy), 100 * aim)
    axis.set_ylim(max(0.0, low - 2), 100.5)
    axis.set_xticks(digits)
    axis.set_xlabel("digit asked for")
    axis.set_ylabel("read as that digit (%)")
    axis.legend(loc="lower right")
    figure.tight_layout()
    return figure


def digits_record(measurements: list[DigitMeasurement]) -> dict[str, Any]:
    """The lowest and mean accuracy and distance over the digits, for the chapter's prose."""
    accuracy = [row.accuracy for row in measurements]
    distance = [row.frechet_distance for row in measurements]
    return {
        "lowest_accuracy": min(accuracy),
        "lowest_digit": measurements[int(np.argmin(accuracy))].digit,
        "mean_accuracy": float(np.mean(accuracy)),
        "mean_distance": float(np.mean(distance)),
        "worst_distance": max(distance),
        "worst_digit": measurements[int(np.argmax(distance))].digit,
    }
