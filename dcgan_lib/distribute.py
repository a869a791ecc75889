"""Where training runs: one device, several GPUs, several machines, or a TPU.

A ``tf.distribute.Strategy`` copies the two networks onto each of its
*replicas* (devices). Every step, each replica trains on its own slice of the
batch, and the replicas add up their gradients before the optimizers apply
them, so the copies of the weights stay identical. :func:`dcgan_lib.runs.train`
and ``--strategy`` take one. ``TrainConfig.batch_size`` is the batch of *one
replica*: a step on ``R`` replicas trains on ``R * batch_size`` images
(:func:`global_batch_size`), with the learning rates unchanged.

Batch normalisation stays per replica, as Keras does it by default: each
replica normalises its slice with that slice's statistics and keeps its own
moving averages; saved weights hold those of the process's first replica. All
replicas share the seed of the discriminator's dropout, so they drop the same units.

TensorFlow waits without limit for every machine that ``TF_CONFIG`` names, so
:func:`make_strategy` first waits, for at most ``peer_timeout`` seconds, until
the other machines accept connections, and otherwise fails with their names.
"""

from __future__ import annotations

import json
import os
import socket
import time

from dcgan_lib._runtime import tf
from dcgan_lib.errors import ConfigError

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")
"""The strategy names :func:`make_strategy` accepts (``--strategy`` on the command line)."""

PEER_TIMEOUT = 120.0
"""Seconds a multi-worker run waits for the other machines of its cluster to start."""

# The jobs of TF_CONFIG whose tasks take part in the all-reduce of a multi-worker run.
_TRAINING_JOBS = ("chief", "worker")


def make_strategy(name: str, peer_timeout: float = PEER_TIMEOUT) -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy called ``name``.

    * ``"default"``: no distribution; one device, TensorFlow's choice (the
      first GPU if there is one, else the CPU): a laptop, one GPU, the chapters.
    * ``"mirrored"``: ``MirroredStrategy`` over all GPUs of this machine (or
      its CPU if it has none), one replica each.
    * ``"multiworker"``: ``MultiWorkerMirroredStrategy``, the mirrored strategy
      over several machines. Every machine runs the same command, with its own
      run directory and the environment variable ``TF_CONFIG`` describing the
      cluster and its place in it; the chief's (worker 0's) run is the one to
      keep. Create it before any other TensorFlow work.
    * ``"tpu"``: ``TPUStrategy`` over the cores of a Cloud TPU, such as Colab's
      TPU runtime; it needs a TensorFlow build with TPU support.

    Args:
        name: one of :data:`STRATEGIES`.
        peer_timeout: ``"multiworker"`` only: seconds to wait for the other machines.

    Raises:
        ConfigError: an unknown name; ``"multiworker"`` without a valid
            ``TF_CONFIG``, with this machine's port taken, or with a peer that
            does not accept connections within ``peer_timeout`` seconds; or
            ``"tpu"`` on a machine without a TPU.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        _wait_for_peers(*_cluster_addresses(), peer_timeout)
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        return _tpu_strategy()
    raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}, got {name!r}.")


def _cluster_addresses() -> tuple[str | None, dict[str, str]]:
    """This task's address and the other training tasks' (``"worker 1"``: ``"host:port"``).

    The address is ``None`` for a task outside the all-reduce (an evaluator),
    which neither waits for the others nor is waited for.
    """
    text = os.environ.get("TF_CONFIG", "")
    if not text.strip():
        raise ConfigError(
            "the multiworker strategy needs the environment variable TF_CONFIG to describe "
            "the cluster of machines; on a single machine use the mirrored strategy."
        )
    try:
        config = json.loads(text)
        task = (config["task"]["type"], config["task"]["index"])
        tasks = {
            (job, int(index)): address
            for job, addresses in config["cluster"].items()
            for index, address in (
                addresses.items() if isinstance(addresses, dict) else enumerate(addresses)
            )
        }
        own = tasks[task] if task[0] in _TRAINING_JOBS else None
        for address in tasks.values():
            int(address.rpartition(":")[2])  # every address names its port
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise ConfigError(
            f"TF_CONFIG does not describe a cluster ({problem}); it must be JSON such as "
            '{"cluster": {"worker": ["host1:port", "host2:port"]}, '
            '"task": {"type": "worker", "index": 0}}.'
        ) from None
    peers = {
        f"{job} {index}": address
        for (job, index), address in tasks.items()
        if job in _TRAINING_JOBS and (job, index) != task
    }
    return own, peers if own else {}


def _wait_for_peers(own: str | None, peers: dict[str, str], timeout: float) -> None:
    """Return once every peer accepts a TCP connection; fail at the deadline.

    Meanwhile this task listens (without answering) on its own port, so that the
    peers' checks find it up before TensorFlow's server takes the port over.
    """
    if not peers:
        return
    port = int(own.rpartition(":")[2])
    try:
        listener = socket.create_server(("", port))
    except OSError as error:
        raise ConfigError(
            f"this worker cannot listen on port {port} of its address {own} in TF_CONFIG "
            f"({error.strerror or error}): choose a free port, or stop what holds it."
        ) from None
    deadline = time.monotonic() + timeout
    with listener:
        while peers and time.monotonic() < deadline:
            peers = {name: address for name, address in peers.items() if not _answers(address)}
            time.sleep(0.25 if peers else 0)
    if peers:
        missing = ", ".join(f"{name} at {address}" for name, address in peers.items())
        raise ConfigError(
            f"the multiworker strategy could not reach {missing} within {timeout:g} s: start "
            "the same command on every machine of TF_CONFIG's cluster, and check its addresses "
            "and ports and that no firewall blocks them (--peer-timeout sets the wait)."
        )


def _answers(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
            return True
    except OSError:  # refused, unreachable, timed out, or a name not (yet) known
        return False


def _tpu_strategy() -> tf.distribute.TPUStrategy:
    failures = []
    # "local" is a TPU attached to this machine (a TPU VM, as Colab's TPU runtime is);
    # "" finds a TPU on the network named by the environment (older Colab, Cloud TPU nodes).
    for tpu, where in (("local", "on this machine"), ("", "on the network")):
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver.connect(tpu=tpu)
        except (ValueError, RuntimeError, tf.errors.OpError) as error:
            failures.append(f"{where}: {str(error).split('. ')[0].rstrip('.')}")
            continue
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(
        f"no TPU found ({'; '.join(failures)}). In Colab choose a TPU runtime "
        "(Runtime > Change runtime type), or train with another strategy."
    )


def num_replicas(strategy: tf.distribute.Strategy | None = None) -> int:
    """Replicas that train in step: 1 without distribution.

    Args:
        strategy: by default, the strategy whose scope is active (usually none).
    """
    return (strategy or tf.distribute.get_strategy()).num_replicas_in_sync


def global_batch_size(batch_size: int, strategy: tf.distribute.Strategy | None = None) -> int:
    """Images in one training step: ``batch_size`` per replica on every replica.

    Args:
        batch_size: images per replica, ``TrainConfig.batch_size``.
        strategy: by default, the strategy whose scope is active (usually none).
    """
    return batch_size * num_replicas(strategy)
