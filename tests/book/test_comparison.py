"""Measuring training runs and shipping the comparison of the chapter "Evaluation"."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from dcgan_lib.book.assets import export_comparison
from dcgan_lib.book.comparison import (
    COMPARISON_NAMES,
    as_result,
    comparison_dir,
    evaluate_snapshots,
    format_comparison_table,
    load_comparison,
    load_comparison_run,
    reference_metrics_over_training,
)
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import load_mnist_sample
from dcgan_lib.errors import DataError
from dcgan_lib.metrics import SAMPLE_DATA, evaluate_generator, reference_metrics
from dcgan_lib.pretrained import reference_run
from dcgan_lib.runs import RunDirectory, train

# Snapshots at 0, 2 and 4; grids only at 0 and 4, so step 2 has a snapshot but no grid.
TINY = TrainConfig(
    precision="float32",
    steps=4,
    batch_size=16,
    sample_every=4,
    checkpoint_every=4,
    snapshot_every=2,
    log_every=2,
    num_samples=4,
)
NUM_SAMPLES = 40
METRIC_FIELDS = {
    "frechet_distance",
    "inception_score",
    "precision",
    "recall",
    "classes_covered",
    "class_total_variation",
    "class_shares",
    "num_samples",
    "num_real",
    "k",
}
SMALL_FILE_BYTES = 100_000


@pytest.fixture(scope="module")
def measured_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A four-step run on the bundled sample, measured at each snapshot."""
    run = tmp_path_factory.mktemp("runs") / "tiny"
    (x_train, _), _ = load_mnist_sample()
    train(TINY, x_train[:256], run, verbose=0)
    evaluate_snapshots(run, NUM_SAMPLES, data=SAMPLE_DATA)
    return run


def test_snapshot_steps_lists_every_saved_snapshot_in_order(measured_run: Path) -> None:
    assert RunDirectory(measured_run).snapshot_steps() == [0, 2, 4]


def test_each_snapshot_gets_one_row_with_step_images_seen_and_training_seconds(
    measured_run: Path,
) -> None:
    run = RunDirectory(measured_run)
    rows = run.metrics()
    history = {row["step"]: row["seconds"] for row in run.history()}
    assert [row["step"] for row in rows] == [0, 2, 4]
    assert [row["images_seen"] for row in rows] == [0, 32, 64]
    assert [row["seconds"] for row in rows] == [0.0, history[2], history[4]]
    for row in rows:
        assert METRIC_FIELDS <= set(row)
        assert row["num_samples"] == row["num_real"] == NUM_SAMPLES
        assert sum(row["class_shares"]) == pytest.approx(1.0)
        assert 1.0 <= row["inception_score"] <= 10.0


def test_a_row_holds_exactly_what_evaluate_generator_reports_for_that_snapshot(
    measured_run: Path,
) -> None:
    run = RunDirectory(measured_run)
    row = run.metrics()[1]
    direct = evaluate_generator(run.load_generator(2), NUM_SAMPLES, data=SAMPLE_DATA)
    assert as_result(row) == direct


def test_a_missing_snapshot_is_reported_with_the_steps_that_exist(measured_run: Path) -> None:
    with pytest.raises(DataError, match="no snapshot at step 3.*0, 2, 4"):
        RunDirectory(measured_run).load_generator(3)


def test_a_run_without_snapshots_cannot_be_measured(tmp_path: Path) -> None:
    TINY.save(tmp_path / "config.json")
    with pytest.raises(DataError, match="no generator snapshots"):
        evaluate_snapshots(tmp_path, NUM_SAMPLES, data=SAMPLE_DATA)


def test_export_copies_only_small_files_and_never_weights(
    measured_run: Path, tmp_path: Path
) -> None:
    out = export_comparison(measured_run, tmp_path / "tiny").root
    files = sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())
    assert files == [
        "config.json",
        "history.jsonl",
        "metrics.jsonl",
        "samples/step_000002.png",
        "samples/step_000004.png",
    ]
    assert all((out / name).stat().st_size < SMALL_FILE_BYTES for name in files)


def test_export_until_a_step_cuts_history_and_metrics_there(
    measured_run: Path, tmp_path: Path
) -> None:
    run = load_comparison_run(
        "tiny", export_comparison(measured_run, tmp_path / "tiny", until_step=2).root.parent
    )
    assert [row["step"] for row in run.metrics] == [0, 2]
    assert [row["step"] for row in run.history] == [2]
    assert run.final["images_seen"] == 32
    assert run.final_digits.shape == (TINY.num_samples, 28, 28)
    assert run.config == TINY


def test_a_grid_drawn_from_a_snapshot_is_the_grid_the_run_saved(
    measured_run: Path, tmp_path: Path
) -> None:
    copy = shutil.copytree(measured_run, tmp_path / "copy")
    (copy / "samples" / "step_000004.png").unlink()
    out = export_comparison(copy, tmp_path / "exported", sample_steps=[4])
    drawn = imread(out.sample_path(4))
    assert np.array_equal(drawn, imread(measured_run / "samples" / "step_000004.png"))


def test_exporting_an_unmeasured_step_is_an_error(measured_run: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="step 3 .* was not measured"):
        export_comparison(measured_run, tmp_path / "tiny", until_step=3)


def test_the_comparison_table_names_every_run_and_the_real_digits(
    measured_run: Path, tmp_path: Path
) -> None:
    export_comparison(measured_run, tmp_path / "a")
    export_comparison(measured_run, tmp_path / "b", until_step=2)
    runs = load_comparison(("a", "b"), tmp_path)
    table = format_comparison_table(runs, reference_metrics(500, data=SAMPLE_DATA))
    lines = table.splitlines()
    assert lines[2].startswith("a ") and lines[3].startswith("b ")
    assert any(line.startswith("real data") for line in lines)


# --- The shipped measurements -------------------------------------------------------------------


def test_the_shipped_comparison_runs_all_saw_64000_training_images() -> None:
    runs = load_comparison()
    assert list(runs) == list(COMPARISON_NAMES)
    assert {run.final["images_seen"] for run in runs.values()} == {64_000}
    for run in runs.values():
        assert run.final["num_samples"] == 5000
        assert run.final["step"] in run.samples


def test_the_shipped_comparison_holds_no_weights_and_stays_small() -> None:
    files = [path for path in comparison_dir().rglob("*") if path.is_file()]
    assert not [path for path in files if path.name.endswith(".h5")]
    assert sum(path.stat().st_size for path in files) < 1_000_000
    assert load_comparison_run("blog").samples


def test_the_reference_run_was_measured_at_every_snapshot_from_step_0() -> None:
    rows = reference_metrics_over_training()
    batch_size = reference_run().config().batch_size
    assert rows[0]["step"] == 0
    assert [row["images_seen"] for row in rows] == [row["step"] * batch_size for row in rows]
    assert rows[-1]["frechet_distance"] < rows[0]["frechet_distance"]
