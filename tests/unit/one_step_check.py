"""One step on several replicas against one step on one device, for the distribution tests.

Imported by the scripts ``two_cpu_replicas.py`` and ``multiworker_worker.py``, each run
in a fresh interpreter. Small dense networks without batch norm or dropout, trained by
plain SGD on fixed noise, make the comparison exact in exact arithmetic: each replica
takes its slice of the noise and of the batch, so one step on the slices must equal one
step on the whole batch up to float32 rounding.
"""

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.gan import DCGAN


def small_gan(strategy: tf.distribute.Strategy, noise: np.ndarray, ema_decay: float) -> DCGAN:
    """The small DCGAN, built under ``strategy``, each replica drawing its slice of ``noise``."""
    with strategy.scope():
        keras.utils.set_random_seed(1)
        generator = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(784, activation="tanh"),
                keras.layers.Reshape((28, 28, 1)),
            ]
        )
        discriminator = keras.Sequential(
            [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]
        )
        gan = DCGAN(generator, discriminator, latent_dim=4, seed=3, ema_decay=ema_decay)
        gan.compile(g_optimizer=keras.optimizers.SGD(0.5), d_optimizer=keras.optimizers.SGD(0.5))
    share = len(noise) // strategy.num_replicas_in_sync

    def replica_noise(batch_size):
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        return tf.constant(noise)[replica * share : (replica + 1) * share]

    gan.sample_noise = replica_noise
    return gan


def largest_difference(first, second) -> float:
    """The largest absolute difference between two lists of weights."""
    return max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in zip(first, second))


def one_step_against_one_device(strategy: tf.distribute.Strategy, ema_decay: float = 0.0):
    """One step of the small DCGAN on one device and under ``strategy``, on the same batch.

    Returns:
        ``(alone, together, report)``: both models after their step, and the largest
        differences of their trainable weights and of every logged value.
    """
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    noise = rng.standard_normal((16, 4)).astype("float32")
    alone = small_gan(tf.distribute.get_strategy(), noise, ema_decay)
    together = small_gan(strategy, noise, ema_decay)
    alone_logs = alone.train_step(tf.constant(real))
    dataset = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(real))
    together_logs = strategy.run(tf.function(together.train_step), args=(next(iter(dataset)),))
    report = {
        "weight_difference_to_one_device": largest_difference(
            alone.trainable_weights, together.trainable_weights
        ),
        # A multi-machine step logs one-element vectors; reshape reads both kinds.
        "log_difference_to_one_device": max(
            abs(float(value) - float(np.asarray(logged).reshape(())))
            for name, value in alone_logs.items()
            for logged in strategy.experimental_local_results(together_logs[name])
        ),
    }
    return alone, together, report
