"""Training on a cluster of machines: ``make_strategy("multiworker")`` and ``TF_CONFIG``.

The cluster here is two worker processes on this machine, talking over
``127.0.0.1`` as separate machines would over the network. Each runs
``multiworker_worker.py``: the library's own path (``make_strategy``, then
``runs.train``), a few steps of batch 8 per replica on the bundled sample.

What they should compute. Both workers must end with the same trained weights,
bit for bit: every step all-reduces the gradients, so each applies the same
update. (The batch-norm moving statistics are the exception by design: each
replica keeps its own, see ``dcgan_lib.distribute``.) They do *not* compute
what one device computes on the global batch of 16, and cannot, for three
reasons that are the library's documented design (``dcgan_lib.distribute``,
``DCGAN.sample_noise``): batch normalisation normalises each replica's half
batch with that half's statistics; each replica draws its own noise, from the
training seed with its replica index folded in, where one device draws one
batch of 16; and the dropout masks are drawn per replica for 8 images, not once
for 16. (Measured: after 4 steps the weights lie up to 5e-3 from those of a
one-device run with batch 16.) The test therefore compares the workers with the
computation they do perform: one process running the same two replicas under
``MirroredStrategy`` on two logical CPUs, which must match exactly, batch-norm
statistics of each replica included. (Every process runs with Grappler's
constant folding off, which otherwise rounds the two graphs differently; see
``multiworker_worker.py``.) That the step of several replicas is the step of
the whole batch is then checked where it holds exactly in exact arithmetic:
networks without batch norm or dropout on fixed noise, one step across the two
processes against one step on one device, equal up to float32 rounding (1e-5),
as the mirrored test (``test_distribute.py``) checks within one process.

A worker whose peers never come must fail, promptly and in words, instead of
waiting forever inside TensorFlow.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dcgan_lib.cli import main
from dcgan_lib.distribute import make_strategy
from dcgan_lib.errors import ConfigError

WORKER = Path(__file__).with_name("multiworker_worker.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
STEPS = 4  # multiworker_worker.CONFIG
# Seconds the unreachable-peer checks wait; the real default is two minutes.
SHORT_PEER_TIMEOUT = 3


def free_port() -> int:
    """A port nothing listens on now (the system's pick for port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tf_config(ports: list[int], index: int) -> str:
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def subprocess_env(**variables: str) -> dict[str, str]:
    """This environment, on the CPU, importing this checkout, without a cluster of its own."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(CUDA_VISIBLE_DEVICES="", DCGAN_SHORT_RUN="1", **variables)
    return env


def read_run(run_dir: Path) -> dict:
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    replicas = {
        int(path.stem.removeprefix("replica")): dict(np.load(path))
        for path in run_dir.glob("replica*.npz")
    }
    report = json.loads((run_dir / "report.json").read_text())
    return {"report": report, "history": history, "replicas": replicas}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two workers of one cluster, and one process with two devices, trained side by side.

    Worker 1 starts two seconds before worker 0, the chief, and so has to wait
    for it, as machines of a cluster that start at different moments do.
    """
    root = tmp_path_factory.mktemp("multiworker")
    ports = [free_port(), free_port()]
    commands = {
        "worker1": ("worker", subprocess_env(TF_CONFIG=tf_config(ports, 1))),
        "two_devices": ("two_devices", subprocess_env()),
        "worker0": ("worker", subprocess_env(TF_CONFIG=tf_config(ports, 0))),
    }
    processes = {}
    try:
        for name, (mode, env) in commands.items():
            if name == "worker0":
                time.sleep(2)
            log = (root / f"{name}.log").open("w")
            processes[name] = subprocess.Popen(
                [sys.executable, str(WORKER), mode, str(root / name)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO_ROOT,
            )
        for name, process in processes.items():
            returncode = process.wait(timeout=300)
            assert returncode == 0, f"{name}:\n{(root / f'{name}.log').read_text()[-3000:]}"
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return {name: read_run(root / name) for name in commands}


def is_batch_norm_statistic(path: str) -> bool:
    return path.endswith(("moving_mean", "moving_variance"))


def test_two_workers_train_the_configured_steps_together(runs):
    for name in ("worker0", "worker1"):
        assert runs[name]["report"]["replicas"] == 2
        assert runs[name]["report"]["step"] == STEPS
        assert [row["step"] for row in runs[name]["history"]] == [2, 4]


def test_both_workers_end_with_identical_weights(runs):
    # Each worker holds one replica: worker i's is replica i. Batch-norm moving statistics
    # are per replica (dcgan_lib.distribute); everything trained is all-reduced, so equal.
    first, second = runs["worker0"]["replicas"][0], runs["worker1"]["replicas"][1]
    assert first.keys() == second.keys()
    trained = [path for path in first if not is_batch_norm_statistic(path)]
    assert any(path.startswith("generator") for path in trained)
    assert any(path.startswith("discriminator") for path in trained)
    different = [path for path in trained if not np.array_equal(first[path], second[path])]
    assert not different


def test_workers_compute_exactly_what_two_devices_of_one_process_compute(runs):
    # Same replicas, same halves of every batch, same noise: only the all-reduce moved
    # between processes. Batch-norm statistics included, replica by replica.
    two_devices = runs["two_devices"]["replicas"]
    assert sorted(two_devices) == [0, 1]
    for index in (0, 1):
        worker = runs[f"worker{index}"]["replicas"][index]
        assert worker.keys() == two_devices[index].keys()
        different = [
            path for path in worker if not np.array_equal(worker[path], two_devices[index][path])
        ]
        assert not different, f"worker {index} differs from replica {index} in {different}"


def test_workers_log_the_losses_of_the_whole_global_batch(runs):
    def losses(history):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in history]

    assert losses(runs["worker0"]["history"]) == losses(runs["two_devices"]["history"])
    assert losses(runs["worker1"]["history"]) == losses(runs["two_devices"]["history"])


def test_each_worker_saves_the_generator_it_trained(runs):
    assert runs["worker0"]["report"]["saved_generator_is_first_local_replica"]
    assert runs["worker1"]["report"]["saved_generator_is_first_local_replica"]


def test_a_step_of_the_cluster_is_the_step_of_one_device_on_the_whole_batch(runs):
    # Gradients summed over the two processes are those of the whole batch's mean loss,
    # up to the order of float32 additions.
    for name in ("worker0", "worker1"):
        assert runs[name]["report"]["one_step_weight_difference_to_one_device"] < 1e-5
        assert runs[name]["report"]["one_step_log_difference_to_one_device"] < 1e-5


def test_a_worker_whose_peer_never_starts_fails_in_one_line_within_the_bound(tmp_path):
    # Without the bound TensorFlow waits for the peer inside MultiWorkerMirroredStrategy()
    # for minutes (measured: still waiting after 150 s, deaf to SIGTERM).
    ports = [free_port(), free_port()]
    env = subprocess_env(TF_CONFIG=tf_config(ports, 0))
    arguments = ["--sample-data", "--steps", "2", "--batch-size", "8", "--out", str(tmp_path),
                 "--peer-timeout", str(SHORT_PEER_TIMEOUT)]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "dcgan_lib", "train", "--strategy", "multiworker", *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=90,  # TensorFlow's start-up, the 3 s wait, and room for a loaded machine
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith(
        f"error: the multiworker strategy could not reach worker 1 at 127.0.0.1:{ports[1]} "
        f"within {SHORT_PEER_TIMEOUT} s"
    )
    assert "TF_CONFIG" in lines[0] and "--peer-timeout" in lines[0]
    assert elapsed >= SHORT_PEER_TIMEOUT


def test_the_wait_for_peers_is_a_parameter_of_make_strategy(monkeypatch):
    # It fails before TensorFlow starts a server, so it can run inside the test process.
    ports = [free_port(), free_port(), free_port()]
    monkeypatch.setenv("TF_CONFIG", tf_config(ports, 1))
    started = time.monotonic()
    with pytest.raises(ConfigError) as error:
        make_strategy("multiworker", peer_timeout=0.5)
    assert 0.5 <= time.monotonic() - started < 10
    assert f"worker 0 at 127.0.0.1:{ports[0]}, worker 2 at 127.0.0.1:{ports[2]} within 0.5 s" in (
        str(error.value)
    )


@pytest.mark.parametrize(
    "tf_config_text",
    [
        "{'cluster': {}}",  # not JSON
        '["127.0.0.1:2222"]',  # not an object
        '{"task": {"type": "worker", "index": 0}}',  # no cluster
        '{"cluster": {"worker": ["127.0.0.1:2222"]}}',  # no task
        '{"cluster": {"worker": ["127.0.0.1"]}, "task": {"type": "worker", "index": 0}}',
        '{"cluster": {"worker": ["127.0.0.1:2222"]}, "task": {"type": "worker", "index": 1}}',
    ],
)
def test_a_malformed_cluster_description_is_one_clear_line(monkeypatch, tf_config_text):
    monkeypatch.setenv("TF_CONFIG", tf_config_text)
    with pytest.raises(ConfigError, match="TF_CONFIG does not describe a cluster") as error:
        make_strategy("multiworker", peer_timeout=1)
    assert "\n" not in str(error.value)
    assert '{"cluster": {"worker": ["host1:port"' in str(error.value)  # what it should look like


def test_a_worker_whose_port_is_taken_says_so(monkeypatch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        monkeypatch.setenv("TF_CONFIG", tf_config([taken, free_port()], 0))
        with pytest.raises(ConfigError, match=f"cannot listen on port {taken} of its address"):
            make_strategy("multiworker", peer_timeout=1)


def test_the_command_line_reports_a_malformed_cluster_description(monkeypatch, capsys):
    monkeypatch.setenv("TF_CONFIG", "worker 0 of 2")
    assert main(["train", "--strategy", "multiworker", "--sample-data", "--steps", "1"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: TF_CONFIG does not describe a cluster")
    assert error.count("\n") == 1
