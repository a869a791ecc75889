"""A small MNIST classifier, the measuring instrument of chapter 5 ("Evaluation").

GAN metrics such as the Fréchet Inception Distance judge images through a
network trained to recognise them. Inception-v3 knows nothing of handwritten
digits, so the book uses a network that does: a LeNet-style CNN trained on
MNIST. Its class probabilities give the Inception Score and the class shares
of :mod:`dcgan_lib.metrics`; its 128-unit penultimate layer is the feature
space of the Fréchet distance and of precision and recall.

Trained weights ship with the package (``assets/mnist_classifier.weights.h5``,
with the command that made them and their test accuracy in
``assets/mnist_classifier.json``), so :func:`load_classifier` needs no data and
no training. ``python -m dcgan_lib train-classifier`` rebuilds them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
from importlib import resources
from pathlib import Path

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.data import IMAGE_SHAPE, to_model_range
from dcgan_lib.errors import DataError

NUM_CLASSES = 10
FEATURE_DIM = 128
FEATURE_LAYER = "features"
WEIGHTS_RESOURCE = "mnist_classifier.weights.h5"
METADATA_RESOURCE = "mnist_classifier.json"

_PREDICT_BATCH = 1000
# Augmentation while training: shifts of 2/28 of the frame, turns of 8/360.
_MAX_SHIFT = 2 / 28
_MAX_ROTATION = 8 / 360


class MnistClassifier:
    """A digit classifier and the view of its penultimate layer.

    Both models share their layers and weights and take images in [-1, 1] of
    shape (N, 28, 28, 1), like the generator's output.

    Args:
        model: a network from :func:`build_classifier`, trained or not.

    Attributes:
        model: images to class probabilities, shape (N, 10).
        features: images to the 128 penultimate activations, shape (N, 128).
    """

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        feature_output = model.get_layer(FEATURE_LAYER).output
        self.features = keras.Model(model.inputs, feature_output, name="mnist_features")
        self._both = keras.Model(model.inputs, [model.output, feature_output])

    def predict_and_embed(
        self, images: np.ndarray | tf.Tensor, batch_size: int = _PREDICT_BATCH
    ) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities (N, 10) and features (N, 128) of ``images``, in one pass.

        Args:
            images: uint8 pixels of shape (N, 28, 28), or model-range floats in
                [-1, 1] of shape (N, 28, 28) or (N, 28, 28, 1).
            batch_size: images per forward pass, to bound memory.

        Returns:
            Both arrays in float64, ready for the statistics of :mod:`dcgan_lib.metrics`.
        """
        images = as_model_images(images)
        probabilities = np.zeros((len(images), NUM_CLASSES))
        features = np.zeros((len(images), FEATURE_DIM))
        for start in range(0, len(images), batch_size):
            batch = images[start : start + batch_size]
            batch_probabilities, batch_features = self._both(batch, training=False)
            probabilities[start : start + len(batch)] = np.asarray(batch_probabilities)
            features[start : start + len(batch)] = np.asarray(batch_features)
        return probabilities, features

    def predict(self, images: np.ndarray | tf.Tensor) -> np.ndarray:
        """Class probabilities of ``images``, shape (N, 10) (see :meth:`predict_and_embed`)."""
        return self.predict_and_embed(images)[0]

    def embed(self, images: np.ndarray | tf.Tensor) -> np.ndarray:
        """Penultimate-layer features of ``images``, shape (N, 128)."""
        return self.predict_and_embed(images)[1]

    def accuracy(self, images: np.ndarray | tf.Tensor, labels: np.ndarray) -> float:
        """Share of ``images`` whose most probable class is their label."""
        predicted = self.predict(images).argmax(axis=1)
        return float(np.mean(predicted == np.asarray(labels)))


def as_model_images(images: np.ndarray | tf.Tensor) -> tf.Tensor:
    """Bring images to the classifier's input: float32 in [-1, 1], shape (N, 28, 28, 1).

    uint8 arrays are taken as pixels in [0, 255] and rescaled with
    :func:`dcgan_lib.data.to_model_range`; floats are taken as already in [-1, 1].

    Raises:
        DataError: the images are not 28x28.
    """
    images = tf.convert_to_tensor(images)
    if images.shape.rank not in (3, 4) or tuple(images.shape[1:3]) != IMAGE_SHAPE[:2]:
        raise DataError(
            f"expected images of shape (N, 28, 28) or (N, 28, 28, 1), got {tuple(images.shape)}."
        )
    if images.dtype == tf.uint8:
        return to_model_range(images)
    return tf.reshape(tf.cast(images, tf.float32), (-1, *IMAGE_SHAPE))


def build_classifier(seed: int | None = None) -> MnistClassifier:
    """Build the untrained classifier (chapter 5, "A digit classifier as the judge").

    Layers: Conv2D(32, 5) -> ReLU -> MaxPool(2) -> Conv2D(64, 5) -> ReLU ->
    MaxPool(2) -> Flatten -> Dropout(0.25) -> Dense(128, ReLU) = the features ->
    Dropout(0.5) -> Dense(10, softmax). About 185,000 weights, 0.7 MB in float32.

    Args:
        seed: seeds the initial weights and the dropout masks.
    """
    init = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = keras.layers.Conv2D(32, 5, activation="relu", kernel_initializer=init, name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(64, 5, activation="relu", kernel_initializer=init, name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dropout(0.25, seed=seed, name="dropout1")(x)
    features = keras.layers.Dense(
        FEATURE_DIM, activation="relu", kernel_initializer=init, name=FEATURE_LAYER
    )(x)
    x = keras.layers.Dropout(0.5, seed=seed, name="dropout2")(features)
    outputs = keras.layers.Dense(
        NUM_CLASSES, activation="softmax", kernel_initializer=init, name="probabilities"
    )(x)
    return MnistClassifier(keras.Model(inputs, outputs, name="mnist_classifier"))


def train_classifier(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = 8,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    augment: bool = True,
    seed: int = 0,
    verbose: int | str = "auto",
) -> MnistClassifier:
    """Train a fresh classifier on labelled digits (chapter 5).

    Adam, with a learning rate that decays along a cosine to zero over the
    run. Light augmentation (shifts of up to 2 pixels, rotations of up to 8
    degrees) makes the classifier judge a generated digit by its shape, not by
    exactly where it sits in the frame; the augmentation layers wrap the
    network only while it trains, so the saved weights are the plain network.
    The run is a function of ``seed`` (initial weights, augmentation, dropout,
    shuffling).

    Args:
        images: uint8 pixels (N, 28, 28), or floats in [-1, 1].
        labels: digits 0..9, shape (N,).
        epochs: passes over the images.
        batch_size: images per step.
        learning_rate: Adam's initial learning rate.
        augment: apply the random shifts and rotations.
        seed: fixes every random choice of the run.
        verbose: Keras' ``fit`` verbosity.
    """
    keras.utils.set_random_seed(seed)
    classifier = build_classifier(seed)
    x = as_model_images(images)
    y = np.asarray(labels, dtype=np.int32)
    if len(x) != len(y):
        raise DataError(f"got {len(x)} images but {len(y)} labels.")
    augmentation = [
        keras.layers.RandomTranslation(
            _MAX_SHIFT, _MAX_SHIFT, fill_mode="constant", fill_value=-1.0, seed=seed
        ),
        keras.layers.RandomRotation(
            _MAX_ROTATION, fill_mode="constant", fill_value=-1.0, seed=seed
        ),
    ]
    trainer = keras.Sequential(
        [keras.Input(shape=IMAGE_SHAPE), *(augmentation if augment else []), classifier.model]
    )
    steps = epochs * -(-len(y) // batch_size)
    trainer.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    trainer.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose)
    return classifier


def default_weights_path() -> Path:
    """Where the package keeps the shipped classifier weights."""
    return Path(str(resources.files("dcgan_lib.assets") / WEIGHTS_RESOURCE))


def classifier_record() -> dict[str, object]:
    """How the shipped weights were made: command, test accuracy, versions, hardware (chapter 5).

    Read from ``assets/mnist_classifier.json``, which ``train-classifier`` writes
    beside the weights.
    """
    path = resources.files("dcgan_lib.assets") / METADATA_RESOURCE
    return json.loads(path.read_text())


def weights_sha256(path: str | Path | None = None) -> str:
    """SHA-256 of a weights file (the shipped one by default), to tell versions apart."""
    path = default_weights_path() if path is None else Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def environment_record() -> dict[str, str | int]:
    """Versions and hardware behind a computed asset, for its JSON record."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpus = [device.name for device in tf.config.list_logical_devices("GPU")]
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_cores": cores or 0,
        "accelerator": ", ".join(gpus) or "none (CPU only)",
    }


def save_classifier(
    classifier: MnistClassifier, path: str | Path, record: dict[str, object]
) -> Path:
    """Write the weights to ``path`` and ``record`` beside them as JSON.

    The JSON file has the weights' name with ``.json`` in place of
    ``.weights.h5``; the SHA-256 of the weights and :func:`environment_record`
    are added to ``record``, so the two files always describe each other.

    Returns:
        The path of the JSON file.
    """
    path = Path(path)
    if not path.name.endswith(".weights.h5"):
        raise DataError(f"Keras weights files must end in .weights.h5, got {path.name}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    classifier.model.save_weights(path)
    record = {**record, "weights_sha256": weights_sha256(path), **environment_record()}
    json_path = path.with_name(path.name.removesuffix(".weights.h5") + ".json")
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    return json_path


def load_classifier(path: str | Path | None = None) -> MnistClassifier:
    """Load the trained classifier, by default the one shipped with the package (chapter 5).

    Args:
        path: a ``.weights.h5`` file written by ``train-classifier``; ``None``
            loads ``dcgan_lib/assets/mnist_classifier.weights.h5``.

    Raises:
        DataError: the file is missing or does not hold this classifier's weights.
    """
    path = default_weights_path() if path is None else Path(path)
    if not path.is_file():
        raise DataError(
            f"classifier weights not found: {path}. Rebuild them with "
            "`python -m dcgan_lib train-classifier --out PATH`."
        )
    classifier = build_classifier()
    try:
        classifier.model.load_weights(path)
    except Exception as error:  # h5py and Keras raise many types for a bad file
        raise DataError(f"{path} could not be loaded as classifier weights: {error}") from error
    return classifier
