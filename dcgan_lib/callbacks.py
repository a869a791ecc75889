"""Keras callbacks for a DCGAN run: samples, history, checkpoints, divergence guard.

All of them key on the global training step (``DCGAN.step``), not on Keras'
per-epoch batch index, so a resumed run keeps writing where it stopped. Those
that write files write into a :class:`dcgan_lib.runs.RunDirectory`, which names them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.errors import TrainingDivergedError
from dcgan_lib.grids import save_image_grid

if TYPE_CHECKING:
    from dcgan_lib.runs import RunDirectory


class EverySteps(keras.callbacks.Callback):
    """Call :meth:`save` at step 0 (the untrained networks) and every ``every`` steps."""

    def __init__(self, run: RunDirectory, every: int) -> None:
        super().__init__()
        self.run = run
        self.every = every

    def save(self, step: int) -> None:
        raise NotImplementedError

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.model.step == 0:
            self.save(0)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.model.step % self.every == 0:
            self.save(self.model.step)


class SampleGrid(EverySteps):
    """Save a PNG grid of G(z) for one fixed batch of noise every ``every`` steps.

    Fixed noise makes the grids comparable: the same z, drawn by a generator that
    keeps learning (chapter "Training results" shows them as a training film). The
    digits are drawn by the model's ``sampler``: the averaged generator if kept. A
    conditional generator is asked for the fixed ``digits``.
    """

    def __init__(
        self, run: RunDirectory, noise: np.ndarray, every: int, digits: np.ndarray | None = None
    ) -> None:
        super().__init__(run, every)
        self.inputs = tf.constant(noise, tf.float32)
        if digits is not None:
            self.inputs = [self.inputs, tf.constant(digits, tf.int32)]

    def save(self, step: int) -> None:
        images = self.model.sampler(self.inputs, training=False)
        save_image_grid(np.asarray(images), self.run.sample_path(step))


class HistoryLogger(keras.callbacks.Callback):
    """Append one JSON line of metrics every ``every`` steps.

    Each row holds ``step``, the means of ``d_loss``, ``g_loss``, ``d_real`` and
    ``d_fake`` over the steps since the previous row, and ``seconds`` of
    training so far. Keras reports running means since the start of its epoch,
    so the sum over a window is recovered from two of them, and a window that
    spans the end of an epoch carries that epoch's tail over. The logger lives
    across the ``fit`` calls of a run (one per epoch, see :func:`dcgan_lib.runs.train`);
    when a run is resumed it first drops rows past its checkpoint, so the file
    never holds a step twice, and its clock continues from the last kept row.
    """

    def __init__(self, run: RunDirectory, every: int) -> None:
        super().__init__()
        self.run = run
        self.every = every
        self._opened = False
        self._elapsed_before = 0.0
        self._started = time.perf_counter()
        self._epoch_count = 0  # steps of the current epoch so far
        self._previous_count = 0  # epoch steps already covered by a row or the carry
        self._previous_sums: dict[str, float] = {}
        self._carry_count = 0  # steps of earlier epochs not yet in a row
        self._carry_sums: dict[str, float] = {}

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._opened:
            rows = self.run.history() if self.run.history_path.exists() else []
            kept = [row for row in rows if row["step"] <= self.model.step]
            self._elapsed_before = kept[-1]["seconds"] if kept else 0.0
            self.run.write_history(kept)
            self._opened = True
        self._started = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_count, self._previous_count, self._previous_sums = 0, 0, {}

    def _fold(self, logs: dict[str, Any]) -> tuple[int, dict[str, float]]:
        """Steps and metric sums since the last row, including earlier epochs' tails."""
        sums = {name: float(value) * self._epoch_count for name, value in logs.items()}
        count = self._carry_count + self._epoch_count - self._previous_count
        window = {
            name: self._carry_sums.get(name, 0.0) + total - self._previous_sums.get(name, 0.0)
            for name, total in sums.items()
        }
        self._previous_count, self._previous_sums = self._epoch_count, sums
        return count, window

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_count = batch + 1
        step = self.model.step
        if step % self.every or not logs:
            return
        count, sums = self._fold(logs)
        self._carry_count, self._carry_sums = 0, {}
        row: dict[str, float] = {"step": step}
        row.update({name: total / count for name, total in sums.items()})
        row["seconds"] = round(self._elapsed_before + time.perf_counter() - self._started, 3)
        self.run.append_history(row)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs and self._epoch_count > self._previous_count:
            self._carry_count, self._carry_sums = self._fold(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._elapsed_before += time.perf_counter() - self._started
        self._started = time.perf_counter()


class GeneratorSnapshots(EverySteps):
    """Save the weights of the model's ``sampler`` every ``every`` steps (and at step 0).

    Unlike checkpoints, which only keep the latest states for resuming, the
    snapshots stay, so quality can be measured along the whole run (chapter "Evaluation").
    """

    def save(self, step: int) -> None:
        self.run.snapshots_dir.mkdir(parents=True, exist_ok=True)
        self.model.sampler.save_weights(self.run.snapshot_path(step))


class CheckpointEvery(keras.callbacks.Callback):
    """Call ``save(step)`` every ``every`` steps and when training ends.

    A checkpoint is only written while every logged value is finite, so a
    diverged run never overwrites its last good state.
    """

    def __init__(self, save: Callable[[int], Any], every: int) -> None:
        super().__init__()
        self.save = save
        self.every = every
        self._healthy = True

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._healthy = all(math.isfinite(float(v)) for v in (logs or {}).values())
        if self._healthy and self.model.step % self.every == 0:
            self.save(self.model.step)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._healthy:
            self.save(self.model.step)


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop with :class:`TrainingDivergedError` as soon as a logged value is NaN or infinite.

    With a ``run``, the step and its non-finite values are first added to the
    run's history, so the run itself records where and how it diverged.
    """

    def __init__(
        self, checkpoint_hint: Callable[[], str] | None = None, run: RunDirectory | None = None
    ) -> None:
        super().__init__()
        self.checkpoint_hint = checkpoint_hint
        self.run = run

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        bad = {k: float(v) for k, v in (logs or {}).items() if not math.isfinite(float(v))}
        if not bad:
            return
        self.model.stop_training = True
        if self.run is not None:
            self.run.append_history({"step": self.model.step, **bad})
        values = ", ".join(f"{k}={v}" for k, v in sorted(bad.items()))
        hint = self.checkpoint_hint() if self.checkpoint_hint else ""
        raise TrainingDivergedError(
            f"training diverged at step {self.model.step}: {values}. {hint}"
            "Lower the learning rates or check the input data (it must be scaled to [-1, 1])."
        )
