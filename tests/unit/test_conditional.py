"""The conditional DCGAN: networks told the digit, its training on labelled data, its sampling."""

import numpy as np
import pytest

from dcgan_lib import data
from dcgan_lib.cli import main
from dcgan_lib.config import TrainConfig
from dcgan_lib.errors import ConfigError, DataError
from dcgan_lib.latent import generate, sample_noise
from dcgan_lib.models import build_discriminator, build_generator, num_classes_of
from dcgan_lib.runs import RunDirectory, load_generator, train

TINY = TrainConfig(
    num_classes=10,
    steps=4,
    batch_size=16,
    sample_every=2,
    checkpoint_every=2,
    log_every=2,
    num_samples=20,
    precision="float32",
)


@pytest.fixture(scope="module")
def labelled():
    (x_train, y_train), _ = data.load_mnist_sample()
    return x_train[:300], y_train[:300]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, labelled):
    run_dir = tmp_path_factory.mktemp("conditional") / "run"
    gan = train(TINY, *labelled[:1], run_dir, labels=labelled[1], verbose=0)
    return run_dir, gan


def test_the_generator_draws_what_it_is_asked_for_from_the_same_noise():
    generator = build_generator(num_classes=10)
    assert num_classes_of(generator) == 10 and num_classes_of(build_generator()) == 0
    z = sample_noise(1, 100, seed=0).repeat(10, axis=0)
    images = generate(generator, z, digits=np.arange(10), pixels=False)
    assert images.shape == (10, 28, 28, 1)
    assert np.abs(images).max() <= 1
    # Same z, different digit codes: ten different images, none a copy of another.
    differences = np.abs(images[:, None] - images[None]).reshape(10, 10, -1).max(axis=-1)
    assert (differences + np.eye(10) > 0).all()


def test_the_discriminator_projects_the_digit_onto_the_image_features():
    discriminator = build_discriminator(num_classes=10)
    image = np.random.default_rng(0).uniform(-1, 1, (1, 28, 28, 1)).astype(np.float32)
    image = image.repeat(2, axis=0)
    logits = np.asarray(discriminator([image, np.array([3, 7])]))
    assert logits.shape == (2, 1)
    # The embedding starts random, so one image judged as a 3 and as a 7 scores differently.
    assert logits[0, 0] != logits[1, 0]


def test_labelled_batches_pair_each_image_with_its_own_label():
    images = np.repeat(np.arange(40, dtype=np.uint8)[:, None, None], 28, 1).repeat(28, 2)
    labels = np.arange(40) % 10
    batch, digits = next(iter(data.make_dataset(images, 8, seed=3, labels=labels)))
    pixel = np.rint((np.asarray(batch)[:, 0, 0, 0] + 1) * 127.5).astype(int)
    assert (pixel % 10 == np.asarray(digits)).all()


@pytest.mark.parametrize(
    ("labels", "message"),
    [(np.zeros(5), "labels must be 300 integers"), (np.zeros((300, 1), int), r"shape \(300, 1\)")],
)
def test_labels_that_do_not_fit_the_images_are_refused(labelled, labels, message):
    with pytest.raises(DataError, match=message):
        data.make_dataset(labelled[0], 16, labels=labels)


def test_a_conditional_run_saves_grids_of_every_digit_and_a_conditional_generator(trained_run):
    run_dir, gan = trained_run
    run = RunDirectory(run_dir)
    assert gan.conditional and gan.step == 4
    assert list(run.samples()) == [0, 2, 4]
    assert run.config().num_classes == 10
    generator = load_generator(run_dir)
    assert num_classes_of(generator) == 10
    z = sample_noise(3, 100, seed=1)
    expected = np.asarray(gan.sampler([z, np.array([1, 2, 3])], training=False))
    np.testing.assert_allclose(generate(generator, z, digits=[1, 2, 3], pixels=False), expected)


def test_a_conditional_run_resumes_where_it_stopped(trained_run, labelled):
    run_dir, _ = trained_run
    gan = train(TINY.replace(steps=6), labelled[0], run_dir, labels=labelled[1], resume=True)
    assert gan.step == 6


@pytest.mark.parametrize(
    ("config", "labels", "error", "message"),
    [
        (TINY, None, ConfigError, "trains on labels"),
        (
            TINY.replace(num_classes=0),
            np.zeros(300, int),
            ConfigError,
            "only used by a conditional",
        ),
        (TINY, np.full(300, 10), DataError, r"labels must lie in 0\.\.9"),
    ],
)
def test_labels_must_fit_the_run(tmp_path, labelled, config, labels, error, message):
    with pytest.raises(error, match=message):
        train(config, labelled[0], tmp_path / "run", labels=labels, verbose=0)


def test_num_classes_of_one_is_refused():
    with pytest.raises(ConfigError, match="num_classes must be 0 or at least 2"):
        TrainConfig(num_classes=1)


@pytest.mark.parametrize(
    ("conditional", "digits", "message"),
    [
        (True, None, "conditional: pass the digits"),
        (False, 3, "not conditional"),
        (True, [1, 2], "one integer or 3 integers"),
        (True, [0.5, 1, 2], "one integer or 3 integers"),
        (True, [1, 2, 10], r"digits must lie in 0\.\.9, got \[1, 2, 10\]"),
        (True, -1, r"digits must lie in 0\.\.9"),
    ],
)
def test_digits_that_do_not_fit_the_generator_get_a_clear_error(conditional, digits, message):
    generator = build_generator(num_classes=10 if conditional else 0)
    with pytest.raises(DataError, match=message):
        generate(generator, sample_noise(3, 100, seed=0), digits=digits)


def test_one_digit_is_asked_of_every_noise_vector():
    generator = build_generator(num_classes=10)
    z = sample_noise(3, 100, seed=0)
    np.testing.assert_array_equal(
        generate(generator, z, digits=7), generate(generator, z, digits=[7] * 3)
    )


def test_sample_draws_a_chosen_digit_from_a_conditional_run(trained_run, tmp_path, capsys):
    run_dir, _ = trained_run
    assert (
        main(
            ["sample", "--weights", str(run_dir), "--digit", "7", "--out", str(tmp_path / "a.png")]
        )
        == 0
    )
    assert (tmp_path / "a.png").is_file()
    assert main(["sample", "--weights", str(run_dir), "--out", str(tmp_path / "b.png")]) == 0


def test_sample_refuses_a_digit_for_an_unconditional_generator(tmp_path, capsys):
    weights = tmp_path / "g.weights.h5"
    build_generator().save_weights(weights)
    assert main(["sample", "--weights", str(weights), "--digit", "7"]) != 0
    assert "not conditional" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sample", "--digit", "12"])
    assert "invalid choice: 12" in capsys.readouterr().err
