"""The DCGAN as a ``keras.Model`` with its own ``train_step`` (chapter "Implementation").

``DCGAN.fit`` trains both networks with Keras' own loop, progress bar and
callbacks. Each step is the alternating procedure of Goodfellow et al. (2014):
one discriminator update on ``-V(D, G)``, then one generator update on the
non-saturating loss ``-log D(G(z))`` (or another of :data:`dcgan_lib.losses.LOSSES`),
each network moved only by its own optimizer, so neither update can leak into
the other network. The model can keep a moving average of the generator's
weights, and the step runs unchanged under a ``tf.distribute`` strategy
(:mod:`dcgan_lib.distribute`).
"""

from __future__ import annotations

from typing import Any

from dcgan_lib._runtime import keras, tf
from dcgan_lib.config import TrainConfig
from dcgan_lib.errors import ConfigError
from dcgan_lib.hardware import resolve_precision
from dcgan_lib.losses import LOSSES
from dcgan_lib.models import build_discriminator, build_generator, num_classes_of

METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake")


class DCGAN(keras.Model):
    """A generator and a discriminator trained against each other.

    Tracked per step (shown by ``fit``, passed to callbacks as ``logs``), each a
    running mean over the Keras epoch: ``d_loss``, ``g_loss``, and the mean
    probabilities ``d_real`` = D(x) on real images and ``d_fake`` = D(G(z)).

    A conditional pair (built with ``num_classes``, chapter "Ask for a digit") trains
    the same way on a dataset of ``(images, digits)`` batches: the fakes of a batch
    are asked for the real images' digits, and the discriminator judges each image
    together with its digit.

    Args:
        generator: maps noise of shape (B, latent_dim) to images (B, 28, 28, 1);
            if conditional, ``[noise, digits]`` with integer digits of shape (B,).
        discriminator: maps images to one logit each, shape (B, 1); if
            conditional, ``[images, digits]``.
        latent_dim: size of the noise vector z.
        seed: seeds the noise drawn during training.
        ema_decay: decay of the moving average of the generator's weights, in
            [0, 1); 0 keeps no average.
        loss: the GAN loss, a name of :data:`dcgan_lib.losses.LOSSES`.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int = 100,
        seed: int | None = None,
        ema_decay: float = 0.0,
        loss: str = "non_saturating",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if loss not in LOSSES:
            raise ConfigError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}.")
        self.discriminator_loss, self.generator_loss = LOSSES[loss]
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.ema_decay = ema_decay
        self.averaged_generator = _copy_of(generator) if ema_decay else None
        self.noise_seed = keras.random.SeedGenerator(seed)
        # Counts train steps, i.e. batches consumed. The optimizers' own counters can lag
        # behind it: under float16 loss scaling an update whose gradients overflow is skipped.
        self.step_counter = keras.Variable(
            0, dtype="int64", trainable=False, aggregation="only_first_replica", name="step"
        )
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        # Both networks are built, and with them everything the step uses; saying so stops
        # fit() under a distribution strategy from building the model by calling it on images.
        self.built = generator.built and discriminator.built

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
        """Training steps taken so far: batches consumed, each one D and one G update.

        An update that float16 loss scaling skips (its gradients overflowed) still
        counts: the step consumed its batch (see :func:`build_optimizers`).
        """
        return int(self.step_counter.numpy())

    @property
    def conditional(self) -> bool:
        """Whether the networks are told which digit to draw or judge."""
        return bool(num_classes_of(self.generator))

    @property
    def sampler(self) -> keras.Model:
        """The generator that draws samples: the averaged one if kept, else the trained one."""
        return self.generator if self.averaged_generator is None else self.averaged_generator

    def call(self, inputs: tf.Tensor | list[tf.Tensor], training: bool = False) -> tf.Tensor:
        return self.generator(inputs, training=training)

    def _draw(self, noise: tf.Tensor, digits: tf.Tensor | None) -> tf.Tensor:
        return self.generator(noise if digits is None else [noise, digits], training=True)

    def _judge(self, images: tf.Tensor, digits: tf.Tensor | None) -> tf.Tensor:
        return self.discriminator(images if digits is None else [images, digits], training=True)

    def sample_noise(self, batch_size: int | tf.Tensor) -> tf.Tensor:
        """Draw z ~ N(0, I) of shape (batch_size, latent_dim) from the training seed.

        Under a distribution strategy every replica holds an identical copy of
        the seed's state and advances it identically, so each replica folds its
        own index into the seed it draws: the replicas get different noise, and
        the draws stay a function of the training seed alone.
        """
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return keras.random.normal((batch_size, self.latent_dim), seed=self.noise_seed)
        # int32, as XLA needs for stateless random ops (Keras narrows its own seeds the same way).
        seed = tf.cast(tf.math.floormod(self.noise_seed.next(), tf.int32.max - 1), tf.int32)
        seed = tf.random.fold_in(seed, tf.cast(context.replica_id_in_sync_group, tf.int32))
        return tf.random.stateless_normal((batch_size, self.latent_dim), seed=seed)

    def discriminator_step(
        self,
        real_images: tf.Tensor,
        fake_images: tf.Tensor | None = None,
        digits: tf.Tensor | None = None,
    ) -> dict[str, tf.Tensor]:
        """One update of the discriminator; the generator's weights are not touched.

        Args:
            real_images: a batch of real images in [-1, 1].
            fake_images: generated images to score; by default G draws a batch
                from fresh noise.
            digits: for a conditional pair, the digit of each image (real and fake).
        """
        if fake_images is None:
            fake_images = self._draw(self.sample_noise(tf.shape(real_images)[0]), digits)
        with tf.GradientTape() as tape:
            real_logits = self._judge(real_images, digits)
            fake_logits = self._judge(fake_images, digits)
            loss = self.discriminator_loss(real_logits, fake_logits, self.label_smoothing)
            # scale_loss returns the loss unchanged unless the optimizer scales losses
            # for float16 (build_optimizers); it must be taken under the tape.
            share = self.d_optimizer.scale_loss(replica_share(loss))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(share, weights), weights))
        return {
            "d_loss": loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
        }

    def generator_step(
        self, noise: tf.Tensor, digits: tf.Tensor | None = None
    ) -> dict[str, tf.Tensor]:
        """One update of the generator on ``noise``; the discriminator's weights are not touched."""
        with tf.GradientTape() as tape:
            fake_logits = self._judge(self._draw(noise, digits), digits)
            loss = self.generator_loss(fake_logits)
            share = self.g_optimizer.scale_loss(replica_share(loss))
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(share, weights), weights))
        return {"g_loss": loss}

    def train_step(self, data: tf.Tensor | tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        """A discriminator step then a generator step, sharing one generator forward pass.

        The discriminator's update leaves G(z) unchanged. Computing it once, under
        the generator's tape, and scoring it again with the updated discriminator
        gives exactly ``discriminator_step(real, G(z))`` followed by
        ``generator_step(z)``, without running the generator (the larger network)
        twice. ``data`` is a batch of real images or, for a conditional pair, of
        ``(images, digits)``; under a distribution strategy, this replica's slice.
        """
        real_images, digits = data if self.conditional else (data, None)
        noise = self.sample_noise(tf.shape(real_images)[0])
        with tf.GradientTape() as g_tape:
            fake_images = self._draw(noise, digits)
            with g_tape.stop_recording():
                values = self.discriminator_step(real_images, fake_images, digits)
            fake_logits = self._judge(fake_images, digits)
            values["g_loss"] = self.generator_loss(fake_logits)
            g_share = self.g_optimizer.scale_loss(replica_share(values["g_loss"]))
        g_weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_share, g_weights), g_weights))
        if self.averaged_generator is not None:
            self.update_average()
        self.step_counter.assign_add(1)
        return self.update_metrics(values)

    def update_average(self) -> None:
        """Move the averaged generator's weights a step towards the generator's.

        After generator update ``t`` each averaged weight becomes
        ``decay_t * average + (1 - decay_t) * weight``, with ``decay_t`` from
        :func:`average_decay`. Batch-norm statistics are already running means
        over recent batches; they are copied.
        """
        decay = average_decay(tf.cast(self.g_optimizer.iterations, "float32"), self.ema_decay)
        for average, weight in zip(self.averaged_generator.weights, self.generator.weights):
            if weight.trainable:
                average.assign(decay * average + (1.0 - decay) * weight)
            else:
                average.assign(weight)

    def update_metrics(self, values: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Add one step's values to the running means that ``fit`` reports; return the means.

        Under a distribution strategy each replica's values are first averaged
        over all replicas, so every replica records the means of the whole batch.
        """
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            values = context.all_reduce(tf.distribute.ReduceOp.MEAN, values)
        for name, tracker in self.trackers.items():
            tracker.update_state(values[name])
        results = {name: tracker.result() for name, tracker in self.trackers.items()}
        if _spans_machines(tf.distribute.get_strategy()):
            # Keras reduces the outputs of a multi-machine step along their first axis, which
            # a scalar lacks; one-element vectors reduce to the same scalars.
            results = {name: tf.reshape(value, (1,)) for name, value in results.items()}
        return results


def average_decay(step: float | tf.Tensor, ema_decay: float) -> tf.Tensor:
    """The decay of the weight average after generator update ``step`` (chapter "Implementation").

    ``min(ema_decay, (1 + step) / (10 + step))``: the warm-up of TensorFlow's
    ``ExponentialMovingAverage``. Early in training, when the weights move fast,
    the average forgets the untrained start quickly; from about
    ``step = 9 / (1 - ema_decay)`` on, the decay is ``ema_decay`` itself.
    """
    return tf.minimum(ema_decay, (1.0 + step) / (10.0 + step))


def _copy_of(generator: keras.Model) -> keras.Model:
    """A second generator with the same architecture and, for now, the same weights.

    It is marked untrainable: no optimizer may touch it, only the averaging.
    """
    copy = keras.models.clone_model(generator)
    copy.set_weights(generator.get_weights())
    copy.trainable = False
    return copy


def replica_share(loss: tf.Tensor) -> tf.Tensor:
    """This replica's share of a loss averaged over its own slice of the batch.

    Optimizers under a distribution strategy *sum* the replicas' gradients. The
    mean over the whole batch is the sum of the ``R`` replicas' means divided by
    ``R``, so dividing each loss by ``R`` makes the summed gradient that of the
    global mean, as Keras' own training step does.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas == 1:
        return loss
    return loss / tf.cast(replicas, loss.dtype)


def _spans_machines(strategy: tf.distribute.Strategy) -> bool:
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return len(cluster.get("chief", [])) + len(cluster.get("worker", [])) > 1


def build_optimizers(
    g_learning_rate: float,
    d_learning_rate: float,
    beta_1: float,
    beta_2: float,
    loss_scaling: bool = False,
) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
    """The generator's and the discriminator's Adam optimizers, built from config values.

    With ``loss_scaling`` (for ``mixed_float16``) each is wrapped in Keras'
    ``LossScaleOptimizer``: the train step multiplies the loss by a large
    factor before differentiating, so that gradients too small for float16 do
    not round to zero, and the optimizer divides them back. When a scaled
    gradient overflows instead, that network's update is skipped (its
    ``iterations`` do not advance, while :attr:`DCGAN.step` does: the batch was
    consumed) and the factor is halved.
    """
    optimizers = (
        keras.optimizers.Adam(g_learning_rate, beta_1=beta_1, beta_2=beta_2),
        keras.optimizers.Adam(d_learning_rate, beta_1=beta_1, beta_2=beta_2),
    )
    if loss_scaling:
        return tuple(keras.optimizers.LossScaleOptimizer(opt) for opt in optimizers)
    return optimizers


def build_gan(config: TrainConfig, strategy: tf.distribute.Strategy | None = None) -> DCGAN:
    """Build and compile a DCGAN exactly as ``config`` describes, seeded by ``config.seed``.

    Args:
        config: the hyperparameters of the run.
        strategy: the ``tf.distribute`` strategy to train under; its scope holds
            every variable (weights, optimizer slots, metrics, random states),
            and ``fit`` then runs each step on all its replicas. By default, the
            strategy whose scope is active (usually none: one device).

    Raises:
        ConfigError: ``jit_compile`` with several GPU or CPU replicas.
    """
    strategy = strategy or tf.distribute.get_strategy()
    check_jit_compile(config, strategy)
    precision = resolve_precision(config.precision)
    with strategy.scope():
        keras.utils.set_random_seed(config.seed)
        generator = build_generator(
            config.latent_dim,
            config.variant,
            seed=config.seed,
            dtype=precision.policy,
            kernel_size=config.kernel_size,
            upsampling=config.upsampling,
            num_classes=config.num_classes,
        )
        discriminator = build_discriminator(
            config.variant,
            seed=config.seed,
            dtype=precision.policy,
            num_classes=config.num_classes,
        )
        gan = DCGAN(
            generator,
            discriminator,
            config.latent_dim,
            seed=config.seed,
            ema_decay=config.ema_decay,
            loss=config.loss,
        )
        g_optimizer, d_optimizer = build_optimizers(
            config.g_learning_rate,
            config.d_learning_rate,
            config.beta_1,
            config.beta_2,
            loss_scaling=precision.policy == "mixed_float16",
        )
        gan.compile(
            g_optimizer=g_optimizer,
            d_optimizer=d_optimizer,
            label_smoothing=config.label_smoothing,
            jit_compile=config.jit_compile,
            steps_per_execution=config.steps_per_execution,
        )
        gan.precision = precision
        # Optimizer slots are created lazily; building them now lets a checkpoint
        # restore into them before the first step.
        g_optimizer.build(generator.trainable_variables)
        d_optimizer.build(discriminator.trainable_variables)
    return gan


def check_jit_compile(config: TrainConfig, strategy: tf.distribute.Strategy) -> None:
    """Refuse ``jit_compile`` where XLA cannot compile the step (several GPU or CPU replicas)."""
    # fit() compiles the step of all replicas into one XLA program, and an XLA program
    # runs on one device: it cannot reach the other replicas' copies of the variables.
    # (A TPU compiles every step with XLA anyway.)
    if (
        config.jit_compile
        and strategy.num_replicas_in_sync > 1
        and not isinstance(strategy, tf.distribute.TPUStrategy)
    ):
        raise ConfigError(
            f"jit_compile does not work with {strategy.num_replicas_in_sync} replicas on "
            "GPUs or CPUs: XLA compiles the step for one device. Train without it."
        )
