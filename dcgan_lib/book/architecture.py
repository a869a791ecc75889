"""Shapes, parameter counts and transposed convolutions (chapter "DCGAN architecture").

Part of the book's helpers, not of ``dcgan_lib``'s API.

Three small tools for reading the generator and the discriminator:

- :func:`layer_table` lists each layer of a Keras model with its output shape
  and parameter count, and :func:`architecture_stages` groups those layers into
  the blocks that the chapter's diagram draws;
- :func:`conv_output_size` and :func:`conv_transpose_output_size` are the
  output-size arithmetic of (transposed) convolutions, as Keras computes it;
- :func:`transposed_conv2d` computes a transposed convolution by hand with
  NumPy, as a sum of shifted copies of the kernel, so that it can be compared
  with :func:`keras_transposed_conv2d`, which asks Keras for the same thing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dcgan_lib._runtime import keras
from dcgan_lib.tables import text_table

Padding = Literal["same", "valid"]
PADDINGS: tuple[str, ...] = ("same", "valid")

# Layers that hold the weights of a block; the layers after them (normalisation,
# activation, dropout) belong to the same block until the next one starts.
_WEIGHT_LAYERS = ("Dense", "Conv2D", "Conv2DTranspose")
# Layers that only rearrange a tensor: each is a block of its own.
_RESHAPING_LAYERS = ("Reshape", "Flatten")


@dataclass(frozen=True)
class LayerRow:
    """One row of a model's layer table: a layer, its output shape and its parameters.

    Attributes:
        name: the layer's name in the model.
        kind: the layer's class, such as ``"Conv2DTranspose"``.
        output_shape: the shape of one example's output, without the batch axis.
        params: all parameters, trainable or not.
        trainable_params: the parameters that gradient descent updates. The rest
            are batch normalisation's moving mean and variance.
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    trainable_params: int

    @property
    def non_trainable_params(self) -> int:
        """Parameters that training does not update by gradient descent."""
        return self.params - self.trainable_params


@dataclass(frozen=True)
class Stage:
    """A block of layers and the tensor it produces, one box of the architecture diagram.

    Attributes:
        label: the block's layers in order, such as ``"Conv2DTranspose 5x5 /2, BN, LeakyReLU"``.
        output_shape: the shape of one example's output, without the batch axis.
    """

    label: str
    output_shape: tuple[int, ...]


def _count(weights: list) -> int:
    return sum(math.prod(weight.shape) for weight in weights)


def layer_table(model: keras.Model) -> list[LayerRow]:
    """List every layer of a built model with its output shape and parameter counts.

    Explained in chapter "DCGAN architecture".

    Args:
        model: a built Keras model, such as ``build_generator()``.
    """
    return [
        LayerRow(
            name=layer.name,
            kind=type(layer).__name__,
            output_shape=tuple(int(size) for size in layer.output.shape[1:]),
            params=_count(layer.weights),
            trainable_params=_count(layer.trainable_weights),
        )
        for layer in model.layers
    ]


def format_shape(shape: tuple[int, ...]) -> str:
    """Write a shape without its batch axis the way the book does: ``7x7x256`` or ``12544``."""
    return "x".join(str(size) for size in shape)


def format_layer_table(rows: list[LayerRow]) -> str:
    """Render a layer table as aligned plain text, with a line of totals at the bottom.

    Explained in chapter "DCGAN architecture".
    """
    header = ("layer", "type", "output shape", "parameters", "trainable")
    lines = [
        (row.name, row.kind, format_shape(row.output_shape), row.params, row.trainable_params)
        for row in rows
    ]
    total = (
        "total",
        "",
        "",
        sum(row.params for row in rows),
        sum(row.trainable_params for row in rows),
    )
    cells = [header] + [
        (name, kind, shape, f"{params:,}", f"{trainable:,}")
        for name, kind, shape, params, trainable in [*lines, total]
    ]
    return text_table(cells, align="lllrr", rules_before=[len(cells) - 1])


def _describe(layer: keras.layers.Layer) -> str:
    kind = type(layer).__name__
    if kind in ("Conv2D", "Conv2DTranspose"):
        kernel = "x".join(str(size) for size in layer.kernel_size)
        stride = layer.strides[0]
        return f"{kind} {kernel}" + (f" /{stride}" if stride > 1 else "")
    if kind == "Dense":
        return "Dense"
    if kind == "BatchNormalization":
        return "BN"
    if kind == "Dropout":
        return f"Dropout {layer.rate:g}"
    if kind == "Activation":
        return layer.get_config()["activation"]
    return kind


def architecture_stages(model: keras.Model) -> list[Stage]:
    """Group a model's layers into blocks, each ending in the tensor it produces.

    A block starts at a layer with weights (Dense, Conv2D, Conv2DTranspose) and
    takes in the normalisation, activation and dropout layers that follow it;
    Reshape and Flatten are blocks of their own. The first stage is the model's
    input, labelled ``"input"``. A final activation built into a layer (the
    generator's ``tanh``) is named in its block's label. Explained in chapter "DCGAN architecture".

    Args:
        model: a built Keras model made of a single chain of layers.
    """
    stages = [Stage("input", tuple(int(size) for size in model.inputs[0].shape[1:]))]
    parts: list[str] = []
    for index, layer in enumerate(model.layers):
        kind = type(layer).__name__
        parts.append(_describe(layer))
        activation = getattr(layer, "activation", None)
        if kind in _WEIGHT_LAYERS and activation is not None and activation.__name__ != "linear":
            parts.append(activation.__name__)
        following = model.layers[index + 1] if index + 1 < len(model.layers) else None
        block_ends = (
            following is None
            or kind in _RESHAPING_LAYERS
            or type(following).__name__ in _WEIGHT_LAYERS + _RESHAPING_LAYERS
        )
        if block_ends:
            output_shape = tuple(int(size) for size in layer.output.shape[1:])
            stages.append(Stage(", ".join(parts), output_shape))
            parts = []
    return stages


def _check_padding(padding: str) -> None:
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {', '.join(PADDINGS)}, got {padding!r}.")


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: Padding = "same") -> int:
    """The output length of a convolution along one axis, as Keras' ``Conv2D`` computes it.

    With ``"same"`` padding the output is ``ceil(size / stride)``: the input is
    padded just enough for every stride step to fit. With ``"valid"`` padding
    the kernel must lie inside the input: ``floor((size - kernel) / stride) + 1``.
    Explained in chapter "DCGAN architecture".
    """
    _check_padding(padding)
    if padding == "same":
        return math.ceil(size / stride)
    return (size - kernel) // stride + 1


def conv_transpose_output_size(
    size: int, kernel: int, stride: int = 1, padding: Padding = "same"
) -> int:
    """The output length of a transposed convolution along one axis, as Keras computes it.

    With ``"same"`` padding the output is ``size * stride``, the input of a
    ``"same"`` convolution with that stride that would produce ``size``. With
    ``"valid"`` padding it is the full extent of the shifted kernel copies,
    ``(size - 1) * stride + kernel``, and at least ``size * stride``.
    Explained in chapter "DCGAN architecture".
    """
    _check_padding(padding)
    if padding == "same":
        return size * stride
    return size * stride + max(kernel - stride, 0)


def transposed_crop_start(kernel: int, stride: int, padding: Padding = "same") -> int:
    """How many rows (or columns) a transposed convolution drops at the start of its full result.

    A ``"same"`` convolution pads ``kernel - stride`` in total, the smaller half
    before the input; its transpose drops the same rows of the full sum of
    kernel copies (see :func:`full_transposed_conv2d`). ``"valid"`` drops none.
    Explained in chapter "DCGAN architecture".
    """
    _check_padding(padding)
    return max(kernel - stride, 0) // 2 if padding == "same" else 0


def full_transposed_conv2d(x: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    """Every shifted, scaled copy of the kernel added up, before any cropping.

    Input pixel ``(i, j)`` adds ``x[i, j] * kernel`` to the block of the result
    whose top-left corner is ``(stride * i, stride * j)``; where copies
    overlap, they add. The result has ``(n - 1) * stride + k`` rows for ``n``
    input rows and a kernel of ``k`` rows (and likewise for columns).
    Explained in chapter "DCGAN architecture".

    Args:
        x: a 2-D input, shape (height, width).
        kernel: a 2-D kernel, shape (kernel height, kernel width).
        stride: the step between neighbouring copies, in output pixels.
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    (height, width), (kernel_height, kernel_width) = x.shape, kernel.shape
    full = np.zeros(
        ((height - 1) * stride + kernel_height, (width - 1) * stride + kernel_width),
        dtype=np.float64,
    )
    for i in range(height):
        for j in range(width):
            top, left = stride * i, stride * j
            full[top : top + kernel_height, left : left + kernel_width] += x[i, j] * kernel
    return full


def transposed_conv2d(
    x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: Padding = "same"
) -> np.ndarray:
    """A single-channel transposed convolution computed by hand, by scatter-adding kernel copies.

    It adds up the shifted copies of :func:`full_transposed_conv2d` and then
    keeps the window that Keras' ``Conv2DTranspose`` returns for this padding
    (see :func:`conv_transpose_output_size`). The result equals
    :func:`keras_transposed_conv2d` with the same arguments.
    Explained in chapter "DCGAN architecture".

    Args:
        x: a 2-D input, shape (height, width).
        kernel: a 2-D kernel, shape (kernel height, kernel width).
        stride: the upsampling factor.
        padding: ``"same"`` or ``"valid"``, as in Keras.
    """
    _check_padding(padding)
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"x and kernel must be 2-D, got shapes {x.shape} and {kernel.shape}.")
    full = full_transposed_conv2d(x, kernel, stride)
    out_height, out_width = (
        conv_transpose_output_size(n, k, stride, padding) for n, k in zip(x.shape, kernel.shape)
    )
    top = transposed_crop_start(kernel.shape[0], stride, padding)
    left = transposed_crop_start(kernel.shape[1], stride, padding)
    # The result may be larger than the full sum of copies (a kernel smaller than the
    # stride leaves gaps at the end), so start from zeros and copy the window in.
    result = np.zeros((out_height, out_width), dtype=np.float64)
    window = full[top : top + out_height, left : left + out_width]
    result[: window.shape[0], : window.shape[1]] = window
    return result


def insert_zeros(x: np.ndarray, stride: int) -> np.ndarray:
    """Put ``stride - 1`` zeros between neighbouring pixels of a 2-D array.

    A transposed convolution with stride ``s`` equals an ordinary stride-1
    convolution of this spread-out input (suitably padded) with the kernel
    flipped: the "fractionally strided" view. Explained in chapter "DCGAN architecture".
    """
    x = np.asarray(x)
    height, width = x.shape
    spread = np.zeros(((height - 1) * stride + 1, (width - 1) * stride + 1), dtype=x.dtype)
    spread[::stride, ::stride] = x
    return spread


def zero_insertion_transposed_conv2d(
    x: np.ndarray, kernel: np.ndarray, stride: int = 1
) -> np.ndarray:
    """The full transposed convolution computed the other way: zeros in, then a plain convolution.

    Spreads ``x`` out with :func:`insert_zeros`, pads it with ``k - 1`` zeros on
    every side and slides the flipped kernel over it with stride 1. The result
    equals :func:`full_transposed_conv2d`. Explained in chapter "DCGAN architecture".
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    kernel_height, kernel_width = kernel.shape
    spread = insert_zeros(np.asarray(x, dtype=np.float64), stride)
    padded = np.pad(spread, ((kernel_height - 1,) * 2, (kernel_width - 1,) * 2))
    windows = np.lib.stride_tricks.sliding_window_view(padded, kernel.shape)
    return np.einsum("ijab,ab->ij", windows, kernel[::-1, ::-1])


def keras_transposed_conv2d(
    x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: Padding = "same"
) -> np.ndarray:
    """The same transposed convolution as :func:`transposed_conv2d`, computed by Keras.

    Builds a one-filter ``keras.layers.Conv2DTranspose`` without bias, sets its
    kernel to ``kernel`` and applies it to ``x`` as a batch of one
    single-channel image. Explained in chapter "DCGAN architecture".
    """
    _check_padding(padding)
    x = np.asarray(x, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    layer = keras.layers.Conv2DTranspose(
        1, kernel.shape, strides=stride, padding=padding, use_bias=False
    )
    layer.build((1, *x.shape, 1))
    # Keras stores a transposed convolution's kernel as (height, width, out, in).
    layer.set_weights([kernel[:, :, np.newaxis, np.newaxis]])
    return np.asarray(layer(x[np.newaxis, :, :, np.newaxis]))[0, :, :, 0].astype(np.float64)


def layer_outputs(model: keras.Model, inputs: np.ndarray, names: list[str]) -> list[np.ndarray]:
    """The outputs of the named layers of a model for a batch of inputs, in inference mode.

    Useful for looking at the feature maps inside the generator (chapter "DCGAN architecture").

    Args:
        model: a built Keras model with a single input.
        inputs: a batch for that input, such as noise vectors of shape (N, 100).
        names: layer names, such as ``["block1_act", "block2_act", "to_image"]``.
    """
    probe = keras.Model(model.inputs[0], [model.get_layer(name).output for name in names])
    outputs = probe(inputs, training=False)
    return [np.asarray(output) for output in outputs]
