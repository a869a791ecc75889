"""Figures of the chapter "DCGAN architecture": the networks and the transposed convolution.

Part of the book's helpers, not of ``dcgan_lib``'s API.

Every function draws a new matplotlib figure and returns it; the numbers come
from :mod:`dcgan_lib.book.architecture`.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.patches import Polygon, Rectangle

from dcgan_lib._runtime import keras
from dcgan_lib.book import architecture

_IMAGE_COLOUR = "#9ecae1"
_VECTOR_COLOUR = "#fdd0a2"
_EDGE_COLOUR = "#30506b"
# One colour per input pixel of the transposed-convolution demo (up to 3x3 inputs).
_PIXEL_COLOURS = (
    "#d62728",
    "#1f77b4",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
)
_SHORT_NAMES = {"Conv2DTranspose": "ConvT", "LeakyReLU": "LReLU"}


def _tensor_box(shape: tuple[int, ...]) -> tuple[float, float, float]:
    """Width, height and depth of a tensor's box in the diagram.

    Height follows the image's side (linearly), width the number of channels
    (logarithmically, so 1 and 256 channels both stay visible), and a vector
    is a thin bar whose height grows with the logarithm of its length.
    """
    if len(shape) == 3:
        height, _, channels = shape
        side = 0.5 + 2.3 * height / 28
        return 0.12 + 0.11 * math.log2(channels), side, 0.3 * side
    (length,) = shape
    return 0.16, 0.3 + 0.6 * math.log10(length), 0.0


def _draw_box(ax: plt.Axes, left: float, shape: tuple[int, ...]) -> float:
    """Draw a tensor as a (pseudo-3-D) box centred on y = 0; return its right edge."""
    width, height, depth = _tensor_box(shape)
    bottom = -height / 2
    colour = _IMAGE_COLOUR if len(shape) == 3 else _VECTOR_COLOUR
    ax.add_patch(Rectangle((left, bottom), width, height, fc=colour, ec=_EDGE_COLOUR, lw=1))
    if depth:
        shift = (0.6 * depth, 0.4 * depth)
        top = [
            (left, bottom + height),
            (left + shift[0], bottom + height + shift[1]),
            (left + width + shift[0], bottom + height + shift[1]),
            (left + width, bottom + height),
        ]
        side = [
            (left + width, bottom),
            (left + width + shift[0], bottom + shift[1]),
            (left + width + shift[0], bottom + height + shift[1]),
            (left + width, bottom + height),
        ]
        for face, shade in ((top, 0.85), (side, 0.7)):
            rgb = np.array(to_rgb(colour)) * shade
            ax.add_patch(Polygon(face, closed=True, fc=rgb, ec=_EDGE_COLOUR, lw=1))
    ax.text(
        left + width / 2,
        -1.75,
        architecture.format_shape(shape).replace("x", "×"),
        ha="center",
        va="top",
        fontsize=8,
    )
    return left + width + 0.6 * depth


def _block_label(label: str) -> str:
    parts = []
    for part in label.split(", "):
        for long, short in _SHORT_NAMES.items():
            part = part.replace(long, short)
        parts.append(part.replace("x", "×"))
    return "\n".join(parts)


def _draw_network(ax: plt.Axes, model: keras.Model, title: str, gap: float = 1.75) -> None:
    stages = architecture.architecture_stages(model)
    right = _draw_box(ax, 0.0, stages[0].output_shape)
    for stage in stages[1:]:
        left = right + gap
        ax.annotate(
            "",
            xy=(left - 0.08, 0),
            xytext=(right + 0.08, 0),
            arrowprops={"arrowstyle": "->", "color": "0.3", "lw": 1},
        )
        ax.text(
            (right + left) / 2,
            0.12,
            _block_label(stage.label),
            ha="center",
            va="bottom",
            fontsize=7,
            color="0.2",
        )
        right = _draw_box(ax, left, stage.output_shape)
    ax.set_title(title, loc="left", fontsize=10)
    ax.set_xlim(-0.3, right + 0.3)
    ax.set_ylim(-2.2, 2.2)
    ax.set_aspect("equal")
    ax.set_axis_off()


def plot_architecture(generator: keras.Model, discriminator: keras.Model) -> plt.Figure:
    """Draw the generator and the discriminator as chains of tensor-shaped boxes.

    Each box is the tensor one block produces: its height follows the image
    size, its width the number of channels; vectors are thin bars. The layers
    of each block are written above the arrow that leads into its box, and
    each tensor's shape below its box. Explained in chapter "DCGAN architecture".
    """
    fig, axes = plt.subplots(2, 1, figsize=(9, 5.6))
    _draw_network(axes[0], generator, "Generator G: noise vector z → image")
    _draw_network(axes[1], discriminator, "Discriminator D: image → logit")
    # Both rows share one scale, so equal tensors have equal boxes in G and D.
    width = max(axis.get_xlim()[1] for axis in axes)
    for axis in axes:
        axis.set_xlim(-0.3, width)
    fig.tight_layout()
    return fig


def _draw_numbers(
    ax: plt.Axes,
    values: np.ndarray,
    title: str,
    vmax: float,
    cmap: str = "Blues",
    edge_colours: np.ndarray | None = None,
) -> None:
    ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax)
    for (row, column), value in np.ndenumerate(values):
        shade = "white" if value > 0.6 * vmax else "black"
        ax.text(column, row, f"{value:g}", ha="center", va="center", fontsize=9, color=shade)
        if edge_colours is not None and edge_colours[row, column]:
            ax.add_patch(
                Rectangle(
                    (column - 0.45, row - 0.45),
                    0.9,
                    0.9,
                    fill=False,
                    ec=edge_colours[row, column],
                    lw=2,
                )
            )
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="0.6", lw=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=9)


def plot_transposed_conv_demo(x: np.ndarray, kernel: np.ndarray, stride: int) -> plt.Figure:
    """Draw a single-channel transposed convolution: input, spread-out input, kernel, output.

    The output panel shows the full sum of kernel copies; each copy's footprint
    is outlined in the colour of the input pixel that scales it, and the cells
    that ``"same"`` padding drops are greyed out. Explained in chapter "DCGAN architecture".

    Args:
        x: a small 2-D input of at most 9 pixels.
        kernel: a small 2-D kernel.
        stride: the upsampling factor.
    """
    x = np.asarray(x)
    kernel = np.asarray(kernel)
    if x.size > len(_PIXEL_COLOURS):
        raise ValueError(f"the demo draws inputs of at most {len(_PIXEL_COLOURS)} pixels.")
    full = architecture.full_transposed_conv2d(x, kernel, stride)
    kept = architecture.transposed_conv2d(x, kernel, stride, "same")
    colours = np.array(_PIXEL_COLOURS[: x.size], dtype=object).reshape(x.shape)
    spread = architecture.insert_zeros(x, stride)
    spread_colours = np.full(spread.shape, None, dtype=object)
    spread_colours[::stride, ::stride] = colours

    widths = [x.shape[1], spread_colours.shape[1], kernel.shape[1], full.shape[1]]
    fig, axes = plt.subplots(
        1, 4, figsize=(9.5, 2.9), gridspec_kw={"width_ratios": widths, "wspace": 0.35}
    )
    vmax = float(max(np.abs(x).max(), np.abs(kernel).max()))
    _draw_numbers(axes[0], x, f"input x ({x.shape[0]}×{x.shape[1]})", vmax, "Greys", colours)
    _draw_numbers(
        axes[1],
        spread,
        f"zeros inserted (stride {stride})",
        vmax,
        "Greys",
        spread_colours,
    )
    _draw_numbers(axes[2], kernel, f"kernel w ({kernel.shape[0]}×{kernel.shape[1]})", vmax)
    _draw_numbers(
        axes[3],
        full,
        f"output: {kept.shape[0]}×{kept.shape[1]} kept of {full.shape[0]}×{full.shape[1]}",
        float(np.abs(full).max()),
        "Purples",
    )
    inset = np.linspace(0.04, 0.16, x.size)
    for index, ((row, column), colour) in enumerate(np.ndenumerate(colours)):
        top, left = stride * row, stride * column
        axes[3].add_patch(
            Rectangle(
                (left - 0.5 + inset[index], top - 0.5 + inset[index]),
                kernel.shape[1] - 2 * inset[index],
                kernel.shape[0] - 2 * inset[index],
                fill=False,
                ec=colour,
                lw=1.6,
            )
        )
    top, left = (architecture.transposed_crop_start(size, stride, "same") for size in kernel.shape)
    dropped = np.ones_like(full, dtype=bool)
    dropped[top : top + kept.shape[0], left : left + kept.shape[1]] = False
    axes[3].imshow(
        np.where(dropped, 1.0, np.nan), cmap="Greys", vmin=0, vmax=2.5, alpha=0.75, zorder=2
    )
    return fig


def plot_kernel_overlap(size: int, kernels: list[int], stride: int) -> plt.Figure:
    """Draw how many kernel copies cover each output pixel of a transposed convolution.

    For each kernel size, a ``size`` x ``size`` input of ones goes through a
    transposed convolution with a kernel of ones and ``"same"`` padding: the
    output counts the overlapping copies. A kernel size that the stride does not
    divide gives an uneven, checkerboard count. Explained in chapter "DCGAN architecture".
    """
    counts = [
        architecture.transposed_conv2d(np.ones((size, size)), np.ones((k, k)), stride, "same")
        for k in kernels
    ]
    vmax = max(float(count.max()) for count in counts)
    fig, axes = plt.subplots(1, len(kernels), figsize=(3.0 * len(kernels), 3.2))
    for ax, kernel, count in zip(np.atleast_1d(axes), kernels, counts):
        _draw_numbers(ax, count, f"kernel {kernel}×{kernel}, stride {stride}", vmax, "Oranges")
    fig.tight_layout()
    return fig


def plot_feature_maps(maps: list[np.ndarray], titles: list[str], channels: int = 6) -> plt.Figure:
    """Draw the first few channels of a generator's feature maps for one input, one row a layer.

    Each map is scaled to its own range, so the figure shows patterns, not
    magnitudes. Explained in chapter "DCGAN architecture".

    Args:
        maps: one array per layer, shape (height, width, channels), for one example.
        titles: a short title for each row.
        channels: how many channels to draw per row at most.
    """
    fig, axes = plt.subplots(
        len(maps), channels, figsize=(1.3 * channels + 1.2, 1.35 * len(maps)), squeeze=False
    )
    for row, (feature_map, title) in enumerate(zip(maps, titles)):
        for column, ax in enumerate(axes[row]):
            ax.set_axis_off()
            if column < feature_map.shape[-1]:
                ax.imshow(feature_map[:, :, column], cmap="gray", interpolation="nearest")
        axes[row, 0].text(
            -0.12, 0.5, title, transform=axes[row, 0].transAxes, ha="right", va="center", fontsize=9
        )
    fig.subplots_adjust(left=0.17, right=0.99, top=0.97, bottom=0.03, wspace=0.08, hspace=0.12)
    return fig
