"""The files the package ships: MNIST sample, classifier, reference runs, measurements.

``dcgan_lib/assets/README.md`` says what each is and the command that made it.
"""

from importlib import resources
from pathlib import Path


def asset_path(name: str) -> Path:
    """Where the installed package keeps the shipped file or directory ``name``."""
    return Path(str(resources.files(__name__))) / name
