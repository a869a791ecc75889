"""Values quoted in a chapter's prose read as the prose would write them."""

from __future__ import annotations

import numpy as np
import pytest

from dcgan_lib.book.glue import glue, scientific


@pytest.mark.parametrize(
    ("value", "text"),
    [(4e-4, "4 × 10⁻⁴"), (2.5e-3, "2.5 × 10⁻³"), (1e-4, "1 × 10⁻⁴"), (0.02, "2 × 10⁻²")],
)
def test_scientific_writes_powers_of_ten_as_prose_does(value, text):
    assert scientific(value) == text


def test_glue_returns_plain_python_numbers():
    value = glue("test_value", np.float64(0.25))
    assert value == 0.25 and type(value) is float
