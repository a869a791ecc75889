"""Figures of a training run: its history and its sample grids (chapters 3 and 4).

Both read what :func:`dcgan_lib.runs.train` writes into a run directory: the rows of
``history.jsonl`` (read them with :func:`dcgan_lib.callbacks.read_history`) and the PNG
grids in ``samples/``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.image import imread

from dcgan_lib.callbacks import sample_grid_path

# At the game's equilibrium D(x) = D(G(z)) = 1/2 everywhere, so the discriminator's loss
# is -2 log(1/2) = log 4 and the generator's non-saturating loss is -log(1/2) = log 2.
EQUILIBRIUM_D_LOSS = math.log(4.0)
EQUILIBRIUM_G_LOSS = math.log(2.0)
EQUILIBRIUM_D_OUTPUT = 0.5

_GRID_NAME = re.compile(r"step_(\d+)\.png$")


def plot_history(
    rows: Sequence[dict[str, float]], figsize: tuple[float, float] = (9.0, 3.2)
) -> plt.Figure:
    """Plot a run's losses and the discriminator's outputs against the training step.

    Left: ``d_loss`` and ``g_loss``; right: ``d_real`` = mean D(x) and ``d_fake`` = mean
    D(G(z)). Dashed lines mark the values at the game's equilibrium (log 4, log 2 and
    1/2), a reference rather than a target a real run reaches (chapter 3).

    Args:
        rows: history rows, each with ``step``, ``d_loss``, ``g_loss``, ``d_real`` and
            ``d_fake``, as :func:`dcgan_lib.callbacks.read_history` returns them.
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


def sample_grid_steps(directory: str | Path) -> list[int]:
    """The steps at which a run saved a sample grid, in order."""
    steps = []
    for path in Path(directory).glob("step_*.png"):
        match = _GRID_NAME.search(path.name)
        if match:
            steps.append(int(match.group(1)))
    return sorted(steps)


def plot_sample_grids(
    directory: str | Path,
    steps: Sequence[int] | None = None,
    figsize: tuple[float, float] | None = None,
) -> plt.Figure:
    """Show a run's sample grids side by side, each titled with its step.

    Every grid is drawn from the same fixed noise, so the figure shows the same
    digits' z turning into digits as the generator learns.

    Args:
        directory: the run's ``samples/`` directory.
        steps: which grids to show; by default all of them.
        figsize: size of the figure in inches; by default 1.5 inches per grid.
    """
    steps = list(steps) if steps is not None else sample_grid_steps(directory)
    if not steps:
        raise ValueError(f"no sample grids in {directory}.")
    fig, axes = plt.subplots(1, len(steps), figsize=figsize or (1.5 * len(steps), 1.7))
    for ax, step in zip(axes if len(steps) > 1 else [axes], steps):
        ax.imshow(imread(sample_grid_path(directory, step)), cmap="gray")
        ax.set_title(f"step {step}", fontsize=9)
        ax.set_axis_off()
    fig.tight_layout()
    return fig
