"""What latent directions do to the digits (chapter "The latent space").

Part of the book's helpers, not of ``dcgan_lib``'s API. The directions that move
the generated digits most (:func:`principal_directions`), and two measurable style
attributes, :func:`stroke_width` and :func:`slant`, tell what a latent direction
changes (:func:`style_along_walks`; :func:`readings_along_walks` gives the digit the
classifier reads) and pick exemplars for the DCGAN paper's vector arithmetic
(:func:`select_exemplars`, then :func:`vector_arithmetic`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from dcgan_lib._runtime import keras
from dcgan_lib.classifier import MnistClassifier
from dcgan_lib.latent import generate, latent_dim_of, sample_noise

# Pixels above this level (of 255) count as ink when measuring strokes.
_INK_LEVEL = 128


@dataclasses.dataclass(frozen=True)
class PrincipalDirections:
    """Latent directions behind the main modes of variation of the generated images.

    Attributes:
        directions: unit vectors in z, shape (count, latent_dim); direction k is the
            one whose coordinate best predicts an image's score on principal component k.
        components: the principal components of the images, shape (count, 28 * 28).
        explained_variance: share of the images' pixel variance along each component.
        r_squared: share of each component's score that is linear in z (1 would mean
            the component is exactly a linear function of z).
    """

    directions: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    r_squared: np.ndarray


def principal_directions(
    generator: keras.Model, count: int = 3, num_samples: int = 2000, seed: int = 0
) -> PrincipalDirections:
    """The directions in z that move the generated digits along their principal components.

    The principal components of z itself say nothing: the prior N(0, I) is
    isotropic, every direction has variance 1, and the "principal directions"
    of a sample of z are whatever its random fluctuations happen to favour
    (chapter "The latent space" checks this numerically). The generator is what gives directions
    a meaning, so the analysis happens on its output, in the spirit of GANSpace
    (Härkönen et al., 2020):

    1. draw ``num_samples`` z from the prior and generate their digits;
    2. find the principal components of the digits' pixels (PCA);
    3. regress each digit's score on component k linearly on its z; the
       normalised regression vector is the latent direction k.

    Args:
        generator: a trained generator.
        count: number of directions.
        num_samples: digits in the PCA; 2,000 take a few seconds on a CPU.
        seed: seed of the noise (see :func:`dcgan_lib.latent.sample_noise`).
    """
    z = sample_noise(num_samples, latent_dim_of(generator), seed).astype(np.float64)
    pixels = generate(generator, z).reshape(num_samples, -1) / 255.0
    centred = pixels - pixels.mean(axis=0)
    _, singular_values, components = np.linalg.svd(centred, full_matrices=False)
    scores = centred @ components[:count].T
    design = np.hstack([z, np.ones((num_samples, 1))])
    coefficients, *_ = np.linalg.lstsq(design, scores, rcond=None)
    weights = coefficients[:-1]
    residual = scores - design @ coefficients
    r_squared = 1 - residual.var(axis=0) / scores.var(axis=0)
    variance = singular_values**2
    return PrincipalDirections(
        directions=(weights / np.linalg.norm(weights, axis=0)).T.astype(np.float32),
        components=components[:count].astype(np.float32),
        explained_variance=variance[:count] / variance.sum(),
        r_squared=r_squared,
    )


def style_along_walks(
    generator: keras.Model, starts: np.ndarray, directions: np.ndarray, amounts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Average stroke width and slant of the digits along walks from many starting points.

    Args:
        generator: a trained generator.
        starts: noise vectors to walk from, shape (N, latent_dim).
        directions: unit directions, shape (K, latent_dim).
        amounts: how far to walk, shape (A,) (see :func:`dcgan_lib.latent.walk`).

    Returns:
        ``(width, slant)``, each of shape (K, A): the mean of :func:`stroke_width`
        and of :func:`slant` over the N walks, per direction and amount.
    """
    widths, slants = [], []
    for digits in _digits_along_walks(generator, starts, directions, amounts):
        widths.append(stroke_width(digits).reshape(len(starts), -1).mean(axis=0))
        slants.append(slant(digits).reshape(len(starts), -1).mean(axis=0))
    return np.array(widths), np.array(slants)


def readings_along_walks(
    generator: keras.Model,
    classifier: MnistClassifier,
    starts: np.ndarray,
    directions: np.ndarray,
    amounts: np.ndarray,
) -> np.ndarray:
    """The digit the classifier reads at every step of walks from many starting points.

    Args:
        generator: a trained generator.
        classifier: the digit classifier (:func:`dcgan_lib.classifier.load_classifier`).
        starts: noise vectors to walk from, shape (N, latent_dim).
        directions: unit directions, shape (K, latent_dim).
        amounts: how far to walk, shape (A,) (see :func:`dcgan_lib.latent.walk`).

    Returns:
        int array of shape (K, N, A): the most probable digit of each drawing, per
        direction, starting point and amount.
    """
    return np.array(
        [
            classifier.predict(digits).argmax(axis=1).reshape(len(starts), -1)
            for digits in _digits_along_walks(generator, starts, directions, amounts)
        ]
    )


def _digits_along_walks(
    generator: keras.Model, starts: np.ndarray, directions: np.ndarray, amounts: np.ndarray
) -> Iterator[np.ndarray]:
    """Per direction, the digits of every start plus every amount, shape (N * A, 28, 28)."""
    starts = np.asarray(starts, dtype=np.float32)
    amounts = np.asarray(amounts, dtype=np.float32)
    for direction in np.asarray(directions, dtype=np.float32):
        points = starts[:, None, :] + amounts[None, :, None] * direction
        yield generate(generator, points.reshape(-1, starts.shape[1]))


def clearest_noise(
    generator: keras.Model,
    classifier: MnistClassifier,
    digit: int,
    num_candidates: int = 1000,
    seed: int = 0,
) -> np.ndarray:
    """The prior sample, of ``num_candidates``, whose drawing is most clearly ``digit``.

    Clearest by the classifier: the highest probability of ``digit``. A path or an
    explorer that starts and ends on such vectors starts and ends on well-formed
    digits, so what changes along it is the path's doing.

    Returns:
        float32 vector of shape (latent_dim,).

    Raises:
        ValueError: none of the candidates is read as ``digit``.
    """
    candidates = sample_noise(num_candidates, latent_dim_of(generator), seed=seed)
    probabilities = classifier.predict(generate(generator, candidates))
    read_as_digit = probabilities.argmax(axis=1) == digit
    if not read_as_digit.any():
        raise ValueError(f"none of {num_candidates} samples is read as a {digit}.")
    return candidates[int(np.argmax(np.where(read_as_digit, probabilities[:, digit], -1.0)))]


def stroke_width(images: np.ndarray) -> np.ndarray:
    """Average stroke width of each digit, in pixels.

    A stroke of length L and width w covers about L * w pixels and has a
    boundary about 2 L long, so twice the ink area over the ink's perimeter
    estimates w whatever the digit and its size.

    Args:
        images: uint8 pixels (N, 28, 28).

    Returns:
        float64 array (N,); 0 for an image without ink.
    """
    ink = np.asarray(images) >= _INK_LEVEL
    padded = np.pad(ink, ((0, 0), (1, 1), (1, 1)))
    perimeter = np.count_nonzero(padded[:, 1:, :] != padded[:, :-1, :], axis=(1, 2))
    perimeter += np.count_nonzero(padded[:, :, 1:] != padded[:, :, :-1], axis=(1, 2))
    area = np.count_nonzero(ink, axis=(1, 2))
    return 2 * area / np.maximum(perimeter, 1)


def slant(images: np.ndarray) -> np.ndarray:
    """Slant of each digit in degrees from upright; positive leans right (like italics).

    From the ink's second moments: the horizontal shift per row, cov(x, y) / var(y),
    is the shear that the classic "deskewing" of MNIST removes. Image rows grow
    downwards, so a digit whose top leans right has a negative covariance.

    Args:
        images: uint8 pixels (N, 28, 28).

    Returns:
        float64 array (N,); 0 for an image without ink.
    """
    weights = np.asarray(images, dtype=np.float64)
    rows, columns = np.indices(weights.shape[1:], dtype=np.float64)
    total = np.maximum(weights.sum(axis=(1, 2)), 1e-9)

    def mean(values: np.ndarray) -> np.ndarray:
        return (weights * values).sum(axis=(1, 2)) / total

    mean_y, mean_x = mean(rows), mean(columns)
    cov_xy = mean(rows * columns) - mean_x * mean_y
    var_y = mean(rows**2) - mean_y**2
    shear = -cov_xy / np.maximum(var_y, 1e-9)
    return np.degrees(np.arctan(shear))


def standardised(values: np.ndarray) -> np.ndarray:
    """``values`` shifted and scaled to mean 0 and standard deviation 1."""
    values = np.asarray(values, dtype=np.float64)
    return (values - values.mean()) / values.std()


def select_exemplars(scores: np.ndarray, signs: tuple[int, ...], count: int = 3) -> np.ndarray:
    """Indices of the ``count`` samples most extreme in every attribute at once.

    Args:
        scores: standardised attributes, shape (N, A), one column per attribute
            (see :func:`standardised`).
        signs: one +1 or -1 per attribute: the end of each attribute wanted,
            e.g. ``(+1, -1)`` for "wide strokes and leaning left".
        count: exemplars to return (the DCGAN paper averages three).

    Returns:
        ``count`` indices into ``scores``, the best first. A sample's rank is its
        smallest signed score, so an exemplar is extreme in all attributes, not
        very extreme in one.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] != len(signs):
        raise ValueError(f"need one sign per column of scores {scores.shape}, got {signs}.")
    worst = (scores * np.asarray(signs, dtype=np.float64)).min(axis=1)
    return np.argsort(-worst, kind="stable")[:count]


def vector_arithmetic(plus: np.ndarray, minus: np.ndarray, plus_too: np.ndarray) -> np.ndarray:
    """``mean(plus) - mean(minus) + mean(plus_too)``: the DCGAN paper's latent arithmetic.

    Each argument holds the noise vectors of the exemplars of one concept, shape
    (k, latent_dim); averaging k of them (the paper uses three) cancels much of
    what the exemplars do not share. If the three groups are independent draws
    from N(0, I), each mean has variance 1/k per coordinate and the result has
    variance 3/k: with k = 3 it is again a typical draw from the prior.

    Returns:
        float32 vector of shape (latent_dim,).
    """
    means = [np.asarray(group, dtype=np.float64).mean(axis=0) for group in (plus, minus, plus_too)]
    return (means[0] - means[1] + means[2]).astype(np.float32)
