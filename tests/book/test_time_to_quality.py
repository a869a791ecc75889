"""The "clearly good digits" target and the time-to-quality report (book.time_to_quality)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from dcgan_lib.book.time_to_quality import (
    FD_FACTOR,
    MIN_CLASS_SHARE,
    QualityTarget,
    first_time_below,
    first_time_met,
    format_averaging,
    format_summary,
    format_times_below,
    load_report,
    race_facts,
    report_path,
    summary_rows,
    target_of,
)
from dcgan_lib.data import load_mnist_sample
from dcgan_lib.metrics import EvaluationResult

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def result(fd: float, shares: list[float]) -> EvaluationResult:
    return EvaluationResult(
        frechet_distance=fd,
        inception_score=5.0,
        precision=0.5,
        recall=0.5,
        classes_covered=sum(share >= 0.02 for share in shares),
        class_total_variation=0.5 * sum(abs(share - 0.1) for share in shares),
        class_shares=tuple(shares),
        num_samples=100,
        num_real=100,
        k=3,
    )


UNIFORM = [0.1] * 10
ONE_STARVED = [0.05] + [0.95 / 9] * 9


def row(seconds: float, fd: float, shares: list[float]) -> dict:
    return {"seconds": seconds, "images_seen": int(seconds * 100), **result(fd, shares).to_dict()}


def test_target_scales_the_real_data_distance() -> None:
    target = QualityTarget.from_reference(result(1.5, UNIFORM))
    assert target.max_frechet_distance == pytest.approx(FD_FACTOR * 1.5)
    assert target.min_class_share == MIN_CLASS_SHARE
    with pytest.raises(ValueError, match="factor"):
        QualityTarget.from_reference(result(1.5, UNIFORM), factor=0)


def test_target_needs_both_a_low_distance_and_every_digit() -> None:
    target = QualityTarget(max_frechet_distance=4.0, min_class_share=0.06)
    assert target.met_by(result(4.0, UNIFORM))
    assert not target.met_by(result(4.01, UNIFORM))  # distance too high
    assert not target.met_by(result(1.0, ONE_STARVED))  # one digit below 6%
    assert target.met_by(row(10, 3.0, UNIFORM))  # metric rows work as well as results


def test_first_time_met_returns_the_first_passing_row() -> None:
    target = QualityTarget(4.0)
    rows = [row(60, 50.0, UNIFORM), row(120, 3.0, ONE_STARVED), row(180, 3.5, UNIFORM)]
    assert first_time_met(rows, target) == 180
    assert first_time_met(rows, target, x="images_seen") == 18000
    assert first_time_met(rows[:2], target) is None
    assert first_time_below(rows, 10.0) == 120
    assert first_time_below(rows, 1.0) is None


def synthetic_report() -> dict:
    return {
        "target": {"max_frechet_distance": 4.0, "min_class_share": 0.06},
        "contenders": {
            "fast": {"rows": [row(60, 20.0, UNIFORM), row(120, 3.9, UNIFORM)]},
            "slow": {"rows": [row(60, 90.0, UNIFORM), row(120, 40.0, UNIFORM)]},
        },
    }


def test_summary_reports_time_to_target_and_best_distance() -> None:
    report = synthetic_report()
    assert target_of(report) == QualityTarget(4.0, 0.06)
    fast, slow = summary_rows(report)
    assert (fast["seconds_to_target"], fast["best_frechet_distance"]) == (120, 3.9)
    assert slow["seconds_to_target"] is None
    assert slow["best_frechet_distance"] == 40.0
    assert fast["images_per_second"] == pytest.approx(100)  # row() sees 100 images a second
    table = format_summary(report)
    assert set(table.splitlines()[1]) == {"-"}  # the rule under the header
    assert "not reached" in table.splitlines()[3]
    assert table.splitlines()[2].split()[-1] == "120"


def test_times_below_each_level() -> None:
    lines = format_times_below(synthetic_report(), [50, 10]).splitlines()
    assert lines[0].split() == ["FD", "at", "most", "fast", "slow"]
    assert lines[2].split() == ["50", "60", "s", "120", "s"]
    assert lines[3].split() == ["10", "120", "s", "-"]


def test_averaging_table_puts_both_generators_side_by_side() -> None:
    rows = [
        {"seconds": 60.2, "frechet_distance": 120.04, "trained_generator_frechet_distance": 150.0},
        {"seconds": 121.0, "frechet_distance": 80.0, "trained_generator_frechet_distance": 95.54},
    ]
    report = {"contenders": {"dcgan_lib": {"rows": rows}, "blog": {"rows": [{"seconds": 1}]}}}
    lines = format_averaging(report).splitlines()
    assert lines[0].split() == ["trained", "(s)", "averaged", "G", "trained", "G"]
    assert [line.split() for line in lines[2:]] == [
        ["60", "120.0", "150.0"],
        ["121", "80.0", "95.5"],
    ]
    with pytest.raises(ValueError, match="did not measure blog's trained generator"):
        format_averaging(report, "blog")


def test_load_report_reads_a_written_report(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(synthetic_report()))
    assert load_report(path) == synthetic_report()
    with pytest.raises(FileNotFoundError, match="no time-to-quality report"):
        load_report(tmp_path / "missing.json")


def test_shipped_report_is_consistent() -> None:
    report = load_report()
    assert report_path().exists()
    target = report["target"]
    assert target["max_frechet_distance"] == pytest.approx(
        target["fd_factor"] * target["reference_frechet_distance"]
    )
    assert {"dcgan_lib", "blog", "tutorial"} <= set(report["contenders"])
    for contender in report["contenders"].values():
        seconds = [r["seconds"] for r in contender["rows"]]
        assert seconds == sorted(seconds) and len(seconds) >= 2
        for measured in contender["rows"]:
            assert len(measured["class_shares"]) == 10
            assert np.isclose(sum(measured["class_shares"]), 1.0)


@pytest.fixture
def contenders_module(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import contenders

    yield contenders
    sys.modules.pop("contenders", None)
    sys.modules.pop("machine", None)


@pytest.fixture
def race_script(contenders_module):
    import time_to_quality

    yield time_to_quality
    sys.modules.pop("time_to_quality", None)


def test_race_options_are_parsed_and_checked(race_script) -> None:
    import argparse

    name, config = race_script.parse_config("fast=batch_size=64,d_learning_rate=4e-4,jit_compile=1")
    assert name == "fast"
    assert (config.batch_size, config.d_learning_rate, config.jit_compile) == (64, 4e-4, True)
    assert race_script.parse_loops("blog, tutorial") == ["blog", "tutorial"]
    assert race_script.parse_loops("") == []
    bad = {
        "=batch_size=64": "no name",
        "x=batch=64": "unknown TrainConfig field 'batch'",
        "x=batch_size=big": "batch_size must be an integer, got 'big'",
        "x=batch_size=0": "batch_size must be a positive integer",
    }
    for text, message in bad.items():
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            race_script.parse_config(text)
    with pytest.raises(argparse.ArgumentTypeError, match="unknown loop 'keras'"):
        race_script.parse_loops("blog,keras")


def test_benchmark_loops_train_for_a_time_and_count_images(contenders_module) -> None:
    from dcgan_lib.config import TrainConfig

    (images, _), _ = load_mnist_sample()
    loops = [
        contenders_module.BlogContender(images),
        contenders_module.TutorialContender(images[:512]),
        contenders_module.LibraryContender(images, TrainConfig(batch_size=16)),
    ]
    for loop in loops:
        before = [w.copy() for w in loop.generator.get_weights()]
        spent = loop.train_for(0.5)
        assert spent >= 0.5
        assert loop.images_seen > 0 and loop.images_seen % loop.batch_size == 0
        after = loop.generator.get_weights()
        assert any(not np.array_equal(a, b) for a, b in zip(before, after))
        loop.run(1)  # the throughput benchmark's entry point


def test_race_script_reports_a_missing_data_file_in_one_line(tmp_path: Path) -> None:
    import subprocess

    completed = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "time_to_quality.py"),
            "--data",
            str(tmp_path / "missing.npz"),
            "--json",
            str(tmp_path / "report.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        f"error: MNIST file not found: {tmp_path / 'missing.npz'}. Check the path, or unset "
        "DCGAN_MNIST_PATH to let Keras download MNIST."
    ]
    assert not (tmp_path / "report.json").exists()


def test_race_facts_are_computed_from_the_rows() -> None:
    fast = [row(60, 150.0, UNIFORM), row(120, 90.0, UNIFORM), row(180, 3.0, UNIFORM)]
    for measured, trained in zip(fast, (140.0, 95.0, 4.0)):
        measured["trained_generator_frechet_distance"] = trained
    slow = [row(60, 300.0, ONE_STARVED), row(120, 250.0, ONE_STARVED)]
    report = {
        "target": {"max_frechet_distance": 3.75, "min_class_share": MIN_CLASS_SHARE},
        "contenders": {"dcgan_lib": {"rows": fast}, "blog loop": {"rows": slow}},
    }
    facts = race_facts(report, level=100.0)
    assert facts["dcgan_lib_when_level"] == "after 2 minutes"
    assert facts["blog_loop_when_level"] == "not within its 2 minutes"
    assert facts["blog_loop_images_per_second"] == pytest.approx(100.0)
    assert facts["blog_loop_final_min_share"] == pytest.approx(0.05)
    assert (facts["best"], facts["met_target"]) == ("dcgan_lib", "dcgan_lib")
    assert facts["best_times_limit"] == pytest.approx(3.0 / 3.75)
    assert (facts["average_ahead"], facts["turns"]) == (2, 3)
    assert (facts["average_rises"], facts["trained_rises"]) == (0, 0)
