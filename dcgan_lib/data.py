"""MNIST loading and the ``tf.data`` input pipeline (chapter "Implementation", "The data pipeline").

Three sources of MNIST, in the order :func:`load_mnist` tries them:

1. an explicit ``path`` to an ``mnist.npz`` file;
2. the file named by the environment variable ``DCGAN_MNIST_PATH``;
3. Keras' own loader, which downloads the data once and caches it.

For machines with neither internet nor a local copy, :func:`load_mnist_sample`
returns a small sample of real MNIST digits that ships inside the package.
"""

from __future__ import annotations

import zipfile
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.errors import DataError
from dcgan_lib.settings import MNIST_PATH_VARIABLE, mnist_path_from_environment

IMAGE_SHAPE = (28, 28, 1)
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")

MnistSplits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

_SAMPLE_RESOURCE = "mnist_sample.npz"

_OFFLINE_HELP = (
    "Keras could not download MNIST, probably because this machine has no internet "
    "connection. Either point dcgan_lib at a local copy of mnist.npz (the file Keras "
    f"downloads), with load_mnist(path=...) or by setting "
    f"{MNIST_PATH_VARIABLE}=/path/to/mnist.npz, "
    "or use the small sample of real MNIST digits that ships with the package, "
    "dcgan_lib.load_mnist_sample(), which is what short runs use."
)


def load_mnist(path: str | Path | None = None) -> MnistSplits:
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)`` uint8 arrays.

    The arrays match ``keras.datasets.mnist.load_data()``: images of shape
    (N, 28, 28) with 0 for background and 255 for ink, labels of shape (N,).

    Args:
        path: an ``mnist.npz`` file; by default ``DCGAN_MNIST_PATH``, else
            Keras' download (see the module docstring).

    Raises:
        DataError: the file is missing, unreadable or malformed, or the download
            failed; the message says what was wrong and how to fix it.
    """
    if path is None:
        path = mnist_path_from_environment()
    if path is not None:
        return read_mnist_file(path)
    try:
        splits = keras.datasets.mnist.load_data()
    except Exception as error:  # Keras wraps network failures in a bare Exception
        raise DataError(_OFFLINE_HELP) from error
    return _validated(splits, source="Keras' MNIST download")


def load_mnist_sample() -> MnistSplits:
    """Load the small sample of real MNIST digits bundled with the package.

    It holds 300 training digits and 100 test digits of each class (3,000 and
    1,000 in all), the first of each class in MNIST's own order, so it needs no
    network and no file. Short runs and the tests train on it.
    """
    with resources.as_file(resources.files("dcgan_lib.assets") / _SAMPLE_RESOURCE) as path:
        return read_mnist_file(path)


def read_mnist_file(path: str | Path) -> MnistSplits:
    """Read and check an ``mnist.npz`` file in the format Keras downloads.

    Raises:
        DataError: naming the file and what is wrong with it.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(
            f"MNIST file not found: {path}. Check the path, or unset {MNIST_PATH_VARIABLE} "
            "to let Keras download MNIST."
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in MNIST_KEYS if key not in archive.files]
            if missing:
                raise DataError(
                    f"{path} is not an MNIST file: it lacks the arrays {', '.join(missing)} "
                    f"(it has {', '.join(archive.files) or 'none'})."
                )
            arrays = {key: archive[key] for key in MNIST_KEYS}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise DataError(
            f"{path} could not be read as an .npz archive ({error}). The file may be "
            "truncated or corrupt: download it again."
        ) from error
    splits = ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
    return _validated(splits, source=str(path))


def _validated(splits: MnistSplits, source: str) -> MnistSplits:
    (x_train, y_train), (x_test, y_test) = splits
    for name, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE[:2]:
            raise DataError(
                f"{source}: x_{name} should hold 28x28 images, shape (N, 28, 28), "
                f"but has shape {images.shape}."
            )
        if images.dtype != np.uint8:
            raise DataError(
                f"{source}: x_{name} should be uint8 pixels in 0..255, "
                f"but has dtype {images.dtype}."
            )
        if labels.shape != (len(images),):
            raise DataError(
                f"{source}: y_{name} should have one label per image, shape ({len(images)},), "
                f"but has shape {labels.shape}."
            )
        if len(labels) and (labels.min() < 0 or labels.max() > 9):
            raise DataError(f"{source}: y_{name} has labels outside 0..9.")
    return (x_train, y_train.astype(np.uint8)), (x_test, y_test.astype(np.uint8))


def to_model_range(images: np.ndarray | tf.Tensor) -> tf.Tensor:
    """Bring images to the models' range: float32 in [-1, 1], shape (N, 28, 28, 1).

    uint8 pixels in [0, 255] are rescaled; floats are taken as already in
    [-1, 1] (model output) and only reshaped. The generator ends in ``tanh``,
    whose outputs lie in [-1, 1]; real images are scaled the same way so the
    discriminator cannot tell them apart by range.

    Raises:
        DataError: the images are not 28x28.
    """
    images = tf.convert_to_tensor(images)
    trailing = tuple(images.shape[-3:]) if images.shape[-1] == 1 else tuple(images.shape[-2:])
    if trailing[:2] != IMAGE_SHAPE[:2]:
        raise DataError(
            f"expected 28x28 images (N, 28, 28) or (N, 28, 28, 1), got {tuple(images.shape)}."
        )
    images = tf.reshape(images, (-1, *IMAGE_SHAPE))
    if images.dtype == tf.uint8:
        return tf.cast(images, tf.float32) / 127.5 - 1.0
    return tf.cast(images, tf.float32)


def to_pixels(images: np.ndarray | tf.Tensor) -> np.ndarray:
    """Bring images to uint8 pixels, shape (N, 28, 28), for display.

    Floats are taken as model images in [-1, 1] and rounded; uint8 pixels are
    only reshaped.
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.reshape(-1, *images.shape[-3:-1]) if images.ndim == 4 else images
    images = images.astype(np.float32).reshape(-1, *IMAGE_SHAPE[:2])
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


# Building a batch is one gather and one scaling, far quicker than a train step, so a
# couple of batches in flight keep the model fed. The sizes are fixed rather than tuned by
# tf.data's autotuner: its background thread wakes at growing intervals (up to a minute),
# and deleting an iterator waits for the next wake-up, which stalled the end of every
# fit() call by up to its interval (measured: 9.6 s after a 64-step fit).
PARALLEL_BATCHES = 2
PREFETCH_BATCHES = 2
_FIXED_PIPELINE = tf.data.Options()
_FIXED_PIPELINE.autotune.enabled = False


def steps_per_epoch(num_images: int, batch_size: int) -> int:
    """Full batches in one pass over ``num_images`` (the last partial batch is dropped)."""
    return num_images // batch_size


def make_dataset(
    images: np.ndarray,
    batch_size: int,
    *,
    seed: int = 0,
    start_step: int = 0,
    num_steps: int | None = None,
    labels: np.ndarray | None = None,
) -> tf.data.Dataset:
    """Build the training pipeline: shuffled, scaled batches of shape (B, 28, 28, 1).

    Every epoch visits the images in a fresh random order, in full batches only
    (like ``batch(drop_remainder=True)``), scaled to [-1, 1] and prefetched while
    the model trains. The order is a pure function of ``(seed, epoch)``: batch
    number ``step`` is always the same images, so a run resumed at ``start_step``
    sees exactly the batches an uninterrupted run would have seen.

    Args:
        images: uint8 images, shape (N, 28, 28) or (N, 28, 28, 1).
        batch_size: images per batch; at most N.
        seed: fixes the shuffling order.
        start_step: index of the first batch to produce.
        num_steps: how many batches to produce; ``None`` repeats forever.
        labels: each image's digit, shape (N,); the batches are then
            ``(images, digits)`` pairs, for a conditional DCGAN.

    Raises:
        DataError: the images have the wrong shape or type, or fewer than one batch,
            or the labels do not fit the images.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE[:2] or images.dtype != np.uint8:
        raise DataError(
            "make_dataset expects uint8 images of shape (N, 28, 28) or (N, 28, 28, 1), "
            f"but got {images.dtype} of shape {images.shape}."
        )
    if batch_size < 1 or batch_size > len(images):
        raise DataError(
            f"batch size {batch_size} must be between 1 and the number of images ({len(images)})."
        )
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
            raise DataError(
                f"labels must be {len(images)} integers, one per image, but got "
                f"{labels.dtype} of shape {labels.shape}."
            )
    if start_step < 0 or (num_steps is not None and num_steps < 0):
        raise DataError("start_step and num_steps must not be negative.")

    batches_per_epoch = steps_per_epoch(len(images), batch_size)
    pixels = tf.constant(images[..., np.newaxis])
    last_index = tf.constant(len(images) - 1, tf.int64)
    offsets = tf.range(batch_size, dtype=tf.int64)
    digits = None if labels is None else tf.constant(labels, tf.int32)

    def batch_at(step: tf.Tensor) -> tf.Tensor:
        epoch, position = step // batches_per_epoch, step % batches_per_epoch
        # index_shuffle gives the epoch's permutation of [0, N) element by element,
        # so no N-sized shuffle buffer is filled and any batch can be built directly.
        order = tf.random.experimental.index_shuffle(
            position * batch_size + offsets,
            seed=tf.stack([tf.constant(seed, tf.int64), epoch]),
            max_index=last_index,
        )
        batch = to_model_range(tf.gather(pixels, order))
        return batch if digits is None else (batch, tf.gather(digits, order))

    stop = np.iinfo(np.int64).max if num_steps is None else start_step + num_steps
    steps = tf.data.Dataset.range(start_step, stop)
    batches = steps.map(batch_at, num_parallel_calls=PARALLEL_BATCHES)
    return batches.prefetch(PREFETCH_BATCHES).with_options(_FIXED_PIPELINE)
