"""Image grids: tiling digits, saving them as PNG, drawing them in a notebook."""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.image import imsave

from dcgan_lib.data import to_pixels


def tile_images(
    images: np.ndarray, columns: int | None = None, padding: int = 2, background: int = 0
) -> np.ndarray:
    """Tile N images into one uint8 grid image, row by row.

    Args:
        images: uint8 pixels (N, H, W) or (N, H, W, 1), or float model
            output in [-1, 1].
        columns: images per row; by default the grid is as square as possible.
        padding: pixels between images.
        background: grey level of the padding.
    """
    pixels = to_pixels(images)
    count, height, width = pixels.shape
    if count == 0:
        raise ValueError("tile_images needs at least one image.")
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.full(
        (rows * height + (rows + 1) * padding, columns * width + (columns + 1) * padding),
        background,
        dtype=np.uint8,
    )
    for index, image in enumerate(pixels):
        row, column = divmod(index, columns)
        top = padding + row * (height + padding)
        left = padding + column * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def save_image_grid(
    images: np.ndarray, path: str | Path, columns: int | None = None, scale: int = 2
) -> Path:
    """Save a grid of digits as a greyscale PNG, each pixel enlarged ``scale`` times."""
    grid = tile_images(images, columns)
    if scale > 1:
        grid = np.kron(grid, np.ones((scale, scale), dtype=np.uint8))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imsave(path, grid, cmap="gray", vmin=0, vmax=255)
    return path


def png_bytes(images: np.ndarray, columns: int | None = None, scale: int = 4) -> bytes:
    """A grid of digits encoded as PNG bytes (for ``ipywidgets.Image``)."""
    grid = tile_images(images, columns, padding=1)
    grid = np.kron(grid, np.ones((scale, scale), dtype=np.uint8))
    buffer = io.BytesIO()
    imsave(buffer, grid, cmap="gray", vmin=0, vmax=255, format="png")
    return buffer.getvalue()


def plot_image_grid(
    images: np.ndarray,
    columns: int | None = None,
    titles: list[str] | None = None,
    ax: plt.Axes | None = None,
    figsize: tuple[float, float] | None = None,
) -> plt.Figure:
    """Draw digits in a grid, optionally with a title above each one.

    Args:
        images: uint8 pixels or float model output in [-1, 1].
        columns: digits per row.
        titles: one short title per digit (e.g. its label); needs ``ax=None``.
        ax: draw the tiled grid into this axes instead of a new figure.
        figsize: size of a new figure in inches.
    """
    pixels = to_pixels(images)
    if titles is None:
        if ax is None:
            fig, ax = plt.subplots(figsize=figsize or (4, 4))
        ax.imshow(tile_images(pixels, columns), cmap="gray", vmin=0, vmax=255)
        ax.set_axis_off()
        return ax.figure
    if len(titles) != len(pixels):
        raise ValueError(f"got {len(titles)} titles for {len(pixels)} images.")
    columns = columns or math.ceil(math.sqrt(len(pixels)))
    rows = math.ceil(len(pixels) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=figsize or (1.1 * columns, 1.3 * rows))
    for axis in np.atleast_1d(axes).ravel():
        axis.set_axis_off()
    for axis, image, title in zip(np.atleast_1d(axes).ravel(), pixels, titles):
        axis.imshow(image, cmap="gray", vmin=0, vmax=255)
        axis.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
