"""How long training takes to draw clearly good digits (chapter "Evaluation").

Part of the book's helpers, not of ``dcgan_lib``'s API; used by the section "Good
digits against the clock" and by ``benchmarks/time_to_quality.py``.

Images per second say how fast a loop runs; readers feel something else: how many
seconds pass before the digits are good. This module fixes what "clearly good" means,
in the package's own metrics, and reads the measurements that
``benchmarks/time_to_quality.py`` makes of several training loops:

* the Fréchet distance of the classifier's features is at most
  :data:`FD_FACTOR` times the real-data reference (training digits against test
  digits at the same sample size), and
* every digit makes up at least :data:`MIN_CLASS_SHARE` of the samples (no class
  missing or starved: a uniform share would be 10%).

Both conditions are needed: a generator that draws only perfect 1s has a low
distance to the 1s but misses nine classes, and one that covers every class with
blurry strokes has fair shares and a high distance.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dcgan_lib.assets import asset_path
from dcgan_lib.metrics import EvaluationResult
from dcgan_lib.tables import text_table

FD_FACTOR = 3.0
"""A generated set counts as clearly good within this multiple of the real-data distance."""
MIN_CLASS_SHARE = 0.06
"""... and when every digit is at least this share of its samples."""
REPORT_FILE = "time_to_quality.json"
# The race of two learning rates, three seeds each, that chose the default.
RECIPE_FILE = "recipe_race.json"


@dataclasses.dataclass(frozen=True)
class QualityTarget:
    """The "clearly good digits" threshold, as numbers.

    Attributes:
        max_frechet_distance: the highest Fréchet distance that passes.
        min_class_share: the smallest share of any digit that passes.
    """

    max_frechet_distance: float
    min_class_share: float = MIN_CLASS_SHARE

    @classmethod
    def from_reference(
        cls,
        reference: EvaluationResult,
        factor: float = FD_FACTOR,
        min_class_share: float = MIN_CLASS_SHARE,
    ) -> QualityTarget:
        """The target ``factor`` times the real-data Fréchet distance of ``reference``."""
        if factor <= 0:
            raise ValueError(f"factor must be positive, got {factor!r}.")
        return cls(factor * reference.frechet_distance, min_class_share)

    def met_by(self, values: EvaluationResult | Mapping[str, Any]) -> bool:
        """Whether one measurement (a result or a metric row) passes both conditions."""
        if isinstance(values, EvaluationResult):
            values = values.to_dict()
        return (
            values["frechet_distance"] <= self.max_frechet_distance
            and min(values["class_shares"]) >= self.min_class_share
        )


def first_time_met(
    rows: Sequence[Mapping[str, Any]], target: QualityTarget, x: str = "seconds"
) -> float | None:
    """The first value of ``x`` (training seconds by default) at which ``target`` is met.

    Args:
        rows: metric rows in training order, each with ``x``, ``frechet_distance`` and
            ``class_shares``.
        target: the threshold.
        x: the column to report, such as ``"seconds"`` or ``"images_seen"``.

    Returns:
        The value, or ``None`` if no row meets the target.
    """
    for row in rows:
        if target.met_by(row):
            return row[x]
    return None


def first_time_below(
    rows: Sequence[Mapping[str, Any]], max_frechet_distance: float, x: str = "seconds"
) -> float | None:
    """The first value of ``x`` at which the Fréchet distance is at most the given value."""
    for row in rows:
        if row["frechet_distance"] <= max_frechet_distance:
            return row[x]
    return None


def report_path(name: str = REPORT_FILE) -> Path:
    """Where the package keeps a measured race: the loops' race, or ``RECIPE_FILE``."""
    return asset_path(name)


def load_report(path: str | Path | None = None) -> dict[str, Any]:
    """The report ``benchmarks/time_to_quality.py`` wrote (the shipped one by default).

    It holds ``target`` (the threshold and the real-data distance it came from),
    ``environment`` (hardware and versions), ``command`` and ``contenders``: for each
    training loop its ``description``, ``batch_size`` and metric ``rows`` with
    ``seconds`` of training (evaluation excluded) and ``images_seen``.
    """
    path = Path(path) if path is not None else report_path()
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as error:
        raise FileNotFoundError(f"no time-to-quality report at {path}") from error


def target_of(report: Mapping[str, Any]) -> QualityTarget:
    """The threshold a report was measured against."""
    target = report["target"]
    return QualityTarget(target["max_frechet_distance"], target["min_class_share"])


def summary_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per training loop: its speed, the best distance reached, and time to the target.

    ``images_per_second`` is the loop's average speed over the whole measurement;
    ``seconds_to_target`` is ``None`` for a loop that never met the target within
    ``seconds_trained``.
    """
    target = target_of(report)
    rows = []
    for name, contender in report["contenders"].items():
        measured = contender["rows"]
        best = min(measured, key=lambda row: row["frechet_distance"])
        rows.append(
            {
                "name": name,
                "seconds_trained": measured[-1]["seconds"],
                "images_seen": measured[-1]["images_seen"],
                "images_per_second": measured[-1]["images_seen"] / measured[-1]["seconds"],
                "best_frechet_distance": best["frechet_distance"],
                "best_at_seconds": best["seconds"],
                "seconds_to_target": first_time_met(measured, target),
            }
        )
    return rows


def format_summary(report: Mapping[str, Any]) -> str:
    """:func:`summary_rows` as a plain-text table."""
    header = ("loop", "trained (s)", "images", "images/s", "best FD", "at (s)", "to target (s)")
    lines = [header]
    for row in summary_rows(report):
        reached = row["seconds_to_target"]
        lines.append(
            (
                row["name"],
                f"{row['seconds_trained']:.0f}",
                f"{row['images_seen']:,}",
                f"{row['images_per_second']:.0f}",
                f"{row['best_frechet_distance']:.1f}",
                f"{row['best_at_seconds']:.0f}",
                "not reached" if reached is None else f"{reached:.0f}",
            )
        )
    return text_table(lines)


def format_times_below(report: Mapping[str, Any], levels: Sequence[float]) -> str:
    """Seconds each loop took to bring the Fréchet distance to each level, as a table.

    A dash marks a level the loop did not reach while it was measured.
    """
    names = list(report["contenders"])
    lines = [("FD at most", *names)]
    for level in levels:
        cells = []
        for name in names:
            seconds = first_time_below(report["contenders"][name]["rows"], level)
            cells.append("-" if seconds is None else f"{seconds:.0f} s")
        lines.append((f"{level:g}", *cells))
    return text_table(lines)


def format_averaging(report: Mapping[str, Any], name: str = "dcgan_lib") -> str:
    """The Fréchet distance of a loop's averaged generator beside its trained one, per turn.

    The race measures both for a loop that keeps an average of its generator's weights
    (``TrainConfig.ema_decay``, chapter "Implementation"): the averaged generator draws
    the samples, and the trained generator is the one the optimizer updates.

    Raises:
        ValueError: the loop's rows hold no measurement of the trained generator.
    """
    rows = report["contenders"][name]["rows"]
    if not all("trained_generator_frechet_distance" in row for row in rows):
        raise ValueError(f"the race did not measure {name}'s trained generator separately")
    lines = [("trained (s)", "averaged G", "trained G")]
    for row in rows:
        lines.append(
            (
                f"{row['seconds']:.0f}",
                f"{row['frechet_distance']:.1f}",
                f"{row['trained_generator_frechet_distance']:.1f}",
            )
        )
    return text_table(lines)


def _when(seconds: float | None, budget: float) -> str:
    if seconds is None:
        return f"not within its {budget / 60:.0f} minutes"
    minutes = round(seconds / 60)
    return f"after {minutes} minute{'s' if minutes != 1 else ''}"


def race_facts(
    report: Mapping[str, Any], level: float = 100.0, averaged: str = "dcgan_lib"
) -> dict[str, Any]:
    """The values the chapter "Evaluation" quotes about a race, computed from its report.

    For each loop ``name`` (dashes and spaces as underscores): ``{name}_images_per_second``,
    ``{name}_images``, ``{name}_final_fd`` and ``{name}_final_min_share`` (its last
    measurement), and ``{name}_when_level``, when its distance first reached ``level``, in
    words. Then ``best`` (the loop with the lowest final distance), ``best_final_fd``,
    ``best_final_min_share``, ``best_times_limit`` (its final distance over the target's),
    ``met_target`` (the loops that met the target, in words, or "none"), and for the
    loop ``averaged``, which also measured its trained generator: ``average_ahead``
    (turns at which the averaged generator's distance was the lower), ``turns``, and
    ``average_rises`` and ``trained_rises`` (turns at which each distance rose).
    """
    contenders = report["contenders"]
    target = target_of(report)
    facts: dict[str, Any] = {}
    finals = {}
    for name, contender in contenders.items():
        rows = contender["rows"]
        key = name.replace("-", "_").replace(" ", "_")
        last = rows[-1]
        finals[name] = last["frechet_distance"]
        facts[f"{key}_images_per_second"] = last["images_seen"] / last["seconds"]
        facts[f"{key}_images"] = last["images_seen"]
        facts[f"{key}_final_fd"] = last["frechet_distance"]
        facts[f"{key}_final_min_share"] = min(last["class_shares"])
        facts[f"{key}_when_level"] = _when(first_time_below(rows, level), last["seconds"])
    best = min(finals, key=finals.__getitem__)
    facts["best"] = best
    facts["best_final_fd"] = finals[best]
    facts["best_final_min_share"] = min(contenders[best]["rows"][-1]["class_shares"])
    facts["best_times_limit"] = finals[best] / target.max_frechet_distance
    met = [
        name for name, contender in contenders.items() if first_time_met(contender["rows"], target)
    ]
    facts["met_target"] = " and ".join(met) if met else "none"
    rows = contenders.get(averaged, {}).get("rows", [])
    if rows and all("trained_generator_frechet_distance" in row for row in rows):
        average = [row["frechet_distance"] for row in rows]
        trained = [row["trained_generator_frechet_distance"] for row in rows]
        facts["average_ahead"] = sum(a < t for a, t in zip(average, trained))
        facts["turns"] = len(rows)
        facts["average_rises"] = sum(b > a for a, b in zip(average, average[1:]))
        facts["trained_rises"] = sum(b > a for a, b in zip(trained, trained[1:]))
    return facts
