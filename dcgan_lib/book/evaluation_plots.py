"""Figures of the chapter "Evaluation": metrics over training, comparisons, image sets.

Part of the book's helpers, not of ``dcgan_lib``'s API.

The numbers come from :mod:`dcgan_lib.metrics` and :mod:`dcgan_lib.book.comparison`.
Every figure that shows a metric of generated digits also shows the same metric
for real digits as a dashed line: a value is only good or bad next to it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from dcgan_lib.grids import tile_images
from dcgan_lib.metrics import COVERAGE_MIN_SHARE, NUM_CLASSES, EvaluationResult

METRIC_LABELS = {
    "frechet_distance": "Fréchet distance ↓",
    "inception_score": "Inception score ↑",
    "precision": "precision ↑",
    "recall": "recall ↑",
    "classes_covered": "digits covered ↑",
    "class_total_variation": "class shares vs uniform ↓",
}
DEFAULT_METRICS = ("frechet_distance", "inception_score", "precision", "recall")
X_LABELS = {
    "step": "training step",
    "images_seen": "training images seen",
    "seconds": "training time (s)",
}
FIGURE_DPI = 100
_REFERENCE_STYLE = {"color": "grey", "linestyle": "--", "linewidth": 1.0}


def _draw_reference(ax: plt.Axes, reference: EvaluationResult | None, metric: str) -> None:
    if reference is not None:
        ax.axhline(getattr(reference, metric), label="real data", **_REFERENCE_STYLE)


def _style_metric_axis(ax: plt.Axes, metric: str) -> None:
    ax.set_title(METRIC_LABELS.get(metric, metric), fontsize=10)
    if metric == "frechet_distance":
        # Values fall from hundreds to a few units: only a log scale shows the whole descent.
        ax.set_yscale("log")
    elif metric in ("precision", "recall"):
        ax.set_ylim(-0.03, 1.03)
    elif metric == "inception_score":
        ax.set_ylim(0.8, 10.2)
    elif metric == "classes_covered":
        ax.set_ylim(0, NUM_CLASSES + 0.5)


def plot_metrics_over_training(
    rows: Sequence[Mapping[str, Any]],
    reference: EvaluationResult | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    x: str = "images_seen",
    figsize: tuple[float, float] | None = None,
) -> plt.Figure:
    """One panel per metric against training progress, real data as a dashed line.

    Args:
        rows: metric rows of one run, as :func:`dcgan_lib.book.comparison.evaluate_snapshots`
            writes them.
        reference: the metrics of real digits at the same sample size.
        metrics: the fields to plot, one panel each.
        x: ``"step"``, ``"images_seen"`` or ``"seconds"``.
        figsize: size of the figure in inches.
    """
    if not rows:
        raise ValueError("plot_metrics_over_training needs at least one row.")
    fig, axes = plt.subplots(
        1, len(metrics), figsize=figsize or (2.6 * len(metrics), 2.6), dpi=FIGURE_DPI
    )
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        ax.plot([row[x] for row in rows], [row[metric] for row in rows], marker="o", markersize=3)
        _draw_reference(ax, reference, metric)
        _style_metric_axis(ax, metric)
        ax.set_xlabel(X_LABELS.get(x, x), fontsize=9)
        ax.tick_params(labelsize=8)
    np.atleast_1d(axes)[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def plot_quality_vs_cost(
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    reference: EvaluationResult | None = None,
    metric: str = "frechet_distance",
    figsize: tuple[float, float] = (9.0, 3.2),
) -> plt.Figure:
    """A metric of several runs against training images seen (left) and seconds (right).

    Args:
        runs: metric rows by run name.
        reference: the metrics of real digits, drawn dashed.
        metric: the field to plot.
        figsize: size of the figure in inches.
    """
    fig, axes = plt.subplots(1, 2, figsize=figsize, sharey=True, dpi=FIGURE_DPI)
    for ax, x in zip(axes, ("images_seen", "seconds")):
        for name, rows in runs.items():
            points = [(row[x], row[metric]) for row in rows if row[x] is not None]
            ax.plot(*zip(*points), marker="o", markersize=4, label=name)
        _draw_reference(ax, reference, metric)
        _style_metric_axis(ax, metric)
        ax.set_title("")
        ax.set_xlabel(X_LABELS[x])
    axes[0].set_ylabel(METRIC_LABELS.get(metric, metric))
    axes[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def plot_comparison_bars(
    results: Mapping[str, EvaluationResult],
    reference: EvaluationResult | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    figsize: tuple[float, float] | None = None,
) -> plt.Figure:
    """Bars of each metric for several generators, real data as a dashed line.

    Args:
        results: the metrics of each generator, by name.
        reference: the metrics of real digits.
        metrics: the fields to plot, one panel each.
        figsize: size of the figure in inches.
    """
    names = list(results)
    colours = [f"C{index}" for index in range(len(names))]
    fig, axes = plt.subplots(
        1, len(metrics), figsize=figsize or (2.6 * len(metrics), 2.7), dpi=FIGURE_DPI
    )
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        values = [getattr(results[name], metric) for name in names]
        ax.bar(names, values, color=colours)
        _draw_reference(ax, reference, metric)
        _style_metric_axis(ax, metric)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.tick_params(axis="y", labelsize=8)
    np.atleast_1d(axes)[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def plot_class_shares(
    shares: Mapping[str, Sequence[float]],
    reference: Sequence[float] | None = None,
    figsize: tuple[float, float] = (8.0, 2.8),
) -> plt.Figure:
    """Grouped bars: the share of each digit 0-9 for several generators (chapter "Evaluation").

    A dotted line marks the fair share of 10% and a dashed one the coverage
    threshold of :data:`dcgan_lib.metrics.COVERAGE_MIN_SHARE`.

    Args:
        shares: ten shares per generator, by name.
        reference: the shares of real digits, drawn as grey bars first.
        figsize: size of the figure in inches.
    """
    groups = ({"real data": reference} if reference is not None else {}) | dict(shares)
    width = 0.8 / len(groups)
    digits = np.arange(NUM_CLASSES)
    fig, ax = plt.subplots(figsize=figsize, dpi=FIGURE_DPI)
    for index, (name, values) in enumerate(groups.items()):
        colour = "lightgrey" if name == "real data" and reference is not None else None
        offset = (index - (len(groups) - 1) / 2) * width
        ax.bar(digits + offset, 100 * np.asarray(values), width, label=name, color=colour)
    ax.axhline(100 / NUM_CLASSES, color="black", linestyle=":", linewidth=0.8)
    ax.axhline(100 * COVERAGE_MIN_SHARE, color="black", linestyle="--", linewidth=0.8)
    ax.set(xticks=digits, xlabel="digit (as the classifier reads it)", ylabel="share (%)")
    ax.legend(frameon=False, fontsize=8, ncol=min(len(groups), 5))
    fig.tight_layout()
    return fig


def plot_grids_side_by_side(
    grids: Mapping[str, np.ndarray],
    columns: int | None = None,
    figsize: tuple[float, float] | None = None,
) -> plt.Figure:
    """Grids of digits side by side, each under its title (chapter "Evaluation").

    Args:
        grids: uint8 digits (N, 28, 28) by title, e.g. each run's final grid
            (:attr:`dcgan_lib.book.comparison.ComparisonRun.final_digits`).
        columns: grids per row; by default all in one row.
        figsize: size of the figure in inches; by default 3 inches per grid.
    """
    columns = min(columns or len(grids), len(grids))
    rows = math.ceil(len(grids) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=figsize or (3.0 * columns, 3.3 * rows), squeeze=False
    )
    for ax, (title, digits) in zip(axes.flat, grids.items()):
        ax.imshow(tile_images(digits), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(title, fontsize=10)
    for ax in axes.flat:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def plot_image_sets(
    rows: Mapping[str, np.ndarray], per_row: int = 12, scale: float = 1.6
) -> plt.Figure:
    """The first digits of several image sets, one titled row per set (chapter "Evaluation").

    Args:
        rows: images by title, uint8 pixels or model output in [-1, 1].
        per_row: digits shown from each set.
        scale: screen pixels per image pixel.
    """
    strips = {
        title: tile_images(images[:per_row], columns=per_row) for title, images in rows.items()
    }
    height, width = next(iter(strips.values())).shape
    inches = scale / FIGURE_DPI
    fig, axes = plt.subplots(
        len(rows), 1, figsize=(width * inches, len(rows) * (height * inches + 0.25)), dpi=FIGURE_DPI
    )
    for ax, (title, strip) in zip(np.atleast_1d(axes), strips.items()):
        ax.imshow(strip, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def plot_time_to_quality(
    report: Mapping[str, Any], figsize: tuple[float, float] = (9.0, 3.2)
) -> plt.Figure:
    """Quality against seconds of training for several loops (chapter "Evaluation").

    Left: the Fréchet distance (log scale), with the real-data value dashed and the
    "clearly good digits" limit dotted. Right: the share of the rarest digit, with the
    target's minimum share dotted. A loop meets the target where both of its curves
    are on the good side of their dotted lines.

    Args:
        report: a report of ``benchmarks/time_to_quality.py``, as
            :func:`dcgan_lib.book.time_to_quality.load_report` reads it.
        figsize: size of the figure in inches.
    """
    target = report["target"]
    fig, (fd_ax, share_ax) = plt.subplots(1, 2, figsize=figsize, dpi=FIGURE_DPI)
    for name, contender in report["contenders"].items():
        rows = contender["rows"]
        seconds = [row["seconds"] for row in rows]
        fd_ax.plot(seconds, [row["frechet_distance"] for row in rows], marker="o", ms=3, label=name)
        rarest = [100 * min(row["class_shares"]) for row in rows]
        share_ax.plot(seconds, rarest, marker="o", ms=3, label=name)
    fd_ax.axhline(target["reference_frechet_distance"], label="real data", **_REFERENCE_STYLE)
    fd_ax.axhline(
        target["max_frechet_distance"],
        color="black",
        linestyle=":",
        linewidth=1.0,
        label="target",
    )
    fd_ax.set_yscale("log")
    fd_ax.set(xlabel=X_LABELS["seconds"], ylabel=METRIC_LABELS["frechet_distance"])
    share_ax.axhline(100 * target["min_class_share"], color="black", linestyle=":", linewidth=1.0)
    share_ax.set(xlabel=X_LABELS["seconds"], ylabel="rarest digit's share (%) ↑", ylim=(0, 10.5))
    fd_ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
