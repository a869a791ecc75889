"""Where training runs: one device, several GPUs, several machines, or a TPU.

A ``tf.distribute.Strategy`` copies the two networks onto each of its
*replicas* (devices). Every step, each replica trains on its own slice of the
batch, and the replicas add up their gradients before the optimizers apply
them, so the copies of the weights stay identical. :func:`dcgan_lib.runs.train` and the command
line's ``--strategy`` take one; the training step itself (chapter "Implementation", "The
train step") is written so that it is correct under any of them.

Batch sizes: ``TrainConfig.batch_size`` is the batch of *one replica*, so a run
on ``R`` replicas trains on global batches of ``R * batch_size`` images, and a
training step is one step of that global batch (:func:`global_batch_size`).
Learning rates are not rescaled: doubling the replicas doubles the images per
step, as a larger ``batch_size`` would.

Some things stay per replica, as Keras does them by default. Batch
normalisation normalises each replica's slice with that slice's statistics,
and each replica keeps its own moving averages (which the generator uses for
inference); checkpoints and saved weights hold those of the first replica.
The dropout layers of the book's discriminator draw their masks from a seed
that every replica holds a copy of, so all replicas drop the same units.
"""

from __future__ import annotations

import os

from dcgan_lib._runtime import tf
from dcgan_lib.errors import ConfigError

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")
"""The strategy names :func:`make_strategy` accepts (``--strategy`` on the command line)."""


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy called ``name``.

    * ``"default"``: no distribution; one device, TensorFlow's choice (the
      first GPU if there is one, else the CPU). Right for a laptop, a single
      GPU, and the book's chapters.
    * ``"mirrored"``: ``MirroredStrategy`` over all GPUs of this machine (or
      its CPU if it has none), one replica each. Use it on a machine with
      several GPUs.
    * ``"multiworker"``: ``MultiWorkerMirroredStrategy``, the mirrored strategy
      over the GPUs of several machines. Every machine runs the same command,
      with the environment variable ``TF_CONFIG`` describing the cluster and
      its own place in it, and its own run directory; the chief's (worker 0)
      is the one to keep. Create it before any other TensorFlow work.
    * ``"tpu"``: ``TPUStrategy`` over the cores of a Cloud TPU, such as the TPU
      runtime of Colab; it needs a TensorFlow build with TPU support.

    Raises:
        ConfigError: an unknown name, ``"multiworker"`` without ``TF_CONFIG``,
            or ``"tpu"`` on a machine without a TPU.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise ConfigError(
                "the multiworker strategy needs the environment variable TF_CONFIG to describe "
                "the cluster of machines; on a single machine use the mirrored strategy."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        return _tpu_strategy()
    raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}, got {name!r}.")


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
