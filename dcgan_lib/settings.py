"""Switches read from the environment, each in exactly one place.

``DCGAN_SHORT_RUN``
    When set to ``1`` (or ``true``/``yes``), every chapter of the book does a
    short CPU run: it trains on the bundled MNIST sample for a handful of
    steps instead of the full experience. The test suite sets it.
``DCGAN_MNIST_PATH``
    A local ``mnist.npz`` (the format of ``keras.datasets.mnist``) used
    instead of downloading, for machines without internet.
"""

from __future__ import annotations

import os

SHORT_RUN_VARIABLE = "DCGAN_SHORT_RUN"
MNIST_PATH_VARIABLE = "DCGAN_MNIST_PATH"

_TRUE_WORDS = {"1", "true", "yes", "on"}


def short_run() -> bool:
    """Whether the short-run switch ``DCGAN_SHORT_RUN`` is on.

    Chapters call this to pick between the reader's full run and the quick
    run used in continuous integration (see the book's introduction).
    """
    return os.environ.get(SHORT_RUN_VARIABLE, "").strip().lower() in _TRUE_WORDS


def mnist_path_from_environment() -> str | None:
    """The MNIST file named by ``DCGAN_MNIST_PATH``, or ``None`` when unset."""
    value = os.environ.get(MNIST_PATH_VARIABLE, "").strip()
    return value or None
