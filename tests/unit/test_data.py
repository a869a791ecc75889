"""MNIST loading and the tf.data pipeline (dcgan_lib.data)."""

from pathlib import Path

import numpy as np
import pytest

from dcgan_lib import data
from dcgan_lib._runtime import keras
from dcgan_lib.errors import DataError


@pytest.fixture(scope="module")
def sample():
    return data.load_mnist_sample()


def write_npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


@pytest.fixture
def small_mnist_file(tmp_path, sample):
    (x_train, y_train), (x_test, y_test) = sample
    return write_npz(
        tmp_path / "mnist.npz",
        x_train=x_train[:50],
        y_train=y_train[:50],
        x_test=x_test[:20],
        y_test=y_test[:20],
    )


def test_bundled_sample_is_balanced_real_mnist_under_one_megabyte(sample):
    (x_train, y_train), (x_test, y_test) = sample
    assert x_train.shape == (3000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (1000, 28, 28) and x_test.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [300] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    assert 0 < x_train.mean() < 60 and x_train.max() == 255  # dark background, white ink
    sample_file = Path(data.__file__).parent / "assets" / "mnist_sample.npz"
    assert sample_file.stat().st_size < 1_000_000


def test_explicit_path_is_read(small_mnist_file):
    (x_train, y_train), (x_test, y_test) = data.load_mnist(small_mnist_file)
    assert x_train.shape == (50, 28, 28) and y_test.shape == (20,)


def test_environment_variable_is_used_when_no_path_given(small_mnist_file, monkeypatch):
    monkeypatch.setenv("DCGAN_MNIST_PATH", str(small_mnist_file))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", pytest.fail)
    (x_train, _), _ = data.load_mnist()
    assert len(x_train) == 50


def test_explicit_path_wins_over_environment_variable(small_mnist_file, monkeypatch, tmp_path):
    monkeypatch.setenv("DCGAN_MNIST_PATH", str(tmp_path / "elsewhere.npz"))
    (x_train, _), _ = data.load_mnist(small_mnist_file)
    assert len(x_train) == 50


def test_keras_loader_is_used_without_path_or_variable(monkeypatch, sample):
    monkeypatch.delenv("DCGAN_MNIST_PATH", raising=False)
    calls = []

    def fake_download():
        calls.append(True)
        return sample

    monkeypatch.setattr(keras.datasets.mnist, "load_data", fake_download)
    (x_train, _), _ = data.load_mnist()
    assert calls and len(x_train) == 3000


def test_offline_without_file_explains_how_to_fix(monkeypatch):
    monkeypatch.delenv("DCGAN_MNIST_PATH", raising=False)

    def no_network():
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(DataError) as error:
        data.load_mnist()
    message = str(error.value)
    assert "DCGAN_MNIST_PATH" in message and "load_mnist_sample" in message


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="not found: .*missing.npz"):
        data.load_mnist(tmp_path / "missing.npz")


def test_truncated_file_is_reported_as_corrupt(small_mnist_file):
    content = small_mnist_file.read_bytes()
    small_mnist_file.write_bytes(content[: len(content) // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        data.load_mnist(small_mnist_file)


def test_file_without_mnist_arrays_lists_what_is_missing(tmp_path):
    path = write_npz(tmp_path / "other.npz", images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DataError, match="lacks the arrays x_train, y_train, x_test, y_test"):
        data.load_mnist(path)


@pytest.mark.parametrize(
    ("x_train", "problem"),
    [
        (np.zeros((5, 32, 32), np.uint8), r"shape \(N, 28, 28\)"),
        (np.zeros((5, 28, 28), np.float32), "uint8"),
    ],
)
def test_wrong_images_are_rejected_with_the_reason(tmp_path, x_train, problem):
    path = write_npz(
        tmp_path / "bad.npz",
        x_train=x_train,
        y_train=np.zeros(5, np.uint8),
        x_test=np.zeros((2, 28, 28), np.uint8),
        y_test=np.zeros(2, np.uint8),
    )
    with pytest.raises(DataError, match=problem):
        data.load_mnist(path)


def test_labels_must_match_images(tmp_path):
    path = write_npz(
        tmp_path / "bad.npz",
        x_train=np.zeros((5, 28, 28), np.uint8),
        y_train=np.zeros(4, np.uint8),
        x_test=np.zeros((2, 28, 28), np.uint8),
        y_test=np.zeros(2, np.uint8),
    )
    with pytest.raises(DataError, match="one label per image"):
        data.load_mnist(path)


def test_scaling_round_trips_pixels(sample):
    (x_train, _), _ = sample
    scaled = data.to_model_range(x_train[:10]).numpy()
    assert scaled.shape == (10, 28, 28, 1) and scaled.dtype == np.float32
    assert scaled.min() == -1.0 and scaled.max() == 1.0
    np.testing.assert_array_equal(data.to_pixels(scaled), x_train[:10])


def numbered_images(count: int) -> np.ndarray:
    """Images whose first pixel is their own index, so batches can be decoded."""
    images = np.zeros((count, 28, 28), np.uint8)
    images[:, 0, 0] = np.arange(count)
    return images


def decode(batch) -> list[int]:
    return np.rint((batch.numpy()[:, 0, 0, 0] + 1) * 127.5).astype(int).tolist()


def test_each_epoch_is_a_fresh_permutation_in_full_batches():
    images = numbered_images(100)
    batches = [decode(b) for b in data.make_dataset(images, 32, seed=1, num_steps=6)]
    assert all(len(b) == 32 for b in batches)  # 100 // 32 = 3 full batches per epoch
    first_epoch, second_epoch = sum(batches[:3], []), sum(batches[3:], [])
    assert len(set(first_epoch)) == 96 and len(set(second_epoch)) == 96
    assert first_epoch != second_epoch
    assert first_epoch != sorted(first_epoch)


def test_batches_are_scaled_and_shaped_for_the_discriminator(sample):
    (x_train, _), _ = sample
    batch = next(iter(data.make_dataset(x_train, 16)))
    assert batch.shape == (16, 28, 28, 1) and batch.dtype.name == "float32"
    assert -1.0 <= float(batch.numpy().min()) and float(batch.numpy().max()) <= 1.0


def test_pipeline_is_not_autotuned():
    # The autotuner's thread delays every iterator's deletion, and so the end of each fit().
    (images, _), _ = data.load_mnist_sample()
    assert data.make_dataset(images, 16).options().autotune.enabled is False


def test_order_depends_only_on_seed_and_step():
    images = numbered_images(100)
    full = [decode(b) for b in data.make_dataset(images, 10, seed=3, num_steps=25)]
    again = [decode(b) for b in data.make_dataset(images, 10, seed=3, num_steps=25)]
    resumed = [
        decode(b) for b in data.make_dataset(images, 10, seed=3, start_step=13, num_steps=12)
    ]
    other_seed = [decode(b) for b in data.make_dataset(images, 10, seed=4, num_steps=25)]
    assert full == again
    assert resumed == full[13:]
    assert other_seed != full


@pytest.mark.parametrize("batch_size", [0, 101])
def test_batch_size_must_fit_the_data(batch_size):
    with pytest.raises(DataError, match="batch size"):
        data.make_dataset(numbered_images(100), batch_size)


def test_pipeline_rejects_images_of_the_wrong_shape():
    with pytest.raises(DataError, match="expects uint8 images"):
        data.make_dataset(np.zeros((10, 32, 32), np.uint8), 2)
