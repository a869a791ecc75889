"""Read a run directory and say in plain words what went wrong (chapter "When training fails").

:func:`diagnose` applies a few rules to a run's numbers. Each rule has one
threshold, chosen as explained beside it and in the chapter:

* **non-finite values**: a logged loss or probability was NaN or infinite;
* **discriminator saturation**: D(x) near 1 and D(G(z)) near 0 for a long
  stretch (cross-entropy losses only, whose output is a probability);
* **missing digits** and **collapse**: the book's classifier reads some digit
  in almost none of the samples, or one digit in far more than its share;
* **worse quality** and **stalled quality**: the Fréchet distance of the
  run's measured snapshots rose well above its best, or stopped falling.

The digit rules read ``metrics.jsonl`` where the run has one; otherwise they
classify samples of the run's snapshots (or of its final generator) themselves.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dcgan_lib.classifier import load_classifier
from dcgan_lib.errors import DataError
from dcgan_lib.metrics import COVERAGE_MIN_SHARE, class_shares, generate_images
from dcgan_lib.runs import RunDirectory

# At the game's equilibrium D outputs 1/2 everywhere. D(x) >= 0.9 with D(G(z)) <= 0.1 means
# it tells real from fake with 90 % confidence; for a fifth of the run in a row, it is winning.
SATURATED_REAL, SATURATED_FAKE, SATURATED_SHARE_OF_RUN = 0.9, 0.1, 0.2
# Each digit is about 10 % of MNIST. Under the evaluation's coverage threshold, 2 % (a fifth of
# that), it has nearly vanished; over 30 % (three times that) the generator favours it.
MISSING_SHARE, COLLAPSED_SHARE = COVERAGE_MIN_SHARE, 0.3
# The Fréchet distance moves by a few percent between neighbouring snapshots of a
# healthy run; 25 % above the best is a real loss of quality. A second half of training that
# improves on the first half's best by less than a tenth has stalled.
WORSE_RATIO, STALLED_GAIN = 1.25, 0.1
SAMPLES_PER_CHECK = 2000
PROBABILITY_LOSSES = ("non_saturating", "minimax")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem found in a run: what, from which step, the evidence, and what to try."""

    problem: str
    step: int
    evidence: str
    remedy: str

    def __str__(self) -> str:
        return f"{self.problem} (from step {self.step}): {self.evidence}\n  try: {self.remedy}"


def diagnose(run_dir: str | Path, *, measure: bool = True) -> list[Finding]:
    """The problems found in a run directory, in step order; an empty list for a healthy run.

    Args:
        run_dir: a directory written by :func:`dcgan_lib.runs.train` (at least
            ``config.json`` and ``history.jsonl``).
        measure: where the run has no ``metrics.jsonl``, classify samples of its
            snapshots (or final generator) to check the digits; ``False`` skips that.

    Raises:
        DataError: ``run_dir`` is not a readable run directory.
    """
    run = RunDirectory(run_dir)
    if not run.root.is_dir():
        raise DataError(f"{run.root} is not a directory.")
    config, history = run.config(), run.history()
    if not history:
        raise DataError(f"{run.history_path} has no rows: the run logged nothing yet.")
    findings = _non_finite(history) + _saturation(history, config.loss)
    quality = _quality_rows(run) if measure or run.metrics_path.exists() else []
    findings += _digit_findings(quality) + _distance_findings(quality)
    return sorted(findings, key=lambda finding: finding.step)


def _non_finite(history: Sequence[dict[str, float]]) -> list[Finding]:
    for row in history:
        bad = {name: value for name, value in row.items() if not math.isfinite(value)}
        if bad:
            values = ", ".join(f"{name} = {value}" for name, value in sorted(bad.items()))
            return [
                Finding(
                    "training diverged",
                    int(row["step"]),
                    f"{values}; training stopped there.",
                    "lower the learning rates (halve them, or more) and start again; "
                    "check that the images are scaled to [-1, 1].",
                )
            ]
    return []


def _saturation(history: Sequence[dict[str, float]], loss: str) -> list[Finding]:
    if loss not in PROBABILITY_LOSSES:
        return []
    saturated = [
        row.get("d_real", 0.5) >= SATURATED_REAL and row.get("d_fake", 0.5) <= SATURATED_FAKE
        for row in history
    ]
    start, length = _longest_run(saturated)
    if length < max(2, SATURATED_SHARE_OF_RUN * len(history)):
        return []
    rows = history[start : start + length]
    remedy = (
        "use the non-saturating generator loss (--loss non_saturating): with log(1 - D(G(z))) "
        "the generator's gradient vanishes when D rejects its digits."
        if loss == "minimax"
        else "weaken the discriminator: a lower learning rate for it, label smoothing "
        "(--label-smoothing 0.1), or a lower learning rate for both."
    )
    return [
        Finding(
            "the discriminator wins",
            int(rows[0]["step"]),
            f"D(x) >= {SATURATED_REAL} and D(G(z)) <= {SATURATED_FAKE} in {length} of "
            f"{len(history)} history rows in a row (to step {int(rows[-1]['step'])}; there "
            f"D(x) = {rows[-1]['d_real']:.3f}, D(G(z)) = {rows[-1]['d_fake']:.3f}).",
            remedy,
        )
    ]


def _longest_run(flags: Sequence[bool]) -> tuple[int, int]:
    """Start and length of the longest stretch of ``True`` in ``flags``."""
    best, start = (0, 0), None
    for index, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            best = max(best, (start, index - start), key=lambda pair: pair[1])
            start = None
    return best


def _quality_rows(run: RunDirectory) -> list[dict[str, Any]]:
    """Measured quality by step: ``metrics.jsonl``, else the classifier's class shares."""
    if run.metrics_path.exists():
        return run.metrics()
    steps = run.snapshot_steps()
    if not steps and not run.generator_path.is_file():
        return []
    classifier = load_classifier()
    # One generator in memory at a time; without snapshots after step 0, the final one.
    checks = [(step, step) for step in steps if step > 0]
    checks = checks or [(int(run.history()[-1]["step"]), None)]
    rows = []
    for step, snapshot in checks:
        images = generate_images(run.load_generator(snapshot), SAMPLES_PER_CHECK)
        shares = class_shares(classifier.predict(images)).shares
        rows.append({"step": step, "class_shares": list(shares)})
    return rows


def _digit_findings(rows: Sequence[dict[str, Any]]) -> list[Finding]:
    rows = [row for row in rows if row["step"] > 0 and "class_shares" in row]
    if not rows:
        return []
    findings = []
    last = np.asarray(rows[-1]["class_shares"])
    missing = [digit for digit, share in enumerate(last) if share < MISSING_SHARE]
    if missing:
        findings.append(
            Finding(
                "digits missing",
                _since(rows, lambda shares: all(shares[d] < MISSING_SHARE for d in missing)),
                f"the classifier reads {_digit_list(missing)} in under {MISSING_SHARE:.0%} of "
                f"the samples at step {rows[-1]['step']}"
                + (
                    f" ({', '.join(f'{d}: {last[d]:.1%}' for d in missing)})."
                    if len(missing) < 4
                    else "."
                ),
                "train longer if the run is young; otherwise lower the generator's learning "
                "rate or keep an averaged generator (--ema-decay 0.999).",
            )
        )
    favourite = int(last.argmax())
    if last[favourite] > COLLAPSED_SHARE:
        findings.append(
            Finding(
                "mode collapse",
                _since(rows, lambda shares: shares[favourite] > COLLAPSED_SHARE),
                f"{last[favourite]:.0%} of the samples at step {rows[-1]['step']} are "
                f"{favourite}s, three times a digit's share or more.",
                "balance the players: lower the generator's learning rate (--g-lr), use "
                "beta_1 = 0.5, and keep an averaged generator (--ema-decay 0.999).",
            )
        )
    return findings


def _since(rows: Sequence[dict[str, Any]], holds) -> int:
    """The first step of the last unbroken stretch of ``rows`` where ``holds`` is true."""
    step = rows[-1]["step"]
    for row in reversed(rows):
        if not holds(np.asarray(row["class_shares"])):
            break
        step = row["step"]
    return int(step)


def _digit_list(digits: Sequence[int]) -> str:
    if len(digits) > 5:
        others = [str(digit) for digit in range(10) if digit not in digits]
        return f"{len(digits)} of the 10 digits (all but {_digit_list(others)})"
    names = [str(digit) for digit in digits]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _distance_findings(rows: Sequence[dict[str, Any]]) -> list[Finding]:
    rows = [row for row in rows if row["step"] > 0 and "frechet_distance" in row]
    if len(rows) < 3:
        return []
    distances = [row["frechet_distance"] for row in rows]
    best = int(np.argmin(distances))
    if distances[-1] > WORSE_RATIO * distances[best]:
        return [
            Finding(
                "quality got worse",
                int(rows[best + 1]["step"]),
                f"Fréchet distance {distances[best]:.1f} at step {rows[best]['step']}, "
                f"{distances[-1]:.1f} at step {rows[-1]['step']}.",
                f"keep the generator of step {rows[best]['step']}; lower the learning rates "
                "or keep an averaged generator (--ema-decay 0.999).",
            )
        ]
    half = rows[-1]["step"] / 2
    early = [d for row, d in zip(rows, distances) if row["step"] <= half]
    late = [d for row, d in zip(rows, distances) if row["step"] > half]
    if early and late and min(late) > (1 - STALLED_GAIN) * min(early):
        return [
            Finding(
                "quality stalled",
                int(half),
                f"the best Fréchet distance after step {half:.0f} is {min(late):.1f}, "
                f"against {min(early):.1f} before it: less than {STALLED_GAIN:.0%} better.",
                "more of the same training will not help: change the recipe (learning "
                "rates, beta_1, batch size) or the architecture.",
            )
        ]
    return []


def report(findings: Sequence[Finding]) -> str:
    """The findings as text, one paragraph each, or "no problems found"."""
    if not findings:
        return "no problems found"
    return "\n".join(str(finding) for finding in findings)
