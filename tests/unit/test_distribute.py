"""Training under tf.distribute strategies (dcgan_lib.distribute, and the step in .training).

Several replicas need several devices, and TensorFlow only splits the CPU into
logical devices before it starts; the two-replica checks therefore run once, in
a fresh interpreter (``two_cpu_replicas.py``), and report back as JSON.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dcgan_lib._runtime import tf
from dcgan_lib.cli import main
from dcgan_lib.config import TrainConfig
from dcgan_lib.distribute import global_batch_size, make_strategy, num_replicas
from dcgan_lib.errors import ConfigError

TWO_CPU_REPLICAS = Path(__file__).with_name("two_cpu_replicas.py")
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def two_replicas(tmp_path_factory):
    """What a short run under MirroredStrategy over two logical CPUs reported."""
    run_dir = tmp_path_factory.mktemp("distribute") / "run"
    env = dict(os.environ)
    # The script must import this checkout's dcgan_lib, as the tests do.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(TWO_CPU_REPLICAS), str(run_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_default_strategy_has_one_replica_and_the_configured_batch():
    strategy = make_strategy("default")
    assert strategy is tf.distribute.get_strategy()
    assert num_replicas(strategy) == 1
    assert global_batch_size(TrainConfig().batch_size, strategy) == TrainConfig().batch_size
    assert global_batch_size(16) == 16


def test_unknown_strategy_is_a_clear_error():
    with pytest.raises(ConfigError, match="strategy must be one of default, mirrored"):
        make_strategy("parallel")


def test_multiworker_without_a_cluster_description_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="TF_CONFIG"):
        make_strategy("multiworker")


def test_command_line_reports_replicas_and_global_batch(tmp_path, capsys):
    arguments = ["train", "--sample-data", "--batch-size", "16", "--steps", "1", "--quiet"]
    assert main([*arguments, "--strategy", "default", "--out", str(tmp_path / "run")]) == 0
    assert "Strategy default: 1 replica, global batch 16 = 16 per replica x 1" in (
        capsys.readouterr().out
    )


def test_command_line_rejects_an_unknown_strategy(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--strategy", "parallel"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'parallel'" in capsys.readouterr().err


def test_two_cpu_replicas_train_the_configured_global_steps(two_replicas):
    assert two_replicas["replicas"] == 2
    assert two_replicas["step"] == 4
    assert [row["step"] for row in two_replicas["history"]] == [2, 4]


def test_two_cpu_replicas_update_both_networks_with_finite_losses(two_replicas):
    assert two_replicas["generator_changed"] and two_replicas["discriminator_changed"]
    for row in two_replicas["history"]:
        assert all(math.isfinite(row[name]) for name in ("d_loss", "g_loss", "d_real", "d_fake"))


def test_generator_trained_on_two_replicas_loads_from_its_weights_file(two_replicas):
    assert two_replicas["loaded_generator_error"] < 1e-6


def test_a_two_replica_run_resumes_on_two_replicas_and_on_one_device(two_replicas):
    assert two_replicas["resumed_step"] == 6
    assert two_replicas["resumed_on_one_device_step"] == 8


def test_replicas_draw_different_noise(two_replicas):
    assert two_replicas["replicas_draw_different_noise"]


def test_two_replicas_take_the_step_one_device_takes_on_the_whole_batch(two_replicas):
    # Gradients summed over replicas are those of the whole batch's mean loss, and every
    # replica logs the whole batch's means.
    assert two_replicas["weight_difference_to_one_device"] < 1e-5
    assert two_replicas["log_difference_to_one_device"] < 1e-5


def test_two_replicas_average_the_generator_as_one_device_does(two_replicas):
    assert two_replicas["averaged_moved"]
    assert two_replicas["averaged_difference_to_one_device"] < 1e-5


def test_xla_with_several_gpu_or_cpu_replicas_is_a_clear_error(two_replicas):
    assert "jit_compile does not work with 2 replicas" in two_replicas.get("jit_compile_error", "")
