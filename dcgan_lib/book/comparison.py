"""The runs chapter "Evaluation" compares, and measuring a run over its training.

Part of the book's helpers, not of ``dcgan_lib``'s API.
:mod:`dcgan_lib.metrics` scores one generator. This module scores a run: every
generator snapshot it saved, so quality can be followed over training and runs
with different settings can be compared at equal cost.

* :func:`evaluate_snapshots` measures each snapshot of a run directory and
  writes one row per snapshot to its ``metrics.jsonl``: the step, the training
  images seen, the training seconds so far, and every metric.
* :func:`load_comparison` and :func:`load_comparison_run` read the measured
  runs shipped in ``assets/comparison/`` (put there by
  ``python -m dcgan_lib.book.assets export-comparison``).
* The ``format_*`` functions print their tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dcgan_lib.assets import asset_path
from dcgan_lib.book.results import read_image_grid
from dcgan_lib.config import TrainConfig
from dcgan_lib.errors import DataError
from dcgan_lib.metrics import (
    COVERAGE_MIN_SHARE,
    DEFAULT_K,
    DEFAULT_NUM_SAMPLES,
    EvaluationResult,
    cached_reference,
    default_num_samples,
    evaluate_generator,
    reference_cache_path,
)
from dcgan_lib.pretrained import reference_run
from dcgan_lib.runs import RunDirectory
from dcgan_lib.tables import text_table

COMPARISON = "comparison"
# The four configurations trained on the same budget of training images, in the
# order the chapter shows them: the book's own first.
COMPARISON_NAMES = ("book", "blog", "tutorial", "paper")


# --- Measuring a run ----------------------------------------------------------------------------


def evaluate_snapshots(
    run_dir: str | Path,
    num_samples: int | None = None,
    *,
    seed: int = 0,
    data: str | Path | None = None,
    out: str | Path | None = None,
) -> list[dict[str, Any]]:
    """Measure each generator snapshot of a run; write the rows to ``metrics.jsonl``.

    Each snapshot is scored exactly as :func:`dcgan_lib.metrics.evaluate_generator`
    scores a generator, with the same noise and the same real test digits for
    every snapshot, so the rows differ only by the generator. Compare them with
    :func:`dcgan_lib.metrics.reference_metrics` called with the same
    ``num_samples``, ``seed`` and ``data``.

    Args:
        run_dir: a run directory with ``config.json``, ``history.jsonl`` and ``snapshots/``.
        num_samples: images per snapshot; ``None`` for
            :func:`dcgan_lib.metrics.default_num_samples` (5,000, or 500 in a short run).
        seed: fixes the noise and the choice of real digits.
        data: where the real digits come from (see :func:`dcgan_lib.metrics.load_real_splits`).
        out: the run directory whose ``metrics.jsonl`` to write; by default ``run_dir``.

    Returns:
        One row per snapshot, in step order: ``step``, ``images_seen`` (steps times
        the batch size), ``seconds`` (training time up to that step, from the
        history row of that step; 0 at step 0, ``None`` when the history has no
        row there), ``seed``, and every field of
        :class:`dcgan_lib.metrics.EvaluationResult`.

    Raises:
        DataError: the run has no snapshots.
    """
    run = RunDirectory(run_dir)
    steps = run.snapshot_steps()
    if not steps:
        raise DataError(f"{run.root} has no generator snapshots; train with snapshot_every > 0.")
    config = run.config()
    seconds_at = {int(row["step"]): row["seconds"] for row in run.history() if "seconds" in row}
    seconds_at[0] = 0.0
    num_samples = num_samples or default_num_samples()
    rows = []
    for step in steps:
        generator = run.load_generator(step)
        result = evaluate_generator(generator, num_samples, seed=seed, data=data)
        rows.append(
            {
                "step": step,
                "images_seen": step * config.batch_size,
                "seconds": seconds_at.get(step),
                "seed": seed,
                **result.to_dict(),
            }
        )
    (run if out is None else RunDirectory(out)).write_metrics(rows)
    return rows


def as_result(row: Mapping[str, Any]) -> EvaluationResult:
    """The :class:`dcgan_lib.metrics.EvaluationResult` inside a metrics row."""
    fields = {field.name for field in dataclasses.fields(EvaluationResult)}
    return EvaluationResult.from_dict({name: row[name] for name in fields})


# --- Reading the shipped measurements -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ComparisonRun:
    """The shipped artifacts of one run of the comparison (section "Comparing configurations").

    Attributes:
        name: the run's name, e.g. ``"blog"``.
        directory: where its files are.
        config: its training configuration.
        history: its history rows (losses, D outputs, seconds), up to the last measured step.
        metrics: one row per measured snapshot (see :func:`evaluate_snapshots`).
        samples: sample grids, by step.
    """

    name: str
    directory: Path
    config: TrainConfig
    history: list[dict[str, float]]
    metrics: list[dict[str, Any]]
    samples: dict[int, Path]

    @property
    def final(self) -> dict[str, Any]:
        """The metrics row of the last measured snapshot."""
        return self.metrics[-1]

    @property
    def final_result(self) -> EvaluationResult:
        """The metrics of the last measured snapshot, as an ``EvaluationResult``."""
        return as_result(self.final)

    def digits(self, step: int) -> np.ndarray:
        """The digits of the sample grid of ``step``, uint8 (N, 28, 28)."""
        return read_image_grid(self.samples[step], self.config.num_samples)

    @property
    def final_digits(self) -> np.ndarray:
        """The digits of the sample grid of the last measured snapshot."""
        return self.digits(self.final["step"])

    def settings(self) -> str:
        """The settings that tell the runs apart, in one line: optimizer, batch, average, model."""
        c = self.config
        lr = f"{c.g_learning_rate:g}" if c.g_learning_rate == c.d_learning_rate else "mixed"
        average = f"averaged G ({c.ema_decay:g})" if c.ema_decay else "no average"
        return f"Adam {lr}, beta_1 {c.beta_1:g}, batch {c.batch_size}, {average}, {c.variant} model"


def comparison_dir() -> Path:
    """Where the package keeps the comparison runs: ``dcgan_lib/assets/comparison``."""
    return asset_path(COMPARISON)


def load_comparison_run(name: str, directory: str | Path | None = None) -> ComparisonRun:
    """Read one exported run, e.g. ``"blog"`` (chapters "Evaluation", "When training fails").

    Args:
        name: the run's directory name.
        directory: the folder holding the runs; by default :func:`comparison_dir`.

    Raises:
        DataError: the run or one of its files is missing.
    """
    run = RunDirectory((comparison_dir() if directory is None else Path(directory)) / name)
    if not run.root.is_dir():
        raise DataError(
            f"no comparison run {name!r} in {run.root.parent}; reinstall dcgan_lib to get the "
            "shipped runs back."
        )
    return ComparisonRun(
        name=name,
        directory=run.root,
        config=run.config(),
        history=run.history(),
        metrics=run.metrics(),
        samples=run.samples(),
    )


def load_comparison(
    names: Sequence[str] = COMPARISON_NAMES, directory: str | Path | None = None
) -> dict[str, ComparisonRun]:
    """The runs of the comparison at equal budget, by name, in the chapter's order.

    Args:
        names: which runs to read; by default the book's, the blog's, the
            tutorial's and the paper's configurations.
        directory: the folder holding the runs; by default :func:`comparison_dir`.
    """
    return {name: load_comparison_run(name, directory) for name in names}


def reference_metrics_over_training() -> list[dict[str, Any]]:
    """The book's reference run measured at each of its snapshots (chapter "Evaluation").

    Read from ``dcgan_lib/assets/reference_run/metrics.jsonl``; the rows are
    those of :func:`evaluate_snapshots`.
    """
    return reference_run().metrics()


def shipped_reference(
    num_samples: int = DEFAULT_NUM_SAMPLES, seed: int = 0, k: int = DEFAULT_K
) -> EvaluationResult:
    """The cached metrics of real MNIST digits that the shipped measurements are read against.

    The shipped runs were measured with 5,000 samples of full MNIST, so their
    yardstick is the cached reference at that size, whichever data the reader
    has: it is read from ``assets/reference_metrics.json`` and needs no MNIST
    (chapter "Evaluation").

    Raises:
        DataError: the cache has no entry for these settings, or was computed
            with other classifier weights.
    """
    cached = cached_reference("mnist", num_samples, seed, k)
    if cached is not None:
        return cached
    raise DataError(
        f"no cached reference for {num_samples} MNIST digits (seed {seed}, k={k}) in "
        f"{reference_cache_path()}; compute it with dcgan_lib.metrics.reference_metrics()."
    )


_METRIC_HEADER = ("Fréchet", "IS", "prec.", "recall", "digits")
_LEGEND = (
    "Fréchet: lower is better. IS (1 to 10), precision, recall: higher is better.\n"
    f"digits: classes with at least {COVERAGE_MIN_SHARE:.0%} of the samples."
)


def _metric_cells(result: EvaluationResult) -> tuple[str, ...]:
    return (
        f"{result.frechet_distance:.2f}",
        f"{result.inception_score:.2f}",
        f"{result.precision:.3f}",
        f"{result.recall:.3f}",
        f"{result.classes_covered}/10",
    )


def format_results(
    results: Mapping[str, EvaluationResult], reference: EvaluationResult | None = None
) -> str:
    """A text table of several sets of images' metrics, one row each (chapter "Evaluation").

    Args:
        results: metrics by name.
        reference: the metrics of real digits, added as a last row.
    """
    lines = [("", *_METRIC_HEADER)]
    lines += [(name, *_metric_cells(result)) for name, result in results.items()]
    if reference is not None:
        lines.append(("real data", *_metric_cells(reference)))
    rules = [len(lines) - 1] if reference is not None else []
    return "\n".join([text_table(lines, rules_before=rules), _LEGEND])


def format_metric_rows(rows: Sequence[Mapping[str, Any]]) -> str:
    """A text table of one run's metric rows: step, images seen, seconds, metrics."""
    lines = [("step", "images", "seconds", *_METRIC_HEADER)]
    for row in rows:
        seconds = "-" if row["seconds"] is None else f"{row['seconds']:,.0f}"
        lines.append(
            (str(row["step"]), f"{row['images_seen']:,}", seconds, *_metric_cells(as_result(row)))
        )
    return text_table(lines)


def format_comparison_table(
    runs: Mapping[str, ComparisonRun], reference: EvaluationResult | None = None
) -> str:
    """A text table of each run's last measured snapshot, and real digits below.

    ``avg`` is the decay of the run's averaged generator (``TrainConfig.ema_decay``),
    a dash for a run that kept no average.

    Args:
        runs: runs by name, as :func:`load_comparison` returns them.
        reference: the metrics of real digits (:func:`shipped_reference`).
    """
    header = ("run", "batch", "beta_1", "lr", "avg", "steps", "images")
    lines = [(*header, *_METRIC_HEADER)]
    for name, run in runs.items():
        row, c = run.final, run.config
        average = f"{c.ema_decay:g}" if c.ema_decay else "-"
        settings = (str(c.batch_size), f"{c.beta_1:g}", f"{c.g_learning_rate:g}", average)
        progress = (f"{row['step']:,}", f"{row['images_seen']:,}")
        lines.append((name, *settings, *progress, *_metric_cells(as_result(row))))
    if reference is not None:
        lines.append(("real data", *["-"] * (len(header) - 1), *_metric_cells(reference)))
    rules = [len(lines) - 1] if reference is not None else []
    return "\n".join([text_table(lines, rules_before=rules), _LEGEND])
