"""Test-wide settings, applied before any notebook kernel starts (kernels inherit them)."""

import os
from pathlib import Path

import pytest

# Every chapter runs its short CPU variant under test, and never downloads MNIST.
os.environ.setdefault("DCGAN_SHORT_RUN", "1")

_ROOT = Path(__file__).resolve().parent
_BOOK_TESTS = (_ROOT / "book", _ROOT / "tests" / "book")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything that exercises the book (notebooks, build, browser, chapter helpers)."""
    for item in items:
        if any(item.path.is_relative_to(folder) for folder in _BOOK_TESTS):
            item.add_marker(pytest.mark.book)
