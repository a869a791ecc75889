"""A latent-space explorer that works in a static web page (chapter "The latent space").

Part of the book's helpers, not of ``dcgan_lib``'s API.

The live explorer of :mod:`dcgan_lib.widgets` needs a Python kernel to run the
generator. The book's HTML pages have none, so this explorer computes every
frame in advance: the digits along an interpolation path, or over a 2-D slice
of the latent space (:func:`path_frames`, :func:`slice_frames`). The frames travel as one small PNG
"sprite" embedded in the page as base64, and a few lines of JavaScript move a
window over it when a slider moves. Nothing is loaded from anywhere else, so it
works offline, in the built book, in Jupyter and in Colab.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import math
from collections.abc import Sequence

import numpy as np
from IPython.display import HTML
from PIL import Image

from dcgan_lib._runtime import keras
from dcgan_lib.latent import Method, generate, interpolate

# Inline JavaScript of every explorer: finds its own root element by id, and shows the
# frame that the sliders select by moving the sprite behind a frame-sized window.
_SCRIPT = """
(function () {
  var root = document.getElementById(%(root_id)s);
  if (!root) { return; }
  var frame = root.querySelector(".dcgan-explorer-frame");
  var sliders = root.querySelectorAll("input[type=range]");
  var readout = root.querySelector("output");
  var spec = JSON.parse(root.getAttribute("data-explorer"));
  function show() {
    var index = 0;
    var words = [];
    for (var axis = 0; axis < sliders.length; axis++) {
      var position = parseInt(sliders[axis].value, 10);
      index = index * spec.shape[axis] + position;
      words.push(spec.names[axis] + " = " + spec.values[axis][position]);
    }
    var column = index %% spec.columns;
    var row = Math.floor(index / spec.columns);
    frame.style.backgroundPosition =
      (-column * spec.width) + "px " + (-row * spec.height) + "px";
    frame.setAttribute("data-frame", String(index));
    readout.textContent = words.join(", ");
  }
  for (var i = 0; i < sliders.length; i++) {
    sliders[i].addEventListener("input", show);
  }
  show();
})();
"""


def sprite_png(frames: np.ndarray, columns: int) -> bytes:
    """Frames tiled row by row into one greyscale PNG, with no padding.

    Args:
        frames: uint8 pixels (N, H, W).
        columns: frames per row of the sprite; the last row is padded with black.
    """
    frames = np.asarray(frames, dtype=np.uint8)
    count, height, width = frames.shape
    rows = math.ceil(count / columns)
    sheet = np.zeros((rows * height, columns * width), dtype=np.uint8)
    for index, frame in enumerate(frames):
        row, column = divmod(index, columns)
        sheet[row * height : (row + 1) * height, column * width : (column + 1) * width] = frame
    buffer = io.BytesIO()
    Image.fromarray(sheet, mode="L").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _format(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.2f}"


def static_explorer(
    frames: np.ndarray,
    names: Sequence[str],
    values: Sequence[Sequence[float | str]],
    scale: int = 6,
    start: Sequence[int] | None = None,
    description: str = "generated digit",
) -> HTML:
    """A self-contained HTML slider explorer over precomputed frames.

    Args:
        frames: uint8 pixels; (N, H, W) for one slider along a path, or
            (rows, columns, H, W) for two sliders over a 2-D slice (the first
            slider picks the row, the second the column).
        names: the name of each slider, e.g. ``["t"]``.
        values: for each slider, what each of its positions stands for (shown
            beside the sliders, e.g. the interpolation fractions).
        scale: screen pixels per image pixel (drawn crisp, not blurred).
        start: initial position of each slider; the middle by default.
        description: alternative text of the displayed frame, for screen readers.

    Returns:
        An ``IPython.display.HTML`` object: the output of a notebook cell, stored
        in the notebook and in the built book as plain HTML.
    """
    frames = np.asarray(frames, dtype=np.uint8)
    shape = frames.shape[:-2]
    height, width = frames.shape[-2:]
    if len(shape) not in (1, 2):
        raise ValueError(f"frames must be (N, H, W) or (rows, columns, H, W), got {frames.shape}.")
    if len(names) != len(shape) or len(values) != len(shape):
        raise ValueError(f"need one name and one list of values per axis of {shape}.")
    for axis, (size, axis_values) in enumerate(zip(shape, values)):
        if len(axis_values) != size:
            raise ValueError(f"axis {axis} has {size} frames but {len(axis_values)} values.")
    flat = frames.reshape(-1, height, width)
    columns = shape[-1] if len(shape) == 2 else math.ceil(math.sqrt(len(flat)))
    rows = math.ceil(len(flat) / columns)
    png = sprite_png(flat, columns)
    start = list(start) if start is not None else [size // 2 for size in shape]

    root_id = "dcgan-explorer-" + hashlib.sha1(png).hexdigest()[:12]
    spec = {
        "shape": list(shape),
        "columns": columns,
        "width": width * scale,
        "height": height * scale,
        "names": list(names),
        "values": [[_format(value) for value in axis_values] for axis_values in values],
    }
    index = int(np.ravel_multi_index(tuple(start), shape))
    column, row = index % columns, index // columns
    frame_style = (
        f"width:{width * scale}px;height:{height * scale}px;"
        f"background-image:url(data:image/png;base64,{base64.b64encode(png).decode('ascii')});"
        f"background-size:{columns * width * scale}px {rows * height * scale}px;"
        f"background-position:{-column * width * scale}px {-row * height * scale}px;"
        "background-repeat:no-repeat;image-rendering:pixelated;border:1px solid #888;"
    )
    sliders = "".join(
        '<label style="display:flex;align-items:center;gap:8px;margin:4px 0">'
        f"<span>{html.escape(name)}</span>"
        f'<input type="range" min="0" max="{size - 1}" step="1" value="{position}" '
        f'aria-label="{html.escape(name)}" style="width:{width * scale}px">'
        "</label>"
        for name, size, position in zip(names, shape, start)
    )
    readout = ", ".join(
        f"{name} = {spec['values'][axis][position]}"
        for axis, (name, position) in enumerate(zip(names, start))
    )
    markup = (
        f'<div class="dcgan-explorer" id="{root_id}" '
        f'data-explorer="{html.escape(json.dumps(spec), quote=True)}" '
        'style="display:inline-block;padding:8px;font-family:sans-serif;font-size:14px">'
        f'<div class="dcgan-explorer-frame" role="img" aria-label="{html.escape(description)}" '
        f'data-frame="{index}" style="{frame_style}"></div>'
        f"{sliders}<output>{html.escape(readout)}</output></div>"
        f"<script>{_SCRIPT % {'root_id': json.dumps(root_id)}}</script>"
    )
    return HTML(markup)


def path_frames(
    generator: keras.Model,
    z0: np.ndarray,
    z1: np.ndarray,
    steps: int = 25,
    method: Method = "slerp",
) -> np.ndarray:
    """The digits along an interpolation from z0 to z1, uint8 (steps, 28, 28).

    The frames of :func:`static_explorer` along a path.
    """
    return generate(generator, interpolate(z0, z1, steps, method))


def slice_points(
    centre: np.ndarray,
    directions: np.ndarray,
    size: int = 9,
    extent: float = 3.0,
) -> np.ndarray:
    """A ``size`` x ``size`` grid of points in the plane through ``centre``.

    Args:
        centre: the noise vector at the middle of the grid.
        directions: two unit vectors spanning the plane, shape (2, latent_dim);
            rows of the grid move along the first, columns along the second.
        size: points per side.
        extent: the grid reaches ``extent`` units along each direction, each side.

    Returns:
        float32 array (size, size, latent_dim).
    """
    directions = np.asarray(directions, dtype=np.float32)
    if directions.shape[0] != 2:
        raise ValueError(f"a slice needs two directions, got {directions.shape[0]}.")
    amounts = np.linspace(-extent, extent, size, dtype=np.float32)
    down, across = np.meshgrid(amounts, amounts, indexing="ij")
    return (
        np.asarray(centre, dtype=np.float32)
        + down[..., None] * directions[0]
        + across[..., None] * directions[1]
    )


def slice_frames(
    generator: keras.Model,
    centre: np.ndarray,
    directions: np.ndarray,
    size: int = 9,
    extent: float = 3.0,
) -> np.ndarray:
    """The digits over a 2-D slice of the latent space, uint8 (size, size, 28, 28).

    See :func:`slice_points` for the grid; one generator call per batch of digits.
    """
    points = slice_points(centre, directions, size, extent)
    return generate(generator, points.reshape(size * size, -1)).reshape(size, size, 28, 28)
