"""Computations in the generator's latent space (chapter 6, "The latent space").

The generator maps a noise vector z, drawn from the standard normal prior
N(0, I) in ``latent_dim`` dimensions, to an image. This module moves through
that space and reads what the generator does there:

* paths between two noise vectors: linear (:func:`lerp`) and spherical
  (:func:`slerp`) interpolation;
* walks from one z along a direction (:func:`walk`), in random orthonormal
  directions (:func:`random_directions`) or in the directions that move the
  generated images most (:func:`principal_directions`);
* measurable style attributes of digits (:func:`stroke_width`, :func:`slant`)
  that pick exemplars for vector arithmetic (:func:`select_exemplars`,
  :func:`vector_arithmetic`), as in the DCGAN paper;
* grids of generated digits along a path or over a 2-D slice
  (:func:`path_frames`, :func:`slice_frames`) for the book's static explorer.

Everything is NumPy on the outside: noise vectors are float32 arrays of shape
(latent_dim,) or (N, latent_dim), and images are uint8 pixels (N, 28, 28).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from dcgan_lib._runtime import keras
from dcgan_lib.data import to_pixels

Method = Literal["lerp", "slerp"]
METHODS: tuple[Method, ...] = ("lerp", "slerp")

_GENERATE_BATCH = 500
# Below this angle (radians) two directions count as parallel, and within it of pi as
# antiparallel: sin(angle) is then too small to divide by.
_PARALLEL_ANGLE = 1e-4
# Pixels above this level (of 255) count as ink when measuring strokes.
_INK_LEVEL = 128


def latent_dim_of(generator: keras.Model) -> int:
    """The size of the noise vector the generator takes."""
    return int(generator.input_shape[-1])


def sample_noise(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """``count`` noise vectors from the prior N(0, I), reproducible from ``seed``.

    The same seed always gives the same vectors, on every machine, so a seed is a
    short name for a digit: chapter 6 and its explorers refer to digits by seed.

    Returns:
        float32 array of shape (count, latent_dim).
    """
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, latent_dim)).astype(np.float32)


def generate(
    generator: keras.Model, z: np.ndarray, batch_size: int = _GENERATE_BATCH
) -> np.ndarray:
    """The generator's digits for noise vectors ``z``, as uint8 pixels (N, 28, 28).

    Args:
        generator: a generator such as :func:`dcgan_lib.pretrained.load_pretrained_generator`.
        z: noise of shape (N, latent_dim), or one vector of shape (latent_dim,).
        batch_size: vectors per call to the generator, to bound memory.
    """
    z = np.atleast_2d(np.asarray(z, dtype=np.float32))
    batches = [
        to_pixels(generator(z[start : start + batch_size], training=False))
        for start in range(0, len(z), batch_size)
    ]
    return np.concatenate(batches)


def _fractions(t: float | np.ndarray) -> np.ndarray:
    return np.asarray(t, dtype=np.float64).reshape(-1, 1)


def _shaped(path: np.ndarray, scalar: bool) -> np.ndarray:
    """One vector for a scalar ``t``, one row per value for an array of ``t``."""
    path = path.astype(np.float32)
    return path[0] if scalar else path


def lerp(z0: np.ndarray, z1: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Linear interpolation ``(1 - t) z0 + t z1``: the straight line from z0 to z1.

    Args:
        z0, z1: noise vectors of shape (latent_dim,).
        t: a fraction of the way, or an array of them (0 gives z0, 1 gives z1).

    Returns:
        One vector (latent_dim,) for a scalar ``t``, else an array (len(t), latent_dim).
    """
    z0 = np.asarray(z0, dtype=np.float64)
    z1 = np.asarray(z1, dtype=np.float64)
    scalar = np.ndim(t) == 0
    t = _fractions(t)
    return _shaped((1 - t) * z0 + t * z1, scalar)


def _perpendicular(unit: np.ndarray) -> np.ndarray:
    """A unit vector perpendicular to ``unit``, chosen deterministically.

    The basis vector least aligned with ``unit``, with its component along ``unit``
    removed: never close to zero, since that component is at most 1/sqrt(d).
    """
    basis = np.zeros_like(unit)
    basis[np.argmin(np.abs(unit))] = 1.0
    orthogonal = basis - (basis @ unit) * unit
    return orthogonal / np.linalg.norm(orthogonal)


def slerp(z0: np.ndarray, z1: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Spherical interpolation: along the great circle from z0's direction to z1's.

    The direction turns at a constant rate through the angle between z0 and z1,
    while the length changes linearly from ``|z0|`` to ``|z1|``. For vectors of
    equal length this is the formula of White (2016),

        slerp(z0, z1; t) = sin((1 - t) w) / sin(w) z0 + sin(t w) / sin(w) z1,

    where w is the angle between them. Parallel vectors (w near 0) fall back to
    :func:`lerp`, which then is the same path. Antiparallel vectors (w near pi)
    have no unique great circle between them; the path then turns through a
    fixed perpendicular direction instead of passing through the origin as the
    straight line would.

    Args:
        z0, z1: noise vectors of shape (latent_dim,).
        t: a fraction of the way, or an array of them (0 gives z0, 1 gives z1).

    Returns:
        One vector (latent_dim,) for a scalar ``t``, else an array (len(t), latent_dim).
    """
    z0 = np.asarray(z0, dtype=np.float64)
    z1 = np.asarray(z1, dtype=np.float64)
    scalar = np.ndim(t) == 0
    t = _fractions(t)
    norm0, norm1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if norm0 == 0 or norm1 == 0:
        return _shaped(lerp(z0, z1, t.ravel()), scalar)
    u0, u1 = z0 / norm0, z1 / norm1
    angle = float(np.arccos(np.clip(u0 @ u1, -1.0, 1.0)))
    if angle < _PARALLEL_ANGLE:
        return _shaped(lerp(z0, z1, t.ravel()), scalar)
    if angle > np.pi - _PARALLEL_ANGLE:
        # Turn through a perpendicular direction: u0 at t = 0, -u0 = u1 at t = 1.
        directions = np.cos(np.pi * t) * u0 + np.sin(np.pi * t) * _perpendicular(u0)
    else:
        directions = (np.sin((1 - t) * angle) * u0 + np.sin(t * angle) * u1) / np.sin(angle)
    lengths = (1 - t) * norm0 + t * norm1
    return _shaped(directions * lengths, scalar)


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, method: Method = "slerp") -> np.ndarray:
    """``steps`` evenly spaced points from z0 to z1 (both included), shape (steps, latent_dim).

    Args:
        method: ``"slerp"`` (:func:`slerp`, the book's default) or ``"lerp"`` (:func:`lerp`).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}.")
    path = slerp if method == "slerp" else lerp
    return path(z0, z1, np.linspace(0.0, 1.0, steps))


def random_directions(latent_dim: int, count: int, seed: int) -> np.ndarray:
    """``count`` random orthonormal directions in the latent space, shape (count, latent_dim).

    Gaussian vectors made orthonormal (QR decomposition): every direction is as
    likely as any other, which is the right null model for "a direction in z".
    """
    if not 1 <= count <= latent_dim:
        raise ValueError(f"count must be between 1 and latent_dim={latent_dim}, got {count}.")
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((latent_dim, count)))
    # Fixing the signs by R's diagonal makes the result unique, hence reproducible.
    return (q * np.sign(np.diag(r))).T.astype(np.float32)


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
    (chapter 6 checks this numerically). The generator is what gives directions
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
        seed: seed of the noise (see :func:`sample_noise`).
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


def walk(z: np.ndarray, direction: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """Points ``z + a * direction`` for each amount ``a``, shape (len(amounts), latent_dim).

    With a unit ``direction``, an amount of 1 is one standard deviation of the prior
    along it, so amounts between -3 and 3 stay where the prior puts its mass.
    """
    z = np.asarray(z, dtype=np.float32)
    direction = np.asarray(direction, dtype=np.float32)
    amounts = np.asarray(amounts, dtype=np.float32).reshape(-1, 1)
    return z + amounts * direction


def style_along_walks(
    generator: keras.Model, starts: np.ndarray, directions: np.ndarray, amounts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Average stroke width and slant of the digits along walks from many starting points.

    Args:
        generator: a trained generator.
        starts: noise vectors to walk from, shape (N, latent_dim).
        directions: unit directions, shape (K, latent_dim).
        amounts: how far to walk, shape (A,) (see :func:`walk`).

    Returns:
        ``(width, slant)``, each of shape (K, A): the mean of :func:`stroke_width`
        and of :func:`slant` over the N walks, per direction and amount.
    """
    starts = np.asarray(starts, dtype=np.float32)
    amounts = np.asarray(amounts, dtype=np.float32)
    widths, slants = [], []
    for direction in np.asarray(directions, dtype=np.float32):
        points = starts[:, None, :] + amounts[None, :, None] * direction
        digits = generate(generator, points.reshape(-1, starts.shape[1]))
        widths.append(stroke_width(digits).reshape(len(starts), -1).mean(axis=0))
        slants.append(slant(digits).reshape(len(starts), -1).mean(axis=0))
    return np.array(widths), np.array(slants)


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


def path_frames(
    generator: keras.Model,
    z0: np.ndarray,
    z1: np.ndarray,
    steps: int = 25,
    method: Method = "slerp",
) -> np.ndarray:
    """The digits along an interpolation from z0 to z1, uint8 (steps, 28, 28).

    The frames of the book's static explorer (:mod:`dcgan_lib.book.static_explorer`).
    """
    return generate(generator, interpolate(z0, z1, steps, method))


def slice_points(
    centre: np.ndarray,
    directions: np.ndarray,
    size: int = 9,
    extent: float = 3.0,
) -> np.ndarray:
    """A ``size`` x ``size`` grid of points in the plane through ``centre``.

    Args:
        centre: the noise vector at the middle of the grid.
        directions: two unit vectors spanning the plane, shape (2, latent_dim);
            rows of the grid move along the first, columns along the second.
        size: points per side.
        extent: the grid reaches ``extent`` units along each direction, each side.

    Returns:
        float32 array (size, size, latent_dim).
    """
    directions = np.asarray(directions, dtype=np.float32)
    if directions.shape[0] != 2:
        raise ValueError(f"a slice needs two directions, got {directions.shape[0]}.")
    amounts = np.linspace(-extent, extent, size, dtype=np.float32)
    down, across = np.meshgrid(amounts, amounts, indexing="ij")
    return (
        np.asarray(centre, dtype=np.float32)
        + down[..., None] * directions[0]
        + across[..., None] * directions[1]
    )


def slice_frames(
    generator: keras.Model,
    centre: np.ndarray,
    directions: np.ndarray,
    size: int = 9,
    extent: float = 3.0,
) -> np.ndarray:
    """The digits over a 2-D slice of the latent space, uint8 (size, size, 28, 28).

    See :func:`slice_points` for the grid; one generator call per batch of digits.
    """
    points = slice_points(centre, directions, size, extent)
    return generate(generator, points.reshape(size * size, -1)).reshape(size, size, 28, 28)
