"""The static explorer: precomputed frames in one embedded PNG, moved by an HTML slider."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from dcgan_lib.book.static_explorer import sprite_png, static_explorer


def test_the_sprite_is_one_greyscale_png_of_all_frames():
    frames = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3)
    png = sprite_png(frames, columns=2)
    assert png.startswith(b"\x89PNG")
    sheet = np.asarray(Image.open(io.BytesIO(png)))
    assert sheet.shape == (3 * 4, 2 * 3)
    np.testing.assert_array_equal(sheet[4:8, 3:6], frames[3])


def test_the_static_explorer_is_self_contained_html_with_a_slider():
    frames = np.random.default_rng(0).integers(0, 255, (9, 28, 28), dtype=np.uint8)
    page = static_explorer(frames, ["t"], [np.linspace(0, 1, 9)]).data
    assert page.count('type="range"') == 1
    assert "data:image/png;base64," in page
    assert not re.search(r"(src|href)=[\"']?https?:", page)
    assert len(page) < 150_000
    grid = static_explorer(frames.reshape(3, 3, 28, 28), ["a", "b"], [[-1, 0, 1]] * 2).data
    assert grid.count('type="range"') == 2


def test_the_static_explorer_checks_its_axes():
    frames = np.zeros((4, 28, 28), np.uint8)
    with pytest.raises(ValueError, match="values"):
        static_explorer(frames, ["t"], [[0, 1, 2]])
    with pytest.raises(ValueError, match="name"):
        static_explorer(frames, ["t", "u"], [[0, 1, 2, 3]])
