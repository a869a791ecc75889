"""Grids of digits: how tile_images lays them out (dcgan_lib.grids)."""

import numpy as np

from dcgan_lib.grids import tile_images


def _random_digits(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)


def test_tiles_are_placed_row_by_row_with_padding():
    digits = _random_digits(5, seed=1)
    grid = tile_images(digits, columns=3)
    assert grid.shape == (2 * 28 + 3 * 2, 3 * 28 + 4 * 2)
    np.testing.assert_array_equal(grid[2:30, 32:60], digits[1])
    np.testing.assert_array_equal(grid[32:60, 2:30], digits[3])
    assert grid[32:60, 62:90].max() == 0  # the sixth place is empty
