"""Train briefly under MirroredStrategy over two logical CPUs and print what happened as JSON.

Run by tests/unit/test_distribute.py in a fresh interpreter: TensorFlow splits the
CPU into logical devices only before it starts, so this cannot run inside the
test process. Usage: ``python two_cpu_replicas.py RUN_DIR``.
"""

import json
import sys

import numpy as np

import dcgan_lib
from dcgan_lib._runtime import keras, tf

_CPU = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_CPU, [tf.config.LogicalDeviceConfiguration()] * 2)

from dcgan_lib.config import TrainConfig  # noqa: E402
from dcgan_lib.errors import ConfigError  # noqa: E402
from dcgan_lib.gan import DCGAN  # noqa: E402
from dcgan_lib.runs import (  # noqa: E402
    RunDirectory,  # noqa: E402
    load_generator,
    train,
)

CONFIG = TrainConfig(
    steps=4, batch_size=8, sample_every=4, checkpoint_every=2, log_every=2, num_samples=4
)


class InitialWeights(keras.callbacks.Callback):
    """Remember both networks' trainable weights as training starts."""

    def on_train_begin(self, logs=None):
        self.generator = [np.array(w) for w in self.model.generator.trainable_weights]
        self.discriminator = [np.array(w) for w in self.model.discriminator.trainable_weights]


def changed(before, after) -> bool:
    return any(not np.array_equal(b, np.asarray(a)) for b, a in zip(before, after))


def train_resume_and_load(strategy, run_dir: str) -> dict:
    """Train, reload the weights file, resume on two replicas, then on one device."""
    (x_train, _), _ = dcgan_lib.load_mnist_sample()
    images = x_train[:400]
    initial = InitialWeights()
    gan = train(CONFIG, images, run_dir, verbose=0, strategy=strategy, extra_callbacks=[initial])
    z = np.random.default_rng(0).standard_normal((2, CONFIG.latent_dim)).astype("float32")
    loaded = load_generator(run_dir)
    report = {
        "replicas": strategy.num_replicas_in_sync,
        "step": gan.step,
        "history": RunDirectory(run_dir).history(),
        "generator_changed": changed(initial.generator, gan.generator.trainable_weights),
        "discriminator_changed": changed(
            initial.discriminator, gan.discriminator.trainable_weights
        ),
        "loaded_generator_error": float(
            np.abs(np.asarray(loaded(z)) - np.asarray(gan.sampler(z))).max()
        ),
    }
    noise = strategy.run(tf.function(lambda: gan.sample_noise(3)))
    first, second = (np.asarray(z) for z in strategy.experimental_local_results(noise))
    report["replicas_draw_different_noise"] = not np.allclose(first, second)

    six = CONFIG.replace(steps=6)
    report["resumed_step"] = train(
        six, images, run_dir, verbose=0, strategy=strategy, resume=True
    ).step
    eight = CONFIG.replace(steps=8)
    report["resumed_on_one_device_step"] = train(
        eight, images, run_dir, verbose=0, resume=True
    ).step
    return report


def small_gan(strategy, noise: np.ndarray) -> DCGAN:
    """Dense networks without batch norm or dropout, trained by plain SGD on fixed noise.

    Each replica takes its own slice of ``noise``, so one step on two half
    batches must equal one step on the whole batch up to rounding, and so must
    the averaged generator's weights.
    """
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
        gan = DCGAN(generator, discriminator, latent_dim=4, seed=3, ema_decay=0.5)
        gan.compile(g_optimizer=keras.optimizers.SGD(0.5), d_optimizer=keras.optimizers.SGD(0.5))
    share = len(noise) // strategy.num_replicas_in_sync

    def replica_noise(batch_size):
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        return tf.constant(noise)[replica * share : (replica + 1) * share]

    gan.sample_noise = replica_noise
    return gan


def compare_with_one_device(strategy) -> dict:
    """How far one two-replica step lands from one single-device step on the same batch."""
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    noise = rng.standard_normal((16, 4)).astype("float32")
    alone, together = small_gan(tf.distribute.get_strategy(), noise), small_gan(strategy, noise)
    alone_logs = alone.train_step(tf.constant(real))
    dataset = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(real))
    together_logs = strategy.run(tf.function(together.train_step), args=(next(iter(dataset)),))
    return {
        "weight_difference_to_one_device": max(
            float(np.abs(np.asarray(a) - np.asarray(b)).max())
            for a, b in zip(alone.trainable_weights, together.trainable_weights)
        ),
        "averaged_difference_to_one_device": max(
            float(np.abs(np.asarray(a) - np.asarray(b)).max())
            for a, b in zip(alone.averaged_generator.weights, together.averaged_generator.weights)
        ),
        "averaged_moved": not np.allclose(
            np.asarray(together.averaged_generator.weights[0]),
            np.asarray(small_gan(tf.distribute.get_strategy(), noise).generator.weights[0]),
        ),
        "log_difference_to_one_device": max(
            abs(float(value) - float(np.asarray(logged)))
            for name, value in alone_logs.items()
            for logged in strategy.experimental_local_results(together_logs[name])
        ),
    }


if __name__ == "__main__":
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    report = train_resume_and_load(mirrored, sys.argv[1])
    report.update(compare_with_one_device(mirrored))
    try:
        train(
            CONFIG.replace(jit_compile=True),
            np.zeros((16, 28, 28), np.uint8),
            sys.argv[1] + "-xla",
            strategy=mirrored,
        )
    except ConfigError as error:
        report["jit_compile_error"] = str(error)
    print(json.dumps(report))
