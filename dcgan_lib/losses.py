"""The GAN losses, computed from logits (chapter "Implementation", "Losses from logits").

The discriminator ends in a linear ``Dense(1)``: its output ``l`` is a logit and
``D(x) = sigmoid(l)`` is the probability that ``x`` is real. Binary
cross-entropy written on logits::

    BCE(y, l) = max(l, 0) - y * l + log(1 + exp(-|l|)),

never takes the log of a probability that has rounded to 0 or 1, so it stays
finite and keeps useful gradients where ``-log(sigmoid(l))`` would overflow.
"""

from __future__ import annotations

import tensorflow as tf


def binary_cross_entropy_from_logits(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Mean binary cross-entropy between ``labels`` in [0, 1] and ``logits``.

    Chapter "GAN theory" derives binary cross-entropy; chapter "Implementation" explains why it is
    computed from logits.
    """
    logits = tf.convert_to_tensor(logits)
    labels = tf.cast(tf.broadcast_to(labels, tf.shape(logits)), logits.dtype)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def discriminator_loss(
    real_logits: tf.Tensor, fake_logits: tf.Tensor, label_smoothing: float = 0.0
) -> tf.Tensor:
    """The discriminator's loss, ``-[log D(x) + log(1 - D(G(z)))]`` averaged.

    This is minus the value function V(D, G) of chapter "GAN theory", so minimising it
    maximises V. With ``label_smoothing`` s > 0 the real images are labelled
    ``1 - s`` instead of 1 (one-sided label smoothing, Salimans et al. 2016).

    Args:
        real_logits: discriminator logits on a batch of real images.
        fake_logits: discriminator logits on a batch of generated images.
        label_smoothing: amount taken off the real label, in [0, 1).
    """
    real_loss = binary_cross_entropy_from_logits(1.0 - label_smoothing, real_logits)
    fake_loss = binary_cross_entropy_from_logits(0.0, fake_logits)
    return real_loss + fake_loss


def generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """The non-saturating generator loss ``-log D(G(z))`` averaged (chapter "GAN theory").

    Its gradient is large when the discriminator confidently rejects the
    fakes, exactly when the generator most needs to learn.
    """
    return binary_cross_entropy_from_logits(1.0, fake_logits)


def saturating_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """The min-max generator loss ``log(1 - D(G(z)))`` averaged (chapter "GAN theory").

    Kept for comparison: its gradient vanishes when ``D(G(z))`` is near 0.
    """
    return -binary_cross_entropy_from_logits(0.0, fake_logits)


def least_squares_discriminator_loss(
    real_logits: tf.Tensor, fake_logits: tf.Tensor, label_smoothing: float = 0.0
) -> tf.Tensor:
    """The least-squares discriminator loss (Mao et al., 2017).

    ``[(D(x) - 1)^2 + D(G(z))^2] / 2`` on the raw output: real images are pulled
    towards 1 (``1 - label_smoothing``), fakes towards 0.
    """
    real = tf.square(tf.cast(real_logits, "float32") - (1.0 - label_smoothing))
    return 0.5 * (tf.reduce_mean(real) + tf.reduce_mean(tf.square(tf.cast(fake_logits, "float32"))))


def least_squares_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """``(D(G(z)) - 1)^2 / 2``: the generator pulls its fakes' score towards the real target."""
    return 0.5 * tf.reduce_mean(tf.square(tf.cast(fake_logits, "float32") - 1.0))


def hinge_discriminator_loss(
    real_logits: tf.Tensor, fake_logits: tf.Tensor, label_smoothing: float = 0.0
) -> tf.Tensor:
    """The hinge loss of Lim & Ye (2017): ``max(0, 1 - D(x)) + max(0, 1 + D(G(z)))``.

    Scores beyond the margins (above 1 for real images, below -1 for fakes) cost
    nothing. The hinge has no labels to smooth; ``label_smoothing`` must be 0.
    """
    real = tf.nn.relu(1.0 - tf.cast(real_logits, "float32"))
    return tf.reduce_mean(real) + tf.reduce_mean(tf.nn.relu(1.0 + tf.cast(fake_logits, "float32")))


def hinge_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """``-D(G(z))``: the generator raises its fakes' score, without a margin."""
    return -tf.reduce_mean(tf.cast(fake_logits, "float32"))


LOSSES = {
    "non_saturating": (discriminator_loss, generator_loss),
    "minimax": (discriminator_loss, saturating_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
}
"""The GAN losses by name (``TrainConfig.loss``): the discriminator's and the generator's.

The first two share the discriminator's cross-entropy and differ in the
generator's loss (chapter "GAN theory"); all four are compared in chapter "When training fails".
"""
