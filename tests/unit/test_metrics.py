"""The evaluation metrics of the chapter "Evaluation", checked on cases whose answers are known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dcgan_lib.classifier import (
    MnistClassifier,
    load_classifier,
    weights_sha256,
)
from dcgan_lib.cli import main
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import load_mnist_sample
from dcgan_lib.metrics import (
    EvaluationResult,
    class_shares,
    evaluate_images,
    format_table,
    frechet_distance,
    frechet_distance_from_moments,
    inception_score,
    precision_recall,
    reference_cache_path,
    reference_metrics,
)
from dcgan_lib.models import build_generator

RNG_SEED = 1234


@pytest.fixture(scope="module")
def classifier() -> MnistClassifier:
    return load_classifier()


@pytest.fixture(scope="module")
def sample() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    return load_mnist_sample()


def gaussian_features(num: int = 4000, dim: int = 8, seed: int = RNG_SEED) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((num, dim))


# --- Fréchet distance ---------------------------------------------------------------------------


def test_frechet_distance_of_identical_feature_sets_is_zero() -> None:
    features = gaussian_features()
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_of_a_shifted_set_is_the_squared_shift() -> None:
    features = gaussian_features()
    shift = np.array([3.0, -1.0, 0.5, 0.0, 0.0, 2.0, 0.0, 1.0])
    # Same covariance, so the trace term vanishes: d² = ||shift||².
    assert frechet_distance(features, features + shift) == pytest.approx(shift @ shift, rel=1e-9)


def test_frechet_distance_of_diagonal_gaussians_matches_the_closed_form() -> None:
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var1, var2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(var1 + var2 - 2 * np.sqrt(var1 * var2))
    distance = frechet_distance_from_moments(mu1, np.diag(var1), mu2, np.diag(var2))
    assert distance == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(5.0 + 4.0 + 1.0)


def test_frechet_distance_of_samples_approaches_that_of_their_gaussians() -> None:
    rng = np.random.default_rng(RNG_SEED)
    a = rng.normal(0.0, 1.0, size=(200_000, 2))
    b = rng.normal([1.0, 0.0], [2.0, 1.0], size=(200_000, 2))
    # ||mu1 - mu2||² = 1; trace term (1 + 4 - 2*2) + (1 + 1 - 2*1) = 1.
    assert frechet_distance(a, b) == pytest.approx(2.0, abs=0.03)


def test_frechet_distance_with_non_commuting_covariances_uses_the_true_matrix_root() -> None:
    rng = np.random.default_rng(RNG_SEED)
    factor = rng.standard_normal((5, 5))
    sigma = factor @ factor.T
    zeros = np.zeros(5)
    # With an identity on one side, tr((I sigma)^½) is the sum of the roots of sigma's eigenvalues.
    expected = 5 + np.trace(sigma) - 2 * np.sqrt(np.linalg.eigvalsh(sigma)).sum()
    assert frechet_distance_from_moments(zeros, np.eye(5), zeros, sigma) == pytest.approx(expected)
    other = rng.standard_normal((5, 5))
    sigma2 = other @ other.T
    forward = frechet_distance_from_moments(zeros, sigma, zeros, sigma2)
    assert forward == pytest.approx(frechet_distance_from_moments(zeros, sigma2, zeros, sigma))


def test_frechet_distance_stays_real_and_finite_for_singular_covariances() -> None:
    few = gaussian_features(num=5, dim=20)
    distance = frechet_distance(few, gaussian_features(num=6, dim=20, seed=7))
    assert np.isfinite(distance) and distance > 0


# --- Inception score and class shares -----------------------------------------------------------


def test_inception_score_of_confident_predictions_spread_over_ten_digits_is_ten() -> None:
    probabilities = np.eye(10)[np.arange(1000) % 10]
    assert inception_score(probabilities) == pytest.approx(10.0)


def test_inception_score_of_one_repeated_prediction_is_one() -> None:
    probabilities = np.tile([0.05, 0.55, 0.4] + [0.0] * 7, (50, 1))
    assert inception_score(probabilities) == pytest.approx(1.0)


def test_inception_score_of_uncertain_predictions_is_one() -> None:
    assert inception_score(np.full((100, 10), 0.1)) == pytest.approx(1.0)


def test_class_shares_count_each_image_for_its_most_probable_digit() -> None:
    labels = np.array([3] * 50 + [7] * 49 + [0])
    shares = class_shares(np.eye(10)[labels])
    assert shares.shares[3] == 0.5 and shares.shares[7] == 0.49 and shares.shares[0] == 0.01
    assert shares.classes_covered == 2  # digit 0, at 1%, is below the 2% threshold
    assert shares.total_variation == pytest.approx(0.5 * (0.4 + 0.39 + 0.09 + 7 * 0.1))


def test_class_shares_of_balanced_digits_are_uniform() -> None:
    shares = class_shares(np.eye(10)[np.arange(500) % 10])
    assert shares.classes_covered == 10 and shares.total_variation == pytest.approx(0.0)


# --- Precision and recall -----------------------------------------------------------------------


def test_precision_and_recall_of_identical_sets_are_one() -> None:
    features = gaussian_features(num=500)
    assert precision_recall(features, features) == (1.0, 1.0)


def test_precision_and_recall_of_far_apart_sets_are_zero() -> None:
    features = gaussian_features(num=300)
    assert precision_recall(features, features + 100.0) == (0.0, 0.0)


def test_precision_and_recall_on_a_line_match_a_hand_computation() -> None:
    real = np.arange(5.0)[:, None]  # 0..4: each ball reaches the nearest neighbour, radius 1
    fake = np.array([[0.5], [10.0]])  # one inside the real balls, one far away
    # The fake balls both have radius 9.5 and hold every real point.
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)


def test_precision_and_recall_do_not_depend_on_the_batch_size() -> None:
    real, fake = gaussian_features(num=400), gaussian_features(num=300, seed=5) * 1.3
    assert precision_recall(real, fake, batch_size=7) == precision_recall(real, fake)


# --- The classifier and the metrics on digits ---------------------------------------------------


def test_shipped_classifier_recognises_the_bundled_test_digits(
    classifier: MnistClassifier, sample
) -> None:
    _, (x_test, y_test) = sample
    assert classifier.accuracy(x_test, y_test) >= 0.985


def test_the_cached_reference_metrics_were_computed_with_the_shipped_classifier() -> None:
    cache = json.loads(reference_cache_path().read_text())
    assert cache["classifier_sha256"] == weights_sha256()


def test_classifier_features_have_128_units(classifier: MnistClassifier, sample) -> None:
    _, (x_test, _) = sample
    probabilities, features = classifier.predict_and_embed(x_test[:10])
    assert probabilities.shape == (10, 10) and features.shape == (10, 128)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_copies_of_one_real_one_cover_one_digit_with_score_one_and_no_recall(
    classifier: MnistClassifier, sample
) -> None:
    (x_train, y_train), (x_test, _) = sample
    copies = np.repeat(x_train[y_train == 1][:1], 300, axis=0)
    result = evaluate_images(copies, x_test, classifier=classifier)
    assert result.class_shares[1] == 1.0 and result.classes_covered == 1
    assert result.inception_score == pytest.approx(1.0)
    assert result.recall < 0.01
    assert result.precision == 1.0  # a real digit lies in the real manifold


def test_real_digits_score_well_against_real_digits(classifier: MnistClassifier, sample) -> None:
    (x_train, _), (x_test, _) = sample
    result = evaluate_images(x_train[::3], x_test, classifier=classifier)
    assert result.inception_score > 9.0 and result.classes_covered == 10
    assert result.precision > 0.6 and result.recall > 0.6


def test_cached_reference_matches_a_fresh_computation() -> None:
    cached = reference_metrics(500, data="sample")
    fresh = reference_metrics(500, data="sample", recompute=True)
    for field in ("frechet_distance", "inception_score", "precision", "recall"):
        assert getattr(cached, field) == pytest.approx(getattr(fresh, field), rel=1e-4)
    assert cached.class_shares == pytest.approx(fresh.class_shares)


# --- The command line ---------------------------------------------------------------------------


@pytest.fixture
def untrained_run(tmp_path: Path) -> Path:
    config = TrainConfig(steps=1)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    config.save(run_dir / "config.json")
    build_generator(config.latent_dim, config.variant, seed=0).save_weights(
        run_dir / "generator.weights.h5"
    )
    return run_dir


def test_evaluate_prints_a_table_and_writes_json(untrained_run: Path, tmp_path: Path, capsys):
    report_path = tmp_path / "metrics.json"
    status = main(
        [
            "evaluate",
            "--weights",
            str(untrained_run),
            "--sample-data",
            "--num-samples",
            "100",
            "--json",
            str(report_path),
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "Fréchet distance" in out and "Real data" in out
    report = json.loads(report_path.read_text())
    generated = EvaluationResult.from_dict(report["generated"])
    reference = EvaluationResult.from_dict(report["reference"])
    assert generated.num_samples == reference.num_samples == 100
    # An untrained generator draws noise: far from the real digits, which are close to themselves.
    assert generated.frechet_distance > 10 * reference.frechet_distance
    assert format_table(generated, reference).count("\n") > 8


def test_evaluate_reports_missing_weights_in_one_line(tmp_path: Path, capsys) -> None:
    status = main(["evaluate", "--weights", str(tmp_path / "nowhere"), "--sample-data"])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("error: generator weights not found") and err.count("\n") == 1


def test_real_test_digits_are_those_evaluate_generator_compares_with() -> None:
    from dcgan_lib.metrics import SAMPLE_DATA, evaluate_generator, real_test_digits

    generator = build_generator(seed=0)
    digits = real_test_digits(200, seed=3, data=SAMPLE_DATA)
    assert digits.shape == (200, 28, 28) and digits.dtype == np.uint8
    default = evaluate_generator(generator, 200, seed=3, data=SAMPLE_DATA)
    given = evaluate_generator(generator, 200, seed=3, real_images=digits)
    assert given == default
