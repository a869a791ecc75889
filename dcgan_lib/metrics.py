"""Numbers for how good generated digits are (chapter "Evaluation").

Every metric looks at images through the MNIST classifier of
:mod:`dcgan_lib.classifier`: its class probabilities ``p(y|x)`` and its 128
penultimate features. The Fréchet distance (FID with the digit classifier in
place of Inception-v3), the Inception score, the class shares and precision and
recall (Kynkäänniemi et al., 2019) are defined in the chapter.

Every value depends on the number of samples, so each is reported beside the
same metric for real digits: MNIST training digits in the generator's place,
with the same sample sizes (:func:`reference_metrics`, cached in
``assets/reference_metrics.json``). Sample sizes: 5,000 generated digits
against 5,000 real test digits by default; 500 against 500 of the bundled
sample when the short-run switch is on (:func:`dcgan_lib.settings.short_run`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.assets import asset_path
from dcgan_lib.classifier import MnistClassifier, load_classifier, weights_sha256
from dcgan_lib.data import MnistSplits, load_mnist, load_mnist_sample
from dcgan_lib.errors import ConfigError, DataError
from dcgan_lib.latent import generate, latent_dim_of, sample_noise
from dcgan_lib.models import num_classes_of
from dcgan_lib.settings import short_run
from dcgan_lib.tables import text_table

DEFAULT_NUM_SAMPLES = 5000
SHORT_RUN_NUM_SAMPLES = 500
DEFAULT_K = 3
# A digit counts as covered when it is at least a fifth of its fair share (10%).
COVERAGE_MIN_SHARE = 0.02
NUM_CLASSES = 10

SAMPLE_DATA = "sample"
REFERENCE_RESOURCE = "reference_metrics.json"

_DISTANCE_BATCH = 1000
# Independent random streams for the three draws of an evaluation with one seed.
_TEST_STREAM, _TRAIN_STREAM = 1, 2


# --- Fréchet distance ---------------------------------------------------------------------------


def gaussian_fit(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of features (N, D), in float64 (chapter "Evaluation").

    Args:
        features: one row per image; at least two rows.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise DataError(f"need at least two feature rows (N, D), got shape {features.shape}.")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T


def frechet_distance_from_moments(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2).

    ``d² = ||mu1 - mu2||² + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``.

    The product sigma1 sigma2 is not symmetric, and a general matrix square
    root of it returns complex rounding noise. Its eigenvalues equal those of
    the symmetric positive semi-definite matrix sigma1^(1/2) sigma2 sigma1^(1/2),
    so the trace of its root is the sum of their square roots, computed with a
    symmetric eigendecomposition: real, and stable for singular covariances.

    Args:
        mu1: mean of the first Gaussian, shape (D,).
        sigma1: its covariance, (D, D), symmetric positive semi-definite.
        mu2: mean of the second Gaussian, shape (D,).
        sigma2: its covariance, (D, D).
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1 = np.atleast_2d(sigma1).astype(np.float64)
    sigma2 = np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise DataError(
            f"mismatched Gaussians: means {mu1.shape} and {mu2.shape}, "
            f"covariances {sigma1.shape} and {sigma2.shape}."
        )
    root1 = _psd_sqrt(sigma1)
    product = root1 @ sigma2 @ root1
    eigenvalues = np.linalg.eigvalsh((product + product.T) / 2)
    trace_of_root = np.sqrt(np.clip(eigenvalues, 0, None)).sum()
    difference = mu1 - mu2
    distance = difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_of_root
    return float(max(distance, 0.0))


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussian fits of two feature sets (chapter "Evaluation").

    Args:
        features_a: features of one image set, shape (N, D).
        features_b: features of the other, shape (M, D).
    """
    return frechet_distance_from_moments(*gaussian_fit(features_a), *gaussian_fit(features_b))


# --- Inception score and class shares -----------------------------------------------------------


def _checked_probabilities(probabilities: np.ndarray) -> np.ndarray:
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or len(probabilities) == 0:
        raise DataError(
            f"expected class probabilities of shape (N, classes), got {probabilities.shape}."
        )
    return probabilities


def inception_score(probabilities: np.ndarray) -> float:
    """Inception score ``exp(E_x KL(p(y|x) || p(y)))`` of class probabilities.

    The score is computed over all images at once (Salimans et al. average it
    over ten splits; with a small classifier and 5,000 images one value is
    clearer). It lies between 1 and the number of classes.

    Args:
        probabilities: ``p(y|x)``, one row per image, shape (N, classes), rows summing to 1.
    """
    probabilities = _checked_probabilities(probabilities)
    marginal = probabilities.mean(axis=0, keepdims=True)
    # 0 log 0 = 0: a zero probability contributes nothing, whatever its logarithm.
    log_ratio = np.log(np.maximum(probabilities, 1e-30)) - np.log(np.maximum(marginal, 1e-30))
    kl_per_image = np.sum(probabilities * log_ratio, axis=1)
    return float(np.exp(kl_per_image.mean()))


@dataclasses.dataclass(frozen=True)
class ClassShares:
    """How often each digit is drawn (chapter "Evaluation", "Mode coverage").

    Attributes:
        shares: share of images classified as each digit 0..9, summing to 1.
        classes_covered: digits with a share of at least ``min_share``.
        total_variation: distance of the shares from uniform,
            ``½ Σ |share - 1/10|``: the smallest share of images that would have to
            change class to make every digit equally frequent.
        min_share: the coverage threshold used.
    """

    shares: tuple[float, ...]
    classes_covered: int
    total_variation: float
    min_share: float


def class_shares(probabilities: np.ndarray, min_share: float = COVERAGE_MIN_SHARE) -> ClassShares:
    """Share of images the classifier assigns to each digit (chapter "Evaluation").

    Args:
        probabilities: ``p(y|x)``, shape (N, classes); each image counts for its
            most probable class.
        min_share: share from which a class counts as covered (default 2%).
    """
    probabilities = _checked_probabilities(probabilities)
    num_classes = probabilities.shape[1]
    counts = np.bincount(probabilities.argmax(axis=1), minlength=num_classes)
    shares = counts / counts.sum()
    return ClassShares(
        shares=tuple(float(share) for share in shares),
        classes_covered=int(np.sum(shares >= min_share)),
        total_variation=float(0.5 * np.abs(shares - 1 / num_classes).sum()),
        min_share=min_share,
    )


# --- Precision and recall -----------------------------------------------------------------------


def _squared_distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    squared = (
        np.sum(points**2, axis=1)[:, None]
        + np.sum(centres**2, axis=1)[None, :]
        - 2 * points @ centres.T
    )
    return np.maximum(squared, 0.0)


def _kth_neighbour_radii(features: np.ndarray, k: int, batch_size: int) -> np.ndarray:
    """Squared distance from each row to its k-th nearest other row."""
    radii = np.empty(len(features))
    for start in range(0, len(features), batch_size):
        block = _squared_distances(features[start : start + batch_size], features)
        rows = np.arange(len(block))
        block[rows, start + rows] = 0.0  # a point's distance to itself, exactly
        # Sorted, each row is 0 (the point itself) followed by its neighbours.
        radii[start : start + len(block)] = np.partition(block, k, axis=1)[:, k]
    return radii


def _share_inside(
    points: np.ndarray, centres: np.ndarray, radii: np.ndarray, batch_size: int
) -> float:
    """Share of ``points`` inside at least one ball (centre, squared radius)."""
    inside = 0
    for start in range(0, len(points), batch_size):
        block = _squared_distances(points[start : start + batch_size], centres)
        inside += int(np.sum(np.any(block <= radii[None, :], axis=1)))
    return inside / len(points)


def precision_recall(
    real_features: np.ndarray,
    fake_features: np.ndarray,
    k: int = DEFAULT_K,
    batch_size: int = _DISTANCE_BATCH,
) -> tuple[float, float]:
    """Improved precision and recall of Kynkäänniemi et al. (2019) in feature space.

    Each set's manifold is the union of balls centred on its samples, each
    reaching that sample's k-th nearest neighbour in the same set. Precision is
    the share of fake samples inside the real manifold; recall, the share of real
    samples inside the fake manifold. A real outlier has a large ball, and fakes
    that look like no digit at all can fall inside it: read precision together
    with the Fréchet distance and the class shares, never alone.

    Args:
        real_features: features of real images, shape (N, D).
        fake_features: features of generated images, shape (M, D).
        k: the neighbour that sets each ball's radius (3 in the paper).
        batch_size: rows of the distance matrix held in memory at once.

    Returns:
        ``(precision, recall)``, each in [0, 1].
    """
    real = np.asarray(real_features, dtype=np.float64)
    fake = np.asarray(fake_features, dtype=np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise DataError(f"feature sets must be (N, D) and (M, D), got {real.shape}, {fake.shape}.")
    if not 1 <= k < min(len(real), len(fake)):
        raise ConfigError(
            f"k must be at least 1 and below both set sizes ({len(real)}, {len(fake)}), got {k}."
        )
    real_radii = _kth_neighbour_radii(real, k, batch_size)
    fake_radii = _kth_neighbour_radii(fake, k, batch_size)
    precision = _share_inside(fake, real, real_radii, batch_size)
    recall = _share_inside(real, fake, fake_radii, batch_size)
    return precision, recall


# --- Evaluating images and generators -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EvaluationResult:
    """Every metric of one set of images against real digits (chapter "Evaluation").

    Attributes:
        frechet_distance: Fréchet distance of the classifier's features; lower is better.
        inception_score: classifier-based Inception score, 1 to 10; higher is better.
        precision: share of the images inside the real digits' manifold.
        recall: share of real digits inside the images' manifold.
        classes_covered: digits making up at least 2% of the images.
        class_total_variation: distance of the class shares from uniform.
        class_shares: share of the images classified as each digit 0..9.
        num_samples: images evaluated.
        num_real: real digits they were compared with.
        k: the neighbour of precision and recall.
    """

    frechet_distance: float
    inception_score: float
    precision: float
    recall: float
    classes_covered: int
    class_total_variation: float
    class_shares: tuple[float, ...]
    num_samples: int
    num_real: int
    k: int

    def to_dict(self) -> dict[str, Any]:
        """The metrics as a plain dictionary, for JSON."""
        values = dataclasses.asdict(self)
        values["class_shares"] = list(self.class_shares)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> EvaluationResult:
        """Rebuild a result written by :meth:`to_dict`."""
        return cls(**{**values, "class_shares": tuple(values["class_shares"])})


def evaluate_images(
    images: np.ndarray | tf.Tensor,
    real_images: np.ndarray | tf.Tensor,
    *,
    k: int = DEFAULT_K,
    classifier: MnistClassifier | None = None,
) -> EvaluationResult:
    """Compute every metric of ``images`` against ``real_images`` (chapter "Evaluation").

    Args:
        images: the images to judge, uint8 pixels (N, 28, 28) or floats in
            [-1, 1] of shape (N, 28, 28) or (N, 28, 28, 1).
        real_images: real digits to compare with, in either form.
        k: the neighbour of precision and recall.
        classifier: the judge; ``None`` loads the shipped classifier.
    """
    classifier = classifier or _shipped_classifier()
    probabilities, features = classifier.predict_and_embed(images)
    _, real_features = classifier.predict_and_embed(real_images)
    precision, recall = precision_recall(real_features, features, k=k)
    shares = class_shares(probabilities)
    return EvaluationResult(
        frechet_distance=frechet_distance(features, real_features),
        inception_score=inception_score(probabilities),
        precision=precision,
        recall=recall,
        classes_covered=shares.classes_covered,
        class_total_variation=shares.total_variation,
        class_shares=shares.shares,
        num_samples=len(features),
        num_real=len(real_features),
        k=k,
    )


@functools.cache
def _shipped_classifier() -> MnistClassifier:
    return load_classifier()


def default_num_samples() -> int:
    """Images per evaluation: 5,000, or 500 when the short-run switch is on."""
    return SHORT_RUN_NUM_SAMPLES if short_run() else DEFAULT_NUM_SAMPLES


def _source_name(data: str | Path | None) -> str:
    return "mnist_sample" if data == SAMPLE_DATA or (data is None and short_run()) else "mnist"


def load_real_splits(data: str | Path | None = None) -> MnistSplits:
    """The real digits that evaluations compare with.

    Args:
        data: ``"sample"`` for the bundled sample, a path to an ``mnist.npz``,
            or ``None``: the bundled sample when the short-run switch is on,
            otherwise :func:`dcgan_lib.data.load_mnist`'s default.
    """
    if _source_name(data) == "mnist_sample":
        return load_mnist_sample()
    return load_mnist(data)


def real_subset(images: np.ndarray, num_samples: int, seed: int, stream: int) -> np.ndarray:
    """A random subset of ``num_samples`` images, fixed by ``(seed, stream)``.

    Raises:
        ConfigError: fewer than ``num_samples`` images are available.
    """
    if num_samples > len(images):
        raise ConfigError(
            f"asked for {num_samples} real digits, but only {len(images)} are available; "
            "lower the number of samples (the bundled sample has 1,000 test digits)."
        )
    rng = np.random.default_rng([seed, stream])
    return images[np.sort(rng.choice(len(images), num_samples, replace=False))]


def generate_images(generator: keras.Model, num_samples: int, seed: int = 0) -> np.ndarray:
    """Draw ``num_samples`` images from ``generator`` with noise fixed by ``seed``.

    A conditional generator is asked for every digit equally often (0, 1, 2... in turn).

    Returns:
        float32 images in [-1, 1], shape (num_samples, 28, 28, 1).
    """
    noise = sample_noise(num_samples, latent_dim_of(generator), seed)
    classes = num_classes_of(generator)
    digits = np.arange(num_samples) % classes if classes else None
    return generate(generator, noise, digits=digits, pixels=False)


def real_test_digits(
    num_samples: int, *, seed: int = 0, data: str | Path | None = None
) -> np.ndarray:
    """The real test digits :func:`evaluate_generator` compares with by default.

    Load them once and pass them as ``real_images`` to measure many generators
    without reading the data file each time.
    """
    _, (x_test, _) = load_real_splits(data)
    return real_subset(x_test, num_samples, seed, _TEST_STREAM)


def evaluate_generator(
    generator: keras.Model,
    num_samples: int | None = None,
    *,
    seed: int = 0,
    real_images: np.ndarray | None = None,
    data: str | Path | None = None,
    k: int = DEFAULT_K,
    classifier: MnistClassifier | None = None,
) -> EvaluationResult:
    """Evaluate a generator against real test digits (chapter "Evaluation").

    Compare it with :func:`reference_metrics` with the same ``num_samples``,
    ``seed``, ``data`` and ``k``: real training digits in the generator's place.

    Args:
        generator: maps noise (B, latent_dim) to images in [-1, 1].
        num_samples: images to generate; ``None`` for :func:`default_num_samples`.
        seed: fixes the noise and the choice of real digits.
        real_images: real digits to compare with, used as given; ``None`` takes
            ``num_samples`` random digits of the test split of ``data``.
        data: where the real digits come from (see :func:`load_real_splits`).
        k: the neighbour of precision and recall.
        classifier: the judge; ``None`` loads the shipped classifier.
    """
    num_samples = num_samples or default_num_samples()
    if real_images is None:
        real_images = real_test_digits(num_samples, seed=seed, data=data)
    images = generate_images(generator, num_samples, seed)
    return evaluate_images(images, real_images, k=k, classifier=classifier)


# --- Real-data reference ------------------------------------------------------------------------


def compute_reference_metrics(
    num_samples: int,
    *,
    seed: int = 0,
    k: int = DEFAULT_K,
    data: str | Path | None = None,
    classifier: MnistClassifier | None = None,
) -> EvaluationResult:
    """Every metric for real digits: training-split digits in a generator's place.

    The training digits (``num_samples`` of them) are judged against the
    same test digits :func:`evaluate_generator` uses for this ``seed``.

    Args:
        num_samples: digits on each side.
        seed: fixes which real digits are drawn.
        k: the neighbour of precision and recall.
        data: where the real digits come from (see :func:`load_real_splits`).
        classifier: the judge; ``None`` loads the shipped classifier.
    """
    (x_train, _), (x_test, _) = load_real_splits(data)  # read once for both subsets
    return evaluate_images(
        real_subset(x_train, num_samples, seed, _TRAIN_STREAM),
        real_subset(x_test, num_samples, seed, _TEST_STREAM),
        k=k,
        classifier=classifier,
    )


def reference_metrics(
    num_samples: int | None = None,
    *,
    seed: int = 0,
    k: int = DEFAULT_K,
    data: str | Path | None = None,
    classifier: MnistClassifier | None = None,
    recompute: bool = False,
) -> EvaluationResult:
    """The metrics of real digits, to report beside a generator's (chapter "Evaluation").

    Values for the default settings (5,000 MNIST digits, or 500 of the bundled
    sample; seed 0; k = 3; the shipped classifier) are cached; anything else is
    computed with :func:`compute_reference_metrics`.

    Args:
        num_samples: digits on each side; ``None`` for :func:`default_num_samples`.
        seed: fixes which real digits are drawn.
        k: the neighbour of precision and recall.
        data: where the real digits come from (see :func:`load_real_splits`).
        classifier: the judge; ``None`` uses the shipped classifier.
        recompute: ignore the cached values.
    """
    num_samples = num_samples or default_num_samples()
    if not recompute and classifier is None:
        cached = cached_reference(_source_name(data), num_samples, seed, k)
        if cached is not None:
            return cached
    return compute_reference_metrics(num_samples, seed=seed, k=k, data=data, classifier=classifier)


def reference_cache_path() -> Path:
    """Where the package keeps the cached reference metrics."""
    return asset_path(REFERENCE_RESOURCE)


def cached_reference(
    source: str, num_samples: int, seed: int = 0, k: int = DEFAULT_K
) -> EvaluationResult | None:
    """The real-data metrics cached in ``assets/reference_metrics.json``, if there.

    Args:
        source: ``"mnist"`` or ``"mnist_sample"`` (the bundled sample).
        num_samples, seed, k: the settings the values were computed with.

    Returns:
        ``None`` when the cache has no entry for these settings, or its values
        were measured with other classifier weights (they would not be comparable).
    """
    path = reference_cache_path()
    cache = json.loads(path.read_text()) if path.is_file() else {}
    if cache.get("classifier_sha256") != weights_sha256():
        return None
    wanted = {"data": source, "num_samples": num_samples, "seed": seed, "k": k}
    for entry in cache["entries"]:
        if {key: entry[key] for key in wanted} == wanted:
            return EvaluationResult.from_dict(entry["metrics"])
    return None


# --- Reporting ----------------------------------------------------------------------------------


def format_table(generated: EvaluationResult, reference: EvaluationResult | None = None) -> str:
    """A plain-text table of the metrics, beside the real-data reference when given.

    Args:
        generated: the metrics of generated digits.
        reference: the same metrics for real digits (:func:`reference_metrics`).
    """
    rows = [
        ("Fréchet distance (features)", "lower", "frechet_distance", "{:.2f}"),
        ("Inception score (max 10)", "higher", "inception_score", "{:.2f}"),
        (f"Precision (k={generated.k})", "higher", "precision", "{:.3f}"),
        (f"Recall (k={generated.k})", "higher", "recall", "{:.3f}"),
        (f"Digits covered (>= {COVERAGE_MIN_SHARE:.0%})", "higher", "classes_covered", "{} / 10"),
        ("Class shares vs uniform (TV)", "lower", "class_total_variation", "{:.3f}"),
    ]
    header = ("Metric", "Generated", "Real data", "Better")
    lines = [header]
    for label, better, field, fmt in rows:
        real = fmt.format(getattr(reference, field)) if reference else "-"
        lines.append((label, fmt.format(getattr(generated, field)), real, better))
    digits = " ".join(f"{digit:>5}" for digit in range(NUM_CLASSES))
    text = [
        text_table(lines, align="lrrl"),
        "",
        "Share of each digit (%):",
        f"  digit      {digits}",
    ]
    for name, result in (("generated", generated), ("real data", reference)):
        if result is not None:
            shares = " ".join(f"{100 * share:5.1f}" for share in result.class_shares)
            text.append(f"  {name:<10} {shares}")
    sizes = f"{generated.num_samples} generated vs {generated.num_real} real test digits"
    if reference is not None:
        sizes += f"; reference: {reference.num_samples} real training digits"
    text.append(sizes)
    return "\n".join(text)
