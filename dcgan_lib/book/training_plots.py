"""Figures of a training run: its history and its sample grids.

Part of the book's helpers, not of ``dcgan_lib``'s API; used by the chapters
"Implementation" and "Training results". Both figures read what
:func:`dcgan_lib.runs.train` writes into a run directory: the history rows
(:meth:`dcgan_lib.runs.RunDirectory.history`) and the sample grids.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt

from dcgan_lib.book.results import read_image_grid
from dcgan_lib.grids import tile_images
from dcgan_lib.runs import RunDirectory

# At the game's equilibrium D(x) = D(G(z)) = 1/2 everywhere, so the discriminator's loss
# is -2 log(1/2) = log 4 and the generator's non-saturating loss is -log(1/2) = log 2.
EQUILIBRIUM_D_LOSS = math.log(4.0)
EQUILIBRIUM_G_LOSS = math.log(2.0)
EQUILIBRIUM_D_OUTPUT = 0.5


def plot_history(
    rows: Sequence[dict[str, float]], figsize: tuple[float, float] = (9.0, 3.2)
) -> plt.Figure:
    """Plot a run's losses and the discriminator's outputs against the training step.

    Left: ``d_loss`` and ``g_loss``; right: ``d_real`` = mean D(x) and ``d_fake`` = mean
    D(G(z)). Dashed lines mark the values at the game's equilibrium (log 4, log 2 and
    1/2), a reference rather than a target a real run reaches (chapter "Implementation").

    Args:
        rows: history rows, each with ``step``, ``d_loss``, ``g_loss``, ``d_real`` and
            ``d_fake``, as :meth:`dcgan_lib.runs.RunDirectory.history` returns them.
        figsize: size of the figure in inches.
    """
    if not rows:
        raise ValueError("plot_history needs at least one row of history.")
    steps = [row["step"] for row in rows]
    fig, (loss_ax, output_ax) = plt.subplots(1, 2, figsize=figsize)

    loss_ax.plot(steps, [row["d_loss"] for row in rows], color="C0", label="discriminator")
    loss_ax.plot(steps, [row["g_loss"] for row in rows], color="C1", label="generator")
    loss_ax.axhline(EQUILIBRIUM_D_LOSS, color="C0", linestyle="--", linewidth=0.8)
    loss_ax.axhline(EQUILIBRIUM_G_LOSS, color="C1", linestyle="--", linewidth=0.8)
    loss_ax.set(xlabel="step", ylabel="loss", title="Losses")
    loss_ax.legend(frameon=False)

    output_ax.plot(steps, [row["d_real"] for row in rows], color="C2", label="D(x), real")
    output_ax.plot(steps, [row["d_fake"] for row in rows], color="C3", label="D(G(z)), fake")
    output_ax.axhline(EQUILIBRIUM_D_OUTPUT, color="grey", linestyle="--", linewidth=0.8)
    output_ax.set(xlabel="step", ylabel="mean output", title="Discriminator", ylim=(0, 1))
    output_ax.legend(frameon=False)

    fig.tight_layout()
    return fig


def plot_sample_grids(
    run: RunDirectory | str | Path,
    steps: Sequence[int] | None = None,
    figsize: tuple[float, float] | None = None,
    *,
    first_digits: int | None = None,
    columns: int | None = None,
) -> plt.Figure:
    """Show a run's sample grids, each titled with its step, in rows of ``columns``.

    Every grid is drawn from the same fixed noise, so the figure shows the same
    digits' z turning into digits as the generator learns.

    Args:
        run: the run directory.
        steps: which grids to show; by default all of them.
        figsize: size of the figure in inches; by default 2 inches per grid.
        first_digits: show only the top left ``first_digits`` x ``first_digits``
            digits of each grid, larger (``None``: the whole grid).
        columns: grids per row; by default all in one row.
    """
    run = run if isinstance(run, RunDirectory) else RunDirectory(run)
    steps = list(steps) if steps is not None else list(run.samples())
    if not steps:
        raise ValueError(f"no sample grids in {run.samples_dir}.")
    columns = min(columns or len(steps), len(steps))
    rows = math.ceil(len(steps) / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=figsize or (2.0 * columns, 2.25 * rows), squeeze=False
    )
    count = run.config().num_samples
    per_row = math.ceil(math.sqrt(count))
    shown = first_digits or per_row
    # The places of the top left shown x shown digits in the grid's reading order.
    keep = [row * per_row + column for row in range(shown) for column in range(shown)]
    for ax, step in zip(axes.flat, steps):
        digits = read_image_grid(run.sample_path(step), count)
        grid = tile_images(digits[[place for place in keep if place < count]], shown)
        ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(f"step {step:,}", fontsize=10)
    for ax in axes.flat:
        ax.set_axis_off()
    fig.tight_layout()
    return fig
