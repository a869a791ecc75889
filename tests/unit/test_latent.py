"""Latent-space computations: noise, generation, interpolation, directions, arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from dcgan_lib._runtime import keras
from dcgan_lib.latent import (
    generate,
    interpolate,
    lerp,
    random_directions,
    sample_noise,
    slerp,
    walk,
)
from dcgan_lib.models import build_generator


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(3)
    return build_generator()


def test_noise_is_reproducible_from_its_seed():
    np.testing.assert_array_equal(sample_noise(4, 100, seed=1), sample_noise(4, 100, seed=1))
    assert sample_noise(4, 100, seed=1).dtype == np.float32
    assert not np.array_equal(sample_noise(4, 100, seed=1), sample_noise(4, 100, seed=2))


@pytest.mark.parametrize("path", [lerp, slerp])
def test_interpolations_start_and_end_at_the_endpoints(path):
    z0, z1 = sample_noise(2, 100, seed=0)
    np.testing.assert_allclose(path(z0, z1, 0.0), z0, atol=1e-5)
    np.testing.assert_allclose(path(z0, z1, 1.0), z1, atol=1e-5)
    assert path(z0, z1, 0.3).shape == (100,)
    assert path(z0, z1, np.array([0.3])).shape == (1, 100)


def test_slerp_keeps_the_norm_of_equal_length_vectors_and_lerp_shrinks_it():
    z0, z1 = sample_noise(2, 100, seed=0)
    z1 = z1 * np.linalg.norm(z0) / np.linalg.norm(z1)
    t = np.linspace(0, 1, 11)
    np.testing.assert_allclose(np.linalg.norm(slerp(z0, z1, t), axis=1), np.linalg.norm(z0), 1e-5)
    assert np.linalg.norm(lerp(z0, z1, 0.5)) < 0.8 * np.linalg.norm(z0)


def test_slerp_matches_whites_formula_for_vectors_of_equal_length():
    z0, z1 = sample_noise(2, 100, seed=5)
    z1 = z1 * np.linalg.norm(z0) / np.linalg.norm(z1)
    omega = np.arccos(z0 @ z1 / np.linalg.norm(z0) ** 2)
    t = 0.3
    expected = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
    np.testing.assert_allclose(slerp(z0, z1, t), expected, rtol=1e-5, atol=1e-5)


def test_slerp_of_parallel_vectors_is_the_straight_line():
    z0 = sample_noise(1, 100, seed=0)[0]
    t = np.linspace(0, 1, 5)
    result = slerp(z0, 2 * z0, t)
    assert np.all(np.isfinite(result))
    np.testing.assert_allclose(result, lerp(z0, 2 * z0, t), rtol=1e-5)


def test_slerp_of_antiparallel_vectors_turns_around_without_passing_through_zero():
    z0 = sample_noise(1, 100, seed=0)[0]
    path = slerp(z0, -z0, np.linspace(0, 1, 9))
    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(z0), rtol=1e-5)
    np.testing.assert_allclose(path[-1], -z0, atol=1e-5)


def test_slerp_handles_a_zero_vector():
    z0 = sample_noise(1, 10, seed=0)[0]
    np.testing.assert_allclose(slerp(np.zeros(10), z0, 0.5), z0 / 2, rtol=1e-6)


def test_interpolate_rejects_unknown_methods_and_single_steps():
    z0, z1 = sample_noise(2, 10, seed=0)
    assert interpolate(z0, z1, 7, "lerp").shape == (7, 10)
    with pytest.raises(ValueError, match="method"):
        interpolate(z0, z1, 5, "cubic")
    with pytest.raises(ValueError, match="steps"):
        interpolate(z0, z1, 1)


def test_random_directions_are_orthonormal_and_reproducible():
    directions = random_directions(100, 4, seed=3)
    np.testing.assert_allclose(directions @ directions.T, np.eye(4), atol=1e-5)
    np.testing.assert_array_equal(directions, random_directions(100, 4, seed=3))


def test_walk_steps_along_the_direction():
    z = sample_noise(1, 10, seed=0)[0]
    direction = np.eye(10, dtype=np.float32)[2]
    points = walk(z, direction, [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(points[:, 2] - z[2], [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(np.delete(points, 2, axis=1), np.tile(np.delete(z, 2), (3, 1)))


def test_generate_returns_pixels_or_the_generators_own_output(generator):
    z = sample_noise(3, 100, seed=5)
    images = generate(generator, z, batch_size=2, pixels=False)
    np.testing.assert_allclose(images, np.asarray(generator(z, training=False)), atol=1e-6)
    pixels = generate(generator, z, batch_size=2)
    assert pixels.shape == (3, 28, 28) and pixels.dtype == np.uint8
