"""Computed values handed to a chapter's prose, so that the text quotes the outputs.

Part of the book's helpers, not of ``dcgan_lib``'s API. Used by the chapters that
quote a number: the cell that computes a value glues it, and the text cites it with
``{glue:text}`name:format```.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def glue(name: str, value: Any) -> Any:
    """Hand a computed value to the page's prose (myst-nb's ``glue``) and return it.

    The built book quotes it in the text; in Colab or a plain Jupyter kernel,
    where myst-nb is not installed, the value is only returned.
    """
    if isinstance(value, np.generic):  # NumPy scalars print as "np.float64(...)" in NumPy 2
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, value, display=False)
    return value


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(value: float) -> str:
    """``value`` as prose writes it: 4e-4 as "4 × 10⁻⁴", 2.5e-3 as "2.5 × 10⁻³"."""
    mantissa, exponent = f"{value:.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"
