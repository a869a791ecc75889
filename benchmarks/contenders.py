"""The training loops the benchmarks compare, behind one small interface.

Each contender trains the book's architecture with one loop and exposes:

* ``batch_size``: generator images per step;
* ``run(steps)``: train that many steps (throughput benchmark);
* ``train_for(seconds)``: train whole steps until ``seconds`` of wall-clock time have
  passed, and return the seconds actually spent (time-to-quality benchmark);
* ``images_seen``: generator images trained on so far;
* ``generator``: the generator, to evaluate;
* ``precision``: the Keras dtype policy it computes in.
"""

from __future__ import annotations

import time

import numpy as np

from dcgan_lib._runtime import keras
from dcgan_lib.book.original import BlogDCGAN, TutorialLoop
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import make_dataset, to_model_range
from dcgan_lib.runs import build_gan


class Contender:
    """Shared bookkeeping; subclasses define ``generator`` and ``_steps``."""

    batch_size: int
    generator: keras.Model
    precision = "float32"  # the original loops, as they were written

    def __init__(self) -> None:
        self.steps_done = 0

    @property
    def images_seen(self) -> int:
        return self.steps_done * self.batch_size

    def _steps(self, steps: int) -> None:
        raise NotImplementedError

    def run(self, steps: int) -> None:
        self._steps(steps)
        self.steps_done += steps

    def train_for(self, seconds: float) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            self.run(1)
        return time.perf_counter() - started


class BlogContender(Contender):
    """The original blog's loop: ``train_on_batch`` with ``predict``, batch 32.

    Its three Keras 3 bugs are fixed (see :class:`dcgan_lib.book.original.BlogDCGAN`), so that
    the discriminator learns and the loop does the work it was written to do.
    """

    batch_size = 32

    def __init__(self, images: np.ndarray, seed: int = 0) -> None:
        super().__init__()
        self.blog = BlogDCGAN(
            freeze_idiom=False, probability_loss=False, shared_optimizer=False, seed=seed
        )
        self.generator = self.blog.generator
        self.scaled = np.asarray(to_model_range(images))
        self.rng = np.random.default_rng(seed)

    def _steps(self, steps: int) -> None:
        half = self.batch_size // 2
        for _ in range(steps):
            self.blog.train_iteration(self.scaled[self.rng.integers(0, len(self.scaled), half)])


class TutorialContender(Contender):
    """The TensorFlow tutorial's loop: one ``tf.function`` step, two tapes, batch 256."""

    def __init__(self, images: np.ndarray, seed: int = 0) -> None:
        super().__init__()
        self.loop = TutorialLoop(seed=seed)
        self.batch_size = self.loop.batch_size
        self.generator = self.loop.generator
        self.batches = iter(self.loop.make_dataset(images).repeat())

    def _steps(self, steps: int) -> None:
        for _ in range(steps):
            self.loop.train_step(next(self.batches))


class _StopAfter(keras.callbacks.Callback):
    """Ends ``fit`` after the first batch that finishes past a deadline."""

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if time.perf_counter() >= self.deadline:
            self.model.stop_training = True


class LibraryContender(Contender):
    """``dcgan_lib``'s ``DCGAN.fit`` with a :class:`~dcgan_lib.config.TrainConfig`.

    A conditional configuration (``num_classes``) trains on ``labels`` beside the images.
    """

    def __init__(
        self, images: np.ndarray, config: TrainConfig, labels: np.ndarray | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.labels = labels
        self.batch_size = config.batch_size
        self.gan = build_gan(config)
        self.precision = self.gan.precision.policy
        self.generator = self.gan.sampler  # what the run would save and sample from
        self.trained_generator = self.gan.generator  # the same model without an average
        self.images = images

    def _dataset(self, steps: int | None):
        return make_dataset(
            self.images,
            self.batch_size,
            seed=self.config.seed,
            start_step=self.gan.step,
            num_steps=steps,
            labels=self.labels,
        )

    def _steps(self, steps: int) -> None:
        self.gan.fit(
            self._dataset(steps), epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False
        )

    def train_for(self, seconds: float) -> float:
        # One fit call per interval, as a reader's run makes: no set-up cost per step.
        started = time.perf_counter()
        first_step = self.gan.step
        stop = _StopAfter(started + seconds)
        longest = 10**7 // self.batch_size
        self.gan.fit(
            self._dataset(longest),
            epochs=1,
            steps_per_epoch=longest,
            verbose=0,
            shuffle=False,  # the dataset is already shuffled, step by step
            callbacks=[stop],
        )
        self.steps_done += self.gan.step - first_step
        return time.perf_counter() - started
