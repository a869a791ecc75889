"""The failing runs of chapter "When training fails", and the measurements behind its figures.

Part of the book's helpers, not of ``dcgan_lib``'s API.

Each failure is a run of ``python -m dcgan_lib train`` from the book's defaults
with one named change (:data:`FAILURES`), shipped small in ``assets/failures/``
beside the run that fixes it: history, measured snapshots, sample grids, and a
larger gallery of the final generator. Two measurements need more than a
run directory holds, and are made by ``python -m dcgan_lib.book.assets
export-failure`` and kept in ``assets/failures/measurements.json``:

* :func:`checkerboard_share`, for each snapshot: how much of the images'
  variation alternates from one pixel to the next;
* :class:`GradientNorms`, along a run: the size of the generator's gradient
  under the minimax and the non-saturating loss, for the same networks.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.assets import asset_path
from dcgan_lib.book.comparison import ComparisonRun, load_comparison_run
from dcgan_lib.book.results import read_image_grid
from dcgan_lib.data import load_mnist, to_model_range
from dcgan_lib.errors import DataError
from dcgan_lib.grids import save_image_grid
from dcgan_lib.latent import sample_noise
from dcgan_lib.losses import LOSSES
from dcgan_lib.metrics import generate_images
from dcgan_lib.runs import RunDirectory, train

FAILURES_RESOURCE = "failures"
# Every shipped run trained with these options, then its own (a later option wins): the
# book's configuration at the DCGAN paper's learning rate, in float32.
BASELINE_OPTIONS = "--lr 2e-4 --precision float32"
# The shipped runs and the options each was trained with on top of the baseline, in the
# order the chapter shows them: the healthy run first, then each failure before the run
# that fixes it, then the loss race's runs.
RUN_OPTIONS = {
    "baseline": "",
    "minimax-d-lr-0.02": "--loss minimax --d-lr 0.02",
    "d-lr-0.02": "--d-lr 0.02",
    "strong-d": "--d-lr 0.002",
    "minimax-strong-d": "--loss minimax --d-lr 0.002",
    "lr-0.02": "--lr 0.02",
    "beta1-0.9": "--beta1 0.9",
    "kernel-3": "--kernel-size 3",
    "kernel-3-resize": "--kernel-size 3 --upsampling resize",
    "lr-0.9": "--lr 0.9",
    "f16-lr-0.9": "--precision mixed_float16 --lr 0.9",
    "weak-d": "--d-lr 0.00002",
    "minimax": "--loss minimax",
    "least-squares": "--loss least_squares",
    "hinge": "--loss hinge",
    "baseline-seed1": "--seed 1",
    "minimax-seed1": "--loss minimax --seed 1",
    "least-squares-seed1": "--loss least_squares --seed 1",
    "hinge-seed1": "--loss hinge --seed 1",
}
RUNS = tuple(RUN_OPTIONS)
MEASUREMENTS_FILE = "measurements.json"
LOSS_SPEED_FILE = "loss_speed.json"
GALLERY_FILE = "gallery.png"
GALLERY_SIZE = 100
# Digits per measured snapshot: fewer than the book's evaluations, as there are many snapshots.
FAILURES_NUM_SAMPLES = 2000
CHECKERBOARD_SAMPLES = 1000


@dataclasses.dataclass(frozen=True)
class Failure:
    """One failure of the chapter: its run, the change that made it, and the run that fixes it.

    Attributes:
        name: the failing run's directory in ``assets/failures/``.
        title: what goes wrong, in a few words.
        options: the command-line options that differ from the book's defaults.
        fix: the directory of the run that shows the remedy.
        fix_options: the fixing run's options.
    """

    name: str
    title: str
    options: str
    fix: str
    fix_options: str


def failures_dir() -> Path:
    """Where the package keeps the failing runs: ``dcgan_lib/assets/failures``."""
    return asset_path(FAILURES_RESOURCE)


def load_failure_run(name: str) -> ComparisonRun:
    """Read one shipped run of the chapter, e.g. ``"beta1-0.9"`` or ``"baseline"``."""
    return load_comparison_run(name, failures_dir())


def gallery_path(name: str) -> Path:
    """The 10 x 10 grid of digits drawn by a shipped run's final generator."""
    return failures_dir() / name / GALLERY_FILE


def gallery_digits(name: str) -> np.ndarray:
    """The :data:`GALLERY_SIZE` digits of :func:`gallery_path`, uint8 (N, 28, 28)."""
    return read_image_grid(gallery_path(name), GALLERY_SIZE)


def load_measurements() -> dict[str, Any]:
    """The measurements of :func:`checkerboard_share` and :class:`GradientNorms`, by run.

    Raises:
        DataError: the file is missing.
    """
    return _read_shipped_json(MEASUREMENTS_FILE)


def _read_shipped_json(name: str) -> dict[str, Any]:
    path = failures_dir() / name
    if not path.is_file():
        raise DataError(f"{path} is missing; reinstall dcgan_lib to get the shipped runs back.")
    return json.loads(path.read_text())


def load_loss_speed() -> dict[str, Any]:
    """The seconds per training step of each loss, from ``benchmarks/loss_speed.py``.

    Raises:
        DataError: the file is missing.
    """
    return _read_shipped_json(LOSS_SPEED_FILE)


# --- Measurements -------------------------------------------------------------------------------


def checkerboard_share(images: np.ndarray) -> float:
    """The share of the images' variation that alternates from one pixel to the next.

    Each image's mean is removed and its 2-D Fourier power spectrum taken; the
    share is the power in the highest frequency of either axis (period two
    pixels: the row and column at index 14 of a 28 x 28 spectrum) over all the
    power. A checkerboard pattern puts its power exactly there.

    Args:
        images: uint8 pixels or model output in [-1, 1], shape (N, 28, 28) or (N, 28, 28, 1).
    """
    pixels = np.asarray(to_model_range(np.asarray(images)), np.float64).reshape(-1, 28, 28)
    pixels -= pixels.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(pixels)) ** 2
    alternating = power[:, 14, :].sum() + power[:, :, 14].sum() - power[:, 14, 14].sum()
    return float(alternating / power.sum())


def snapshot_checkerboard(run_dir: str | Path, seed: int = 0) -> list[dict[str, float]]:
    """:func:`checkerboard_share` of each snapshot of a run, on the same noise for every one."""
    run = RunDirectory(run_dir)
    return [
        {
            "step": step,
            "checkerboard": checkerboard_share(
                generate_images(run.load_generator(step), CHECKERBOARD_SAMPLES, seed)
            ),
        }
        for step in run.snapshot_steps()
    ]


class GradientNorms(keras.callbacks.Callback):
    """Every ``every`` steps, the generator's gradient norm under two losses, same networks.

    On a fixed batch of noise, with both networks in inference mode (dropout
    off, batch normalisation's running statistics, so measuring changes
    nothing in the run), it records the global norm of the gradient of the
    minimax loss ``log(1 - D(G(z)))`` and of the non-saturating loss
    ``-log D(G(z))`` with respect to the generator's weights, and the mean
    ``D(G(z))`` they were measured at.
    """

    def __init__(self, noise: np.ndarray, every: int) -> None:
        super().__init__()
        self.noise = tf.constant(noise, tf.float32)
        self.every = every
        self.rows: list[dict[str, float]] = []

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.model.step % self.every:
            return
        generator, discriminator = self.model.generator, self.model.discriminator
        row = {"step": self.model.step}
        for name in ("minimax", "non_saturating"):
            with tf.GradientTape() as tape:
                logits = discriminator(generator(self.noise, training=False), training=False)
                loss = LOSSES[name][1](logits)
            gradients = tape.gradient(loss, generator.trainable_weights)
            row[name] = float(tf.linalg.global_norm(gradients))
        row["d_fake"] = float(tf.reduce_mean(tf.sigmoid(logits)))
        self.rows.append(row)


def replay_gradient_norms(
    run_dir: str | Path, data: str | Path | None = None, every: int = 25, batch: int = 256
) -> list[dict[str, float]]:
    """Train a run again, exactly, measuring :class:`GradientNorms` along the way.

    The run is retrained from its ``config.json`` with :func:`dcgan_lib.runs.train`,
    the function behind ``python -m dcgan_lib train``, into a temporary
    directory; the new history must equal the run's own (every logged value,
    the clock aside), which shows the measurements belong to that run.

    Raises:
        DataError: the replayed history differs from the run's.
    """
    run = RunDirectory(run_dir)
    config = run.config()
    (images, _), _ = load_mnist(data)
    norms = GradientNorms(sample_noise(batch, config.latent_dim, seed=config.seed + 1), every)
    with tempfile.TemporaryDirectory() as scratch:
        train(config, images, scratch, verbose=0, extra_callbacks=[norms])
        replayed = RunDirectory(scratch).history()
    original = run.history()
    differences = [
        abs(a[key] - b[key]) for a, b in zip(original, replayed) for key in a if key != "seconds"
    ]
    if len(original) != len(replayed) or max(differences, default=0.0) > 0.0:
        raise DataError(
            f"the replay of {run.root} differs from the run (largest difference "
            f"{max(differences, default=float('nan')):.3g}): the gradient norms would not be "
            "the run's own."
        )
    return norms.rows


# --- Export -------------------------------------------------------------------------------------


def save_gallery(run_dir: str | Path, destination: str | Path, seed: int = 0) -> Path:
    """Draw :data:`GALLERY_SIZE` digits from a run's final generator into a PNG grid.

    A run stopped by divergence has no final generator; its last snapshot draws them.
    """
    run = RunDirectory(run_dir)
    if run.generator_path.is_file():
        generator = run.load_generator()
    else:
        generator = run.load_generator(run.snapshot_steps()[-1])
    images = generate_images(generator, GALLERY_SIZE, seed)
    path = Path(destination) / GALLERY_FILE
    save_image_grid(images, path, scale=1)
    return path


def record_measurements(name: str, values: dict[str, Any], directory: str | Path) -> None:
    """Set the measurements of run ``name`` in ``measurements.json`` of ``directory``."""
    path = Path(directory) / MEASUREMENTS_FILE
    measurements = json.loads(path.read_text()) if path.is_file() else {}
    measurements[name] = values
    path.write_text(json.dumps(dict(sorted(measurements.items())), indent=1) + "\n")
