"""Train briefly as one process of the multi-worker test, and save what it computed.

Run by ``test_multiworker.py`` in fresh interpreters; usage::

    python multiworker_worker.py worker RUN_DIR       # one worker; TF_CONFIG names the cluster
    python multiworker_worker.py two_devices RUN_DIR  # the reference: one process, two CPUs

``worker`` trains through the library's own path (``make_strategy("multiworker")``,
then ``runs.train``) on one replica per process, as every machine of a cluster
does. ``two_devices`` trains the same configuration under ``MirroredStrategy``
over two logical CPUs of one process: the same two replicas, each with its
half of every global batch, its own noise and its own batch-norm statistics,
with the all-reduce inside one process instead of across two.

Each writes into RUN_DIR ``replica<i>.npz`` (the weights of every replica it
holds, keyed by variable path; a worker holds replica ``i`` = its task index)
and ``report.json``.

Grappler's constant-folding pass is turned off in every process: it rewrites the
generator's gradient differently in a graph holding two replicas on two devices
than in one holding one replica per process, which changes the last bit of some
generator gradients (measured with TensorFlow 2.21: weights 1.2e-7 apart after
one step). With it off, the two kinds of run compute bit for bit the same, so
the test can ask for exact equality.
"""

import json
import sys
from pathlib import Path

import numpy as np

from dcgan_lib._runtime import tf

MODE, RUN_DIR = sys.argv[1], Path(sys.argv[2])
if MODE == "two_devices":
    _CPU = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(_CPU, [tf.config.LogicalDeviceConfiguration()] * 2)
tf.config.optimizer.set_experimental_options({"constant_folding": False})

from one_step_check import one_step_against_one_device  # noqa: E402

import dcgan_lib  # noqa: E402
from dcgan_lib.config import TrainConfig  # noqa: E402
from dcgan_lib.distribute import make_strategy  # noqa: E402
from dcgan_lib.gan import DCGAN  # noqa: E402
from dcgan_lib.runs import load_generator, train  # noqa: E402

# The multi-worker strategy must exist before any other TensorFlow work.
if MODE == "worker":
    STRATEGY = make_strategy("multiworker")
elif MODE == "two_devices":
    STRATEGY = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
else:
    raise SystemExit(f"unknown mode {MODE!r}")

CONFIG = TrainConfig(
    precision="float32",  # compared with float32 computations
    steps=4,
    batch_size=8,
    sample_every=2,
    checkpoint_every=2,
    log_every=2,
    num_samples=4,
    ema_decay=0.0,
    seed=0,
)


def replica_weights(gan: DCGAN) -> list[dict[str, np.ndarray]]:
    """Every weight of both networks (batch-norm statistics included), per local replica."""
    replicas: list[dict[str, np.ndarray]] = []
    for weight in gan.generator.weights + gan.discriminator.weights:
        copies = STRATEGY.experimental_local_results(weight.value)
        replicas += [{} for _ in range(len(copies) - len(replicas))]
        for replica, copy in zip(replicas, copies):
            replica[weight.path] = np.asarray(copy)
    return replicas


def compare_with_one_device() -> dict:
    """How far one step of the cluster lands from one single-device step on the whole batch."""
    _, _, report = one_step_against_one_device(STRATEGY)
    return {f"one_step_{name}": value for name, value in report.items()}


if __name__ == "__main__":
    (x_train, _), _ = dcgan_lib.load_mnist_sample()
    gan = train(CONFIG, x_train, RUN_DIR, strategy=STRATEGY, verbose=0)
    replicas = replica_weights(gan)
    first = int(STRATEGY.cluster_resolver.task_id) if MODE == "worker" else 0
    for index, weights in enumerate(replicas, start=first):
        np.savez(RUN_DIR / f"replica{index}.npz", **weights)
    saved = load_generator(RUN_DIR).get_weights()
    report = {
        "replicas": STRATEGY.num_replicas_in_sync,
        "step": gan.step,
        "saved_generator_is_first_local_replica": len(saved) == len(gan.generator.weights)
        and all(
            np.array_equal(a, replicas[0][w.path]) for a, w in zip(saved, gan.generator.weights)
        ),
    }
    report.update(compare_with_one_device())
    (RUN_DIR / "report.json").write_text(json.dumps(report))
