"""Figures of the chapter "The latent space".

Part of the book's helpers, not of ``dcgan_lib``'s API.

Every function draws one figure and returns it, so a notebook shows it inline
and a script can save it. Digits are uint8 pixels (N, 28, 28), as returned by
:func:`dcgan_lib.latent.generate`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dcgan_lib.grids import tile_images

PRIOR_COLOR = "tab:blue"
LERP_COLOR = "tab:orange"
SLERP_COLOR = "tab:green"


def plot_norms(
    prior: np.ndarray, lerp_midpoints: np.ndarray, slerp_midpoints: np.ndarray, latent_dim: int
) -> Figure:
    """Histograms of the lengths of prior samples and of the midpoints of both interpolations.

    Args:
        prior: norms of noise vectors drawn from the prior.
        lerp_midpoints: norms of midpoints of linear interpolations between prior samples.
        slerp_midpoints: the same for spherical interpolations.
        latent_dim: d, for the reference lines at sqrt(d) and sqrt(d / 2).
    """
    fig, ax = plt.subplots(figsize=(6.5, 2.8))
    bins = np.linspace(0, 1.4 * np.sqrt(latent_dim), 80)
    ax.hist(prior, bins=bins, color=PRIOR_COLOR, alpha=0.5, label=r"prior samples $z$")
    ax.hist(lerp_midpoints, bins=bins, color=LERP_COLOR, alpha=0.6, label="lerp midpoints")
    ax.hist(
        slerp_midpoints,
        bins=bins,
        histtype="step",
        linewidth=1.8,
        color=SLERP_COLOR,
        label="slerp midpoints",
    )
    references = [(np.sqrt(latent_dim), r"$\sqrt{d}$"), (np.sqrt(latent_dim / 2), r"$\sqrt{d/2}$")]
    for value, text in references:
        ax.axvline(value, color="black", linestyle=":", linewidth=1)
        ax.text(value, 1.01, text, transform=ax.get_xaxis_transform(), ha="center", va="bottom")
    ax.set_xlabel(r"length $\|z\|$")
    ax.set_ylabel("count")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_image_rows(
    rows: dict[str, np.ndarray],
    column_labels: list[str] | None = None,
    width: float = 7.5,
) -> Figure:
    """Strips of digits, one labelled row per entry of ``rows``.

    Args:
        rows: row label to digits (N, 28, 28); every row has the same N.
        column_labels: a short label under each column, e.g. the value of t.
        width: figure width in inches; the height follows from the number of rows.
    """
    lengths = {len(images) for images in rows.values()}
    if len(lengths) != 1:
        raise ValueError(f"every row needs the same number of digits, got {sorted(lengths)}.")
    (length,) = lengths
    height = width / length * len(rows) + (0.3 if column_labels else 0.1)
    fig, axes = plt.subplots(len(rows), 1, figsize=(width, height), squeeze=False)
    for ax, (label, images) in zip(axes[:, 0], rows.items()):
        ax.imshow(tile_images(images, columns=length), cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if column_labels:
        if len(column_labels) != length:
            raise ValueError(f"got {len(column_labels)} column labels for {length} columns.")
        bottom = axes[-1, 0]
        step = 28 + 2
        bottom.set_xticks([2 + step * k + 14 for k in range(length)])
        bottom.set_xticklabels(column_labels, fontsize=7)
        bottom.tick_params(length=0)
    fig.tight_layout(h_pad=0.2)
    return fig


def plot_norm_along_paths(t: np.ndarray, norms: dict[str, np.ndarray], latent_dim: int) -> Figure:
    """The length of z along each interpolation path, with the prior's typical length.

    Args:
        t: the fractions of the way, shape (T,).
        norms: path name (``"lerp"`` or ``"slerp"``) to the norms along it, shape (T,).
        latent_dim: d, for the reference line at sqrt(d).
    """
    colors = {"lerp": LERP_COLOR, "slerp": SLERP_COLOR}
    fig, ax = plt.subplots(figsize=(4.5, 2.6))
    for name, values in norms.items():
        ax.plot(t, values, color=colors.get(name), linewidth=2, label=name)
    ax.axhline(np.sqrt(latent_dim), color="black", linestyle=":", linewidth=1)
    ax.text(t[-1], np.sqrt(latent_dim), r" $\sqrt{d}$", va="bottom", ha="right", fontsize=9)
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"$\|z_t\|$")
    ax.set_ylim(0, 1.25 * np.sqrt(latent_dim))
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot_arithmetic(
    groups: dict[str, np.ndarray], result: np.ndarray, result_label: str = "result"
) -> Figure:
    """Exemplars of three concepts and the digits of their latent arithmetic.

    Drawn as in the DCGAN paper: each concept is a column of its exemplars, then
    ``first - second + third = result``, where the result is a grid of digits.

    Args:
        groups: three concept names to their exemplar digits (k, 28, 28).
        result: digits of the arithmetic's result, e.g. with small noise added, (m, 28, 28).
        result_label: title of the result.
    """
    if len(groups) != 3:
        raise ValueError(f"latent arithmetic combines three concepts, got {len(groups)}.")
    columns = int(np.ceil(np.sqrt(len(result))))
    widths = [1, 0.35, 1, 0.35, 1, 0.35, columns]
    fig, axes = plt.subplots(1, len(widths), figsize=(7.5, 3.2), width_ratios=widths)
    panels = [*groups.items(), (result_label, result)]
    for ax, (title, images), grid_columns in zip(axes[::2], panels, [1, 1, 1, columns]):
        ax.imshow(tile_images(images, columns=grid_columns), cmap="gray", vmin=0, vmax=255)
        ax.set_title(title, fontsize=9)
    for ax, operator in zip(axes[1::2], ["−", "+", "="]):
        ax.text(0.5, 0.5, operator, fontsize=20, ha="center", va="center")
    for ax in axes:
        ax.set_axis_off()
    fig.tight_layout()
    return fig
