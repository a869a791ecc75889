"""Figures of the chapter "When training fails": a failing run beside the run that fixes it.

Part of the book's helpers, not of ``dcgan_lib``'s API.

The runs and measurements come from :mod:`dcgan_lib.book.failures`. Every figure
puts the failure and its fix on the same axes or side by side at the same scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from dcgan_lib.book.comparison import ComparisonRun
from dcgan_lib.book.evaluation_plots import FIGURE_DPI
from dcgan_lib.grids import tile_images
from dcgan_lib.metrics import NUM_CLASSES

_FAIR_STYLE = {"color": "grey", "linestyle": ":", "linewidth": 1.0}
_REAL_STYLE = {"color": "grey", "linestyle": "--", "linewidth": 1.0}


def plot_runs(
    runs: Mapping[str, ComparisonRun],
    real_distance: float | None = None,
    figsize: tuple[float, float] | None = None,
) -> plt.Figure:
    """The discriminator's outputs of each run, and every run's Fréchet distance on one axis.

    One panel per run shows the mean D(x) on real and D(G(z)) on generated
    digits over training (1/2 is the equilibrium); the last panel shows the
    Fréchet distance of each run's snapshots, on a log scale.

    Args:
        runs: the runs by label, failure first.
        real_distance: the distance of real digits to real digits, drawn dashed.
        figsize: size of the figure in inches.
    """
    count = len(runs)
    fig, axes = plt.subplots(
        1, count + 1, figsize=figsize or (3.3 * (count + 1), 2.9), dpi=FIGURE_DPI
    )
    for index, (ax, (label, run)) in enumerate(zip(axes, runs.items())):
        steps = [row["step"] for row in run.history]
        ax.plot(steps, [row.get("d_real", np.nan) for row in run.history], color="C2", label="D(x)")
        ax.plot(
            steps, [row.get("d_fake", np.nan) for row in run.history], color="C3", label="D(G(z))"
        )
        ax.axhline(0.5, **_FAIR_STYLE)
        ax.set(title=label, xlabel="training step", ylim=(-0.02, 1.02))
        if index == 0:
            ax.set_ylabel("mean output of D")
            ax.legend(frameon=False, fontsize=8)
        metric_steps = [row["step"] for row in run.metrics if row["step"] > 0]
        distances = [row["frechet_distance"] for row in run.metrics if row["step"] > 0]
        axes[-1].plot(metric_steps, distances, marker="o", markersize=3, label=label)
    if real_distance is not None:
        axes[-1].axhline(real_distance, label="real digits", **_REAL_STYLE)
    axes[-1].set(title="Fréchet distance ↓", xlabel="training step", yscale="log")
    axes[-1].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def plot_class_shares_over_training(
    runs: Mapping[str, ComparisonRun], figsize: tuple[float, float] | None = None
) -> plt.Figure:
    """The share of each digit at every measured snapshot, one heat map per run.

    Each column is a snapshot, each row a digit as the book's classifier reads
    it; the colour is its share of the samples, white at the fair 10 %.
    """
    fig, axes = plt.subplots(
        1,
        len(runs),
        figsize=figsize or (3.8 * len(runs) + 1.0, 3.0),
        dpi=FIGURE_DPI,
        squeeze=False,
        layout="constrained",
    )
    for ax, (label, run) in zip(axes[0], runs.items()):
        rows = [row for row in run.metrics if row["step"] > 0]
        shares = 100 * np.array([row["class_shares"] for row in rows]).T
        image = ax.imshow(
            shares, cmap="RdBu_r", vmin=0, vmax=20, aspect="auto", interpolation="nearest"
        )
        ax.set_xticks(range(len(rows)), [f"{row['step']:,}" for row in rows], fontsize=7)
        ax.tick_params(axis="x", rotation=90)
        ax.set_yticks(range(NUM_CLASSES))
        ax.set(title=label, xlabel="training step", ylabel="digit")
    colour_bar = fig.colorbar(image, ax=list(axes[0]), shrink=0.9)
    colour_bar.set_label("share of samples (%)")
    return fig


def plot_galleries(galleries: Mapping[str, np.ndarray], scale: float = 1.0) -> plt.Figure:
    """Grids of digits side by side, each under its title, at ``scale`` screen pixels per pixel.

    Args:
        galleries: uint8 digits (N, 28, 28) by title, e.g.
            :func:`dcgan_lib.book.failures.gallery_digits` or ``ComparisonRun.digits(step)``.
    """
    return _show_grids({title: tile_images(digits) for title, digits in galleries.items()}, scale)


def _show_grids(grids: Mapping[str, np.ndarray], scale: float) -> plt.Figure:
    """Grey grids side by side, each under its title, in panels sized for the largest grid.

    The largest grid is drawn at ``scale`` screen pixels per pixel; smaller ones are enlarged.
    """
    height = max(grid.shape[0] for grid in grids.values())
    width = max(grid.shape[1] for grid in grids.values())
    inches = scale / FIGURE_DPI
    fig, axes = plt.subplots(
        1,
        len(grids),
        figsize=(len(grids) * (width * inches + 0.3), height * inches + 0.45),
        dpi=FIGURE_DPI,
        squeeze=False,
    )
    for ax, (title, grid) in zip(axes[0], grids.items()):
        ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def plot_gradient_norms(
    rows: Sequence[Mapping[str, float]], figsize: tuple[float, float] = (9.0, 3.0)
) -> plt.Figure:
    """The generator's gradient norm under both losses along one run, beside D(G(z)).

    Args:
        rows: the rows of :class:`dcgan_lib.book.failures.GradientNorms`.
    """
    steps = [row["step"] for row in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=figsize, dpi=FIGURE_DPI)
    left.plot(steps, [row["non_saturating"] for row in rows], color="C0", label="-log D(G(z))")
    left.plot(steps, [row["minimax"] for row in rows], color="C1", label="log(1 - D(G(z)))")
    left.set(title="generator's gradient norm", xlabel="training step", yscale="log", ylabel="norm")
    left.legend(frameon=False, fontsize=8)
    right.plot(steps, [row["d_fake"] for row in rows], color="C3")
    right.axhline(0.5, **_FAIR_STYLE)
    right.set(title="D(G(z)) on the same noise", xlabel="training step", ylim=(-0.02, 1.02))
    fig.tight_layout()
    return fig


def plot_checkerboard(
    measurements: Mapping[str, Sequence[Mapping[str, Any]]],
    real_share: float,
    figsize: tuple[float, float] = (6.5, 3.0),
) -> plt.Figure:
    """The checkerboard share of each run's snapshots over training, real digits dashed."""
    fig, ax = plt.subplots(figsize=figsize, dpi=FIGURE_DPI)
    for label, rows in measurements.items():
        steps = [row["step"] for row in rows]
        ax.plot(steps, [100 * row["checkerboard"] for row in rows], marker="o", ms=3, label=label)
    ax.axhline(100 * real_share, label="real digits", **_REAL_STYLE)
    ax.set(
        xlabel="training step",
        ylabel="alternating power (%)",
        yscale="log",
        title="checkerboard share ↓",
    )
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def plot_stretched(
    images: Mapping[str, np.ndarray], count: int = 9, scale: float = 2.0
) -> plt.Figure:
    """A few images of each set with each image's contrast stretched to full black-to-white.

    An untrained generator's images are nearly uniform grey: stretching each one
    from its own darkest to its brightest pixel shows the pattern hidden in them.

    Args:
        images: model output in [-1, 1], shape (N, 28, 28, 1), by title.
        count: images shown from each set, in a square grid.
        scale: screen pixels per image pixel.
    """
    grids = {}
    for title, batch in images.items():
        batch = np.asarray(batch[:count], np.float64).reshape(-1, 28, 28)
        low = batch.min(axis=(1, 2), keepdims=True)
        high = batch.max(axis=(1, 2), keepdims=True)
        stretched = (batch - low) / np.maximum(high - low, 1e-12)
        grids[title] = tile_images((255 * stretched).astype(np.uint8))
    return _show_grids(grids, scale)
