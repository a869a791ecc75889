"""The generator and discriminator builders (dcgan_lib.models)."""

import numpy as np
import pytest

from dcgan_lib import models
from dcgan_lib._runtime import keras
from dcgan_lib.errors import ConfigError


def trainable_count(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def layer_types(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def test_book_generator_has_the_blog_architecture_and_parameter_count():
    generator = models.build_generator()
    assert layer_types(generator) == [
        "Dense", "BatchNormalization", "LeakyReLU", "Reshape",
        "Conv2DTranspose", "BatchNormalization", "LeakyReLU",
        "Conv2DTranspose", "BatchNormalization", "LeakyReLU",
        "Conv2DTranspose",
    ]  # fmt: skip
    assert generator.count_params() == 2_330_944
    assert trainable_count(generator) == 2_305_472
    assert not any(getattr(layer, "use_bias", False) for layer in generator.layers)
    assert [layer.output.shape[1:] for layer in generator.layers if "deconv" in layer.name] == [
        (7, 7, 128),
        (14, 14, 64),
    ]


def test_book_discriminator_has_the_blog_architecture_and_parameter_count():
    discriminator = models.build_discriminator()
    assert layer_types(discriminator) == [
        "Conv2D", "LeakyReLU", "Dropout", "Conv2D", "LeakyReLU", "Dropout", "Flatten", "Dense",
    ]  # fmt: skip
    assert discriminator.count_params() == 212_865
    assert all(layer.rate == 0.3 for layer in discriminator.layers if "dropout" in layer.name)


def test_generator_maps_noise_to_images_in_tanh_range():
    keras.utils.set_random_seed(0)
    images = np.asarray(models.build_generator(latent_dim=16)(np.ones((3, 16)), training=False))
    assert images.shape == (3, 28, 28, 1)
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_discriminator_outputs_an_unbounded_logit():
    discriminator = models.build_discriminator()
    assert discriminator.layers[-1].activation is keras.activations.linear
    discriminator.layers[-1].set_weights([np.full((6272, 1), 0.1), np.array([5.0])])
    logits = np.asarray(discriminator(np.ones((2, 28, 28, 1)), training=False))
    assert logits.shape == (2, 1) and (logits > 1.0).all()  # a probability could not be > 1


def test_paper_variant_follows_the_dcgan_paper():
    generator = models.build_generator(variant="paper", seed=1)
    discriminator = models.build_discriminator(variant="paper", seed=1)
    assert "ReLU" in layer_types(generator) and "LeakyReLU" not in layer_types(generator)
    assert "Dropout" not in layer_types(discriminator)
    assert "BatchNormalization" in layer_types(discriminator)
    slopes = {layer.negative_slope for layer in discriminator.layers if "act" in layer.name}
    assert slopes == {0.2}
    kernel = np.asarray(generator.get_layer("block1_deconv").kernel)
    assert abs(kernel.std() - 0.02) < 0.002 and abs(kernel.mean()) < 0.002


def test_unknown_variant_is_rejected():
    with pytest.raises(ConfigError, match="unknown model variant 'wide'"):
        models.build_generator(variant="wide")


@pytest.mark.parametrize(("kernel_size", "upsampling"), [(3, "transpose"), (4, "resize")])
def test_the_generator_can_change_its_upsampling(kernel_size, upsampling):
    generator = models.build_generator(kernel_size=kernel_size, upsampling=upsampling, seed=0)
    assert generator.output_shape == (None, 28, 28, 1)
    kernels = [w.shape[:2] for w in generator.weights if "kernel" in w.path and len(w.shape) == 4]
    assert kernels == [(kernel_size, kernel_size)] * 3
    resizes = [layer.name for layer in generator.layers if "resize" in layer.name]
    assert resizes == ([] if upsampling == "transpose" else ["block2_resize", "output_resize"])


def test_resize_upsampling_spreads_a_constant_evenly():
    """A constant input gives a constant output away from the borders: no checkerboard."""
    for upsampling, flat in [("resize", True), ("transpose", False)]:
        layers = models.build_generator(upsampling=upsampling, seed=0).layers
        upsample = [layer for layer in layers if layer.name.startswith("block2_")][:2]
        image = np.ones((1, 7, 7, 128), np.float32)
        for layer in upsample:
            image = np.asarray(layer(image))
        inner = image[0, 4:-4, 4:-4, 0]
        assert np.allclose(inner, inner[0, 0], rtol=1e-4) == flat
