"""The maintainer's tasks that make the shipped assets (python -m dcgan_lib.book.assets)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dcgan_lib.book import assets
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import load_mnist_sample
from dcgan_lib.runs import RunDirectory, train

TASKS = (
    "train-classifier",
    "reference-metrics",
    "evaluate-snapshots",
    "export-run",
    "export-comparison",
    "blog-run",
)


def test_every_task_is_listed_and_has_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        assets.main(["--help"])
    assert exit_info.value.code == 0
    listing = capsys.readouterr().out
    assert all(task in listing for task in TASKS)
    for task in TASKS:
        with pytest.raises(SystemExit) as exit_info:
            assets.main([task, "--help"])
        assert exit_info.value.code == 0


@pytest.mark.parametrize(
    "arguments",
    [
        ["train-classifier", "--sample-data"],
        ["reference-metrics"],
        ["export-run", "r", "--command", "c"],
        ["blog-run"],
    ],
)
def test_tasks_that_make_package_files_write_only_where_out_says(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        assets.main(arguments)
    assert exit_info.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_reference_metrics_refuse_the_short_run_sample_for_full_mnist(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("DCGAN_SHORT_RUN", "1")
    status = assets.main(["reference-metrics", "--out", str(tmp_path / "cache.json")])
    assert status == 1
    assert capsys.readouterr().err.startswith("error: unset DCGAN_SHORT_RUN")
    assert not (tmp_path / "cache.json").exists()


def test_an_exported_run_is_a_run_directory_with_a_record(tmp_path):
    (x_train, _), _ = load_mnist_sample()
    config = TrainConfig(steps=4, batch_size=16, sample_every=2, checkpoint_every=4, log_every=2)
    train(config, x_train[:256], tmp_path / "run", verbose=0)
    status = assets.main(
        ["export-run", str(tmp_path / "run"), "--out", str(tmp_path / "out"),
         "--command", "python -m dcgan_lib train --steps 4", "--sample-every", "4"]
    )  # fmt: skip
    assert status == 0
    exported = RunDirectory(tmp_path / "out")
    assert exported.config() == config
    assert list(exported.samples()) == [0, 4]
    assert not (tmp_path / "out" / "checkpoints").exists()
    record = exported.record()
    assert record["steps"] == 4 and record["images_seen"] == 64
    assert record["command"] == "python -m dcgan_lib train --steps 4"
    assert {"python", "tensorflow", "keras", "cpu", "cpu_cores"} <= set(record["environment"])
    exported.load_generator()


def test_the_shipped_classifier_record_names_the_weights_beside_it():
    from dcgan_lib.classifier import weights_sha256

    record = assets.classifier_record()
    assert record["weights_sha256"] == weights_sha256()
    assert record["test_digits"] == 10_000 and record["test_accuracy"] >= 0.99
    assert json.dumps(assets.environment_record())


def test_first_per_class_keeps_original_order():
    labels = np.array([3, 1, 3, 3, 1, 0])
    images = np.arange(6)
    kept_images, kept_labels = assets.first_per_class(images, labels, 2)
    assert kept_images.tolist() == [0, 1, 2, 4, 5]
    assert kept_labels.tolist() == [3, 1, 3, 1, 0]
