"""benchmarks/README.md is generated from the reports it describes, so its numbers cannot drift."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _report_module():
    spec = importlib.util.spec_from_file_location("benchmarks_report", BENCHMARKS / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_is_what_the_reports_give():
    report = _report_module()
    assert report.README.read_text() == report.render(), "run python benchmarks/report.py"


def test_every_rate_of_the_speed_report_is_in_the_readme():
    report = _report_module()
    speed = json.loads(report.SPEED.read_text())
    text = report.README.read_text()
    for name, rate in speed["images_per_second"].items():
        assert f"| {name} | {rate:.1f} |" in text


def test_the_race_table_reports_each_run_after_ten_minutes(tmp_path):
    report = _report_module()
    rows = [
        {"seconds": 60.0 * turn, "images_seen": 1000 * turn, "frechet_distance": 200.0 / turn}
        for turn in range(1, 12)
    ]
    config = {"seed": 0, "g_learning_rate": 2e-4, "beta_1": 0.5, "batch_size": 64}
    race = {
        "command": "python benchmarks/time_to_quality.py --data mnist.npz",
        "date": "2026-01-01",
        "environment": {"cpu": "a CPU", "cpu_cores": 2, "python": "3", "tensorflow": "2",
                        "keras": "3"},
        "target": {"max_frechet_distance": 3.75, "min_class_share": 0.06},
        "contenders": {
            "defaults-seed0": {"config": {**config, "ema_decay": 0.999, "precision": "auto"},
                               "rows": rows},
            "lr-seed0": {"config": {**config, "g_learning_rate": 4e-4, "ema_decay": 0.999,
                                    "precision": "auto"}, "rows": rows[:5]},
        },
    }  # fmt: skip
    text = report.race_section(race)
    # Ten minutes of training is the tenth turn: 200 / 10 = 20.0; the short run ends earlier.
    assert "| defaults-seed0 | 0 | 17 | 20.0 |" in text
    assert "| lr-seed0 | 0 | 17 | 40.0 |" in text
    assert "`lr` (Adam 0.0004 with beta_1 0.5, batch 64" in text
