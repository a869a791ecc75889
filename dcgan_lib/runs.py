"""Training runs and their directories: train, resume, and read what a run made.

A run directory holds::

    config.json              the TrainConfig of the run
    history.jsonl            a row of metrics every log_every steps
    samples/step_000200.png  grids from fixed noise every sample_every steps
    checkpoints/             weights, optimizer and random state, to resume
    snapshots/               generator weights every snapshot_every steps
    generator.weights.h5     the final generator (the averaged one, if kept)
    metrics.jsonl            quality measured at each snapshot
    record.json              the precision each session computed in, and why;
                             for a published run also how it was made

:class:`RunDirectory` is the one place that knows these names: everything that
writes or reads a run goes through it. :func:`train` writes one (the command
line's ``python -m dcgan_lib train`` calls it; chapter "Implementation" trains a
short run with it), and :func:`load_generator` loads the generator of a run.

A checkpoint holds one copy of every variable, so a run can be resumed under
another ``tf.distribute`` strategy (:mod:`dcgan_lib.distribute`); with another
global batch, though, the data and the noise differ from the uninterrupted run's.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
from dcgan_lib.gan import DCGAN, build_gan, check_jit_compile
from dcgan_lib.hardware import PrecisionChoice
from dcgan_lib.latent import sample_noise
from dcgan_lib.models import build_generator

GENERATOR_FILE = "generator.weights.h5"
_SAMPLE_NAME = re.compile(r"step_(\d+)\.png")
_SNAPSHOT_NAME = re.compile(r"generator_step_(\d+)\.weights\.h5")

# Settings that only change what a run writes, and when: a resumed run may change them.
# Every other setting shapes the training itself, and a resumed run must keep it.
RESUMABLE_SETTINGS = (
    "steps",
    "sample_every",
    "checkpoint_every",
    "log_every",
    "snapshot_every",
    "steps_per_execution",
    "jit_compile",
)


@dataclasses.dataclass(frozen=True)
class RunDirectory:
    """The files of one training run (see the module docstring for the layout).

    >>> run = RunDirectory("runs/my-run")
    >>> run.history()[-1]["d_loss"]      # the last logged discriminator loss
    >>> run.load_generator()             # the final generator
    >>> run.load_generator(step=1000)    # a snapshot
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    config_path = property(lambda self: self.root / "config.json", doc="The TrainConfig.")
    history_path = property(lambda self: self.root / "history.jsonl", doc="The logged rows.")
    samples_dir = property(lambda self: self.root / "samples", doc="The sample grids.")
    snapshots_dir = property(lambda self: self.root / "snapshots", doc="Generator snapshots.")
    checkpoints_dir = property(lambda self: self.root / "checkpoints", doc="The checkpoints.")
    generator_path = property(lambda self: self.root / GENERATOR_FILE, doc="Final generator.")
    metrics_path = property(lambda self: self.root / "metrics.jsonl", doc="Measured quality.")
    record_path = property(lambda self: self.root / "record.json", doc="How it was made.")

    def sample_path(self, step: int) -> Path:
        """Where the sample grid of ``step`` is saved: ``samples/step_000200.png``."""
        return self.samples_dir / f"step_{step:06d}.png"

    def snapshot_path(self, step: int) -> Path:
        """Where the generator snapshot of ``step`` is saved."""
        return self.snapshots_dir / f"generator_step_{step:06d}.weights.h5"

    def config(self) -> TrainConfig:
        """The run's configuration.

        Raises:
            ConfigError: the directory holds no readable ``config.json``.
        """
        return TrainConfig.load(self.config_path)

    def history(self) -> list[dict[str, float]]:
        """The rows of ``history.jsonl``: step, d_loss, g_loss, d_real, d_fake, seconds.

        A run stopped by a non-finite value ends with a row of the step and those values.
        """
        return _read_json_lines(self.history_path)

    def write_history(self, rows: list[dict[str, float]]) -> None:
        """Replace the history with ``rows``."""
        _write_json_lines(self.history_path, rows)

    def append_history(self, row: dict[str, float]) -> None:
        """Add one row at the end of the history."""
        with self.history_path.open("a") as file:
            file.write(json.dumps(row) + "\n")

    def metrics(self) -> list[dict[str, Any]]:
        """The rows of ``metrics.jsonl``: quality measured at each snapshot."""
        return _read_json_lines(self.metrics_path)

    def write_metrics(self, rows: list[dict[str, Any]]) -> None:
        """Replace ``metrics.jsonl`` with ``rows``."""
        _write_json_lines(self.metrics_path, rows)

    def record(self) -> dict[str, Any]:
        """The run's ``record.json``: its precisions and, if published, how it was made."""
        return json.loads(_existing(self.record_path).read_text())

    def write_record(self, record: dict[str, Any]) -> None:
        """Write ``record.json``."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.record_path.write_text(json.dumps(record, indent=2) + "\n")

    def record_precision(self, step: int, choice: PrecisionChoice) -> None:
        """Add to ``record.json`` that training from ``step`` on computes as ``choice`` says.

        A run resumed on another machine may compute in another precision (with
        ``precision="auto"``), so each training session adds its own entry.
        """
        record = self.record() if self.record_path.is_file() else {}
        entry = {"from_step": step, "policy": choice.policy, "reason": choice.reason}
        sessions = [row for row in record.get("precision", []) if row["from_step"] < step]
        self.write_record({**record, "precision": [*sessions, entry]})

    def samples(self) -> dict[int, Path]:
        """The run's sample grids by step, in step order."""
        return _files_by_step(self.samples_dir, _SAMPLE_NAME)

    def snapshot_steps(self) -> list[int]:
        """The steps at which the run saved a generator snapshot, in order."""
        return list(_files_by_step(self.snapshots_dir, _SNAPSHOT_NAME))

    def latest_checkpoint(self) -> str | None:
        """The checkpoint a resumed run starts from, or ``None``."""
        return tf.train.latest_checkpoint(str(self.checkpoints_dir))

    def load_generator(self, step: int | None = None) -> keras.Model:
        """The run's final generator, or its snapshot at ``step``.

        Raises:
            DataError: the weights are missing or do not fit the run's architecture.
        """
        if step is None:
            return load_generator(self.generator_path)
        if not self.snapshot_path(step).is_file():
            available = ", ".join(str(s) for s in self.snapshot_steps()) or "none"
            raise DataError(f"{self.root} has no snapshot at step {step} (snapshots: {available}).")
        return _generator_with_weights(self.snapshot_path(step), self.config())


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise DataError(f"{path} is missing: is {path.parent} a run directory?")
    return path


def _read_json_lines(path: Path) -> list[dict[str, Any]]:
    lines = _existing(path).read_text().splitlines()
    try:
        return [json.loads(line) for line in lines if line.strip()]
    except json.JSONDecodeError as error:
        raise DataError(f"{path} is not a JSON-lines file: {error}") from error


def _write_json_lines(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(dict(row)) + "\n" for row in rows))


def _files_by_step(directory: Path, pattern: re.Pattern[str]) -> dict[int, Path]:
    matches = (pattern.fullmatch(path.name) for path in directory.glob("*"))
    return dict(sorted((int(match[1]), directory / match[0]) for match in matches if match))


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
    config_file = RunDirectory(weights.parent).config_path
    config = TrainConfig.load(config_file) if config_file.is_file() else TrainConfig()
    return _generator_with_weights(weights, config)


def _generator_with_weights(weights: Path, config: TrainConfig) -> keras.Model:
    generator = build_generator(
        config.latent_dim,
        config.variant,
        kernel_size=config.kernel_size,
        upsampling=config.upsampling,
        num_classes=config.num_classes,
    )
    try:
        generator.load_weights(weights)
    except Exception as error:  # h5py and Keras raise many types for a bad file
        raise DataError(
            f"{weights} could not be loaded as generator weights for the {config.variant!r} "
            f"model with latent_dim={config.latent_dim}: {error}"
        ) from error
    return generator


def fixed_noise(config: TrainConfig) -> np.ndarray:
    """The noise batch behind every sample grid of a run (same seed, same digits' z)."""
    return sample_noise(config.num_samples, config.latent_dim, config.seed)


def fixed_digits(config: TrainConfig) -> np.ndarray | None:
    """The digits a conditional run's sample grids ask for: 0, 1, 2... in turn; else ``None``.

    With 100 samples the grid's ten columns are the ten digits.
    """
    if not config.num_classes:
        return None
    return np.arange(config.num_samples, dtype=np.int32) % config.num_classes


def check_labels(config: TrainConfig, labels: np.ndarray | None) -> None:
    """Refuse labels a run cannot use: missing for a conditional run, given to another.

    Raises:
        ConfigError: labels missing or unwanted.
        DataError: labels outside ``0 .. num_classes - 1``.
    """
    if not config.num_classes:
        if labels is not None:
            raise ConfigError("labels are only used by a conditional run (num_classes > 0).")
        return
    if labels is None:
        raise ConfigError("a conditional run (num_classes > 0) trains on labels: pass labels.")
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= config.num_classes):
        raise DataError(
            f"labels must lie in 0..{config.num_classes - 1}, got {labels.min()}..{labels.max()}."
        )


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
    generator if there is one, both optimizers (moments and step counters),
    the training step and the random states of the noise and of dropout.
    """
    averaged = {} if gan.averaged_generator is None else {"averaged": gan.averaged_generator}
    checkpoint = tf.train.Checkpoint(
        generator=gan.generator,
        discriminator=gan.discriminator,
        g_optimizer=gan.g_optimizer,
        d_optimizer=gan.d_optimizer,
        step=gan.step_counter.value,
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
    labels: np.ndarray | None = None,
) -> DCGAN:
    """Train a DCGAN on ``images`` for ``config.steps`` steps, writing a run directory.

    Args:
        config: every hyperparameter of the run.
        images: uint8 training images, shape (N, 28, 28).
        labels: each image's digit, shape (N,): needed by a conditional run
            (``config.num_classes``), and refused by any other.
        run_dir: output directory (see the module docstring for its layout).
        resume: continue from the latest checkpoint in ``run_dir`` up to
            ``config.steps``. ``config`` may change the settings of
            :data:`RESUMABLE_SETTINGS` (the new values are saved in
            ``config.json``); any other change is refused.
        verbose: Keras' ``fit`` verbosity (``2`` prints one line per epoch).
        extra_callbacks: more Keras callbacks to run during ``fit``.
        strategy: the ``tf.distribute`` strategy to train under; by default the
            active one, usually none (see :mod:`dcgan_lib.distribute`).

    Returns:
        The trained DCGAN.

    Raises:
        ConfigError: invalid values, e.g. a global batch larger than the data,
            ``resume`` without a checkpoint or with a changed training setting,
            or ``jit_compile`` with several GPU or CPU replicas.
        TrainingDivergedError: a loss became NaN or infinite; the last good
            checkpoint is kept.
    """
    run = RunDirectory(run_dir)
    strategy = strategy or tf.distribute.get_strategy()
    check_labels(config, labels)
    if resume:
        check_resumable(run, config)
    check_jit_compile(config, strategy)
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
    run.root.mkdir(parents=True, exist_ok=True)
    config.save(run.config_path)

    gan = build_gan(config, strategy)
    manager = make_checkpoint(gan, run.checkpoints_dir)
    if resume:
        manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    run.record_precision(gan.step, gan.precision)

    def last_checkpoint_hint() -> str:
        if manager.latest_checkpoint is None:
            return ""
        return f"The last good checkpoint is kept in {manager.latest_checkpoint}. "

    callbacks = [
        StopOnNonFinite(last_checkpoint_hint, run),
        HistoryLogger(run, config.log_every),
        SampleGrid(run, fixed_noise(config), config.sample_every, fixed_digits(config)),
        CheckpointEvery(lambda step: manager.save(checkpoint_number=step), config.checkpoint_every),
    ]
    if config.snapshot_every:
        callbacks.append(GeneratorSnapshots(run, config.snapshot_every))
    callbacks += extra_callbacks or []
    _fit_in_epochs(gan, config, images, labels, batch_size, callbacks, verbose)
    gan.sampler.save_weights(run.generator_path)
    return gan


def check_resumable(
    run: RunDirectory, config: TrainConfig, names: Mapping[str, str] | None = None
) -> None:
    """Check that ``run`` can be resumed with ``config``.

    Args:
        names: what to call each setting in the error (the command line's options).

    Raises:
        ConfigError: the run has no checkpoint, or ``config`` changes a setting
            that shapes training (one line naming each setting and its saved value).
    """
    if run.latest_checkpoint() is None:
        raise ConfigError(f"cannot resume: no checkpoint in {run.checkpoints_dir}.")
    saved, names = run.config(), names or {}
    changed = {
        f"{names.get(field.name, field.name)} {getattr(config, field.name)} "
        f"(the run has {getattr(saved, field.name)})"
        for field in dataclasses.fields(TrainConfig)
        if field.name not in RESUMABLE_SETTINGS
        and getattr(config, field.name) != getattr(saved, field.name)
    }
    if changed:
        raise ConfigError(
            f"cannot resume {run.root} with {'; '.join(sorted(changed))}: a resumed run keeps "
            "the settings it was trained with. Start a new run to change them."
        )


def _fit_in_epochs(
    gan: DCGAN,
    config: TrainConfig,
    images: np.ndarray,
    labels: np.ndarray | None,
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
            images,
            batch_size,
            seed=config.seed,
            start_step=step,
            num_steps=end - step,
            labels=labels,
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
