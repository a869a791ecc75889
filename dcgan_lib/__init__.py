"""dcgan_lib: the library of the DCGAN book.

Every chapter imports it; each function's docstring names the chapter that
explains it, and the book's page "API reference" lists its modules by concern.
The chapters' own helpers (figures, tables, races) live apart and are not part of it.
The most used names are available from here:

>>> import dcgan_lib
>>> generator = dcgan_lib.build_generator()          # untrained
>>> trained = dcgan_lib.load_pretrained_generator()  # the book's reference run
"""

from dcgan_lib import _runtime  # noqa: F401  (configures TensorFlow before anything else)
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import (
    load_mnist,
    load_mnist_sample,
    make_dataset,
    to_model_range,
    to_pixels,
)
from dcgan_lib.diagnosis import diagnose
from dcgan_lib.errors import (
    ConfigError,
    DataError,
    DCGANError,
    TrainingDivergedError,
)
from dcgan_lib.gan import DCGAN, build_gan
from dcgan_lib.latent import generate, sample_noise
from dcgan_lib.metrics import evaluate_generator
from dcgan_lib.models import build_discriminator, build_generator
from dcgan_lib.pretrained import load_pretrained_generator
from dcgan_lib.runs import RunDirectory, load_generator, train
from dcgan_lib.settings import short_run

__version__ = "0.1.0"

__all__ = [
    "DCGAN",
    "ConfigError",
    "DCGANError",
    "DataError",
    "RunDirectory",
    "TrainConfig",
    "TrainingDivergedError",
    "build_discriminator",
    "build_gan",
    "build_generator",
    "diagnose",
    "evaluate_generator",
    "generate",
    "load_generator",
    "load_mnist",
    "load_mnist_sample",
    "load_pretrained_generator",
    "make_dataset",
    "sample_noise",
    "short_run",
    "to_model_range",
    "to_pixels",
    "train",
]
