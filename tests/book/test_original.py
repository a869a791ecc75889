"""The blog's Keras loop and the TensorFlow tutorial's loop in Keras 3 (dcgan_lib.book.original)."""

import warnings

import numpy as np
import pytest

from dcgan_lib import data
from dcgan_lib._runtime import tf
from dcgan_lib.book.original import (
    BLOG_BATCH_SIZE,
    BLOG_ITERATIONS,
    BLOG_RUN_GRID_SIZE,
    BlogDCGAN,
    TutorialLoop,
    blog_loss,
    blog_run,
    train_blog_run,
)
from dcgan_lib.book.results import read_image_grid
from dcgan_lib.losses import binary_cross_entropy_from_logits

HALF_BATCH = 4


@pytest.fixture(scope="module")
def images():
    (x_train, _), _ = data.load_mnist_sample()
    return x_train[:64]


@pytest.fixture(scope="module")
def real_batch(images):
    return np.asarray(data.to_model_range(images[:HALF_BATCH]))


def snapshot(weights) -> list[np.ndarray]:
    return [np.array(w) for w in weights]


def changed(before, after) -> bool:
    return any(not np.array_equal(b, a) for b, a in zip(before, after))


def loss_and_gradient(loss, labels, logits):
    logits = tf.constant(logits, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        value = loss(tf.constant(labels, tf.float32), logits)
    return float(value), tape.gradient(value, logits).numpy()


def test_as_written_the_discriminator_never_learns_under_keras_3(real_batch):
    gan = BlogDCGAN(freeze_idiom=True, probability_loss=True, seed=0)
    d_before = snapshot(gan.discriminator.weights)
    g_before = snapshot(gan.generator.trainable_weights)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            losses = gan.train_iteration(real_batch)
    assert all(np.isfinite(value) for value in losses.values())
    assert not changed(d_before, snapshot(gan.discriminator.weights))
    # The shared Adam only ever updated the generator, through the combined model.
    assert gan.discriminator.optimizer is gan.combined.optimizer
    assert int(gan.combined.optimizer.iterations.numpy()) == 2
    assert any("does not have any trainable weights" in str(w.message) for w in caught)
    # The generator still trains, against a discriminator that stays as initialised.
    assert changed(g_before, snapshot(gan.generator.trainable_weights))


def test_toggling_trainable_lets_the_discriminator_learn_only_in_its_own_step(real_batch):
    gan = BlogDCGAN(freeze_idiom=False, probability_loss=False, shared_optimizer=False, seed=0)
    d_before = snapshot(gan.discriminator.weights)
    gan.train_iteration(real_batch)
    d_after = snapshot(gan.discriminator.weights)
    assert changed(d_before, d_after)
    assert int(gan.discriminator.optimizer.iterations.numpy()) == 2  # real, then fake

    g_before = snapshot(gan.generator.trainable_weights)
    noise = gan.sample_noise(2 * HALF_BATCH)
    gan.combined.train_on_batch(noise, np.ones((2 * HALF_BATCH, 1)))
    assert changed(g_before, snapshot(gan.generator.trainable_weights))
    assert not changed(d_after, snapshot(gan.discriminator.weights))


def test_with_the_first_two_bugs_fixed_the_shared_optimizer_refuses_the_generator(real_batch):
    gan = BlogDCGAN(freeze_idiom=False, probability_loss=False, shared_optimizer=True, seed=0)
    with pytest.raises(ValueError, match="Unknown variable"):
        gan.train_iteration(real_batch)


def test_the_probability_loss_is_wrong_on_logits():
    gan = BlogDCGAN(probability_loss=True, seed=0)
    logits = np.array([[-3.0], [0.5], [3.0]], np.float32)
    labels = np.ones_like(logits)
    compiled = float(gan.discriminator.compute_loss(y=labels, y_pred=tf.constant(logits)))
    correct = float(binary_cross_entropy_from_logits(labels, logits))
    clipped = np.clip(logits, 1e-7, 1 - 1e-7)
    assert compiled == pytest.approx(np.mean(-np.log(clipped)), rel=1e-5)
    assert compiled != pytest.approx(correct, rel=0.1)


def test_the_probability_loss_has_no_gradient_for_logits_outside_0_1():
    logits = [[-3.0], [0.5], [3.0]]
    for label in (0.0, 1.0):
        labels = [[label]] * 3
        _, gradient = loss_and_gradient(blog_loss(True), labels, logits)
        assert gradient[0, 0] == 0 and gradient[2, 0] == 0
        assert gradient[1, 0] != 0
        _, fixed = loss_and_gradient(blog_loss(False), labels, logits)
        assert np.all(fixed != 0)


def test_the_logit_loss_matches_the_books_loss():
    labels, logits = [[1.0], [0.0], [1.0]], [[-3.0], [0.5], [30.0]]
    value, _ = loss_and_gradient(blog_loss(False), labels, logits)
    assert value == pytest.approx(float(binary_cross_entropy_from_logits(labels, logits)))


def test_blog_train_draws_half_batches_and_saves_sample_grids(images, tmp_path):
    gan = BlogDCGAN(freeze_idiom=False, probability_loss=False, shared_optimizer=False, seed=0)
    history = gan.train(images, iterations=2, batch_size=8, sample_every=2, sample_dir=tmp_path)
    assert len(history) == 2
    assert set(history[0]) == {"d_loss_real", "d_loss_fake", "d_loss", "g_loss"}
    assert [path.name for path in tmp_path.iterdir()] == ["iteration_000002.png"]
    assert int(gan.discriminator.optimizer.iterations.numpy()) == 4


def test_the_tutorial_loop_updates_both_networks(images):
    loop = TutorialLoop(batch_size=8, seed=0)
    g_before = snapshot(loop.generator.trainable_weights)
    d_before = snapshot(loop.discriminator.trainable_weights)
    losses = loop.train(images[:16], epochs=1)  # two batches of 8
    assert changed(g_before, snapshot(loop.generator.trainable_weights))
    assert changed(d_before, snapshot(loop.discriminator.trainable_weights))
    assert int(loop.generator_optimizer.iterations.numpy()) == 2
    assert int(loop.discriminator_optimizer.iterations.numpy()) == 2
    assert set(losses) == {"g_loss", "d_loss"} and all(np.isfinite(list(losses.values())))


def test_the_measured_blog_run_is_the_run_the_blogs_train_makes(images, tmp_path):
    """Measuring and drawing grids between stretches leaves the training untouched."""
    run = train_blog_run(
        images,
        tmp_path,
        iterations=4,
        measure_every=2,
        log_every=1,
        num_samples=32,
        real_images=images[:32],
    )
    plain = BlogDCGAN(freeze_idiom=False, probability_loss=False, shared_optimizer=False, seed=0)
    plain_losses = plain.train(images, 4)
    assert [row["g_loss"] for row in run.history()] == [row["g_loss"] for row in plain_losses]
    assert [row["step"] for row in run.metrics()] == [2, 4]
    assert [row["images_seen"] for row in run.metrics()] == [32, 64]
    assert sorted(run.samples()) == [2, 4]
    with pytest.raises(ValueError, match="must divide"):
        train_blog_run(images, tmp_path, iterations=5, measure_every=2)


def test_the_shipped_blog_run_is_the_blogs_run_measured_every_2000_iterations():
    run = blog_run()
    record = run.record()
    assert record["command"].startswith("python -m dcgan_lib.book.assets blog-run")
    assert f"--iterations {BLOG_ITERATIONS}" in record["command"]
    rows = run.metrics()
    assert [row["step"] for row in rows] == list(range(2000, BLOG_ITERATIONS + 1, 2000))
    assert all(row["images_seen"] == row["step"] * BLOG_BATCH_SIZE // 2 for row in rows)
    assert sorted(run.samples()) == [row["step"] for row in rows]
    assert run.history()[-1]["step"] == BLOG_ITERATIONS
    digits = read_image_grid(run.sample_path(BLOG_ITERATIONS), BLOG_RUN_GRID_SIZE)
    assert digits.max() > 200  # strokes, not only the padding between digits
