"""Reading a finished run (chapter "Training results").

Part of the book's helpers, not of ``dcgan_lib``'s API.

Five questions about a training run, answered with NumPy (and a classifier, passed in,
that reads digits):

* Which sample grids show the progress of training? :func:`progress_steps`
  picks them, and :func:`spaced_steps` thins them out for a film.
* When did the digits become legible, and when did each settle on its final
  class? :func:`read_grids` cuts the digits out of every saved grid
  (:func:`read_image_grid`) and has a classifier read them
  (:class:`GridReadings`).
* Where did the losses go? :func:`windowed_means` averages a history over
  windows of steps, whose length :func:`round_window` picks.
* Is the generator copying its training data? :func:`nearest_neighbours` finds
  the closest training image of each generated one, in pixel space or in any
  feature space.
* How long did it take? :func:`training_speed` turns the history's clock into
  seconds per step and per epoch.
"""

from __future__ import annotations

import dataclasses
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.image import imread

from dcgan_lib.data import steps_per_epoch, to_pixels

HISTORY_METRICS = ("d_loss", "g_loss", "d_real", "d_fake")
_METRIC_HEADINGS = {"d_loss": "d_loss", "g_loss": "g_loss", "d_real": "D(x)", "d_fake": "D(G(z))"}

_QUERY_BATCH = 256

CONFIDENT = 0.9
"""A digit counts as read with confidence when the classifier gives its class at least this."""

# --- sample grids ---------------------------------------------------------------------


def progress_steps(available: Iterable[int], every: int, early: Sequence[int] = ()) -> list[int]:
    """Steps to show in a progress figure: ``early`` ones, every ``every``-th, and the last.

    Only steps in ``available`` are returned, sorted and without repeats, so a
    run that stopped early or saved grids less often still gets a figure.
    """
    available = sorted(set(available))
    if not available:
        return []
    wanted = set(early) | {step for step in available if step % every == 0} | {available[-1]}
    return [step for step in available if step in wanted]


def spaced_steps(available: Iterable[int], most: int) -> list[int]:
    """At most ``most`` of the ``available`` steps, evenly spaced: the first, every k-th, the last.

    ``k`` is the smallest spacing that keeps the count within ``most``, or a
    little more (up to twice as much) if that makes the last step fall on the
    spacing too, so that the steps are evenly spaced to the end. They are all
    of the steps when there are few enough.

    Raises:
        ValueError: ``most`` is less than 2 (the first and the last step).
    """
    if most < 2:
        raise ValueError(f"most must be at least 2, got {most}.")
    available = sorted(set(available))
    if len(available) <= most:
        return available
    gaps = len(available) - 1
    smallest = math.ceil(gaps / (most - 1))
    every = next((k for k in range(smallest, 2 * smallest) if gaps % k == 0), smallest)
    chosen = available[::every]
    return chosen if chosen[-1] == available[-1] else [*chosen, available[-1]]


def round_window(steps: int, most: int) -> int:
    """The smallest round number of steps (1, 2, 2.5 or 5 times a power of ten) that
    cuts ``steps`` into at most ``most`` windows, for a table of :func:`windowed_means`.
    """
    if steps < 1 or most < 1:
        raise ValueError(f"steps and most must be positive, got {steps} and {most}.")
    power = 1
    while True:
        for factor in (1, 2, 2.5, 5):
            window = int(factor * power)
            if window == factor * power and math.ceil(steps / window) <= most:
                return window
        power *= 10


def read_image_grid(path: str | Path, count: int) -> np.ndarray:
    """The ``count`` 28 x 28 digits of a grid saved by ``save_image_grid``, as uint8.

    The inverse of :func:`dcgan_lib.grids.save_image_grid` with its default layout: the
    scale is read from the image's width. Grey levels come back exactly or one level darker.

    Raises:
        ValueError: the image does not have the size of a grid of ``count`` digits.
    """
    image = imread(path)
    grey = image[..., 0] if image.ndim == 3 else image  # R = G = B in a grey grid
    pixels = np.rint(np.asarray(grey, dtype=np.float64) * 255.0).astype(np.uint8)
    columns = math.ceil(math.sqrt(count))  # as save_image_grid lays them out
    rows, cell = math.ceil(count / columns), 28 + 2
    width, height = columns * cell + 2, rows * cell + 2
    scale = pixels.shape[1] // width
    if scale < 1 or pixels.shape != (height * scale, width * scale):
        raise ValueError(
            f"{path} is {pixels.shape[1]} x {pixels.shape[0]} pixels, not a grid of "
            f"{count} digits ({width} x {height} pixels times a whole scale)."
        )
    pixels = pixels[::scale, ::scale]  # every pixel was enlarged into a scale x scale block
    cells = pixels[2:, 2:].reshape(rows, cell, columns, cell)[:, :28, :, :28]
    return cells.transpose(0, 2, 1, 3).reshape(-1, 28, 28)[:count].copy()


@dataclasses.dataclass(frozen=True)
class GridReadings:
    """A classifier's reading of every digit in a run's sample grids.

    The digit in a given place of every grid comes from the same noise vector,
    so a column of ``classes`` follows one digit through training.

    Attributes:
        steps: int array (G,), the step of each grid, in order.
        probabilities: float array (G, N, 10), the class probabilities of the
            N digits of each grid.
    """

    steps: np.ndarray
    probabilities: np.ndarray

    @property
    def classes(self) -> np.ndarray:
        """The most probable class of each digit, shape (G, N)."""
        return self.probabilities.argmax(axis=-1)

    @property
    def confidence(self) -> np.ndarray:
        """The probability of that class, shape (G, N)."""
        return self.probabilities.max(axis=-1)

    def confident_share(self, threshold: float = CONFIDENT) -> np.ndarray:
        """Share of each grid's digits read with probability at least ``threshold``, (G,)."""
        return np.mean(self.confidence >= threshold, axis=1)

    def final_class_share(self) -> np.ndarray:
        """Share of each grid's digits read as the class they have in the last grid, (G,)."""
        return np.mean(self.classes == self.classes[-1], axis=1)

    def settled_share(self) -> np.ndarray:
        """Share of digits read as their final class in this grid and every later one, (G,).

        It never falls from one grid to the next, and it is 1 in the last grid.
        """
        final = self.classes == self.classes[-1]
        # From the last grid backwards: still final in every grid from here on.
        settled = np.logical_and.accumulate(final[::-1], axis=0)[::-1]
        return np.mean(settled, axis=1)

    def first_step(self, shares: np.ndarray, level: float) -> int | None:
        """The first grid's step whose share is at least ``level``; ``None`` if none is."""
        reached = np.flatnonzero(np.asarray(shares) >= level)
        return int(self.steps[reached[0]]) if len(reached) else None


def read_grids(
    grids: Mapping[int, str | Path],
    num_samples: int,
    predict: Callable[[np.ndarray], np.ndarray],
) -> GridReadings:
    """Have a classifier read every digit of a run's sample grids.

    Args:
        grids: sample grids by step, as :meth:`dcgan_lib.runs.RunDirectory.samples`
            returns them.
        num_samples: digits per grid (``TrainConfig.num_samples`` of the run).
        predict: uint8 digits (N, 28, 28) to class probabilities (N, 10), e.g.
            ``load_classifier().predict``.

    Raises:
        ValueError: no grids were given.
    """
    if not grids:
        raise ValueError("read_grids needs at least one sample grid.")
    steps = sorted(grids)
    digits = np.concatenate([read_image_grid(grids[step], num_samples) for step in steps])
    probabilities = np.asarray(predict(digits), dtype=np.float64)
    return GridReadings(
        np.array(steps, dtype=np.int64), probabilities.reshape(len(steps), num_samples, -1)
    )


# --- history --------------------------------------------------------------------------


def windowed_means(
    history: Sequence[Mapping[str, float]],
    window: int,
    metrics: Sequence[str] = HISTORY_METRICS,
) -> list[dict[str, float]]:
    """The mean of each metric in consecutive windows of ``window`` steps.

    Returns:
        One dictionary per window that has history rows, in step order, with
        ``first_step`` and ``last_step`` (the window covers the steps after
        ``first_step`` up to ``last_step``) and the mean of each metric.

    Raises:
        ValueError: ``window`` is not positive.
    """
    if window < 1:
        raise ValueError(f"window must be positive, got {window}.")
    groups: dict[int, list[Mapping[str, float]]] = {}
    for row in history:
        groups.setdefault((int(row["step"]) - 1) // window, []).append(row)
    means = []
    for index, rows in sorted(groups.items()):
        summary = {"first_step": index * window, "last_step": int(rows[-1]["step"])}
        summary.update({name: float(np.mean([row[name] for row in rows])) for name in metrics})
        means.append(summary)
    return means


def format_windowed_means(means: Sequence[Mapping[str, float]]) -> str:
    """A text table of :func:`windowed_means`: one line per window of steps."""
    metrics = [name for name in means[0] if name not in ("first_step", "last_step")]
    header = f"{'steps':>11}" + "".join(
        f"{_METRIC_HEADINGS.get(name, name):>9}" for name in metrics
    )
    lines = [header]
    for row in means:
        steps = f"{row['first_step']}-{row['last_step']}"
        lines.append(f"{steps:>11}" + "".join(f"{row[name]:9.3f}" for name in metrics))
    return "\n".join(lines)


def _wrap_options(command: str, width: int) -> list[str]:
    """Split a command line into lines of at most ``width``, never inside an option.

    Lines break before an option (``--name value``) or before ``&&``, which also
    starts a new line when commands are chained.
    """
    lines: list[str] = []
    for part in re.split(r" (?=--|&&)", command):
        if part.startswith("&&"):
            lines.append(part)
            continue
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += " " + part
        else:
            lines.append(part)
    return lines


def format_record(record: Mapping[str, Any], width: int = 78) -> str:
    """Describe how a run was made, from its ``record.json`` (``RunDirectory.record``).

    The command is wrapped into shell continuation lines, so it can be copied
    into a terminal as it is printed. The precision each training session
    computed in, and why, gets a line of its own when the record names it.
    """
    indent = " " * 11
    command = f" \\\n{indent}".join(_wrap_options(record["command"], width - 13))
    environment = record["environment"]
    versions = ", ".join(
        f"{name} {environment[name]}" for name in ("python", "tensorflow", "keras", "numpy")
    )
    lines = [
        f"command:   {command}",
        f"steps:     {record['steps']:,} ({record['images_seen']:,} images)",
    ]
    if "training_seconds" in record:
        seconds = record["training_seconds"]
        lines.append(f"time:      {seconds:,.0f} s = {seconds / 60:.1f} min of training")
    if record.get("precision"):
        precision = f"precision: {describe_precision(record)}"
        lines.append(textwrap.fill(precision, width, subsequent_indent=indent))
    lines += [
        f"software:  {versions}",
        f"hardware:  {environment['cpu']}, {environment['cpu_cores']} CPU cores, "
        f"accelerator: {environment['accelerator']}",
    ]
    if environment.get("cpu_units"):
        lines.append(f"cpu units: {environment['cpu_units']}")
    if record.get("notes"):
        notes = f"notes:     {record['notes']}"
        lines.append(textwrap.fill(notes, width, subsequent_indent=indent))
    return "\n".join(lines)


def describe_precision(record: Mapping[str, Any]) -> str:
    """The precision a run computed in, and why, from the ``precision`` list of its record.

    One entry per training session, e.g. ``"mixed_bfloat16 (the CPU has AMX
    bfloat16 matrix units)"``; a session that resumed the run in another precision adds
    ``from step ...`` (one that resumed it in the same precision, for the same reason,
    adds nothing). A record that names no precision describes float32, Keras' default.
    """
    sessions = []
    for session in record.get("precision") or []:
        if not sessions or (session["policy"], session["reason"]) != (
            sessions[-1]["policy"],
            sessions[-1]["reason"],
        ):
            sessions.append(session)
    if not sessions:
        return "float32 (Keras' default policy; the record names no other)"
    return "; ".join(
        f"{session['policy']}"
        + (f" from step {session['from_step']:,}" if session["from_step"] else "")
        + f" ({session['reason']})"
        for session in sessions
    )


@dataclasses.dataclass(frozen=True)
class TrainingSpeed:
    """How fast a run trained, from the ``seconds`` column of its history.

    Attributes:
        steps: training steps in the history.
        total_seconds: training time up to the last row, start-up included.
        seconds_per_step: the typical time per step: the median over the
            logging windows after the first (see :func:`seconds_per_step`), so
            neither the start-up (building the data pipeline, tracing the train
            step into a graph) nor stretches when the machine was busy with
            other work count.
        startup_seconds: how much longer the first row took than the typical
            rate predicts: mostly the start-up cost, paid once per run.
        steps_per_epoch: full batches in one pass over the training images.
        seconds_per_epoch: ``seconds_per_step * steps_per_epoch``.
        images_per_second: real images the discriminator saw per second.
    """

    steps: int
    total_seconds: float
    seconds_per_step: float
    startup_seconds: float
    steps_per_epoch: int
    seconds_per_epoch: float
    images_per_second: float


def training_speed(
    history: Sequence[Mapping[str, float]], num_images: int, batch_size: int
) -> TrainingSpeed:
    """Seconds per step and per epoch of a run, from its history rows (chapter "Training results").

    Args:
        history: rows with ``step`` and ``seconds`` (the training time so far),
            as :meth:`dcgan_lib.runs.RunDirectory.history` returns them.
        num_images: size of the training set (60,000 for MNIST).
        batch_size: images per step.

    Raises:
        ValueError: fewer than two rows, so no steady rate can be measured.
    """
    if len(history) < 2:
        raise ValueError("measuring a speed needs at least two history rows.")
    first, last = history[0], history[-1]
    typical = float(np.median(seconds_per_step(history)[1]))
    per_epoch = steps_per_epoch(num_images, batch_size)
    return TrainingSpeed(
        steps=int(last["step"]),
        total_seconds=float(last["seconds"]),
        seconds_per_step=typical,
        startup_seconds=first["seconds"] - typical * first["step"],
        steps_per_epoch=per_epoch,
        seconds_per_epoch=typical * per_epoch,
        images_per_second=batch_size / typical,
    )


def seconds_per_step(history: Sequence[Mapping[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """The time per step in each logging window: window end steps and seconds per step.

    The first row is left out, since its window includes the start-up. A window
    that took longer than its neighbours shows when the machine was busy with
    something else.
    """
    steps = np.array([row["step"] for row in history], dtype=np.float64)
    seconds = np.array([row["seconds"] for row in history], dtype=np.float64)
    return steps[1:], np.diff(seconds) / np.diff(steps)


# --- nearest neighbours ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Neighbours:
    """The ``k`` nearest references of each query, closest first.

    Attributes:
        indices: int array (N, k), positions in the reference set.
        distances: float array (N, k), Euclidean distances, in ascending order
            along each row.
    """

    indices: np.ndarray
    distances: np.ndarray


def as_unit_pixels(images: np.ndarray) -> np.ndarray:
    """Flatten images into rows of pixel intensities in [0, 1], shape (N, 784).

    uint8 images are read as pixels in [0, 255]; float images as the generator's
    output in [-1, 1], which is first rounded to uint8 pixels, like a saved image.
    """
    pixels = to_pixels(images)
    return pixels.reshape(len(pixels), -1).astype(np.float64) / 255.0


def nearest_neighbours(
    queries: np.ndarray,
    references: np.ndarray,
    k: int = 1,
    embed: Callable[[np.ndarray], np.ndarray] | None = None,
    batch_size: int = _QUERY_BATCH,
) -> Neighbours:
    """Find the ``k`` references closest to each query in Euclidean distance.

    Without ``embed`` the distance is measured between pixel intensities in
    [0, 1] (see :func:`as_unit_pixels`): two 28 x 28 images that differ by one
    full black-to-white pixel are 1 apart. With ``embed``, it is measured between
    ``embed(images)``, for example a classifier's features.

    All squared distances between a batch of queries and the references come
    from one matrix product, through ``|q - r|^2 = |q|^2 - 2 q.r + |r|^2``.
    That expansion loses a few digits when ``q`` and ``r`` are close, so the
    distances returned are recomputed directly for the chosen neighbours: an
    exact copy of a query is at distance exactly 0.

    Args:
        queries: images (uint8 pixels or model output in [-1, 1]), shape
            (N, 28, 28) or (N, 28, 28, 1).
        references: images to search, in the same formats, e.g. the training set.
        k: neighbours per query.
        embed: maps images as given to feature vectors (M, d); ``None`` for pixels.
        batch_size: queries per matrix product, to bound memory (a few times
            ``4 * batch_size * len(references)`` bytes).

    Returns:
        The neighbours' indices and distances, each of shape (N, k).

    Raises:
        ValueError: ``k`` is not between 1 and the number of references.
    """
    if embed is None:
        query_vectors, reference_vectors = as_unit_pixels(queries), as_unit_pixels(references)
    else:
        query_vectors = np.asarray(embed(queries), dtype=np.float64)
        reference_vectors = np.asarray(embed(references), dtype=np.float64)
    if not 1 <= k <= len(reference_vectors):
        raise ValueError(f"k must be between 1 and {len(reference_vectors)}, got {k}.")
    # float32 halves the cost of the big product; the winners' distances are exact anyway.
    references32 = reference_vectors.astype(np.float32)
    reference_norms = np.einsum("ij,ij->i", references32, references32)
    indices = np.empty((len(query_vectors), k), dtype=np.int64)
    for start in range(0, len(query_vectors), batch_size):
        batch = query_vectors[start : start + batch_size].astype(np.float32)
        squared = reference_norms[np.newaxis, :] - 2.0 * batch @ references32.T
        # |q|^2 is the same for every reference of a query, so it cannot change the order.
        if k < len(reference_vectors):
            candidates = np.argpartition(squared, k - 1, axis=1)[:, :k]
        else:
            candidates = np.tile(np.arange(k), (len(batch), 1))
        order = np.take_along_axis(squared, candidates, axis=1).argsort(axis=1, kind="stable")
        indices[start : start + len(batch)] = np.take_along_axis(candidates, order, axis=1)
    differences = query_vectors[:, np.newaxis, :] - reference_vectors[indices]
    distances = np.sqrt(np.einsum("nkd,nkd->nk", differences, differences))
    # Re-sort by the exact distances, in case float32 swapped two near-ties.
    order = distances.argsort(axis=1, kind="stable")
    return Neighbours(
        np.take_along_axis(indices, order, axis=1), np.take_along_axis(distances, order, axis=1)
    )
