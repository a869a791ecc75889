"""Grids of digits: tiling, saving and reading back (dcgan_lib.grids)."""

import numpy as np
import pytest

from dcgan_lib.grids import read_image_grid, save_image_grid, tile_images


def _random_digits(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)


def test_tiles_are_placed_row_by_row_with_padding():
    digits = _random_digits(5, seed=1)
    grid = tile_images(digits, columns=3)
    assert grid.shape == (2 * 28 + 3 * 2, 3 * 28 + 4 * 2)
    np.testing.assert_array_equal(grid[2:30, 32:60], digits[1])
    np.testing.assert_array_equal(grid[32:60, 2:30], digits[3])
    assert grid[32:60, 62:90].max() == 0  # the sixth place is empty


@pytest.mark.parametrize(("count", "scale"), [(25, 2), (100, 2), (10, 1), (7, 3)])
def test_the_digits_of_a_saved_grid_are_read_back_exactly(tmp_path, count, scale):
    # Grey levels that matplotlib's grey colour map saves unchanged (it stores a few
    # others one level darker), so the digits must come back exactly as they were drawn.
    levels = np.array([*range(0, 256, 16), 255], dtype=np.uint8)
    digits = np.random.default_rng(count).choice(levels, (count, 28, 28))
    path = save_image_grid(digits, tmp_path / "grid.png", scale=scale)
    read = read_image_grid(path, count)
    assert read.dtype == np.uint8
    assert read.shape == (count, 28, 28)
    np.testing.assert_array_equal(read, digits)


def test_any_digits_come_back_from_a_saved_grid_within_one_grey_level(tmp_path):
    digits = _random_digits(100, seed=4)
    path = save_image_grid(digits, tmp_path / "grid.png")
    difference = read_image_grid(path, 100).astype(int) - digits
    assert difference.min() >= -1
    assert difference.max() == 0


def test_a_grid_of_another_size_is_refused(tmp_path):
    path = save_image_grid(_random_digits(25, seed=0), tmp_path / "grid.png")
    with pytest.raises(ValueError, match="not a grid of 100 digits"):
        read_image_grid(path, 100)
