"""Figures for the one-dimensional toy problem of the chapter "GAN theory".

Part of the book's helpers, not of ``dcgan_lib``'s API.

Every function draws one figure and returns it, so a notebook shows it inline
and a script can save it. The colours stay the same across the chapter: the
data in blue, the generator in orange, the discriminator in green.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dcgan_lib.book import toy

DATA_COLOR = "tab:blue"
GENERATOR_COLOR = "tab:orange"
DISCRIMINATOR_COLOR = "tab:green"
FIGURE_DPI = 100


def _densities_and_discriminator(
    axes: plt.Axes,
    x: np.ndarray,
    p_data: np.ndarray,
    p_g: np.ndarray,
    discriminators: dict[str, np.ndarray],
) -> None:
    """Draw two densities on ``axes`` and discriminators on a twin axis from 0 to 1."""
    axes.fill_between(x, p_data, color=DATA_COLOR, alpha=0.3, label=r"$p_\mathrm{data}$")
    axes.plot(x, p_g, color=GENERATOR_COLOR, linewidth=2, label=r"$p_g$")
    axes.set_xlabel("$x$")
    axes.set_ylabel("density")
    axes.set_ylim(bottom=0)
    twin = axes.twinx()
    styles = [
        {"color": DISCRIMINATOR_COLOR, "linewidth": 2.5, "linestyle": "-"},
        {"color": "black", "linewidth": 1.2, "linestyle": "--"},
    ]
    for (label, values), style in zip(discriminators.items(), styles):
        twin.plot(x, values, label=label, **style)
    twin.axhline(0.5, color="gray", linewidth=0.8, linestyle=":")
    twin.set_ylim(-0.02, 1.02)
    twin.set_ylabel("$D(x)$", color=DISCRIMINATOR_COLOR)
    # Show where the densities are, not the whole integration grid.
    visible = x[np.maximum(p_data, p_g) > 1e-3 * max(p_data.max(), p_g.max())]
    margin = 0.5 * (visible[-1] - visible[0])
    axes.set_xlim(visible[0] - margin, visible[-1] + margin)
    handles, labels = axes.get_legend_handles_labels()
    twin_handles, twin_labels = twin.get_legend_handles_labels()
    axes.legend(
        handles + twin_handles,
        labels + twin_labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        ncol=2,
        fontsize=8,
    )


def plot_optimal_discriminator(
    x: np.ndarray,
    p_data: np.ndarray,
    p_g: np.ndarray,
    fitted: np.ndarray | None = None,
) -> Figure:
    """Densities with the optimal discriminator, for ``p_g`` and for a perfect generator.

    The left panel shows D*(x) = p_data / (p_data + p_g) and, if given, a
    discriminator ``fitted`` on samples; the right panel shows that D* is 1/2
    everywhere once p_g = p_data (chapter "GAN theory").

    Args:
        x: grid of points.
        p_data: the data density on ``x``.
        p_g: the generator's density on ``x``.
        fitted: D(x) of a discriminator trained on samples, on ``x``.
    """
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=FIGURE_DPI)
    discriminators = {"$D^*(x)$": toy.optimal_discriminator(p_data, p_g)}
    if fitted is not None:
        discriminators["$D$ trained on samples"] = fitted
    _densities_and_discriminator(left, x, p_data, p_g, discriminators)
    left.set_title(r"$p_g \neq p_\mathrm{data}$")
    _densities_and_discriminator(
        right, x, p_data, p_data, {"$D^*(x)$": toy.optimal_discriminator(p_data, p_data)}
    )
    right.set_title(r"$p_g = p_\mathrm{data}$")
    figure.tight_layout()
    return figure


def plot_generator_objective(
    generator_means: np.ndarray, value_at_optimum: np.ndarray, jsd: np.ndarray, data_mean: float
) -> Figure:
    """C(G) = max_D V(D, G) as the generator's mean slides past the data's (chapter "GAN theory").

    Args:
        generator_means: the means of the Gaussian generators.
        value_at_optimum: V(D*, G) by numerical integration, one per mean.
        jsd: JSD(p_data || p_g) computed independently, one per mean.
        data_mean: the mean of the data distribution.
    """
    figure, axes = plt.subplots(figsize=(6.5, 3.6), dpi=FIGURE_DPI)
    axes.plot(generator_means, value_at_optimum, color="black", linewidth=2, label="$V(D^*, G)$")
    every = max(len(generator_means) // 20, 1)
    axes.plot(
        generator_means[::every],
        (-math.log(4.0) + 2.0 * jsd)[::every],
        "o",
        color=GENERATOR_COLOR,
        label=r"$-\log 4 + 2\,\mathrm{JSD}(p_\mathrm{data} \| p_g)$",
    )
    axes.axhline(-math.log(4.0), color="gray", linestyle="--", linewidth=1)
    axes.axhline(0.0, color="gray", linestyle=":", linewidth=1)
    axes.axvline(data_mean, color=DATA_COLOR, linestyle=":", linewidth=1)
    axes.annotate(r"$-\log 4$", (generator_means[0], -math.log(4.0)), va="bottom", fontsize=9)
    axes.annotate(
        "$0$: no overlap with the data", (data_mean, 0.0), ha="center", va="top", fontsize=9
    )
    axes.set_xlabel(r"mean of $p_g$ (the data's mean is marked)")
    axes.set_ylabel("$C(G)$")
    axes.legend(loc="center right", fontsize=8)
    figure.tight_layout()
    return figure


def plot_generator_losses(
    d_fake: np.ndarray,
    saturating_loss: np.ndarray,
    non_saturating_loss: np.ndarray,
    saturating_gradient: np.ndarray,
    non_saturating_gradient: np.ndarray,
) -> Figure:
    """The two generator losses and their gradients against D(G(z)) (chapter "GAN theory").

    Args:
        d_fake: values of D(G(z)) in (0, 1).
        saturating_loss: ``log(1 - D(G(z)))`` at ``d_fake``.
        non_saturating_loss: ``-log D(G(z))`` at ``d_fake``.
        saturating_gradient: derivative of the saturating loss with respect to the logit.
        non_saturating_gradient: derivative of the non-saturating loss with respect to the logit.
    """
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=FIGURE_DPI)
    for axes in (left, right):
        # Early in training the discriminator rejects the fakes: D(G(z)) is near 0.
        axes.axvspan(0.0, 0.1, color="gray", alpha=0.15, label="early training")
        axes.set_xlabel("$D(G(z))$")
        axes.set_xlim(0, 1)
    left.plot(d_fake, saturating_loss, color="tab:red", linewidth=2, label=r"$\log(1 - D(G(z)))$")
    left.plot(
        d_fake, non_saturating_loss, color="tab:purple", linewidth=2, label=r"$-\log D(G(z))$"
    )
    left.set_ylabel("generator loss")
    left.set_title("losses (both are minimised by the generator)")
    left.legend(fontsize=8)
    right.plot(d_fake, saturating_gradient, color="tab:red", linewidth=2, label="saturating")
    right.plot(
        d_fake, non_saturating_gradient, color="tab:purple", linewidth=2, label="non-saturating"
    )
    right.axhline(0.0, color="gray", linewidth=0.8)
    right.set_ylabel("derivative with respect to the logit $l$")
    right.set_title("gradients that reach the generator")
    right.legend(fontsize=8)
    figure.tight_layout()
    return figure


def plot_toy_gan_snapshots(history: toy.ToyGANHistory) -> Figure:
    """Generated samples and D(x) over the data density at each snapshot (chapter "GAN theory").

    Args:
        history: what :func:`dcgan_lib.book.toy.train_toy_gan` returned.
    """
    columns = 3
    rows = math.ceil(len(history.snapshots) / columns)
    figure, axes_grid = plt.subplots(
        rows, columns, figsize=(9, 2.6 * rows), dpi=FIGURE_DPI, sharex=True, squeeze=False
    )
    grid = history.grid
    p_data = toy.gaussian_density(grid, history.data_mean, history.data_std)
    bins = np.linspace(grid[0], grid[-1], 91)
    # One density scale for every panel, so that the panels compare.
    density_top = 1.6 * p_data.max()
    for axes, snapshot in zip(axes_grid.flat, history.snapshots):
        axes.fill_between(grid, p_data, color=DATA_COLOR, alpha=0.3, label=r"$p_\mathrm{data}$")
        axes.hist(
            np.clip(snapshot.generated, grid[0], grid[-1]),
            bins=bins,
            density=True,
            color=GENERATOR_COLOR,
            alpha=0.6,
            label="$G(z)$ samples",
        )
        axes.set_ylim(0, density_top)
        axes.set_title(f"step {snapshot.step}", fontsize=10)
        twin = axes.twinx()
        twin.plot(grid, snapshot.discriminator, color=DISCRIMINATOR_COLOR, linewidth=2)
        twin.axhline(0.5, color="gray", linewidth=0.8, linestyle=":")
        twin.set_ylim(0, 1)
        twin.set_yticks([0, 0.5, 1])
    for axes in axes_grid.flat[len(history.snapshots) :]:
        axes.set_visible(False)
    for axes in axes_grid[-1]:
        axes.set_xlabel("$x$")
    handles, labels = axes_grid.flat[0].get_legend_handles_labels()
    handles.append(plt.Line2D([], [], color=DISCRIMINATOR_COLOR, linewidth=2))
    labels.append("$D(x)$ (right axis)")
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=9)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    return figure


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of each run of ``window`` consecutive values (shorter at the start)."""
    cumulative = np.cumsum(np.insert(np.asarray(values, dtype=np.float64), 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (cumulative[1:] - cumulative[np.arange(1, len(values) + 1) - counts]) / counts


def plot_toy_gan_training(history: toy.ToyGANHistory) -> Figure:
    """The JSD, the discriminator's outputs and the losses over training (chapter "GAN theory").

    Per-iteration curves are smoothed with a moving average, since each comes
    from a single batch.

    Args:
        history: what :func:`dcgan_lib.book.toy.train_toy_gan` returned.
    """
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(10, 3.2), dpi=FIGURE_DPI)
    iterations = np.arange(1, len(history.d_real) + 1)
    window = max(len(iterations) // 60, 1)

    left.plot(history.steps, history.js_divergence, color="black", linewidth=1.5)
    left.axhline(math.log(2.0), color="gray", linestyle=":", linewidth=1)
    left.annotate(r"$\log 2$", (history.steps[-1], math.log(2.0)), ha="right", va="bottom")
    left.set_ylim(0, 0.75)
    left.set_title(r"$\mathrm{JSD}(p_\mathrm{data} \| p_g)$, histogram estimate", fontsize=10)

    middle.plot(
        iterations, _moving_average(history.d_real, window), color=DATA_COLOR, label="$D(x)$"
    )
    middle.plot(
        iterations,
        _moving_average(history.d_fake, window),
        color=GENERATOR_COLOR,
        label="$D(G(z))$",
    )
    middle.axhline(0.5, color="gray", linestyle=":", linewidth=1)
    middle.set_ylim(0, 1)
    middle.set_title("mean discriminator output", fontsize=10)
    middle.legend(fontsize=8)

    right.plot(
        iterations,
        _moving_average(history.discriminator_loss, window),
        color=DISCRIMINATOR_COLOR,
        label="discriminator",
    )
    right.plot(
        iterations,
        _moving_average(history.generator_loss, window),
        color=GENERATOR_COLOR,
        label="generator",
    )
    right.axhline(math.log(4.0), color=DISCRIMINATOR_COLOR, linestyle=":", linewidth=1)
    right.axhline(math.log(2.0), color=GENERATOR_COLOR, linestyle=":", linewidth=1)
    right.set_title(r"losses (dotted: $\log 4$ and $\log 2$)", fontsize=10)
    right.legend(fontsize=8)
    for axes in (left, middle, right):
        axes.set_xlabel("training step")
    figure.tight_layout()
    return figure
