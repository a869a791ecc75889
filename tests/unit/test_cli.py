"""The command line, python -m dcgan_lib (dcgan_lib.cli)."""

import re
import subprocess
import sys

import pytest

from dcgan_lib.cli import main
from dcgan_lib.config import TrainConfig

FAST = ["--sample-data", "--batch-size", "16", "--sample-every", "2", "--checkpoint-every", "2",
        "--log-every", "2", "--quiet"]  # fmt: skip


def test_the_command_line_lists_the_user_commands_only(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    listing = capsys.readouterr().out
    commands = re.findall(r"^    (\S+)  ", listing, re.MULTILINE)
    assert commands == ["train", "sample", "evaluate", "diagnose"]


@pytest.mark.parametrize("command", ["train", "sample", "evaluate", "diagnose"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: python -m dcgan_lib " + command in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["train", "--steps", "-5"], "--steps: must be at least 1, got -5"),
        (["train", "--steps", "ten"], "--steps: expected a whole number, got 'ten'"),
        (["train", "--batch-size", "0"], "--batch-size: must be at least 1"),
        (["train", "--lr", "2"], r"--lr: must be in \[0, 1\)"),
        (["train", "--variant", "big"], "invalid choice: 'big'"),
        (["train", "--precision", "float64"], "invalid choice: 'float64'"),
        (["train", "--loss", "wasserstein"], "invalid choice: 'wasserstein'"),
        (["train", "--upsampling", "bicubic"], "invalid choice: 'bicubic'"),
        (["diagnose"], "the following arguments are required: RUN_DIR"),
    ],
)
def test_malformed_values_exit_with_status_2_and_say_why(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_batch_larger_than_the_data_exits_with_status_1(tmp_path, capsys):
    status = main(["train", "--sample-data", "--batch-size", "5000", "--out", str(tmp_path)])
    assert status == 1
    assert "larger than the data (3000 images)" in capsys.readouterr().err


def test_missing_weights_file_exits_with_status_1(tmp_path, capsys):
    status = main(["sample", "--weights", str(tmp_path / "nope.weights.h5")])
    assert status == 1
    assert "generator weights not found" in capsys.readouterr().err


def test_missing_data_file_exits_with_status_1(tmp_path, capsys):
    status = main(["train", "--data", str(tmp_path / "mnist.npz"), "--out", str(tmp_path / "r")])
    assert status == 1
    assert "MNIST file not found" in capsys.readouterr().err


def test_train_then_resume_then_sample(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *FAST, "--steps", "4", "--out", str(run)]) == 0
    assert main(["train", *FAST, "--steps", "6", "--out", str(run)]) == 1  # would overwrite
    assert "--resume" in capsys.readouterr().err
    assert main(["train", *FAST, "--steps", "6", "--out", str(run), "--resume"]) == 0
    assert "Done at step 6" in capsys.readouterr().out
    grid = tmp_path / "grid.png"
    assert main(["sample", "--weights", str(run), "--out", str(grid), "--num", "9"]) == 0
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resume_applies_new_steps_and_refuses_a_new_learning_rate(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *FAST, "--steps", "2", "--lr", "0.0005", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["train", "--sample-data", "--out", str(run), "--resume", "--lr", "0.001"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "with --lr 0.001 (the run has 0.0005)" in error
    # Without options the run keeps its saved settings, its learning rate included.
    assert (
        main(["train", "--sample-data", "--quiet", "--out", str(run), "--resume", "--steps", "4"])
        == 0
    )
    saved = TrainConfig.load(run / "config.json")
    assert saved.steps == 4 and saved.g_learning_rate == 0.0005 and saved.batch_size == 16


def test_module_runs_as_a_program(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dcgan_lib", "train", *FAST, "--steps", "2", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "generator.weights.h5").is_file()
    assert "Done at step 2" in result.stdout


def test_precision_reaches_the_run_config(tmp_path):
    run = tmp_path / "run"
    options = [*FAST, "--batch-size", "4", "--steps", "2", "--precision", "mixed_bfloat16"]
    assert main(["train", *options, "--out", str(run)]) == 0
    assert TrainConfig.load(run / "config.json").precision == "mixed_bfloat16"


def test_loss_upsampling_and_each_learning_rate_reach_the_run_config(tmp_path):
    run = tmp_path / "run"
    options = ["--loss", "hinge", "--kernel-size", "4", "--upsampling", "resize"]
    options += ["--g-lr", "0.001", "--d-lr", "0.0001"]
    assert main(["train", *FAST, "--steps", "2", *options, "--out", str(run)]) == 0
    saved = TrainConfig.load(run / "config.json")
    assert (saved.loss, saved.kernel_size, saved.upsampling) == ("hinge", 4, "resize")
    assert (saved.g_learning_rate, saved.d_learning_rate) == (0.001, 0.0001)


def test_lr_with_a_network_learning_rate_is_refused(tmp_path, capsys):
    arguments = ["train", *FAST, "--lr", "0.001", "--d-lr", "0.0001", "--out", str(tmp_path)]
    assert main(arguments) == 1
    assert "--lr sets both learning rates" in capsys.readouterr().err
