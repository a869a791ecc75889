"""A small MNIST classifier, the measuring instrument of the chapter "Evaluation".

Inception-v3, the judge of the usual GAN metrics, knows nothing of handwritten
digits; this LeNet-style CNN does. Its class probabilities give the Inception
score and the class shares of :mod:`dcgan_lib.metrics`; its 128-unit
penultimate layer is the feature space of the Fréchet distance and of precision
and recall. Trained weights ship with the package, with the command that made
them and their test accuracy beside them (``assets/mnist_classifier.json``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.assets import asset_path
from dcgan_lib.data import IMAGE_SHAPE, to_model_range
from dcgan_lib.errors import DataError

NUM_CLASSES = 10
FEATURE_DIM = 128
FEATURE_LAYER = "features"
WEIGHTS_RESOURCE = "mnist_classifier.weights.h5"

_PREDICT_BATCH = 1000


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
        images = to_model_range(images)
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


def build_classifier(seed: int | None = None) -> MnistClassifier:
    """Build the untrained classifier (chapter "Evaluation", "A digit classifier as the judge").

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


def default_weights_path() -> Path:
    """Where the package keeps the shipped classifier weights."""
    return asset_path(WEIGHTS_RESOURCE)


def weights_sha256(path: str | Path | None = None) -> str:
    """SHA-256 of a weights file (the shipped one by default), to tell versions apart."""
    path = default_weights_path() if path is None else Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_classifier(path: str | Path | None = None) -> MnistClassifier:
    """Load the trained classifier, by default the one shipped with the package.

    Args:
        path: a ``.weights.h5`` file written by ``train-classifier``; ``None``
            loads ``dcgan_lib/assets/mnist_classifier.weights.h5``.

    Raises:
        DataError: the file is missing or does not hold this classifier's weights.
    """
    path = default_weights_path() if path is None else Path(path)
    if not path.is_file():
        raise DataError(
            f"classifier weights not found: {path}. Check the path; for the shipped weights, "
            "reinstall dcgan_lib (pip install --force-reinstall dcgan_lib)."
        )
    classifier = build_classifier()
    try:
        classifier.model.load_weights(path)
    except Exception as error:  # h5py and Keras raise many types for a bad file
        raise DataError(f"{path} could not be loaded as classifier weights: {error}") from error
    return classifier
