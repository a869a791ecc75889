"""Figures of the chapter "Training results": grids and films, readings, copies, clock times.

Part of the book's helpers, not of ``dcgan_lib``'s API.

The loss curves and rows of sample grids are drawn by :mod:`dcgan_lib.book.training_plots`;
this module adds what reading a finished run needs beyond them. The numbers come
from :mod:`dcgan_lib.book.results`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import PercentFormatter
from PIL import Image, ImageDraw, ImageFont

from dcgan_lib.book.results import CONFIDENT, GridReadings, Neighbours, seconds_per_step
from dcgan_lib.data import to_pixels

_LABEL_HEIGHT = 16
_LABEL_FONT_SIZE = 11


def _gif_frame(step: int, path: Path, scale: float, font: ImageFont.ImageFont) -> Image.Image:
    """One sample grid, resized, with its step written in a strip above it."""
    with Image.open(path) as saved:
        grid = saved.convert("L")
    size = (max(1, round(grid.width * scale)), max(1, round(grid.height * scale)))
    grid = grid.resize(size, Image.Resampling.BOX)
    frame = Image.new("L", (grid.width, grid.height + _LABEL_HEIGHT), color=0)
    frame.paste(grid, (0, _LABEL_HEIGHT))
    ImageDraw.Draw(frame).text((4, 1), f"step {step:,}", fill=255, font=font)
    return frame


def training_gif(
    grids: Mapping[int, Path],
    scale: float = 0.5,
    frame_ms: int = 150,
    last_frame_ms: int = 1500,
    grey_levels: int = 16,
) -> bytes:
    """An animated GIF of training: one frame per sample grid, labelled with its step.

    Show it in a notebook with ``IPython.display.Image(data=gif, format="gif")``.

    Args:
        grids: sample grids by step, in the order to show them, as
            :meth:`dcgan_lib.runs.RunDirectory.samples` returns them.
        scale: size of a frame relative to the saved grid. The grids are saved
            at twice the digits' size, so 0.5 shows every pixel once.
        frame_ms: how long each frame is shown, in milliseconds.
        last_frame_ms: how long the last frame stays before the film restarts.
        grey_levels: shades of grey in the GIF's palette (at most 256); fewer
            shades make a smaller file.

    Returns:
        The GIF file's bytes.

    Raises:
        ValueError: no grids were given.
    """
    if not grids:
        raise ValueError("training_gif needs at least one sample grid.")
    font = ImageFont.load_default(size=_LABEL_FONT_SIZE)
    palette = Image.new("P", (1, 1))
    levels = np.linspace(0, 255, grey_levels).round().astype(np.uint8)
    palette.putpalette(np.repeat(levels, 3).tolist())
    frames = [
        _gif_frame(step, Path(path), scale, font).convert("RGB").quantize(palette=palette, dither=0)
        for step, path in grids.items()
    ]
    durations = [frame_ms] * (len(frames) - 1) + [last_frame_ms]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=False,
    )
    return buffer.getvalue()


def show_film(gif: bytes, zoom: int = 2, max_width: int = 600):
    """Show a film of :func:`training_gif` in a notebook, each pixel ``zoom`` times larger.

    The film's width on the page is ``zoom`` times its own, but at most
    ``max_width`` pixels.

    Returns:
        An ``IPython.display.Image``: the last line of a cell shows it.
    """
    from IPython.display import Image as DisplayImage

    with Image.open(io.BytesIO(gif)) as film:
        width = film.width
    return DisplayImage(data=gif, format="gif", width=min(max_width, zoom * width))


def show_grid(path: str | Path):
    """Show a saved sample grid in a notebook at its own size, one screen pixel per pixel.

    Grids are saved at twice the digits' size (:func:`dcgan_lib.grids.save_image_grid`),
    so each digit is 56 pixels across, large enough to judge its strokes.

    Returns:
        An ``IPython.display.Image`` holding the PNG file as it is.
    """
    from IPython.display import Image as DisplayImage

    with Image.open(path) as grid:
        width = grid.width
    return DisplayImage(filename=str(path), width=width)


def plot_grid_readings(
    readings: GridReadings,
    threshold: float = CONFIDENT,
    figsize: tuple[float, float] = (6.0, 2.8),
) -> plt.Figure:
    """How a classifier read a run's sample grids, grid by grid.

    Three shares of each grid's digits against the step: read with probability
    at least ``threshold``; read as the class they have in the last grid; and
    read as that class in this grid and every later one.

    Args:
        readings: the result of :func:`dcgan_lib.book.results.read_grids`.
        threshold: the probability that counts as a confident reading.
        figsize: size of the figure in inches.
    """
    fig, ax = plt.subplots(figsize=figsize)
    curves = [
        (readings.confident_share(threshold), "-", f"read with probability ≥ {threshold:g}"),
        (readings.final_class_share(), ":", "read as in the last grid"),
        (readings.settled_share(), "-", "read as in the last grid from here on"),
    ]
    for color, (shares, style, label) in enumerate(curves):
        ax.plot(readings.steps, shares, f"C{color}", linestyle=style, marker=".", label=label)
    ax.set(xlabel="step", ylabel="share of the digits", ylim=(0, 1.02))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_nearest_neighbours(
    queries: np.ndarray,
    references: np.ndarray,
    neighbours: Neighbours,
    query_label: str = "generated",
    reference_label: str = "nearest\ntraining",
    column_width: float = 0.85,
) -> plt.Figure:
    """Draw each query above its nearest references, with the distances.

    Args:
        queries: the images searched for, uint8 pixels or model output, (N, 28, 28).
        references: the images searched, e.g. the training set.
        neighbours: the result of :func:`dcgan_lib.book.results.nearest_neighbours` for
            these queries and references; all its ``k`` neighbours are shown, one row
            each.
        query_label: the name of the top row.
        reference_label: the name of the rows below it.
        column_width: width of one column in inches.
    """
    queries = to_pixels(queries)
    count, k = neighbours.indices.shape
    fig, axes = plt.subplots(
        1 + k, count, figsize=(column_width * count, 1.05 * (1 + k)), squeeze=False
    )
    for column in range(count):
        axes[0, column].imshow(queries[column], cmap="gray", vmin=0, vmax=255)
        for row in range(k):
            ax = axes[1 + row, column]
            image = to_pixels(references[neighbours.indices[column, row : row + 1]])[0]
            ax.imshow(image, cmap="gray", vmin=0, vmax=255)
            ax.set_title(f"{neighbours.distances[column, row]:.2f}", fontsize=8, pad=2)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    axes[0, 0].set_ylabel(query_label, fontsize=9)
    for row in range(k):
        axes[1 + row, 0].set_ylabel(reference_label, fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig


def plot_distance_distributions(
    distances: Mapping[str, np.ndarray],
    xlabel: str = "distance to the nearest training image",
    bins: int = 40,
    figsize: tuple[float, float] = (6.0, 3.0),
) -> plt.Figure:
    """Overlaid histograms of nearest-neighbour distances, each median marked.

    Args:
        distances: a name (shown in the legend) for each array of distances.
        xlabel: the label of the distance axis.
        bins: number of histogram bins, shared by all arrays.
        figsize: size of the figure in inches.
    """
    fig, ax = plt.subplots(figsize=figsize)
    everything = np.concatenate([np.ravel(values) for values in distances.values()])
    edges = np.histogram_bin_edges(everything, bins=bins)
    for index, (name, values) in enumerate(distances.items()):
        colour = f"C{index}"
        median = float(np.median(values))
        ax.hist(np.ravel(values), bins=edges, color=colour, alpha=0.45, density=True)
        ax.axvline(median, color=colour, linewidth=1.5, label=f"{name} (median {median:.2f})")
    ax.set(xlabel=xlabel, ylabel="density")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def plot_step_times(
    history: Sequence[Mapping[str, float]], figsize: tuple[float, float] = (6.0, 2.6)
) -> plt.Figure:
    """Seconds per training step in each logging window of a run, and their median.

    Args:
        history: rows with ``step`` and ``seconds``, as
            :meth:`dcgan_lib.runs.RunDirectory.history` returns them.
        figsize: size of the figure in inches.
    """
    steps, per_step = seconds_per_step(history)
    fig, ax = plt.subplots(figsize=figsize)
    ax.plot(steps, per_step, color="C0", marker=".", linewidth=1)
    median = float(np.median(per_step))
    ax.axhline(median, color="grey", linestyle="--", linewidth=0.8, label=f"median {median:.2f} s")
    ax.set(xlabel="step", ylabel="seconds per step", ylim=(0, None))
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig
