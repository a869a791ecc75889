"""Imports TensorFlow once, quietly, with Keras set to use it.

TensorFlow's native code prints start-up notices (CUDA probing, oneDNN) straight
to file descriptor 2, where ``TF_CPP_MIN_LOG_LEVEL`` no longer reaches them and
where a notebook would show them as red text under the first cell. They carry
nothing a reader can act on, so they are sent to ``/dev/null`` while TensorFlow
loads and picks its devices; any real error still surfaces as a Python exception.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# 3 also hides native ERROR lines that are not errors of the program: Grappler's
# "remapper failed" notice whenever a graph differentiates through the discriminator
# without its biases (every generator update) would otherwise appear under the first
# training cell of a notebook. Real failures still raise Python exceptions.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (some embedded consoles)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _native_stderr_silenced():
    import tensorflow as tf

    tf.config.list_physical_devices()

import keras  # noqa: E402  (must follow the backend choice above)

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "dcgan_lib needs Keras' TensorFlow backend, but KERAS_BACKEND is "
        f"{keras.backend.backend()!r}. Unset KERAS_BACKEND or set it to 'tensorflow' "
        "before importing dcgan_lib."
    )

__all__ = ["keras", "tf"]
