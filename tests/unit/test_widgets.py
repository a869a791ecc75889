"""The live latent explorer redraws the generator's digit for exactly the z its controls name."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest

from dcgan_lib._runtime import keras
from dcgan_lib.errors import DataError
from dcgan_lib.grids import png_bytes
from dcgan_lib.latent import lerp, random_directions, sample_noise, slerp
from dcgan_lib.models import build_generator
from dcgan_lib.widgets import Explorer, latent_explorer


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(3)
    return build_generator()


def _direct_png(generator, z: np.ndarray, scale: int) -> bytes:
    images = generator(np.asarray(z, np.float32)[None], training=False)
    return png_bytes(np.asarray(images), scale=scale)


def test_the_first_digit_is_drawn_from_the_seeds_first_noise_vector(generator):
    explorer = Explorer(generator, seed=5)
    z_a, _ = sample_noise(2, 100, seed=5)
    assert explorer.image.format == "png"
    assert explorer.image.value == _direct_png(generator, z_a, explorer.scale)


def test_moving_the_t_slider_shows_the_generator_output_for_the_interpolated_z(generator):
    explorer = Explorer(generator, seed=1)
    before = explorer.image.value
    explorer.t.value = 0.5
    z_a, z_b = sample_noise(2, 100, seed=1)
    assert explorer.image.value != before
    assert explorer.image.value == _direct_png(generator, slerp(z_a, z_b, 0.5), explorer.scale)


def test_moving_a_direction_slider_walks_along_that_direction(generator):
    directions = random_directions(100, 2, seed=7)
    explorer = Explorer(generator, seed=2, directions=directions, direction_names=["a", "b"])
    before = explorer.image.value
    explorer.direction_sliders[1].value = 2.0
    z_a, _ = sample_noise(2, 100, seed=2)
    expected = _direct_png(generator, z_a + 2.0 * directions[1], explorer.scale)
    assert explorer.image.value != before
    assert explorer.image.value == expected


def test_lerp_and_slerp_show_different_digits_between_the_endpoints(generator):
    explorer = Explorer(generator, seed=4)
    explorer.t.value = 0.5
    spherical = explorer.image.value
    explorer.method.value = "lerp"
    z_a, z_b = sample_noise(2, 100, seed=4)
    assert explorer.image.value != spherical
    assert explorer.image.value == _direct_png(generator, lerp(z_a, z_b, 0.5), explorer.scale)


def test_the_seed_picker_changes_the_sample(generator):
    explorer = Explorer(generator, seed=0)
    before = explorer.image.value
    explorer.seed.value = 42
    assert explorer.image.value != before
    z_a, _ = sample_noise(2, 100, seed=42)
    assert explorer.image.value == _direct_png(generator, z_a, explorer.scale)


def test_the_new_sample_button_moves_to_the_next_seed_and_draws_once(generator):
    explorer = Explorer(generator, seed=9)
    before, renders = explorer.image.value, explorer.renders
    explorer.new_sample.click()
    assert explorer.seed.value == 10
    assert explorer.image.value != before
    assert explorer.renders == renders + 1


def test_every_change_of_a_control_calls_the_generator_once(generator):
    explorer = Explorer(generator)
    assert explorer.renders == 1
    explorer.t.value = 0.25
    explorer.method.value = "lerp"
    explorer.direction_sliders[0].value = -1.0
    explorer.seed.value = 3
    assert explorer.renders == 5


def test_latent_explorer_returns_a_displayable_container_of_core_widgets(generator):
    widget = latent_explorer(generator, seed=3)
    assert isinstance(widget, widgets.Box)
    children = list(widget.children)
    while children:
        child = children.pop()
        assert type(child).__module__.startswith("ipywidgets.")
        children.extend(getattr(child, "children", ()))


def test_direction_names_must_match_the_directions(generator):
    with pytest.raises(ValueError, match="names"):
        Explorer(generator, directions=random_directions(100, 2, seed=0), direction_names=["x"])


@pytest.fixture(scope="module")
def conditional_generator():
    keras.utils.set_random_seed(4)
    return build_generator(num_classes=10)


def test_the_digit_picker_redraws_the_same_z_as_the_chosen_digit(conditional_generator):
    explorer = Explorer(conditional_generator, seed=2, digit=3)
    z = sample_noise(2, 100, seed=2)[0]

    def expected(digit: int) -> bytes:
        images = conditional_generator([z[None], np.array([digit])], training=False)
        return png_bytes(np.asarray(images), scale=explorer.scale)

    assert explorer.digit.options == tuple(range(10))
    assert explorer.image.value == expected(3)
    explorer.digit.value = 8
    assert explorer.image.value == expected(8)
    assert explorer.renders == 2


def test_a_digit_is_refused_where_the_generator_cannot_draw_one(generator, conditional_generator):
    assert Explorer(generator).digit is None
    with pytest.raises(DataError, match="not conditional"):
        Explorer(generator, digit=3)
    with pytest.raises(DataError, match=r"0\.\.9"):
        Explorer(conditional_generator, digit=10)
