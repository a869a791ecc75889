"""The DCGAN as a ``keras.Model`` with its own ``train_step`` (chapter 3, "The train step").

``DCGAN.fit`` trains both networks with Keras' own loop, progress bar and
callbacks. Each step is the alternating procedure of Goodfellow et al. (2014):

1. the discriminator takes one gradient step on ``-V(D, G)``, real images
   labelled 1 and fresh fakes labelled 0, with the generator held fixed;
2. the generator takes one gradient step on the non-saturating loss
   ``-log D(G(z))``, with the discriminator held fixed.

Each network is only ever updated by its own optimizer with gradients taken
with respect to its own weights, so neither update can leak into the other
network. (The "freeze the discriminator inside a combined model" idiom of the
original Keras code relies on ``trainable`` being read at compile time, which
Keras 3 does not do; chapter 3 shows what goes wrong.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.losses import discriminator_loss, generator_loss

METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake")


class DCGAN(keras.Model):
    """A generator and a discriminator trained against each other.

    Tracked per step (shown by ``fit`` and passed to callbacks as ``logs``):
    ``d_loss`` and ``g_loss``, ``d_real`` = mean D(x) on real images and
    ``d_fake`` = mean D(G(z)) on fakes, both as probabilities; each a running
    mean since the start of the Keras epoch.

    Args:
        generator: maps noise of shape (B, latent_dim) to images (B, 28, 28, 1).
        discriminator: maps images to one logit each, shape (B, 1).
        latent_dim: size of the noise vector z.
        seed: seeds the noise drawn during training.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int = 100,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}

    def compile(
        self,
        g_optimizer: keras.optimizers.Optimizer,
        d_optimizer: keras.optimizers.Optimizer,
        label_smoothing: float = 0.0,
        **kwargs: Any,
    ) -> None:
        """Set the two optimizers (one per network) and the label smoothing.

        Extra keyword arguments (``jit_compile``, ``steps_per_execution``) go to
        ``keras.Model.compile``.
        """
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.label_smoothing = label_smoothing

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    @property
    def step(self) -> int:
        """Training steps taken so far (one discriminator and one generator update each)."""
        return int(self.d_optimizer.iterations.numpy())

    def call(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.generator(z, training=training)

    def sample_noise(self, batch_size: int | tf.Tensor) -> tf.Tensor:
        """Draw z ~ N(0, I) of shape (batch_size, latent_dim) from the training seed."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.noise_seed)

    def discriminator_step(
        self, real_images: tf.Tensor, fake_images: tf.Tensor | None = None
    ) -> dict[str, tf.Tensor]:
        """One update of the discriminator; the generator's weights are not touched.

        Args:
            real_images: a batch of real images in [-1, 1].
            fake_images: generated images to score; by default G draws a batch
                from fresh noise.
        """
        if fake_images is None:
            fake_images = self.generator(self.sample_noise(tf.shape(real_images)[0]), training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            loss = discriminator_loss(real_logits, fake_logits, self.label_smoothing)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return {
            "d_loss": loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
        }

    def generator_step(self, noise: tf.Tensor) -> dict[str, tf.Tensor]:
        """One update of the generator on ``noise``; the discriminator's weights are not touched."""
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(noise, training=True), training=True)
            loss = generator_loss(fake_logits)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return {"g_loss": loss}

    def train_step(self, real_images: tf.Tensor) -> dict[str, tf.Tensor]:
        """A discriminator step then a generator step, sharing one generator forward pass.

        The discriminator's update leaves the generator's weights unchanged, so
        G(z) is the same before and after it. Computing it once, under the
        generator's tape, and scoring it again with the updated discriminator
        gives exactly ``discriminator_step(real, G(z))`` followed by
        ``generator_step(z)``, without running the generator (the larger
        network) twice.
        """
        noise = self.sample_noise(tf.shape(real_images)[0])
        with tf.GradientTape() as g_tape:
            fake_images = self.generator(noise, training=True)
            with g_tape.stop_recording():
                values = self.discriminator_step(real_images, fake_images)
            fake_logits = self.discriminator(fake_images, training=True)
            values["g_loss"] = generator_loss(fake_logits)
        g_weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(
            zip(g_tape.gradient(values["g_loss"], g_weights), g_weights)
        )
        for name, tracker in self.trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def generate(self, noise: np.ndarray | tf.Tensor) -> np.ndarray:
        """Images G(z) in [-1, 1] for the given noise, in inference mode."""
        return np.asarray(self.generator(tf.convert_to_tensor(noise), training=False))


def build_optimizers(
    g_learning_rate: float, d_learning_rate: float, beta_1: float, beta_2: float
) -> tuple[keras.optimizers.Adam, keras.optimizers.Adam]:
    """The generator's and the discriminator's Adam optimizers, built from config values."""
    return (
        keras.optimizers.Adam(g_learning_rate, beta_1=beta_1, beta_2=beta_2),
        keras.optimizers.Adam(d_learning_rate, beta_1=beta_1, beta_2=beta_2),
    )
