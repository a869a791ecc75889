"""Two older ways to train the same DCGAN, ported to Keras 3 (chapter "Implementation").

Part of the book's helpers, not of ``dcgan_lib``'s API.

The book's :class:`~dcgan_lib.gan.DCGAN` is the third of three training loops for
one pair of networks. The other two are kept here, each reproducing its source step by
step, so that the chapter "Implementation" can show what goes wrong in the first and
later chapters can time all three:

:class:`BlogDCGAN`
    The Keras code of the blog post the book started from: a discriminator compiled on
    its own, then frozen with ``discriminator.trainable = False`` inside a compiled
    "combined" model G -> D, both trained with ``train_on_batch``, every model compiled
    with one shared Adam. Under Keras 3 that code has three bugs, each of which can be
    switched off to see the fix.
:class:`TutorialLoop`
    The training step of the TensorFlow DCGAN tutorial: one ``tf.function`` in which two
    gradient tapes record a single forward pass of both networks.

Both build their networks with :func:`~dcgan_lib.models.build_generator` and
:func:`~dcgan_lib.models.build_discriminator` (the ``"book"`` variant, which is the
architecture of the blog and of the tutorial), so only the training loop differs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.assets import asset_path
from dcgan_lib.data import to_model_range
from dcgan_lib.grids import save_image_grid
from dcgan_lib.latent import generate, sample_noise
from dcgan_lib.metrics import evaluate_generator
from dcgan_lib.models import build_discriminator, build_generator
from dcgan_lib.runs import RunDirectory

BLOG_LEARNING_RATE = 2e-4
BLOG_BATCH_SIZE = 32
BLOG_SAMPLE_EVERY = 200
BLOG_GRID_SIZE = 25
BLOG_ITERATIONS = 10_000
BLOG_RUN = "blog_run"
BLOG_RUN_GRID_SIZE = 100
TUTORIAL_LEARNING_RATE = 1e-4
TUTORIAL_BATCH_SIZE = 256


def blog_loss(probability_loss: bool) -> keras.losses.Loss:
    """The loss both of the blog's models are compiled with.

    Args:
        probability_loss: ``True`` gives the blog's ``loss="binary_crossentropy"``,
            that is ``BinaryCrossentropy(from_logits=False)``, which reads the
            discriminator's output as a probability although the network ends in a
            linear ``Dense(1)``: Keras clips the logit into [1e-7, 1 - 1e-7], so the loss
            is wrong and its gradient is zero for every logit outside (0, 1). ``False``
            gives the fix, binary cross-entropy computed from logits.
    """
    return keras.losses.BinaryCrossentropy(from_logits=not probability_loss)


class BlogDCGAN:
    """The blog's ``DCGAN`` class and training loop, in Keras 3.

    Construction does what the blog's constructor does: build both networks, compile
    the discriminator, set ``discriminator.trainable = False``, build the combined model
    ``D(G(z))`` and compile it. Keras 2 read ``trainable`` when a model was compiled, so
    the discriminator compiled first stayed trainable on its own while being frozen
    inside the combined model. Keras 3 reads ``trainable`` when a training function is
    first traced, so the discriminator's own ``train_on_batch`` finds no trainable weights
    (Keras warns "The model does not have any trainable weights.") and never updates it.

    The blog also hands one ``Adam`` instance to every ``compile()``. A Keras 3 optimizer
    creates its moments for the variables of its first update and refuses any others
    ("Unknown variable ... This optimizer can only be called for the variables it was
    originally built with"), so once the discriminator trains, the combined model's
    update fails. The first bug hides this one: a discriminator that never trains never
    claims the optimizer.

    Args:
        freeze_idiom: ``True`` reproduces the blog as written (the discriminator never
            learns under Keras 3). ``False`` applies the fix for this idiom: set
            ``discriminator.trainable`` to ``True`` before the discriminator's own update
            and back to ``False`` before the combined model's, so each training function
            is traced with the right weights.
        probability_loss: ``True`` reproduces the blog's ``"binary_crossentropy"`` on
            logits; ``False`` computes the loss from logits (see :func:`blog_loss`).
        shared_optimizer: ``True`` reproduces the blog's one Adam for every model;
            ``False`` gives each compiled model an Adam of its own.
        latent_dim: size of the noise vector z (100, as in the blog).
        learning_rate: Adam's learning rate for both models (the blog's 2e-4, with
            Keras' default beta_1 = 0.9).
        seed: if given, seeds Keras (initial weights, dropout) and the NumPy generator
            that picks real images and draws noise; the blog used NumPy's global state.
    """

    def __init__(
        self,
        *,
        freeze_idiom: bool = True,
        probability_loss: bool = True,
        shared_optimizer: bool = True,
        latent_dim: int = 100,
        learning_rate: float = BLOG_LEARNING_RATE,
        seed: int | None = None,
    ) -> None:
        if seed is not None:
            keras.utils.set_random_seed(seed)
        self.freeze_idiom = freeze_idiom
        self.probability_loss = probability_loss
        self.latent_dim = latent_dim
        self.rng = np.random.default_rng(seed)
        self.loss = blog_loss(probability_loss)

        shared = keras.optimizers.Adam(learning_rate)

        def optimizer() -> keras.optimizers.Optimizer:
            return shared if shared_optimizer else keras.optimizers.Adam(learning_rate)

        self.discriminator = build_discriminator()
        self.discriminator.compile(loss=self.loss, optimizer=optimizer())
        self.generator = build_generator(latent_dim)
        self.generator.compile(loss=self.loss, optimizer=optimizer())  # as the blog does
        z = keras.Input(shape=(latent_dim,), name="z")
        self.discriminator.trainable = False
        self.combined = keras.Model(z, self.discriminator(self.generator(z)), name="combined")
        self.combined.compile(loss=self.loss, optimizer=optimizer())

    def _set_discriminator_trainable(self, trainable: bool) -> None:
        if not self.freeze_idiom:
            self.discriminator.trainable = trainable

    def sample_noise(self, count: int) -> np.ndarray:
        """Noise z ~ N(0, I) of shape (count, latent_dim), as the blog draws it with NumPy."""
        return self.rng.normal(0.0, 1.0, (count, self.latent_dim)).astype(np.float32)

    def train_iteration(self, real_batch: np.ndarray) -> dict[str, float]:
        """One iteration of the blog's loop, given a half batch of real images in [-1, 1].

        1. fakes for the half batch from ``generator.predict`` (inference mode);
        2. ``discriminator.train_on_batch`` on the real images labelled 1, then again on
           the fakes labelled 0; the discriminator's loss is the mean of the two;
        3. ``combined.train_on_batch`` on a full batch (twice the half batch) of noise
           labelled 1: the generator's update, through the frozen discriminator.

        Args:
            real_batch: ``batch_size // 2`` real images, float32 of shape (n, 28, 28, 1).

        Returns:
            ``d_loss_real``, ``d_loss_fake``, ``d_loss`` and ``g_loss``, as Keras reports
            them (with the compiled loss, so wrong when ``probability_loss`` is set).
        """
        real_batch = np.asarray(real_batch, dtype=np.float32)
        half_batch = len(real_batch)
        # verbose=0 only silences Keras 3's progress bar, which predict() would otherwise
        # print at every iteration.
        fakes = self.generator.predict(self.sample_noise(half_batch), verbose=0)

        self._set_discriminator_trainable(True)
        d_loss_real = self.discriminator.train_on_batch(real_batch, np.ones((half_batch, 1)))
        d_loss_fake = self.discriminator.train_on_batch(fakes, np.zeros((half_batch, 1)))

        self._set_discriminator_trainable(False)
        batch_size = 2 * half_batch
        g_loss = self.combined.train_on_batch(
            self.sample_noise(batch_size), np.ones((batch_size, 1))
        )
        return {
            "d_loss_real": float(d_loss_real),
            "d_loss_fake": float(d_loss_fake),
            "d_loss": 0.5 * (float(d_loss_real) + float(d_loss_fake)),
            "g_loss": float(g_loss),
        }

    def train(
        self,
        images: np.ndarray,
        iterations: int,
        batch_size: int = BLOG_BATCH_SIZE,
        sample_every: int = BLOG_SAMPLE_EVERY,
        sample_dir: str | Path | None = None,
    ) -> list[dict[str, float]]:
        """The blog's ``train``: ``iterations`` iterations on random half batches.

        All images are scaled to [-1, 1] once; each iteration draws ``batch_size // 2`` of
        them at random (with replacement across iterations, like ``np.random.randint``)
        and calls :meth:`train_iteration`. Every ``sample_every`` iterations, when
        ``sample_dir`` is given, a 5x5 grid of digits from fresh noise is saved there as
        ``iteration_000200.png``.

        Args:
            images: uint8 training images, shape (N, 28, 28).
            iterations: how many iterations to train (the blog's 10,000).
            batch_size: the generator's batch; the discriminator sees half of it real
                and half fake (the blog's 32).
            sample_every: iterations between sample grids.
            sample_dir: where to save the grids; ``None`` saves none.

        Returns:
            One dictionary of losses per iteration (see :meth:`train_iteration`).
        """
        scaled = np.asarray(to_model_range(images))
        half_batch = batch_size // 2
        history = []
        for iteration in range(1, iterations + 1):
            chosen = self.rng.integers(0, len(scaled), half_batch)
            history.append(self.train_iteration(scaled[chosen]))
            if sample_dir is not None and iteration % sample_every == 0:
                grid = self.generator.predict(self.sample_noise(BLOG_GRID_SIZE), verbose=0)
                save_image_grid(grid, Path(sample_dir) / f"iteration_{iteration:06d}.png")
        return history


def train_blog_run(
    images: np.ndarray,
    destination: str | Path,
    *,
    iterations: int = BLOG_ITERATIONS,
    measure_every: int = 2_000,
    log_every: int = 100,
    seed: int = 0,
    num_samples: int | None = None,
    real_images: np.ndarray | None = None,
    data: str | Path | None = None,
) -> RunDirectory:
    """Train the blog's code with its three bugs fixed, as the blog ran it, and measure it.

    The blog's own run: :class:`BlogDCGAN` with ``freeze_idiom``, ``probability_loss``
    and ``shared_optimizer`` all ``False``, ``iterations`` iterations of 32 (16 real
    digits and 16 fakes for the discriminator, 32 noise vectors for the generator).
    Every ``measure_every`` iterations the generator is scored as
    :func:`dcgan_lib.metrics.evaluate_generator` scores any generator, and a grid of
    its digits for :data:`BLOG_RUN_GRID_SIZE` noise vectors of seed ``seed`` is saved.
    Neither touches the training's random state, so the run is the one
    ``BlogDCGAN(...).train(images, iterations)`` would make.

    Written to ``destination`` in the run-directory layout of
    :class:`dcgan_lib.runs.RunDirectory` (no ``config.json``: the blog has none):
    ``history.jsonl`` (mean losses over each ``log_every`` iterations), ``metrics.jsonl``
    (``step`` is the iteration, ``images_seen`` the real digits the discriminator has
    seen, 16 per iteration) and ``samples/step_*.png``.

    Args:
        images: uint8 training digits, shape (N, 28, 28).
        destination: the directory to fill.
        iterations: iterations to train (the blog's 10,000).
        measure_every: iterations between measurements and grids; divides ``iterations``.
        log_every: iterations averaged into one history row; divides ``measure_every``.
        seed: seeds the networks and the run's random numbers, and the grids' noise.
        num_samples, real_images, data: passed to
            :func:`dcgan_lib.metrics.evaluate_generator`.

    Returns:
        The filled run directory.
    """
    if iterations % measure_every or measure_every % log_every:
        raise ValueError(
            f"measure_every ({measure_every}) must divide iterations ({iterations}) "
            f"and log_every ({log_every}) must divide measure_every."
        )
    out = RunDirectory(destination)
    out.samples_dir.mkdir(parents=True, exist_ok=True)
    blog = BlogDCGAN(freeze_idiom=False, probability_loss=False, shared_optimizer=False, seed=seed)
    grid_noise = sample_noise(BLOG_RUN_GRID_SIZE, blog.latent_dim, seed)
    half_batch = BLOG_BATCH_SIZE // 2
    history, metrics, seconds = [], [], 0.0
    for start in range(0, iterations, measure_every):
        started = time.perf_counter()
        losses = blog.train(images, measure_every)  # continues the same random stream
        seconds += time.perf_counter() - started
        for first in range(0, measure_every, log_every):
            window = losses[first : first + log_every]
            row = {"step": start + first + log_every}
            row |= {name: float(np.mean([r[name] for r in window])) for name in window[0]}
            history.append(row)
        step = start + measure_every
        result = evaluate_generator(
            blog.generator, num_samples, seed=seed, real_images=real_images, data=data
        )
        row = {"step": step, "images_seen": step * half_batch, "seconds": round(seconds, 3)}
        metrics.append({**row, "seed": seed, **result.to_dict()})
        save_image_grid(generate(blog.generator, grid_noise), out.sample_path(step))
        out.write_history(history)
        out.write_metrics(metrics)
        print(
            f"iteration {step:>6}  {seconds:7.0f} s  "
            f"Fréchet {result.frechet_distance:7.2f}  precision {result.precision:.3f}",
            flush=True,
        )
    return out


def blog_run() -> RunDirectory:
    """The blog's own run as the package ships it (``dcgan_lib/assets/blog_run``).

    Made by :func:`train_blog_run` through ``python -m dcgan_lib.book.assets blog-run``;
    its ``record.json`` holds the command.
    """
    return RunDirectory(asset_path(BLOG_RUN))


class TutorialLoop:
    """The training loop of the TensorFlow DCGAN tutorial, in Keras 3.

    One ``tf.function`` step draws a batch of noise, runs the generator once and the
    discriminator on the real and the generated images, all recorded by two gradient
    tapes at the same time; the generator's tape differentiates the
    generator's loss, the discriminator's tape the discriminator's. Both networks are
    then updated from the same forward pass: simultaneous, not alternating, updates.
    The losses are binary cross-entropy from logits, each network has its own Adam
    optimizer with learning rate 1e-4 (Keras' default betas), and the batch is 256.

    As in the tutorial, the noise batch always has ``batch_size`` rows, also for the
    last, smaller batch of an epoch.

    Args:
        latent_dim: size of the noise vector z (100).
        batch_size: images per batch, and noise vectors per step (256).
        learning_rate: Adam's learning rate for both networks (1e-4).
        seed: if given, seeds Keras (initial weights, dropout, noise) and the shuffle.
    """

    def __init__(
        self,
        *,
        latent_dim: int = 100,
        batch_size: int = TUTORIAL_BATCH_SIZE,
        learning_rate: float = TUTORIAL_LEARNING_RATE,
        seed: int | None = None,
    ) -> None:
        if seed is not None:
            keras.utils.set_random_seed(seed)
        self.latent_dim = latent_dim
        self.batch_size = batch_size
        self.seed = seed
        self.generator = build_generator(latent_dim)
        self.discriminator = build_discriminator()
        self.cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
        self.generator_optimizer = keras.optimizers.Adam(learning_rate)
        self.discriminator_optimizer = keras.optimizers.Adam(learning_rate)
        self.train_step = tf.function(self._train_step)

    def discriminator_loss(self, real_output: tf.Tensor, fake_output: tf.Tensor) -> tf.Tensor:
        """Real logits against label 1 plus fake logits against label 0."""
        real_loss = self.cross_entropy(tf.ones_like(real_output), real_output)
        fake_loss = self.cross_entropy(tf.zeros_like(fake_output), fake_output)
        return real_loss + fake_loss

    def generator_loss(self, fake_output: tf.Tensor) -> tf.Tensor:
        """Fake logits against label 1: the non-saturating loss."""
        return self.cross_entropy(tf.ones_like(fake_output), fake_output)

    def _train_step(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        noise = tf.random.normal([self.batch_size, self.latent_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = self.generator(noise, training=True)
            real_output = self.discriminator(images, training=True)
            fake_output = self.discriminator(generated_images, training=True)
            gen_loss = self.generator_loss(fake_output)
            disc_loss = self.discriminator_loss(real_output, fake_output)
        g_weights = self.generator.trainable_variables
        d_weights = self.discriminator.trainable_variables
        g_gradients = gen_tape.gradient(gen_loss, g_weights)
        d_gradients = disc_tape.gradient(disc_loss, d_weights)
        self.generator_optimizer.apply_gradients(zip(g_gradients, g_weights))
        self.discriminator_optimizer.apply_gradients(zip(d_gradients, d_weights))
        return {"g_loss": gen_loss, "d_loss": disc_loss}

    def make_dataset(self, images: np.ndarray) -> tf.data.Dataset:
        """The tutorial's pipeline: scale to [-1, 1], shuffle all images, batch.

        The buffer holds every image (the tutorial's 60,000), so each epoch is a full
        random permutation; the last batch keeps the remainder.
        """
        scaled = to_model_range(images)
        return (
            tf.data.Dataset.from_tensor_slices(scaled)
            .shuffle(len(images), seed=self.seed)
            .batch(self.batch_size)
        )

    def train(self, images: np.ndarray, epochs: int) -> dict[str, float]:
        """The tutorial's ``train``: ``epochs`` passes over the data, one step per batch.

        Args:
            images: uint8 training images, shape (N, 28, 28).
            epochs: passes over the data (the tutorial's 50).

        Returns:
            The losses of the last step.
        """
        dataset = self.make_dataset(images)
        losses: dict[str, tf.Tensor] = {}
        for _ in range(epochs):
            for image_batch in dataset:
                losses = self.train_step(image_batch)
        return {name: float(value) for name, value in losses.items()}
