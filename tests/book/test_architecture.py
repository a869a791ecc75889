"""The shapes, parameter counts and transposed convolutions of the architecture chapter."""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pytest

from dcgan_lib._runtime import keras
from dcgan_lib.book import architecture, architecture_plots
from dcgan_lib.models import build_discriminator, build_generator

matplotlib.use("Agg")

GENERATOR_SHAPES = [
    ("project", (12544,)),
    ("project_bn", (12544,)),
    ("project_act", (12544,)),
    ("reshape", (7, 7, 256)),
    ("block1_deconv", (7, 7, 128)),
    ("block1_bn", (7, 7, 128)),
    ("block1_act", (7, 7, 128)),
    ("block2_deconv", (14, 14, 64)),
    ("block2_bn", (14, 14, 64)),
    ("block2_act", (14, 14, 64)),
    ("to_image", (28, 28, 1)),
]
DISCRIMINATOR_SHAPES = [
    ("block1_conv", (14, 14, 64)),
    ("block1_act", (14, 14, 64)),
    ("block1_dropout", (14, 14, 64)),
    ("block2_conv", (7, 7, 128)),
    ("block2_act", (7, 7, 128)),
    ("block2_dropout", (7, 7, 128)),
    ("flatten", (6272,)),
    ("logit", (1,)),
]


@pytest.fixture(scope="module")
def generator():
    return build_generator()


@pytest.fixture(scope="module")
def discriminator():
    return build_discriminator()


def test_generator_table_lists_every_layer_with_its_output_shape(generator):
    rows = architecture.layer_table(generator)
    assert [(row.name, row.output_shape) for row in rows] == GENERATOR_SHAPES


def test_discriminator_table_lists_every_layer_with_its_output_shape(discriminator):
    rows = architecture.layer_table(discriminator)
    assert [(row.name, row.output_shape) for row in rows] == DISCRIMINATOR_SHAPES


def test_generator_has_2330944_parameters_of_which_2305472_are_trainable(generator):
    rows = architecture.layer_table(generator)
    assert sum(row.params for row in rows) == 2_330_944 == generator.count_params()
    assert sum(row.trainable_params for row in rows) == 2_305_472
    assert sum(row.non_trainable_params for row in rows) == 25_472


def test_discriminator_has_212865_parameters_all_trainable(discriminator):
    rows = architecture.layer_table(discriminator)
    assert sum(row.params for row in rows) == 212_865 == discriminator.count_params()
    assert all(row.params == row.trainable_params for row in rows)


def test_layer_parameters_follow_the_chapters_formulas(generator, discriminator):
    params = {
        row.name: (row.params, row.trainable_params) for row in architecture.layer_table(generator)
    }
    assert params["project"] == (100 * 12544,) * 2
    assert params["project_bn"] == (4 * 12544, 2 * 12544)
    assert params["block1_deconv"] == (5 * 5 * 256 * 128,) * 2
    assert params["block2_deconv"] == (5 * 5 * 128 * 64,) * 2
    assert params["to_image"] == (5 * 5 * 64 * 1,) * 2
    params = {row.name: row.params for row in architecture.layer_table(discriminator)}
    assert params["block1_conv"] == 5 * 5 * 1 * 64 + 64
    assert params["block2_conv"] == 5 * 5 * 64 * 128 + 128
    assert params["logit"] == 7 * 7 * 128 + 1


def test_formatted_table_ends_with_the_totals(generator):
    text = architecture.format_layer_table(architecture.layer_table(generator))
    assert text.splitlines()[-1].split() == ["total", "2,330,944", "2,305,472"]
    assert "7x7x256" in text


def test_stages_follow_the_chapters_shape_walk_through(generator, discriminator):
    shapes = [stage.output_shape for stage in architecture.architecture_stages(generator)]
    assert shapes == [(100,), (12544,), (7, 7, 256), (7, 7, 128), (14, 14, 64), (28, 28, 1)]
    stages = architecture.architecture_stages(discriminator)
    assert [stage.output_shape for stage in stages] == [
        (28, 28, 1),
        (14, 14, 64),
        (7, 7, 128),
        (6272,),
        (1,),
    ]
    assert stages[1].label == "Conv2D 5x5 /2, LeakyReLU, Dropout 0.3"


def test_generator_stages_name_the_output_activation(generator):
    assert architecture.architecture_stages(generator)[-1].label == "Conv2DTranspose 5x5 /2, tanh"


def test_paper_discriminator_normalises_only_its_second_block():
    labels = [
        stage.label for stage in architecture.architecture_stages(build_discriminator("paper"))
    ]
    assert labels[1:3] == ["Conv2D 5x5 /2, LeakyReLU", "Conv2D 5x5 /2, BN, LeakyReLU"]


SIZES = [1, 2, 3, 5, 7, 14, 28]
KERNELS = [1, 2, 3, 4, 5]
STRIDES = [1, 2, 3]


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv_output_size_matches_the_output_of_a_keras_conv2d(padding):
    for size, kernel, stride in itertools.product(SIZES, KERNELS, STRIDES):
        if padding == "valid" and kernel > size:
            continue
        layer = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding)
        expected = layer(np.zeros((1, size, size, 1), np.float32)).shape[1]
        assert architecture.conv_output_size(size, kernel, stride, padding) == expected, (
            size,
            kernel,
            stride,
        )


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv_transpose_output_size_matches_the_output_of_a_keras_conv2d_transpose(padding):
    for size, kernel, stride in itertools.product(SIZES, KERNELS, STRIDES):
        layer = keras.layers.Conv2DTranspose(1, kernel, strides=stride, padding=padding)
        expected = layer(np.zeros((1, size, size, 1), np.float32)).shape[1]
        assert architecture.conv_transpose_output_size(size, kernel, stride, padding) == expected, (
            size,
            kernel,
            stride,
        )


def test_same_padding_sizes_are_ceil_of_size_over_stride_and_size_times_stride():
    assert architecture.conv_output_size(28, 5, 2) == 14
    assert architecture.conv_output_size(7, 5, 2) == 4
    assert architecture.conv_transpose_output_size(7, 5, 2) == 14
    assert architecture.conv_transpose_output_size(14, 5, 2) == 28


def test_unknown_padding_is_rejected():
    with pytest.raises(ValueError, match="padding"):
        architecture.conv_output_size(28, 5, 2, "full")


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("kernel_size", [2, 3, 4, 5])
@pytest.mark.parametrize("input_shape", [(2, 2), (3, 3), (2, 4)])
def test_numpy_transposed_convolution_equals_keras(input_shape, kernel_size, stride, padding):
    rng = np.random.default_rng(sum(input_shape) * 100 + kernel_size * 10 + stride)
    # Small integers make both results exact, so they must be equal, not just close.
    x = rng.integers(-3, 4, size=input_shape)
    kernel = rng.integers(
        -3, 4, size=(kernel_size, kernel_size + 1 if stride == 2 else kernel_size)
    )
    by_hand = architecture.transposed_conv2d(x, kernel, stride, padding)
    by_keras = architecture.keras_transposed_conv2d(x, kernel, stride, padding)
    np.testing.assert_array_equal(by_hand, by_keras)


def test_numpy_transposed_convolution_equals_keras_for_rectangular_kernels():
    rng = np.random.default_rng(1)
    x = rng.integers(-3, 4, size=(3, 4))
    kernel = rng.integers(-3, 4, size=(3, 4))
    for stride, padding in itertools.product([1, 2], ["same", "valid"]):
        np.testing.assert_array_equal(
            architecture.transposed_conv2d(x, kernel, stride, padding),
            architecture.keras_transposed_conv2d(x, kernel, stride, padding),
        )


def test_chapter_demo_transposed_convolution_equals_keras():
    x = np.array([[1, 2], [3, 4]])
    kernel = np.arange(1, 10).reshape(3, 3)
    expected = [[1, 2, 5, 4], [4, 5, 14, 10], [10, 14, 36, 24], [12, 15, 34, 20]]
    np.testing.assert_array_equal(architecture.transposed_conv2d(x, kernel, 2), expected)
    np.testing.assert_array_equal(architecture.keras_transposed_conv2d(x, kernel, 2), expected)


def test_kernel_smaller_than_stride_leaves_zero_gaps_as_in_keras():
    x = np.array([[1, 2], [3, 4]])
    kernel = np.array([[1]])
    by_hand = architecture.transposed_conv2d(x, kernel, 3, "same")
    np.testing.assert_array_equal(by_hand, architecture.keras_transposed_conv2d(x, kernel, 3))
    assert by_hand.shape == (6, 6) and by_hand.sum() == 10


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_zero_insertion_view_equals_scatter_add_of_kernel_copies(stride):
    rng = np.random.default_rng(stride)
    x = rng.integers(-3, 4, size=(3, 2))
    kernel = rng.integers(-3, 4, size=(3, 4))
    np.testing.assert_array_equal(
        architecture.zero_insertion_transposed_conv2d(x, kernel, stride),
        architecture.full_transposed_conv2d(x, kernel, stride),
    )


def test_insert_zeros_spreads_pixels_stride_apart():
    spread = architecture.insert_zeros(np.array([[1, 2], [3, 4]]), 2)
    np.testing.assert_array_equal(spread, [[1, 0, 2], [0, 0, 0], [3, 0, 4]])


def test_transposed_convolution_is_the_adjoint_of_the_strided_convolution():
    # <conv(a), b> == <a, conv_transpose(b)> for a 'same' convolution with stride 2.
    rng = np.random.default_rng(0)
    kernel = rng.integers(-2, 3, size=(5, 5)).astype(np.float32)
    a = rng.integers(-2, 3, size=(8, 8)).astype(np.float32)
    b = rng.integers(-2, 3, size=(4, 4)).astype(np.float32)
    conv = keras.layers.Conv2D(1, 5, strides=2, padding="same", use_bias=False)
    conv.build((1, 8, 8, 1))
    conv.set_weights([kernel[:, :, np.newaxis, np.newaxis]])
    conv_a = np.asarray(conv(a[np.newaxis, :, :, np.newaxis]))[0, :, :, 0]
    assert np.sum(conv_a * b) == np.sum(a * architecture.transposed_conv2d(b, kernel, 2))


def test_layer_outputs_returns_the_generators_feature_maps(generator):
    maps = architecture.layer_outputs(
        generator, np.zeros((2, 100), np.float32), ["block1_act", "block2_act", "to_image"]
    )
    assert [feature_map.shape for feature_map in maps] == [
        (2, 7, 7, 128),
        (2, 14, 14, 64),
        (2, 28, 28, 1),
    ]


def test_figures_draw_without_error(generator, discriminator):
    figures = [
        architecture_plots.plot_architecture(generator, discriminator),
        architecture_plots.plot_transposed_conv_demo(
            np.array([[1, 2], [3, 4]]), np.arange(1, 10).reshape(3, 3), 2
        ),
        architecture_plots.plot_kernel_overlap(4, [3, 4, 5], 2),
        architecture_plots.plot_feature_maps(
            [np.zeros((7, 7, 8)), np.zeros((28, 28, 1))], ["7x7x8", "28x28x1"]
        ),
    ]
    for figure in figures:
        assert figure.axes
        matplotlib.pyplot.close(figure)
