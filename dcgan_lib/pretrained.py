"""The book's reference run, shipped with the package (chapter "Training results").

``dcgan_lib/assets/reference_run/`` holds the small artifacts of one full training
run made with ``python -m dcgan_lib train`` on the whole MNIST training split: the
final generator, the run's configuration and history, sample grids from fixed
noise, metrics measured along the way and a record of how it was made. Chapters
and widgets load the generator from here instead of training for half an hour.
``conditional_run/`` beside it holds the conditional DCGAN's run the same way.
"""

from __future__ import annotations

from dcgan_lib._runtime import keras
from dcgan_lib.assets import asset_path
from dcgan_lib.errors import DataError
from dcgan_lib.runs import RunDirectory


def reference_run(conditional: bool = False) -> RunDirectory:
    """The shipped reference run, read like any run directory.

    Args:
        conditional: the conditional DCGAN's run (chapter "Ask for a digit") instead.

    Raises:
        DataError: the installed package has lost its copy of the run.
    """
    name = "conditional_run" if conditional else "reference_run"
    run = RunDirectory(asset_path(name))
    if not run.generator_path.is_file():
        raise DataError(
            f"{run.generator_path} is missing from the installed package; reinstall dcgan_lib "
            "(pip install --force-reinstall dcgan_lib) to get the reference run back."
        )
    return run


def load_pretrained_generator(conditional: bool = False) -> keras.Model:
    """The generator of the book's reference run, ready to draw digits.

    >>> generator = load_pretrained_generator()
    >>> images = generator(noise, training=False)  # noise of shape (N, 100)
    >>> sevens = load_pretrained_generator(conditional=True)([noise, digits])  # digits (N,)

    Args:
        conditional: the conditional generator, which draws the digit it is asked for.
    """
    return reference_run(conditional).load_generator()
