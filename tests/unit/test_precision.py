"""Mixed-precision training (TrainConfig.precision): 16-bit compute, float32 weights and outputs,
and the choice of ``"auto"``."""

import dataclasses

import numpy as np
import pytest
from gan_state import assert_same_training_state

from dcgan_lib import data
from dcgan_lib._runtime import keras
from dcgan_lib.config import TrainConfig
from dcgan_lib.gan import DCGAN, build_gan, build_optimizers
from dcgan_lib.hardware import PrecisionChoice, choose_precision, resolve_precision
from dcgan_lib.runs import RunDirectory, load_generator, train

TINY = TrainConfig(
    steps=8, batch_size=16, sample_every=4, checkpoint_every=4, log_every=2, num_samples=4
)
MIXED = ("mixed_float16", "mixed_bfloat16")


@pytest.fixture(scope="module")
def images():
    (x_train, _), _ = data.load_mnist_sample()
    return x_train[:200]


@pytest.mark.parametrize("precision", MIXED)
def test_mixed_policies_compute_in_16_bits_but_keep_float32_weights_and_outputs(precision):
    gan = build_gan(TINY.replace(precision=precision))
    half = precision.removeprefix("mixed_")
    for network, output_layer in ((gan.generator, "to_image"), (gan.discriminator, "logit")):
        hidden = [layer for layer in network.layers if layer.name != output_layer]
        assert {layer.compute_dtype for layer in hidden} == {half}, network.name
        assert network.get_layer(output_layer).compute_dtype == "float32"
        assert {weight.dtype for weight in network.weights} == {"float32"}
    images = gan.generator(gan.sample_noise(3), training=False)
    assert images.dtype == "float32"
    assert gan.discriminator(images, training=False).dtype == "float32"


def test_only_float16_scales_the_losses():
    assert isinstance(
        build_gan(TINY.replace(precision="mixed_float16")).g_optimizer,
        keras.optimizers.LossScaleOptimizer,
    )
    for precision in ("float32", "mixed_bfloat16"):
        optimizer = build_gan(TINY.replace(precision=precision)).g_optimizer
        assert not isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def test_loss_scaling_changes_the_range_of_gradients_not_the_update(images):
    # In float32 nothing underflows, so scaling the loss by 2**15 and the gradients back
    # (both exact: a power of two) must give the very update of the unscaled step. Leaving
    # out the scaling in the step would instead shrink every gradient 32768-fold.
    real = data.to_model_range(images[:16])
    updated = []
    for loss_scaling in (False, True):
        gan = build_gan(TINY.replace(ema_decay=0.0))
        optimizers = build_optimizers(2e-4, 2e-4, 0.5, 0.999, loss_scaling=loss_scaling)
        optimizers[0].build(gan.generator.trainable_variables)
        optimizers[1].build(gan.discriminator.trainable_variables)
        scaled = DCGAN(gan.generator, gan.discriminator, TINY.latent_dim, seed=0)
        scaled.compile(g_optimizer=optimizers[0], d_optimizer=optimizers[1])
        scaled.train_step(real)
        updated.append(
            [np.asarray(w) for w in scaled.generator.weights + scaled.discriminator.weights]
        )
    for plain, scaled in zip(*updated):
        np.testing.assert_allclose(plain, scaled, rtol=1e-5, atol=1e-7)


def test_a_float16_run_trains_resumes_exactly_and_saves_weights_a_float32_model_loads(
    images, tmp_path
):
    # Tiny batches: a CPU has no fast float16 convolutions (a batch of 16 takes seconds).
    config = TINY.replace(
        precision="mixed_float16", steps=4, batch_size=2, sample_every=2, checkpoint_every=2
    )
    straight = train(config, images, tmp_path / "straight", verbose=0)
    train(config.replace(steps=2), images, tmp_path / "split", verbose=0)
    resumed = train(config, images, tmp_path / "split", verbose=0, resume=True)
    assert straight.step == resumed.step == 4
    assert_same_training_state(straight, resumed)

    generator = load_generator(tmp_path / "straight")  # built in float32, for sampling anywhere
    assert generator.compute_dtype == "float32"
    z = np.random.default_rng(0).standard_normal((4, TINY.latent_dim)).astype("float32")
    full = np.asarray(generator(z, training=False))
    half = np.asarray(straight.sampler(z, training=False))
    assert np.all(np.isfinite(half))
    np.testing.assert_allclose(full, half, atol=0.05)  # the same weights, 16-bit arithmetic


def test_an_update_skipped_for_overflow_still_counts_as_a_step(images):
    # float16 loss scaling skips an update whose scaled gradients overflow. The step has
    # still consumed its batch, so DCGAN.step (which callbacks and the data offset use)
    # must advance while the optimizers' own counters do not.
    gan = build_gan(TINY.replace(batch_size=4, precision="mixed_float16"))
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        optimizer.dynamic_scale.assign(2.0**100)  # far beyond float16's largest value
    gan.fit(data.make_dataset(images, 4, num_steps=1), steps_per_epoch=1, verbose=0, shuffle=False)
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 0
    assert gan.step == 1


AMX_CPU = {"avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16"}


@pytest.mark.parametrize(
    ("accelerators", "flags", "expected"),
    [
        ([], AMX_CPU, "mixed_bfloat16"),
        ([], {"avx2", "avx512f", "avx512_bf16"}, "float32"),  # bfloat16 without matrix units
        ([], {"avx2", "fma"}, "float32"),
        ([], set(), "float32"),  # no /proc/cpuinfo: macOS, Windows
        ([("TPU", None)], set(), "mixed_bfloat16"),
        ([("GPU", (9, 0))], set(), "mixed_bfloat16"),
        ([("GPU", (8, 0))], set(), "mixed_bfloat16"),
        ([("GPU", (7, 5))], AMX_CPU, "mixed_float16"),  # the GPU trains, not the CPU
        ([("GPU", (6, 1))], AMX_CPU, "float32"),
        ([("GPU", (8, 6)), ("GPU", (7, 0))], set(), "mixed_float16"),  # the slowest decides
        ([("GPU", None)], set(), "float32"),  # capability unknown
    ],
)
def test_auto_precision_picks_16_bits_only_where_the_hardware_computes_them_fast(
    accelerators, flags, expected
):
    choice = choose_precision(accelerators, flags)
    assert choice.policy == expected
    assert choice.reason


def test_auto_precision_needs_onednn_to_reach_amx(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    choice = choose_precision([], AMX_CPU)
    assert choice.policy == "float32" and "TF_ENABLE_ONEDNN_OPTS" in choice.reason


def test_auto_is_the_default_and_builds_the_policy_this_machine_gets():
    assert TrainConfig().precision == "auto"
    gan = build_gan(TINY)
    expected = choose_precision()
    assert gan.precision == expected
    assert gan.generator.get_layer("block1_deconv").compute_dtype == (
        expected.policy.removeprefix("mixed_")
    )
    assert resolve_precision("float32") == PrecisionChoice("float32", "set in the configuration")


def test_each_training_session_records_its_precision(tmp_path, images):
    run_dir = tmp_path / "run"
    train(TINY.replace(steps=4), images, run_dir, verbose=0)
    train(TINY.replace(precision="float32"), images, tmp_path / "other", verbose=0)
    first = RunDirectory(run_dir).record()["precision"]
    assert first == [{"from_step": 0, **dataclasses.asdict(choose_precision())}]
    train(TINY, images, run_dir, resume=True, verbose=0)
    sessions = RunDirectory(run_dir).record()["precision"]
    assert [row["from_step"] for row in sessions] == [0, 4]
    assert RunDirectory(tmp_path / "other").record()["precision"] == [
        {"from_step": 0, "policy": "float32", "reason": "set in the configuration"}
    ]
