"""The DCGAN train step, callbacks, reproducibility and resuming (dcgan_lib.gan, .runs)."""

import re
import time

import numpy as np
import pytest
from gan_state import assert_same_training_state

from dcgan_lib import data, losses
from dcgan_lib._runtime import keras
from dcgan_lib.config import TrainConfig
from dcgan_lib.errors import ConfigError, TrainingDivergedError
from dcgan_lib.gan import build_gan
from dcgan_lib.runs import RunDirectory, load_generator, make_checkpoint, train

TINY = TrainConfig(
    steps=12,
    batch_size=16,
    sample_every=4,
    checkpoint_every=4,
    log_every=2,
    num_samples=9,
    precision="float32",  # exact comparisons with float32 computations
)


@pytest.fixture(scope="module")
def images():
    (x_train, _), _ = data.load_mnist_sample()
    return x_train[:400]


def snapshot(weights) -> list[np.ndarray]:
    return [np.array(w) for w in weights]


def changed(before, after) -> bool:
    return any(not np.array_equal(b, a) for b, a in zip(before, after))


def test_each_step_updates_only_its_own_network(images):
    # The original Keras code froze the discriminator in a way Keras 3 ignores; here each
    # optimizer sees only its own network's weights.
    gan = build_gan(TINY)
    real = data.to_model_range(images[:16])
    g_before = snapshot(gan.generator.trainable_weights)
    d_before = snapshot(gan.discriminator.trainable_weights)

    gan.discriminator_step(real)
    g_after_d_step = snapshot(gan.generator.trainable_weights)
    d_after_d_step = snapshot(gan.discriminator.trainable_weights)
    assert changed(d_before, d_after_d_step), "the discriminator must learn in its step"
    assert not changed(g_before, g_after_d_step), "the generator must stay fixed in D's step"

    gan.generator_step(gan.sample_noise(16))
    assert changed(g_after_d_step, snapshot(gan.generator.trainable_weights))
    assert not changed(d_after_d_step, snapshot(gan.discriminator.trainable_weights))


def test_fit_reports_losses_and_discriminator_outputs(images):
    gan = build_gan(TINY)
    history = gan.fit(data.make_dataset(images, 16, num_steps=3), verbose=0, shuffle=False)
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert 0 < history.history["d_real"][0] < 1 and 0 < history.history["d_fake"][0] < 1
    assert gan.step == 3


def test_a_run_writes_config_history_samples_checkpoints_and_weights(images, tmp_path):
    run = RunDirectory(tmp_path / "run")
    gan = train(TINY.replace(snapshot_every=6), images, run.root, verbose=0)
    assert gan.step == 12
    assert run.config() == TINY.replace(snapshot_every=6)
    snapshots = sorted(p.name for p in run.snapshots_dir.iterdir())
    assert snapshots == [f"generator_step_{s:06d}.weights.h5" for s in (0, 6, 12)]
    rows = run.history()
    assert [row["step"] for row in rows] == [2, 4, 6, 8, 10, 12]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "seconds"} <= set(rows[0])
    grids = sorted(p.name for p in run.samples_dir.iterdir())
    assert grids == [f"step_{s:06d}.png" for s in (0, 4, 8, 12)]
    generator = load_generator(run.root)
    z = np.random.default_rng(0).standard_normal((2, TINY.latent_dim)).astype("float32")
    # The saved generator is the averaged one, which differs from the last trained weights.
    np.testing.assert_allclose(
        generator(z, training=False), gan.sampler(z, training=False), atol=1e-6
    )
    assert gan.sampler is gan.averaged_generator
    assert changed(snapshot(gan.generator.trainable_weights), snapshot(generator.trainable_weights))


def test_same_seed_gives_identical_losses_and_other_seed_does_not(images, tmp_path):
    histories = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        train(TINY.replace(seed=seed), images, tmp_path / name, verbose=0)
        histories.append([row["g_loss"] for row in RunDirectory(tmp_path / name).history()])
    assert histories[0] == histories[1]
    assert histories[0] != histories[2]


def test_resumed_run_ends_exactly_where_an_uninterrupted_run_does(images, tmp_path):
    straight = train(TINY, images, tmp_path / "straight", verbose=0)
    train(TINY.replace(steps=6), images, tmp_path / "split", verbose=0)  # "interrupted" at 6
    resumed = train(TINY, images, tmp_path / "split", verbose=0, resume=True)
    assert resumed.step == 12
    assert_same_training_state(straight, resumed)
    steps = [row["step"] for row in RunDirectory(tmp_path / "split").history()]
    assert steps == sorted(set(steps)) and steps[-1] == 12


def test_averaged_generator_follows_the_generator_with_a_warm_up(images):
    decay = 0.5
    gan = build_gan(TINY.replace(ema_decay=decay, variant="paper"))
    trainable = [w.trainable for w in gan.generator.weights]
    averages = [snapshot(gan.averaged_generator.weights)]
    weights = [snapshot(gan.generator.weights)]
    assert all(np.array_equal(a, w) for a, w in zip(averages[0], weights[0]))
    real = data.to_model_range(images[:16])
    for _ in range(10):
        gan.train_step(real)
        averages.append(snapshot(gan.averaged_generator.weights))
        weights.append(snapshot(gan.generator.weights))
    for t in (1, 2, 10):
        # After update t: decay_t = min(decay, (1 + t) / (10 + t)), short early, then `decay`.
        decay_t = min(decay, (1 + t) / (10 + t))
        for average, before, weight, is_trainable in zip(
            averages[t], averages[t - 1], weights[t], trainable
        ):
            expected = decay_t * before + (1 - decay_t) * weight if is_trainable else weight
            np.testing.assert_allclose(average, expected, rtol=1e-5, atol=1e-6)
    # Only the averaging moves the copy: no optimizer sees it as trainable.
    assert not gan.averaged_generator.trainable_weights
    assert len(gan.trainable_weights) == len(
        gan.generator.trainable_weights + gan.discriminator.trainable_weights
    )


def test_without_an_average_the_trained_generator_draws_the_samples(images):
    gan = build_gan(TINY.replace(ema_decay=0.0))
    assert gan.averaged_generator is None and gan.sampler is gan.generator
    gan.train_step(data.to_model_range(images[:16]))
    z = gan.sample_noise(2)
    np.testing.assert_array_equal(gan.sampler(z), gan.generator(z))


def test_resume_without_a_checkpoint_is_a_clear_error(images, tmp_path):
    with pytest.raises(ConfigError, match="no checkpoint"):
        train(TINY, images, tmp_path / "empty", verbose=0, resume=True)


def test_resuming_applies_and_records_a_new_length_and_output_schedule(images, tmp_path):
    train(TINY.replace(steps=4), images, tmp_path / "run", verbose=0)
    longer = TINY.replace(steps=8, sample_every=2, log_every=4)
    gan = train(longer, images, tmp_path / "run", verbose=0, resume=True)
    run = RunDirectory(tmp_path / "run")
    assert gan.step == 8 and run.config() == longer
    assert list(run.samples()) == [0, 4, 6, 8]  # every 4 steps, then every 2 after resuming


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"g_learning_rate": 1e-3}, "g_learning_rate 0.001 (the run has 0.0004)"),
        ({"batch_size": 32}, "batch_size 32 (the run has 16)"),
    ],
)
def test_resuming_refuses_a_changed_training_setting_in_one_line(images, tmp_path, change, message):
    train(TINY.replace(steps=4), images, tmp_path / "run", verbose=0)
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        train(TINY.replace(**change), images, tmp_path / "run", verbose=0, resume=True)
    assert "\n" not in str(error.value)
    assert RunDirectory(tmp_path / "run").config() == TINY.replace(steps=4)  # left as it was


class PoisonDiscriminator(keras.callbacks.Callback):
    """Turn the discriminator's weights into NaN after a given step."""

    def __init__(self, at_step: int) -> None:
        super().__init__()
        self.at_step = at_step

    def on_train_batch_end(self, batch, logs=None):
        if self.model.step == self.at_step:
            for weight in self.model.discriminator.trainable_weights:
                weight.assign(np.full(weight.shape, np.nan, np.float32))


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(images, tmp_path):
    run = tmp_path / "diverged"
    with pytest.raises(TrainingDivergedError, match="diverged at step 9.*ckpt-8"):
        train(TINY, images, run, verbose=0, extra_callbacks=[PoisonDiscriminator(8)])
    gan = build_gan(TINY)
    manager = make_checkpoint(gan, run / "checkpoints")
    assert manager.latest_checkpoint.endswith("ckpt-8")
    manager.checkpoint.restore(manager.latest_checkpoint)
    assert gan.step == 8
    assert all(np.isfinite(np.asarray(w)).all() for w in gan.discriminator.weights)
    last_row = RunDirectory(run).history()[-1]
    assert last_row["step"] == 9 and np.isnan(last_row["d_loss"])


def test_batch_larger_than_the_data_is_rejected(images, tmp_path):
    with pytest.raises(ConfigError, match="larger than the data"):
        train(TINY.replace(batch_size=500), images, tmp_path / "big", verbose=0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": -1}, "steps must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"g_learning_rate": 0.0}, "g_learning_rate must be a number between 0 and 1"),
        ({"beta_1": 1.0}, r"beta_1 must be in \[0, 1\)"),
        ({"ema_decay": 1.0}, r"ema_decay must be in \[0, 1\)"),
        ({"ema_decay": True}, r"ema_decay must be in \[0, 1\)"),
        ({"variant": "huge"}, "variant must be one of"),
        ({"precision": "float64"}, "precision must be one of auto, float32, mixed_float16"),
        ({"steps_per_execution": 3}, "must be a multiple of steps_per_execution"),
        ({"loss": "wasserstein"}, "loss must be one of non_saturating, minimax, least_squares"),
        ({"upsampling": "bilinear"}, "upsampling must be one of transpose, resize"),
        ({"kernel_size": 0}, "kernel_size must be a positive integer"),
        ({"loss": "hinge", "label_smoothing": 0.1}, "no meaning for the hinge loss"),
    ],
)
def test_invalid_config_values_are_explained(change, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**change)


def test_config_survives_a_json_round_trip(tmp_path):
    config = TrainConfig(steps=7, label_smoothing=0.1, variant="paper")
    config.save(tmp_path / "config.json")
    assert TrainConfig.load(tmp_path / "config.json") == config


def test_train_step_equals_a_discriminator_step_then_a_generator_step_on_the_same_noise(images):
    # The fused step reuses one generator forward pass; it must change nothing but speed.
    config = TINY.replace(variant="paper")  # no dropout, so both paths see the same D
    fused, separate = build_gan(config), build_gan(config)
    separate.set_weights(fused.get_weights())
    real = data.to_model_range(images[:16])
    noise = fused.sample_noise(16)
    fused.sample_noise = lambda batch_size: noise
    fused.train_step(real)
    separate.discriminator_step(real, separate.generator(noise, training=True))
    separate.generator_step(noise)
    for network in ("generator", "discriminator"):
        for a, b in zip(
            getattr(fused, network).trainable_weights,
            getattr(separate, network).trainable_weights,
        ):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


class SlowSteps(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.05)


def test_history_windows_and_clock_carry_across_epochs(images, tmp_path):
    # 100 images in batches of 16 make 6-step epochs, so the window of steps 5-8 spans two.
    config = TINY.replace(log_every=1, sample_every=12, checkpoint_every=12)
    train(config, images[:100], tmp_path / "every", verbose=0)
    per_step = {row["step"]: row for row in RunDirectory(tmp_path / "every").history()}
    train(
        config.replace(log_every=4),
        images[:100],
        tmp_path / "windows",
        verbose=0,
        extra_callbacks=[SlowSteps()],
    )
    rows = RunDirectory(tmp_path / "windows").history()
    assert [row["step"] for row in rows] == [4, 8, 12]
    for row in rows:
        window = range(row["step"] - 3, row["step"] + 1)
        for name in ("d_loss", "g_loss", "d_real", "d_fake"):
            expected = np.mean([per_step[s][name] for s in window])
            assert np.isclose(row[name], expected, rtol=1e-5), (row["step"], name)
    assert rows[-1]["seconds"] >= 12 * 0.05  # no epoch's time is dropped


@pytest.mark.parametrize("loss", ["minimax", "least_squares", "hinge"])
def test_the_generator_step_descends_the_chosen_loss(images, loss):
    gan = build_gan(TINY.replace(loss=loss))
    noise = gan.sample_noise(16)
    before = float(gan.generator_loss(gan.discriminator(gan.generator(noise, training=True))))
    for _ in range(3):
        gan.generator_step(noise)
    after = float(gan.generator_loss(gan.discriminator(gan.generator(noise, training=True))))
    assert gan.generator_loss is losses.LOSSES[loss][1]
    assert after < before
