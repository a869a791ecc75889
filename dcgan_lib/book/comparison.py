"""Measuring whole training runs, and the runs chapter 5 compares ("Evaluation").

:mod:`dcgan_lib.metrics` scores one generator. This module scores a run: every
generator snapshot it saved (``snapshots/``, see :class:`dcgan_lib.callbacks.GeneratorSnapshots`),
so quality can be followed over training and runs with different settings can
be compared at equal cost.

* :func:`evaluate_snapshots` measures each snapshot of a run directory and
  writes one JSON line per snapshot to its ``metrics.jsonl``: the step, the
  training images seen, the training seconds so far, and every metric.
* :func:`export_comparison` copies the small artifacts of a measured run
  (configuration, history, metrics, a few sample grids; never weights) into
  the package, under ``assets/comparison/<name>/``.
* :func:`load_comparison` and :func:`load_comparison_run` read them back;
  :func:`reference_metrics_over_training` reads the measurements of the
  book's reference run (``assets/reference_run/metrics.jsonl``).

The same steps from a shell (what ``assets/comparison/README.md`` records)::

    python -m dcgan_lib.book.comparison evaluate runs/compare-blog --data mnist.npz
    python -m dcgan_lib.book.comparison export runs/compare-blog \\
        dcgan_lib/assets/comparison/blog
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dcgan_lib._runtime import keras
from dcgan_lib.callbacks import read_history, sample_grid_path, snapshot_path
from dcgan_lib.classifier import weights_sha256
from dcgan_lib.config import TrainConfig
from dcgan_lib.errors import DataError
from dcgan_lib.grids import save_image_grid
from dcgan_lib.metrics import (
    COVERAGE_MIN_SHARE,
    DEFAULT_K,
    DEFAULT_NUM_SAMPLES,
    EvaluationResult,
    default_num_samples,
    evaluate_generator,
    reference_cache_path,
)
from dcgan_lib.models import build_generator
from dcgan_lib.pretrained import reference_run_dir
from dcgan_lib.runs import CONFIG_FILE, HISTORY_FILE, SAMPLES_DIR, SNAPSHOTS_DIR, fixed_noise

METRICS_FILE = "metrics.jsonl"
COMPARISON = "comparison"
# The four configurations trained on the same budget of training images, in the
# order the chapter shows them: the book's own first.
COMPARISON_NAMES = ("book", "blog", "tutorial", "paper")
FAILURE_NAME = "failure-high-lr"

_SNAPSHOT_PREFIX = "generator_step_"
_WEIGHTS_SUFFIX = ".weights.h5"


# --- Measuring a run ----------------------------------------------------------------------------


def snapshot_steps(run_dir: str | Path) -> list[int]:
    """The steps at which a run saved a generator snapshot, in order (chapter 5).

    Args:
        run_dir: a run directory written by :func:`dcgan_lib.runs.train` with
            ``snapshot_every`` set.
    """
    steps = []
    for path in (Path(run_dir) / SNAPSHOTS_DIR).glob(f"{_SNAPSHOT_PREFIX}*{_WEIGHTS_SUFFIX}"):
        digits = path.name.removeprefix(_SNAPSHOT_PREFIX).removesuffix(_WEIGHTS_SUFFIX)
        if digits.isdigit():
            steps.append(int(digits))
    return sorted(steps)


def load_snapshot(run_dir: str | Path, step: int) -> keras.Model:
    """The generator of a run as it was at ``step``, from its snapshot (chapter 5).

    The architecture comes from the run's ``config.json``; the snapshot holds
    only the weights.

    Raises:
        DataError: the run has no snapshot at ``step``, or it does not fit the architecture.
    """
    run = Path(run_dir)
    weights = snapshot_path(run / SNAPSHOTS_DIR, step)
    if not weights.is_file():
        available = ", ".join(str(s) for s in snapshot_steps(run)) or "none"
        raise DataError(f"{run} has no snapshot at step {step} (snapshots at: {available}).")
    config = TrainConfig.load(run / CONFIG_FILE)
    generator = build_generator(config.latent_dim, config.variant)
    try:
        generator.load_weights(weights)
    except Exception as error:  # h5py and Keras raise many types for a bad file
        raise DataError(f"{weights} could not be loaded as generator weights: {error}") from error
    return generator


def evaluate_snapshots(
    run_dir: str | Path,
    num_samples: int | None = None,
    *,
    seed: int = 0,
    data: str | Path | None = None,
    out: str | Path | None = None,
) -> list[dict[str, Any]]:
    """Measure each generator snapshot of a run; write the rows to ``metrics.jsonl`` (chapter 5).

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
        out: the JSON-lines file to write; by default ``run_dir/metrics.jsonl``.

    Returns:
        One row per snapshot, in step order: ``step``, ``images_seen`` (steps times
        the batch size), ``seconds`` (training time up to that step, from the
        history row of that step; 0 at step 0, ``None`` when the history has no
        row there), ``seed``, and every field of
        :class:`dcgan_lib.metrics.EvaluationResult`.

    Raises:
        DataError: the run has no snapshots.
    """
    run = Path(run_dir)
    steps = snapshot_steps(run)
    if not steps:
        raise DataError(f"{run} has no generator snapshots; train with snapshot_every > 0.")
    config = TrainConfig.load(run / CONFIG_FILE)
    seconds_at = {int(row["step"]): row["seconds"] for row in read_history(run / HISTORY_FILE)}
    seconds_at[0] = 0.0
    num_samples = num_samples or default_num_samples()
    rows = []
    for step in steps:
        result = evaluate_generator(load_snapshot(run, step), num_samples, seed=seed, data=data)
        rows.append(
            {
                "step": step,
                "images_seen": step * config.batch_size,
                "seconds": seconds_at.get(step),
                "seed": seed,
                **result.to_dict(),
            }
        )
    write_metrics(rows, run / METRICS_FILE if out is None else out)
    return rows


def write_metrics(rows: Iterable[Mapping[str, Any]], path: str | Path) -> Path:
    """Write metric rows as JSON lines, one per snapshot."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(dict(row)) + "\n" for row in rows))
    return path


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """Read the rows of a ``metrics.jsonl`` written by :func:`evaluate_snapshots`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no metrics file at {path}; write one with evaluate_snapshots().")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def as_result(row: Mapping[str, Any]) -> EvaluationResult:
    """The :class:`dcgan_lib.metrics.EvaluationResult` inside a metrics row."""
    fields = {field.name for field in dataclasses.fields(EvaluationResult)}
    return EvaluationResult.from_dict({name: row[name] for name in fields})


# --- Exporting a measured run into the package --------------------------------------------------


def export_comparison(
    run_dir: str | Path,
    destination: str | Path,
    *,
    until_step: int | None = None,
    sample_steps: Sequence[int] | None = None,
) -> Path:
    """Copy the small artifacts of a measured run into ``destination`` (chapter 5).

    Copied: ``config.json``; the rows of ``history.jsonl`` and ``metrics.jsonl``
    up to ``until_step``; the sample grids of ``sample_steps``. A grid the run did
    not save is drawn from the snapshot of its step with the run's fixed noise,
    exactly as the run's own grids are. Weights, checkpoints and snapshots stay
    behind, so an export is a few tens of kilobytes.

    Args:
        run_dir: a run measured by :func:`evaluate_snapshots`.
        destination: the directory to fill, e.g. ``dcgan_lib/assets/comparison/blog``.
        until_step: the last step to keep; by default the last measured snapshot.
            The book's entry in the comparison is the reference run cut at
            64,000 training images.
        sample_steps: steps whose grids to copy; by default ``until_step`` and
            the saved grid or snapshot nearest to halfway there.

    Returns:
        ``destination``.

    Raises:
        DataError: a file is missing, or ``until_step`` was not measured.
    """
    run, out = Path(run_dir), Path(destination)
    metrics = read_metrics(run / METRICS_FILE)
    measured = [row["step"] for row in metrics]
    until_step = measured[-1] if until_step is None else until_step
    if until_step not in measured:
        raise DataError(f"step {until_step} of {run} was not measured (measured: {measured}).")
    if sample_steps is None:
        saved = [int(grid.stem.removeprefix("step_")) for grid in (run / SAMPLES_DIR).glob("*.png")]
        candidates = [step for step in {*saved, *measured} if 0 < step <= until_step]
        halfway = min(
            candidates or [until_step], key=lambda step: (abs(step - until_step / 2), step)
        )
        sample_steps = sorted({halfway, until_step})
    if not (run / CONFIG_FILE).is_file():
        raise DataError(f"{run / CONFIG_FILE} is missing.")

    if (out / SAMPLES_DIR).is_dir():
        shutil.rmtree(out / SAMPLES_DIR)
    (out / SAMPLES_DIR).mkdir(parents=True)
    shutil.copy2(run / CONFIG_FILE, out / CONFIG_FILE)
    history = [row for row in read_history(run / HISTORY_FILE) if row["step"] <= until_step]
    (out / HISTORY_FILE).write_text("".join(json.dumps(row) + "\n" for row in history))
    write_metrics([row for row in metrics if row["step"] <= until_step], out / METRICS_FILE)
    for step in sample_steps:
        grid = sample_grid_path(run / SAMPLES_DIR, step)
        if grid.is_file():
            shutil.copy2(grid, out / SAMPLES_DIR / grid.name)
        else:
            noise = fixed_noise(TrainConfig.load(run / CONFIG_FILE))
            images = load_snapshot(run, step)(noise, training=False)
            save_image_grid(np.asarray(images), out / SAMPLES_DIR / grid.name)
    return out


# --- Reading the shipped measurements -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ComparisonRun:
    """The shipped artifacts of one run of the comparison (chapter 5, "Comparing configurations").

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

    @property
    def final_sample(self) -> Path:
        """The sample grid of the last measured snapshot."""
        return self.samples[self.final["step"]]

    def settings(self) -> str:
        """The settings that tell the runs apart, in one line: optimizer, batch, average, model."""
        c = self.config
        lr = f"{c.g_learning_rate:g}" if c.g_learning_rate == c.d_learning_rate else "mixed"
        average = f"averaged G ({c.ema_decay:g})" if c.ema_decay else "no average"
        return f"Adam {lr}, beta_1 {c.beta_1:g}, batch {c.batch_size}, {average}, {c.variant} model"


def comparison_dir() -> Path:
    """Where the package keeps the comparison runs: ``dcgan_lib/assets/comparison``."""
    return Path(str(resources.files("dcgan_lib.assets"))) / COMPARISON


def load_comparison_run(name: str, directory: str | Path | None = None) -> ComparisonRun:
    """Read one exported run, e.g. ``"blog"`` or ``"failure-high-lr"`` (chapter 5).

    Args:
        name: the run's directory name.
        directory: the folder holding the runs; by default :func:`comparison_dir`.

    Raises:
        DataError: the run or one of its files is missing.
    """
    root = (comparison_dir() if directory is None else Path(directory)) / name
    if not root.is_dir():
        raise DataError(
            f"no comparison run {name!r} in {root.parent}; reinstall dcgan_lib to get the "
            "shipped runs back, or make one with export_comparison()."
        )
    samples = {}
    for grid in sorted((root / SAMPLES_DIR).glob("step_*.png")):
        samples[int(grid.stem.removeprefix("step_"))] = grid
    return ComparisonRun(
        name=name,
        directory=root,
        config=TrainConfig.load(root / CONFIG_FILE),
        history=read_history(root / HISTORY_FILE),
        metrics=read_metrics(root / METRICS_FILE),
        samples=samples,
    )


def load_comparison(
    names: Sequence[str] = COMPARISON_NAMES, directory: str | Path | None = None
) -> dict[str, ComparisonRun]:
    """The runs of the comparison at equal budget, by name, in the chapter's order (chapter 5).

    Args:
        names: which runs to read; by default the book's, the blog's, the
            tutorial's and the paper's configurations.
        directory: the folder holding the runs; by default :func:`comparison_dir`.
    """
    return {name: load_comparison_run(name, directory) for name in names}


def reference_metrics_over_training() -> list[dict[str, Any]]:
    """The book's reference run measured at each of its snapshots (chapter 5).

    Read from ``dcgan_lib/assets/reference_run/metrics.jsonl``; the rows are
    those of :func:`evaluate_snapshots`.
    """
    return read_metrics(reference_run_dir() / METRICS_FILE)


def shipped_reference(
    num_samples: int = DEFAULT_NUM_SAMPLES, seed: int = 0, k: int = DEFAULT_K
) -> EvaluationResult:
    """The cached metrics of real MNIST digits that the shipped measurements are read against.

    The shipped runs were measured with 5,000 samples of full MNIST, so their
    yardstick is the cached reference at that size, whichever data the reader
    has: it is read from ``assets/reference_metrics.json`` and needs no MNIST
    (chapter 5).

    Raises:
        DataError: the cache has no entry for these settings, or was computed
            with other classifier weights.
    """
    cache = json.loads(reference_cache_path().read_text())
    if cache.get("classifier_sha256") == weights_sha256():
        for entry in cache["entries"]:
            if (entry["data"], entry["num_samples"], entry["seed"], entry["k"]) == (
                "mnist",
                num_samples,
                seed,
                k,
            ):
                return EvaluationResult.from_dict(entry["metrics"])
    raise DataError(
        f"no cached reference for {num_samples} MNIST digits (seed {seed}, k={k}) in "
        f"{reference_cache_path()}; compute it with dcgan_lib.metrics.reference_metrics()."
    )


def align_table(lines: Sequence[tuple[str, ...]], rules_before: Sequence[int] = ()) -> list[str]:
    """Align rows of cells: the first column left, the others right; a rule under the header.

    Args:
        lines: the header, then one tuple of cells per row.
        rules_before: more rows to draw a rule above, by index in ``lines``.
    """
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    text = [
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(line, widths))
        )
        for line in lines
    ]
    rule = "-" * len(text[0])
    for index in sorted({1, *rules_before}, reverse=True):
        text.insert(index, rule)
    return text


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
    """A text table of several sets of images' metrics, one row each (chapter 5).

    Args:
        results: metrics by name.
        reference: the metrics of real digits, added as a last row.
    """
    lines = [("", *_METRIC_HEADER)]
    lines += [(name, *_metric_cells(result)) for name, result in results.items()]
    if reference is not None:
        lines.append(("real data", *_metric_cells(reference)))
    rules = [len(lines) - 1] if reference is not None else []
    return "\n".join([*align_table(lines, rules), _LEGEND])


def format_metric_rows(rows: Sequence[Mapping[str, Any]]) -> str:
    """A text table of one run's metric rows: step, images seen, seconds, metrics (chapter 5)."""
    lines = [("step", "images", "seconds", *_METRIC_HEADER)]
    for row in rows:
        seconds = "-" if row["seconds"] is None else f"{row['seconds']:,.0f}"
        lines.append(
            (str(row["step"]), f"{row['images_seen']:,}", seconds, *_metric_cells(as_result(row)))
        )
    return "\n".join(align_table(lines))


def format_comparison_table(
    runs: Mapping[str, ComparisonRun], reference: EvaluationResult | None = None
) -> str:
    """A text table of each run's last measured snapshot, and real digits below (chapter 5).

    ``avg`` is the decay of the run's averaged generator (``TrainConfig.ema_decay``),
    a dash for a run that kept no average.

    Args:
        runs: runs by name, as :func:`load_comparison` returns them.
        reference: the metrics of real digits (:func:`shipped_reference`).
    """
    header = ("run", "batch", "beta_1", "lr", "avg", "steps", "images", "seconds")
    lines = [(*header, *_METRIC_HEADER)]
    for name, run in runs.items():
        row, c = run.final, run.config
        seconds = "-" if row["seconds"] is None else f"{row['seconds']:,.0f}"
        average = f"{c.ema_decay:g}" if c.ema_decay else "-"
        settings = (str(c.batch_size), f"{c.beta_1:g}", f"{c.g_learning_rate:g}", average)
        progress = (f"{row['step']:,}", f"{row['images_seen']:,}", seconds)
        lines.append((name, *settings, *progress, *_metric_cells(as_result(row))))
    if reference is not None:
        lines.append(("real data", *["-"] * (len(header) - 1), *_metric_cells(reference)))
    rules = [len(lines) - 1] if reference is not None else []
    return "\n".join([*align_table(lines, rules), _LEGEND])


# --- Command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dcgan_lib.book.comparison evaluate|export ...``: the steps of the comparison."""
    parser = argparse.ArgumentParser(
        prog="python -m dcgan_lib.book.comparison", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    evaluate = commands.add_parser("evaluate", help="measure every snapshot of a run")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument("--data", metavar="NPZ", help="a local mnist.npz (default as load_mnist)")
    evaluate.add_argument("--num-samples", type=int, help="default 5000 (500 in a short run)")
    evaluate.add_argument("--seed", type=int, default=0)
    export = commands.add_parser("export", help="copy a measured run's small artifacts")
    export.add_argument("run_dir", type=Path)
    export.add_argument("destination", type=Path)
    export.add_argument("--until-step", type=int, help="last step to keep (default: all)")
    export.add_argument("--sample-steps", type=int, nargs="+", help="steps whose grids to copy")
    args = parser.parse_args(argv)
    try:
        if args.command == "evaluate":
            rows = evaluate_snapshots(
                args.run_dir, args.num_samples, seed=args.seed, data=args.data
            )
            for row in rows:
                print(
                    f"step {row['step']:>6}  Fréchet {row['frechet_distance']:8.2f}  "
                    f"IS {row['inception_score']:.2f}  precision {row['precision']:.3f}  "
                    f"recall {row['recall']:.3f}  digits {row['classes_covered']}/10"
                )
            print(f"Wrote {Path(args.run_dir) / METRICS_FILE}")
        else:
            out = export_comparison(
                args.run_dir,
                args.destination,
                until_step=args.until_step,
                sample_steps=args.sample_steps,
            )
            print(f"Exported {args.run_dir} to {out}")
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
