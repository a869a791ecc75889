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

from one_step_check import (  # noqa: E402
    largest_difference,
    one_step_against_one_device,
    small_gan,
)

from dcgan_lib.config import TrainConfig  # noqa: E402
from dcgan_lib.errors import ConfigError  # noqa: E402
from dcgan_lib.runs import (  # noqa: E402
    RunDirectory,  # noqa: E402
    load_generator,
    train,
)

CONFIG = TrainConfig(
    steps=4,
    batch_size=8,
    sample_every=4,
    checkpoint_every=2,
    log_every=2,
    num_samples=4,
    precision="float32",  # compared with float32 computations to 1e-5
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


def compare_with_one_device(strategy) -> dict:
    """How far one two-replica step lands from one single-device step on the same batch."""
    alone, together, report = one_step_against_one_device(strategy, ema_decay=0.5)
    untrained = small_gan(tf.distribute.get_strategy(), np.zeros((16, 4), np.float32), 0.5)
    report["averaged_difference_to_one_device"] = largest_difference(
        alone.averaged_generator.weights, together.averaged_generator.weights
    )
    report["averaged_moved"] = not np.allclose(
        np.asarray(together.averaged_generator.weights[0]),
        np.asarray(untrained.generator.weights[0]),
    )
    return report


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
