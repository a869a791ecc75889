"""The one-dimensional toy problem of the chapter "GAN theory".

Part of the book's helpers, not of ``dcgan_lib``'s API.

Two kinds of tools live here. The first half is plain numpy on a grid: the
densities of two Gaussians, the optimal discriminator, the value function
V(D, G) by numerical integration, and the Kullback-Leibler and Jensen-Shannon
divergences, so that the chapter can check its derivation with numbers. The
second half is a tiny GAN in Keras whose generator learns a one-dimensional
Gaussian in seconds on a CPU, so that the reader can watch the theory
happen.

Discriminators are passed around as *logits* ``l(x)`` with ``D(x) = sigmoid(l(x))``,
for the same reason the losses are computed from logits (chapter "Implementation"): where
``D(x)`` rounds to exactly 0 or 1, ``log D(x)`` would be ``-inf``, while
``log sigmoid(l) = -log(1 + exp(-l))`` stays finite.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from dcgan_lib import losses

# ---------------------------------------------------------------------------
# Densities, the optimal discriminator and the value function on a grid
# ---------------------------------------------------------------------------


def gaussian_density(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """The density of the normal distribution N(mean, std**2) at ``x`` (chapter "GAN theory")."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2.0 * math.pi))


def gaussian_cdf(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """The cumulative distribution function of N(mean, std**2) at ``x`` (chapter "GAN theory")."""
    standardized = (np.asarray(x, dtype=np.float64) - mean) / (std * math.sqrt(2.0))
    return 0.5 * (1.0 + np.vectorize(math.erf, otypes=[np.float64])(standardized))


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-l))``, turning a logit into D(x)."""
    logits = np.asarray(logits, dtype=np.float64)
    with np.errstate(over="ignore"):
        # exp(-l) overflows to inf for very negative l, which correctly gives 0.
        return 1.0 / (1.0 + np.exp(-logits))


def optimal_discriminator_logit(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """The logit ``log p_data(x) - log p_g(x)`` of the optimal discriminator (chapter "GAN theory").

    Where both densities vanish the discriminator is never evaluated, so any
    value would do; we return 0, that is D*(x) = 1/2.

    Args:
        p_data: the data density on a grid of points.
        p_g: the generator's density on the same grid.
    """
    p_data = np.asarray(p_data, dtype=np.float64)
    p_g = np.asarray(p_g, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logit = np.log(p_data) - np.log(p_g)
    return np.where((p_data == 0) & (p_g == 0), 0.0, logit)


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), the best discriminator for a fixed G.

    Args:
        p_data: the data density on a grid of points.
        p_g: the generator's density on the same grid.
    """
    return sigmoid(optimal_discriminator_logit(p_data, p_g))


def _trapezoid(values: np.ndarray, x: np.ndarray) -> float:
    """The trapezoidal-rule integral of ``values`` sampled at the points ``x``."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.sum((values[1:] + values[:-1]) * np.diff(x)) / 2.0)


def _weighted_log(density: np.ndarray, log_value: np.ndarray) -> np.ndarray:
    """``density * log_value`` with the convention ``0 * log 0 = 0``."""
    with np.errstate(invalid="ignore"):
        return np.where(density > 0, density * log_value, 0.0)


def value_function(
    x: np.ndarray, p_data: np.ndarray, p_g: np.ndarray, discriminator_logit: np.ndarray
) -> float:
    """V(D, G) = integral of p_data log D + p_g log(1 - D), by the trapezoidal rule.

    Args:
        x: an evenly spaced grid that covers both densities.
        p_data: the data density on ``x``.
        p_g: the generator's density on ``x``.
        discriminator_logit: the logit of D on ``x``, so ``D(x) = sigmoid(logit)``.
    """
    logit = np.asarray(discriminator_logit, dtype=np.float64)
    # log D = -log(1 + exp(-l)) and log(1 - D) = -log(1 + exp(l)), without rounding D.
    log_d = -np.logaddexp(0.0, -logit)
    log_one_minus_d = -np.logaddexp(0.0, logit)
    integrand = _weighted_log(np.asarray(p_data), log_d) + _weighted_log(
        np.asarray(p_g), log_one_minus_d
    )
    return _trapezoid(integrand, x)


# ---------------------------------------------------------------------------
# Divergences
# ---------------------------------------------------------------------------


def kl_divergence(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) = integral of p log(p / q), by the trapezoidal rule, in nats.

    Args:
        x: an evenly spaced grid that covers both densities.
        p: the first density on ``x``.
        q: the second density on ``x``; it must be positive wherever ``p`` is.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Where p is 0 the ratio may be nan (0/0); _weighted_log drops those points.
        log_ratio = np.log(p) - np.log(q)
    return _trapezoid(_weighted_log(p, log_ratio), x)


def js_divergence(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2, in nats.

    Args:
        x: an evenly spaced grid that covers both densities.
        p: the first density on ``x``.
        q: the second density on ``x``.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    mixture = 0.5 * (p + q)
    return 0.5 * kl_divergence(x, p, mixture) + 0.5 * kl_divergence(x, q, mixture)


def gaussian_kl_divergence(mean_p: float, std_p: float, mean_q: float, std_q: float) -> float:
    """The closed form of KL(N(mean_p, std_p**2) || N(mean_q, std_q**2)) in nats."""
    return math.log(std_q / std_p) + (std_p**2 + (mean_p - mean_q) ** 2) / (2.0 * std_q**2) - 0.5


def histogram_js_divergence(
    samples: np.ndarray, data_mean: float, data_std: float, bin_edges: np.ndarray
) -> float:
    """The JSD between a sample's histogram and a Gaussian data distribution (chapter "GAN theory").

    Both distributions are reduced to probabilities of the same bins, and the
    divergence of those two discrete distributions is returned. Samples beyond
    the first or last edge are counted in the outermost bins, and those bins
    get the Gaussian's tails, so both sides sum to one.

    Args:
        samples: draws from the generator, any shape.
        data_mean: mean of the Gaussian data distribution.
        data_std: standard deviation of the Gaussian data distribution.
        bin_edges: increasing bin edges.
    """
    bin_edges = np.asarray(bin_edges, dtype=np.float64)
    clipped = np.clip(np.ravel(samples), bin_edges[0], bin_edges[-1])
    counts, _ = np.histogram(clipped, bins=bin_edges)
    generated = counts / counts.sum()
    cdf = gaussian_cdf(bin_edges, data_mean, data_std)
    cdf[0], cdf[-1] = 0.0, 1.0
    data = np.diff(cdf)
    mixture = 0.5 * (data + generated)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_data = np.where(data > 0, data * np.log(data / mixture), 0.0).sum()
        kl_generated = np.where(generated > 0, generated * np.log(generated / mixture), 0.0).sum()
    return float(0.5 * kl_data + 0.5 * kl_generated)


# ---------------------------------------------------------------------------
# A discriminator trained on samples: logistic regression with a quadratic logit
# ---------------------------------------------------------------------------


def gaussian_optimal_logit_coefficients(
    data_mean: float, data_std: float, generator_mean: float, generator_std: float
) -> np.ndarray:
    """Coefficients ``(a, b, c)`` of the optimal logit ``a x**2 + b x + c`` for two Gaussians.

    The log-ratio of two Gaussian densities is a quadratic in x, so a logistic
    regression on the features ``x`` and ``x**2`` can represent D* exactly
    (chapter "GAN theory").
    """
    a = 1.0 / (2.0 * generator_std**2) - 1.0 / (2.0 * data_std**2)
    b = data_mean / data_std**2 - generator_mean / generator_std**2
    c = (
        math.log(generator_std / data_std)
        + generator_mean**2 / (2.0 * generator_std**2)
        - data_mean**2 / (2.0 * data_std**2)
    )
    return np.array([a, b, c])


@dataclasses.dataclass(frozen=True)
class QuadraticDiscriminator:
    """A discriminator ``D(x) = sigmoid(a x**2 + b x + c)`` (chapter "GAN theory").

    Attributes:
        coefficients: ``(a, b, c)``.
    """

    coefficients: np.ndarray

    def logit(self, x: np.ndarray) -> np.ndarray:
        """The logit ``a x**2 + b x + c`` at ``x``."""
        a, b, c = self.coefficients
        x = np.asarray(x, dtype=np.float64)
        return a * x**2 + b * x + c

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The probability D(x) that ``x`` is real."""
        return sigmoid(self.logit(x))


def fit_quadratic_discriminator(
    real: np.ndarray, fake: np.ndarray, steps: int = 3000, learning_rate: float = 1.0
) -> QuadraticDiscriminator:
    """Train a quadratic-logit discriminator on samples by gradient ascent on V.

    Maximising the sample estimate of V(D, G) is minimising the binary
    cross-entropy with labels 1 for ``real`` and 0 for ``fake``, that is,
    logistic regression. Full-batch gradient steps are taken on standardised
    features, which keeps one learning rate good for all three coefficients.

    Args:
        real: samples from the data distribution.
        fake: samples from the generator, as many as ``real`` so that
            neither class is favoured.
        steps: number of gradient steps.
        learning_rate: step size on the standardised features.
    """
    x = np.concatenate([np.ravel(real), np.ravel(fake)]).astype(np.float64)
    labels = np.concatenate([np.ones(np.size(real)), np.zeros(np.size(fake))])
    center, scale = x.mean(), x.std()
    u = (x - center) / scale
    features = np.stack([u**2, u, np.ones_like(u)], axis=1)
    weights = np.zeros(3)
    for _ in range(steps):
        # The gradient of the mean binary cross-entropy of logistic regression.
        gradient = features.T @ (sigmoid(features @ weights) - labels) / len(labels)
        weights -= learning_rate * gradient
    # Undo the standardisation: w2 u^2 + w1 u + w0 with u = (x - center) / scale.
    w2, w1, w0 = weights
    a = w2 / scale**2
    b = w1 / scale - 2.0 * w2 * center / scale**2
    c = w2 * center**2 / scale**2 - w1 * center / scale + w0
    return QuadraticDiscriminator(coefficients=np.array([a, b, c]))


# ---------------------------------------------------------------------------
# Generator losses and their gradients
# ---------------------------------------------------------------------------


def per_example_loss_and_gradient(
    loss_fn: Callable[[tf.Tensor], tf.Tensor], logits: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each logit's loss and the loss's derivative with respect to that logit.

    The losses of :mod:`dcgan_lib.losses` average over a batch, so the loss is
    evaluated on every logit alone; the gradient of their sum then holds each
    example's own derivative, computed by ``tf.GradientTape``.

    Args:
        loss_fn: a generator loss such as :func:`dcgan_lib.losses.generator_loss`.
        logits: discriminator logits ``l`` on generated samples, ``D(G(z)) = sigmoid(l)``.
    """
    logits = tf.constant(np.ravel(logits), dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        per_example = tf.vectorized_map(loss_fn, logits)
        total = tf.reduce_sum(per_example)
    # A batch of one can come back as sparse IndexedSlices; make it a dense tensor.
    gradient = tf.convert_to_tensor(tape.gradient(total, logits))
    return per_example.numpy().astype(np.float64), gradient.numpy().astype(np.float64)


# ---------------------------------------------------------------------------
# A tiny GAN in one dimension
# ---------------------------------------------------------------------------


def build_toy_generator(hidden_units: int = 16) -> keras.Sequential:
    """A small MLP mapping noise ``z`` of shape (batch, 1) to samples ``x``."""
    return keras.Sequential(
        [
            keras.Input(shape=(1,)),
            # Smooth and unbounded: a saturating tanh would pile samples up at
            # the ends of its range, and the kinks of a ReLU would put spikes
            # in the density of G(z) wherever a linear piece is nearly flat.
            keras.layers.Dense(hidden_units, activation="softplus"),
            keras.layers.Dense(hidden_units, activation="softplus"),
            keras.layers.Dense(1),
        ],
        name="toy_generator",
    )


def build_toy_discriminator(hidden_units: int = 32) -> keras.Sequential:
    """A small MLP mapping samples ``x`` of shape (batch, 1) to logits (chapter "GAN theory").

    The last layer is linear: it returns the logit ``l`` and ``D(x) = sigmoid(l)``.
    """
    return keras.Sequential(
        [
            keras.Input(shape=(1,)),
            keras.layers.Dense(hidden_units, activation="tanh"),
            keras.layers.Dense(hidden_units, activation="tanh"),
            keras.layers.Dense(1),
        ],
        name="toy_discriminator",
    )


def make_toy_train_step(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
    sample_data: Callable[[int], tf.Tensor],
    sample_noise: Callable[[int], tf.Tensor],
    batch_size: int,
    discriminator_steps: int = 1,
    generator_loss_fn: Callable[[tf.Tensor], tf.Tensor] = losses.generator_loss,
) -> Callable[[], dict[str, tf.Tensor]]:
    """One iteration of Algorithm 1: ``k`` discriminator steps, then one generator step.

    Chapter "GAN theory" explains the algorithm. The returned function is compiled with
    ``tf.function`` and returns the last losses and the mean of D on the
    last real and generated batches.

    Args:
        generator: maps noise to samples.
        discriminator: maps samples to logits.
        generator_optimizer: updates the generator's weights.
        discriminator_optimizer: updates the discriminator's weights.
        sample_data: returns a batch of real samples of shape (n, 1).
        sample_noise: returns a batch of noise of shape (n, 1).
        batch_size: the number of real and of generated samples in a batch.
        discriminator_steps: ``k``, the discriminator steps per generator step.
        generator_loss_fn: the generator loss on the discriminator's logits.
    """

    @tf.function
    def train_step() -> dict[str, tf.Tensor]:
        for _ in range(discriminator_steps):
            real = sample_data(batch_size)
            fake = generator(sample_noise(batch_size), training=True)
            with tf.GradientTape() as tape:
                real_logits = discriminator(real, training=True)
                fake_logits = discriminator(fake, training=True)
                d_loss = losses.discriminator_loss(real_logits, fake_logits)
            gradients = tape.gradient(d_loss, discriminator.trainable_variables)
            discriminator_optimizer.apply_gradients(
                zip(gradients, discriminator.trainable_variables)
            )
        # A fresh noise batch, so the generator is not scored on the samples
        # the discriminator has just been trained to reject.
        with tf.GradientTape() as tape:
            fake = generator(sample_noise(batch_size), training=True)
            fake_logits = discriminator(fake, training=True)
            g_loss = generator_loss_fn(fake_logits)
        gradients = tape.gradient(g_loss, generator.trainable_variables)
        generator_optimizer.apply_gradients(zip(gradients, generator.trainable_variables))
        return {
            "discriminator_loss": d_loss,
            "generator_loss": g_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
        }

    return train_step


@dataclasses.dataclass(frozen=True)
class ToyGANSnapshot:
    """The toy GAN at one training step (chapter "GAN theory").

    Attributes:
        step: the number of training iterations done.
        generated: generator samples from the same fixed noise at every snapshot.
        discriminator: D(x) on the history's ``grid``.
    """

    step: int
    generated: np.ndarray
    discriminator: np.ndarray


@dataclasses.dataclass(frozen=True)
class ToyGANHistory:
    """What :func:`train_toy_gan` records (chapter "GAN theory").

    Attributes:
        data_mean: mean of the Gaussian data distribution.
        data_std: standard deviation of the Gaussian data distribution.
        grid: points where the snapshots evaluate D(x).
        snapshots: the generator's samples and D(x) at chosen steps.
        steps: the iteration counts at which the metrics below were measured.
        js_divergence: histogram estimate of JSD(p_data || p_g) at ``steps``.
        generated_mean: mean of the generator's samples at ``steps``.
        generated_std: standard deviation of the generator's samples at ``steps``.
        discriminator_loss: the discriminator's loss at every iteration.
        generator_loss: the generator's loss at every iteration.
        d_real: mean D(x) on the real batch at every iteration.
        d_fake: mean D(G(z)) on the generated batch at every iteration.
    """

    data_mean: float
    data_std: float
    grid: np.ndarray
    snapshots: list[ToyGANSnapshot]
    steps: np.ndarray
    js_divergence: np.ndarray
    generated_mean: np.ndarray
    generated_std: np.ndarray
    discriminator_loss: np.ndarray
    generator_loss: np.ndarray
    d_real: np.ndarray
    d_fake: np.ndarray


def default_snapshot_steps(steps: int) -> list[int]:
    """Six snapshot steps, dense early when the generator moves most (chapter "GAN theory")."""
    return sorted({round(steps * fraction) for fraction in (0, 1 / 30, 1 / 15, 2 / 15, 1 / 3, 1)})


def train_toy_gan(
    steps: int = 3000,
    seed: int = 0,
    data_mean: float = 4.0,
    data_std: float = 1.25,
    batch_size: int = 512,
    learning_rate: float = 1e-3,
    discriminator_steps: int = 1,
    generator_loss_fn: Callable[[tf.Tensor], tf.Tensor] = losses.generator_loss,
    snapshot_steps: Sequence[int] | None = None,
    evaluate_every: int = 20,
    evaluation_samples: int = 20_000,
) -> ToyGANHistory:
    """Train a tiny GAN to turn N(0, 1) noise into N(data_mean, data_std**2) samples.

    Chapter "GAN theory" runs it to watch p_g move toward p_data. Both players are small
    MLPs trained with Adam (beta_1 = 0.5, as in DCGAN); the learning rate
    decays linearly to a hundredth, which damps the oscillation that GAN training
    shows around its equilibrium. ``keras.utils.set_random_seed(seed)`` makes
    a run reproducible; note that it also reseeds Python's and numpy's global
    generators.

    Args:
        steps: the number of iterations of Algorithm 1.
        seed: seed for the weights, the data and the noise.
        data_mean: mean of the Gaussian data distribution.
        data_std: standard deviation of the Gaussian data distribution.
        batch_size: real and generated samples per batch.
        learning_rate: initial Adam learning rate of both players.
        discriminator_steps: ``k``, the discriminator steps per generator step.
        generator_loss_fn: the generator's loss, non-saturating by default.
        snapshot_steps: iterations at which to keep samples and D(x); by
            default :func:`default_snapshot_steps`.
        evaluate_every: iterations between measurements of the JSD.
        evaluation_samples: generated samples used for the measurements.
    """
    keras.utils.set_random_seed(seed)
    generator = build_toy_generator()
    discriminator = build_toy_discriminator()

    def decaying(rate: float) -> keras.optimizers.schedules.LearningRateSchedule:
        return keras.optimizers.schedules.PolynomialDecay(rate, max(steps, 1), rate / 100)

    seed_generator = keras.random.SeedGenerator(seed)

    def sample_data(n: int) -> tf.Tensor:
        return data_mean + data_std * keras.random.normal((n, 1), seed=seed_generator)

    def sample_noise(n: int) -> tf.Tensor:
        return keras.random.normal((n, 1), seed=seed_generator)

    train_step = make_toy_train_step(
        generator=generator,
        discriminator=discriminator,
        generator_optimizer=keras.optimizers.Adam(decaying(learning_rate), beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(decaying(learning_rate), beta_1=0.5),
        sample_data=sample_data,
        sample_noise=sample_noise,
        batch_size=batch_size,
        discriminator_steps=discriminator_steps,
        generator_loss_fn=generator_loss_fn,
    )

    # Compiled, since the measurements below call them hundreds of times.
    generate = tf.function(lambda z: generator(z, training=False))
    discriminate = tf.function(lambda x: discriminator(x, training=False))

    # Fixed noise, so that snapshots at different steps show the same z's.
    fixed_noise = np.random.default_rng(seed).standard_normal((evaluation_samples, 1))
    fixed_noise = fixed_noise.astype(np.float32)
    grid = np.linspace(data_mean - 6.0 * data_std, data_mean + 6.0 * data_std, 401)
    bin_edges = np.linspace(data_mean - 6.0 * data_std, data_mean + 6.0 * data_std, 121)
    if snapshot_steps is None:
        snapshot_steps = default_snapshot_steps(steps)
    snapshot_steps = set(snapshot_steps)

    snapshots, measured_steps, jsd, means, stds = [], [], [], [], []
    records: dict[str, list[float]] = {
        "discriminator_loss": [],
        "generator_loss": [],
        "d_real": [],
        "d_fake": [],
    }
    for step in range(steps + 1):
        if step % evaluate_every == 0 or step == steps or step in snapshot_steps:
            generated = generate(fixed_noise).numpy().ravel()
            measured_steps.append(step)
            jsd.append(histogram_js_divergence(generated, data_mean, data_std, bin_edges))
            means.append(float(generated.mean()))
            stds.append(float(generated.std()))
            if step in snapshot_steps:
                logits = discriminate(grid[:, None].astype(np.float32))
                snapshots.append(
                    ToyGANSnapshot(
                        step=step,
                        generated=generated,
                        discriminator=sigmoid(logits.numpy().ravel()),
                    )
                )
        if step == steps:
            break
        for name, value in train_step().items():
            records[name].append(float(value))

    return ToyGANHistory(
        data_mean=data_mean,
        data_std=data_std,
        grid=grid,
        snapshots=snapshots,
        steps=np.array(measured_steps),
        js_divergence=np.array(jsd),
        generated_mean=np.array(means),
        generated_std=np.array(stds),
        **{name: np.array(values) for name, values in records.items()},
    )
