"""A complete training run in one directory: train, resume, and load what it made.

A run directory holds::

    config.json              the TrainConfig of the run
    history.jsonl            one row of metrics every ``log_every`` steps
    samples/step_000200.png  grids from fixed noise every ``sample_every`` steps
    checkpoints/             weights, optimizer state and random state, to resume
    snapshots/               generator weights every ``snapshot_every`` steps, if asked for
    generator.weights.h5     the final generator (the averaged one, if the run keeps one)

Chapter 3 trains a short run with :func:`train`; the command line
(``python -m dcgan_lib train``) calls the same function.

Training can be spread over several devices with a ``tf.distribute`` strategy
(:mod:`dcgan_lib.distribute`). ``TrainConfig.batch_size`` is then the batch of
each replica: a step trains on ``batch_size * replicas`` images, the data
pipeline makes batches of that global size, and ``config.steps`` counts these
global steps. A checkpoint holds one copy of every variable, so it can be
resumed under another strategy or number of replicas; the step count and the
random states carry over, but with a different global batch the order of the
data and the noise differ from what the uninterrupted run would have seen.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.callbacks import (
    CheckpointEvery,
    GeneratorSnapshots,
    HistoryLogger,
    SampleGrid,
    StopOnNonFinite,
)
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import make_dataset, steps_per_epoch
from dcgan_lib.distribute import global_batch_size
from dcgan_lib.errors import ConfigError, DataError
from dcgan_lib.gan import DCGAN, build_optimizers
from dcgan_lib.models import build_discriminator, build_generator

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.jsonl"
SAMPLES_DIR = "samples"
SNAPSHOTS_DIR = "snapshots"
CHECKPOINTS_DIR = "checkpoints"
GENERATOR_FILE = "generator.weights.h5"


@dataclasses.dataclass(frozen=True)
class RunPaths:
    """The files of a run directory."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def history(self) -> Path:
        return self.root / HISTORY_FILE

    @property
    def samples(self) -> Path:
        return self.root / SAMPLES_DIR

    @property
    def snapshots(self) -> Path:
        return self.root / SNAPSHOTS_DIR

    @property
    def checkpoints(self) -> Path:
        return self.root / CHECKPOINTS_DIR

    @property
    def generator(self) -> Path:
        return self.root / GENERATOR_FILE


def build_gan(config: TrainConfig, strategy: tf.distribute.Strategy | None = None) -> DCGAN:
    """Build and compile a DCGAN exactly as ``config`` describes, seeded by ``config.seed``.

    Args:
        config: the hyperparameters of the run.
        strategy: the ``tf.distribute`` strategy to train under; its scope holds
            every variable (weights, optimizer slots, metrics, random states),
            and ``fit`` then runs each step on all its replicas. By default, the
            strategy whose scope is active (usually none: one device).
    """
    strategy = strategy or tf.distribute.get_strategy()
    _check_jit_compile(config, strategy)
    with strategy.scope():
        keras.utils.set_random_seed(config.seed)
        generator = build_generator(
            config.latent_dim, config.variant, seed=config.seed, dtype=config.precision
        )
        discriminator = build_discriminator(
            config.variant, seed=config.seed, dtype=config.precision
        )
        gan = DCGAN(
            generator,
            discriminator,
            config.latent_dim,
            seed=config.seed,
            ema_decay=config.ema_decay,
        )
        g_optimizer, d_optimizer = build_optimizers(
            config.g_learning_rate,
            config.d_learning_rate,
            config.beta_1,
            config.beta_2,
            loss_scaling=config.precision == "mixed_float16",
        )
        gan.compile(
            g_optimizer=g_optimizer,
            d_optimizer=d_optimizer,
            label_smoothing=config.label_smoothing,
            jit_compile=config.jit_compile,
            steps_per_execution=config.steps_per_execution,
        )
        # Optimizer slots are created lazily; building them now lets a checkpoint
        # restore into them before the first step.
        g_optimizer.build(generator.trainable_variables)
        d_optimizer.build(discriminator.trainable_variables)
    return gan


def _check_jit_compile(config: TrainConfig, strategy: tf.distribute.Strategy) -> None:
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


def fixed_noise(config: TrainConfig) -> np.ndarray:
    """The noise batch behind every sample grid of a run (same seed, same digits' z)."""
    rng = np.random.default_rng(config.seed)
    return rng.standard_normal((config.num_samples, config.latent_dim)).astype(np.float32)


def _random_states(gan: DCGAN) -> dict[str, tf.Variable]:
    """Every random-number state that training advances: noise and dropout masks."""
    states = {"noise": gan.noise_seed.state.value}
    for layer in gan.discriminator.layers + gan.generator.layers:
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            states[f"{layer.name}_seed"] = generator.state.value
    return states


def make_checkpoint(gan: DCGAN, directory: str | Path) -> tf.train.CheckpointManager:
    """A checkpoint manager for everything needed to resume ``gan`` exactly.

    That is both networks (weights and batch-norm statistics), the averaged
    generator if there is one, both optimizers (moments and step counters,
    which also give the training step) and the random states of the noise and
    of dropout.
    """
    averaged = {} if gan.averaged_generator is None else {"averaged": gan.averaged_generator}
    checkpoint = tf.train.Checkpoint(
        generator=gan.generator,
        discriminator=gan.discriminator,
        g_optimizer=gan.g_optimizer,
        d_optimizer=gan.d_optimizer,
        **averaged,
        **_random_states(gan),
    )
    return tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=2)


def train(
    config: TrainConfig,
    images: np.ndarray,
    run_dir: str | Path,
    *,
    resume: bool = False,
    verbose: int | str = "auto",
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
    strategy: tf.distribute.Strategy | None = None,
) -> DCGAN:
    """Train a DCGAN on ``images`` for ``config.steps`` steps, writing a run directory.

    Args:
        config: every hyperparameter of the run.
        images: uint8 training images, shape (N, 28, 28).
        run_dir: output directory (see the module docstring for its layout).
        resume: continue from the latest checkpoint in ``run_dir``, with the
            configuration saved there; training then ends at ``config.steps``.
        verbose: Keras' ``fit`` verbosity (``2`` prints one line per epoch).
        extra_callbacks: more Keras callbacks to run during ``fit``.
        strategy: the ``tf.distribute`` strategy to train under (see
            :mod:`dcgan_lib.distribute`); by default the active one, usually
            none. ``config.batch_size`` is per replica, so each step trains on
            ``config.batch_size`` times the number of replicas images.

    Returns:
        The trained DCGAN.

    Raises:
        ConfigError: invalid values, e.g. a global batch larger than the data,
            ``resume`` without a checkpoint, or ``jit_compile`` with several
            GPU or CPU replicas.
        TrainingDivergedError: a loss became NaN or infinite; the last good
            checkpoint is kept.
    """
    paths = RunPaths(Path(run_dir))
    strategy = strategy or tf.distribute.get_strategy()
    if resume:
        config = _config_for_resume(paths, config)
    _check_jit_compile(config, strategy)
    batch_size = global_batch_size(config.batch_size, strategy)
    if len(images) < batch_size:
        per_replica = (
            f" ({config.batch_size} on each of {strategy.num_replicas_in_sync} replicas)"
            if batch_size != config.batch_size
            else ""
        )
        raise ConfigError(
            f"batch size {batch_size}{per_replica} is larger than the data ({len(images)} images)."
        )
    paths.root.mkdir(parents=True, exist_ok=True)
    config.save(paths.config)

    gan = build_gan(config, strategy)
    manager = make_checkpoint(gan, paths.checkpoints)
    if resume:
        manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()

    def last_checkpoint_hint() -> str:
        if manager.latest_checkpoint is None:
            return ""
        return f"The last good checkpoint is kept in {manager.latest_checkpoint}. "

    callbacks = [
        StopOnNonFinite(last_checkpoint_hint),
        HistoryLogger(paths.history, config.log_every),
        SampleGrid(paths.samples, fixed_noise(config), config.sample_every),
        CheckpointEvery(lambda step: manager.save(checkpoint_number=step), config.checkpoint_every),
    ]
    if config.snapshot_every:
        callbacks.append(GeneratorSnapshots(paths.snapshots, config.snapshot_every))
    callbacks += extra_callbacks or []
    _fit_in_epochs(gan, config, images, batch_size, callbacks, verbose)
    gan.sampler.save_weights(paths.generator)
    return gan


def _config_for_resume(paths: RunPaths, requested: TrainConfig) -> TrainConfig:
    if not tf.train.latest_checkpoint(str(paths.checkpoints)):
        raise ConfigError(f"cannot resume: no checkpoint in {paths.checkpoints}.")
    saved = TrainConfig.load(paths.config)
    return saved.replace(steps=requested.steps)


def _fit_in_epochs(
    gan: DCGAN,
    config: TrainConfig,
    images: np.ndarray,
    batch_size: int,
    callbacks: list[keras.callbacks.Callback],
    verbose: int | str,
) -> None:
    """Run ``fit`` once per data epoch, so Keras' "Epoch k/n" counts real epochs.

    A run resumed mid-epoch first finishes that epoch; the data pipeline is
    indexed by step, so it continues with the very batch that came next.
    ``batch_size`` is the global batch; ``fit`` splits each batch among the
    replicas of the model's strategy.
    """
    per_epoch = steps_per_epoch(len(images), batch_size)
    step = gan.step
    while step < config.steps:
        epoch = step // per_epoch
        end = min((epoch + 1) * per_epoch, config.steps)
        dataset = make_dataset(
            images, batch_size, seed=config.seed, start_step=step, num_steps=end - step
        )
        gan.fit(
            dataset,
            initial_epoch=epoch,
            epochs=epoch + 1,
            steps_per_epoch=end - step,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,
        )
        if gan.stop_training:
            break
        step = gan.step


def load_generator(path: str | Path) -> keras.Model:
    """Load a trained generator from a run directory or a ``.weights.h5`` file.

    The architecture comes from the run's ``config.json`` (beside the weights
    file, or in the directory); without one, the book's default is assumed.

    Raises:
        DataError: the weights file is missing or does not fit the architecture.
    """
    path = Path(path)
    weights = path / GENERATOR_FILE if path.is_dir() else path
    if not weights.is_file():
        raise DataError(f"generator weights not found: {weights}")
    config_file = weights.parent / CONFIG_FILE
    config = TrainConfig.load(config_file) if config_file.is_file() else TrainConfig()
    generator = build_generator(config.latent_dim, config.variant)
    try:
        generator.load_weights(weights)
    except Exception as error:  # h5py and Keras raise many types for a bad file
        raise DataError(
            f"{weights} could not be loaded as generator weights for the {config.variant!r} "
            f"model with latent_dim={config.latent_dim}: {error}"
        ) from error
    return generator
