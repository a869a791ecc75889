"""The generator and discriminator (chapter "DCGAN architecture").

Two variants share one layout of layers and sizes:

``"book"`` (the default)
    The book's main model, as in the original blog code and the TensorFlow
    DCGAN tutorial: LeakyReLU (Keras' default slope 0.3) in both networks,
    dropout 0.3 in the discriminator, Keras' default initialisers.
``"paper"``
    The choices of the DCGAN paper (Radford et al., 2015): ReLU in the
    generator, LeakyReLU with slope 0.2 and batch normalisation (not on the
    first layer) in the discriminator, no dropout, and weights drawn from
    N(0, 0.02).

Both generators end in ``tanh`` (images in [-1, 1]); both discriminators end
in a linear ``Dense(1)`` whose output is a **logit**, not a probability. Under a
mixed-precision ``dtype`` every layer computes in 16 bits but the last, so that
images and logits (and with them the losses) keep full precision.
"""

from __future__ import annotations

from typing import Any, Literal

from dcgan_lib._runtime import keras
from dcgan_lib.errors import ConfigError

Variant = Literal["book", "paper"]
VARIANTS: tuple[str, ...] = ("book", "paper")
UPSAMPLINGS: tuple[str, ...] = ("transpose", "resize")

_PAPER_INIT_STDDEV = 0.02


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ConfigError(
            f"unknown model variant {variant!r}; choose one of {', '.join(VARIANTS)}."
        )


def _dtype_arguments(dtype: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keyword arguments for the hidden layers and for the output layer under ``dtype``."""
    if dtype is None:
        return {}, {}
    return {"dtype": dtype}, {"dtype": "float32"}


def _kernel_initializer(variant: str, seed: int | None) -> keras.initializers.Initializer | str:
    if variant == "paper":
        return keras.initializers.RandomNormal(stddev=_PAPER_INIT_STDDEV, seed=seed)
    return "glorot_uniform"


def build_generator(
    latent_dim: int = 100,
    variant: Variant = "book",
    seed: int | None = None,
    dtype: str | None = None,
    kernel_size: int = 5,
    upsampling: str = "transpose",
    num_classes: int = 0,
) -> keras.Model:
    """Build the generator G: a noise vector z of size ``latent_dim`` to a 28x28 image.

    Layers (chapter "DCGAN architecture" walks through the shapes): Dense(7*7*256, no bias) -> BN ->
    activation -> reshape to 7x7x256 -> Conv2DTranspose(128, 5, stride 1) -> BN ->
    activation -> Conv2DTranspose(64, 5, stride 2) -> BN -> activation ->
    Conv2DTranspose(1, 5, stride 2, tanh). Batch normalisation follows every
    layer but the last, which makes biases redundant, so there are none.

    Args:
        latent_dim: size of the noise vector z (100 in the book).
        variant: ``"book"`` (LeakyReLU) or ``"paper"`` (ReLU, N(0, 0.02) weights).
        seed: seeds the ``"paper"`` initialiser; the ``"book"`` variant uses
            Keras' global seed (``keras.utils.set_random_seed``).
        dtype: Keras dtype policy, such as ``"mixed_float16"``; ``None`` for
            Keras' global policy (float32 unless changed).
        kernel_size: side of the three upsampling layers' kernels (5 in the book).
        upsampling: ``"transpose"``, strided transposed convolutions, or
            ``"resize"``: each doubling becomes a nearest-neighbour resize and a
            convolution, which covers every output pixel with the same number of
            kernel taps and so cannot make checkerboard patterns (Odena et al., 2016).
        num_classes: 0 for the book's generator; else a conditional generator
            (chapter "Ask for a digit"), called as ``generator([z, digits])`` with
            integer ``digits`` of shape (B,): the one-hot code of the digit is
            appended to z before the first layer.
    """
    _check_variant(variant)
    if upsampling not in UPSAMPLINGS:
        raise ConfigError(
            f"upsampling must be one of {', '.join(UPSAMPLINGS)}, got {upsampling!r}."
        )
    if latent_dim < 1:
        raise ConfigError(f"latent_dim must be a positive integer, got {latent_dim}.")
    init = _kernel_initializer(variant, seed)
    hidden, output = _dtype_arguments(dtype)

    def activation(name: str) -> keras.layers.Layer:
        if variant == "paper":
            return keras.layers.ReLU(name=name, **hidden)
        return keras.layers.LeakyReLU(name=name, **hidden)

    def convolve(filters: int, strides: int, block: str, **kwargs: Any) -> list[keras.layers.Layer]:
        """A transposed convolution; for ``"resize"`` a resize and a convolution."""
        arguments = dict(padding="same", use_bias=False, kernel_initializer=init, **kwargs)
        if upsampling == "transpose" or strides == 1:
            return [keras.layers.Conv2DTranspose(filters, kernel_size, strides, **arguments)]
        return [
            keras.layers.UpSampling2D(strides, name=f"{block}_resize", **hidden),
            keras.layers.Conv2D(filters, kernel_size, **arguments),
        ]

    def upsample(filters: int, strides: int, name: str) -> list[keras.layers.Layer]:
        return [
            *convolve(filters, strides, name, name=f"{name}_deconv", **hidden),
            keras.layers.BatchNormalization(name=f"{name}_bn", **hidden),
            activation(f"{name}_act"),
        ]

    layers = [
        keras.Input(shape=(latent_dim,), name="z"),
        keras.layers.Dense(
            7 * 7 * 256, use_bias=False, kernel_initializer=init, name="project", **hidden
        ),
        keras.layers.BatchNormalization(name="project_bn", **hidden),
        activation("project_act"),
        keras.layers.Reshape((7, 7, 256), name="reshape", **hidden),
        *upsample(128, 1, "block1"),
        *upsample(64, 2, "block2"),
        *convolve(1, 2, "output", activation="tanh", name="to_image", **output),
    ]
    if not num_classes:
        return keras.Sequential(layers, name=f"generator_{variant}")
    z, digits = layers[0], keras.Input(shape=(), dtype="int32", name="digit")
    code = keras.layers.CategoryEncoding(num_classes, "one_hot", name="digit_code")(digits)
    x = keras.layers.Concatenate(name="z_and_digit", **hidden)([z, code])
    for layer in layers[1:]:
        x = layer(x)
    return keras.Model([z, digits], x, name=f"conditional_generator_{variant}")


def num_classes_of(generator: keras.Model) -> int:
    """The digits a conditional generator can be asked for; 0 for an unconditional one."""
    names = {layer.name for layer in generator.layers}
    return generator.get_layer("digit_code").num_tokens if "digit_code" in names else 0


def build_discriminator(
    variant: Variant = "book",
    seed: int | None = None,
    dtype: str | None = None,
    num_classes: int = 0,
) -> keras.Model:
    """Build the discriminator D: a 28x28x1 image in [-1, 1] to one real-vs-fake **logit**.

    Layers: Conv2D(64, 5, stride 2) -> LeakyReLU -> Dropout(0.3) ->
    Conv2D(128, 5, stride 2) -> LeakyReLU -> Dropout(0.3) -> Flatten -> Dense(1).
    The ``"paper"`` variant drops dropout, uses slope 0.2 and puts batch
    normalisation after the second convolution. ``sigmoid(D(x))`` is the
    probability that x is real; the losses work on the logit (chapter "Implementation").

    Args:
        variant: ``"book"`` or ``"paper"``.
        seed: seeds the ``"paper"`` initialiser and the dropout masks' layers.
        dtype: Keras dtype policy, as for :func:`build_generator`.
        num_classes: 0 for the book's discriminator; else a conditional one,
            called as ``discriminator([images, digits])``, with a projection
            (Miyato and Koyama, 2018): the logit gains the dot product of the
            image's features with a learned vector for its digit.
    """
    _check_variant(variant)
    init = _kernel_initializer(variant, seed)
    hidden, output = _dtype_arguments(dtype)
    paper = variant == "paper"

    def downsample(filters: int, name: str, normalise: bool) -> list[keras.layers.Layer]:
        block: list[keras.layers.Layer] = [
            keras.layers.Conv2D(
                filters,
                5,
                strides=2,
                padding="same",
                use_bias=not normalise,
                kernel_initializer=init,
                name=f"{name}_conv",
                **hidden,
            )
        ]
        if normalise:
            block.append(keras.layers.BatchNormalization(name=f"{name}_bn", **hidden))
        block.append(
            keras.layers.LeakyReLU(
                negative_slope=0.2 if paper else 0.3, name=f"{name}_act", **hidden
            )
        )
        if not paper:
            block.append(keras.layers.Dropout(0.3, seed=seed, name=f"{name}_dropout", **hidden))
        return block

    layers = [
        keras.Input(shape=(28, 28, 1), name="image"),
        *downsample(64, "block1", normalise=False),
        *downsample(128, "block2", normalise=paper),
        keras.layers.Flatten(name="flatten", **hidden),
        keras.layers.Dense(1, kernel_initializer=init, name="logit", **output),
    ]
    if not num_classes:
        return keras.Sequential(layers, name=f"discriminator_{variant}")
    image, digits = layers[0], keras.Input(shape=(), dtype="int32", name="digit")
    features = image
    for layer in layers[1:-1]:
        features = layer(features)
    digit_vector = keras.layers.Embedding(
        num_classes, features.shape[-1], name="digit_embedding", **output
    )(digits)
    projection = keras.layers.Dot(axes=1, name="projection", **output)([digit_vector, features])
    logit = keras.layers.Add(name="projected_logit", **output)([layers[-1](features), projection])
    return keras.Model([image, digits], logit, name=f"conditional_discriminator_{variant}")
