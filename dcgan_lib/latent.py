"""Computations in the generator's latent space (chapter "The latent space").

The generator maps a noise vector z, drawn from the standard normal prior
N(0, I) in ``latent_dim`` dimensions, to an image. This module moves through
that space and reads what the generator does there:

* paths between two noise vectors: linear (:func:`lerp`) and spherical
  (:func:`slerp`) interpolation;
* walks from one z along a direction (:func:`walk`), such as random
  orthonormal directions (:func:`random_directions`).

Every noise vector of the library is drawn by :func:`sample_noise`, and every
batch of digits is made by :func:`generate`; all are NumPy arrays.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from dcgan_lib._runtime import keras
from dcgan_lib.data import to_pixels
from dcgan_lib.errors import DataError
from dcgan_lib.models import num_classes_of

Method = Literal["lerp", "slerp"]
METHODS: tuple[Method, ...] = ("lerp", "slerp")

GENERATE_BATCH = 500
# Below this angle (radians) two directions count as parallel, and within it of pi as
# antiparallel: sin(angle) is then too small to divide by.
_PARALLEL_ANGLE = 1e-4


def latent_dim_of(generator: keras.Model) -> int:
    """The size of the noise vector the generator takes."""
    return int(generator.inputs[0].shape[-1])


def sample_noise(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """``count`` noise vectors from the prior N(0, I), reproducible from ``seed``.

    The same seed always gives the same vectors, on every machine, so a seed is a
    short name for a digit: chapter "The latent space" and its explorers refer to digits by seed.

    Returns:
        float32 array of shape (count, latent_dim).
    """
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, latent_dim)).astype(np.float32)


def generate(
    generator: keras.Model,
    z: np.ndarray,
    batch_size: int = GENERATE_BATCH,
    *,
    digits: int | np.ndarray | None = None,
    pixels: bool = True,
) -> np.ndarray:
    """The generator's digits for noise vectors ``z``, in batches to bound memory.

    Args:
        generator: a generator such as :func:`dcgan_lib.load_pretrained_generator`.
        z: noise of shape (N, latent_dim), or one vector of shape (latent_dim,).
        batch_size: vectors per call to the generator.
        digits: for a conditional generator (and only for one), the digit to draw
            for each vector, shape (N,), or one digit for all of them.
        pixels: return uint8 pixels (N, 28, 28); ``False`` returns the
            generator's float32 output in [-1, 1], shape (N, 28, 28, 1).

    Raises:
        DataError: ``digits`` missing for a conditional generator, given to
            another, of the wrong shape, or not a digit the generator knows.
    """
    z = np.atleast_2d(np.asarray(z, dtype=np.float32))
    digits = checked_digits(generator, digits, len(z))
    batches = [
        np.asarray(
            generator(
                z[start : start + batch_size]
                if digits is None
                else [z[start : start + batch_size], digits[start : start + batch_size]],
                training=False,
            )
        )
        for start in range(0, len(z), batch_size)
    ]
    images = np.concatenate(batches)
    return to_pixels(images) if pixels else images


def checked_digits(
    generator: keras.Model, digits: int | np.ndarray | None, count: int
) -> np.ndarray | None:
    """``digits`` as ``count`` int32 labels for a conditional ``generator`` (see :func:`generate`).

    Raises:
        DataError: the digits do not fit the generator or the count.
    """
    classes = num_classes_of(generator)
    if not classes:
        if digits is not None:
            raise DataError("this generator cannot be asked for a digit: it is not conditional.")
        return None
    if digits is None:
        raise DataError(
            f"this generator is conditional: pass the digits to draw (0..{classes - 1})."
        )
    labels = np.asarray(digits)
    if labels.ndim == 0:
        labels = np.full(count, labels)
    if labels.shape != (count,) or labels.dtype.kind not in "iu":
        raise DataError(
            f"digits must be one integer or {count} integers, one per noise vector; "
            f"got {labels.dtype} of shape {labels.shape}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise DataError(f"digits must lie in 0..{classes - 1}, got {sorted(set(labels.tolist()))}.")
    return labels.astype(np.int32)


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


def walk(z: np.ndarray, direction: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """Points ``z + a * direction`` for each amount ``a``, shape (len(amounts), latent_dim).

    With a unit ``direction``, an amount of 1 is one standard deviation of the prior
    along it, so amounts between -3 and 3 stay where the prior puts its mass.
    """
    z = np.asarray(z, dtype=np.float32)
    direction = np.asarray(direction, dtype=np.float32)
    amounts = np.asarray(amounts, dtype=np.float32).reshape(-1, 1)
    return z + amounts * direction
