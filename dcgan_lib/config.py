"""Every training hyperparameter, in one object (section "The training configuration").

The defaults are the book's reference configuration: Adam with learning rate
4e-4 and beta_1 = 0.5, on batches of 64, with a moving average of the
generator's weights. Why these rather than the DCGAN paper's 2e-4 on batches
of 128 (Radford et al., 2015), or the original blog's batch 32 with Keras'
default beta_1 = 0.9 (``benchmarks/README.md`` has the measurements):

* A learning rate of 4e-4 for both networks reached a lower Fréchet distance
  after ten minutes of training than the paper's 2e-4 with each of three
  seeds, at no cost in stability.

* beta_1 = 0.5 shortens Adam's memory of past gradients. In a two-player game
  the gradient's direction keeps changing as the opponent moves, and long
  momentum makes the players overshoot and oscillate; the paper reports that
  0.9 was unstable.
* Batches of 64 train nearly as many images per second as batches of 128 on
  two CPU cores (96%; batches of 32, 87%) with twice the optimizer steps per
  image: over ten minutes of training they reached a much lower Fréchet
  distance than 128, with two seeds.
* The averaged generator (``ema_decay``) draws digits with less of the
  step-to-step wobble of a generator chasing a moving discriminator, at the
  cost of one extra copy of its weights.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from dcgan_lib.errors import ConfigError
from dcgan_lib.losses import LOSSES
from dcgan_lib.models import UPSAMPLINGS, VARIANTS

PRECISIONS: tuple[str, ...] = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
"""``"auto"`` and the Keras dtype policies a run can train in (``TrainConfig.precision``)."""


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training run; validated on creation.

    Attributes:
        steps: training steps; each step updates D once, then G once.
        batch_size: real images per step (the generator makes as many fakes). Under a
            ``tf.distribute`` strategy this is the batch of each replica, and a step
            trains on ``batch_size`` times the number of replicas images
            (:func:`dcgan_lib.distribute.global_batch_size`).
        latent_dim: size of the noise vector z.
        variant: model variant, ``"book"`` or ``"paper"`` (see :mod:`dcgan_lib.models`).
        num_classes: 0 for the book's DCGAN; 10 for a conditional DCGAN that is
            told which digit to draw (chapter "Ask for a digit"), trained on
            images and their labels.
        kernel_size: the generator's upsampling kernels are ``kernel_size`` squared.
        upsampling: how the generator doubles the image size: ``"transpose"``
            (strided transposed convolutions) or ``"resize"`` (nearest-neighbour
            resizing, then a convolution).
        loss: the GAN loss, a name of :data:`dcgan_lib.losses.LOSSES`.
        g_learning_rate: Adam learning rate of the generator.
        d_learning_rate: Adam learning rate of the discriminator.
        beta_1: Adam's first-moment decay, for both networks.
        beta_2: Adam's second-moment decay, for both networks.
        label_smoothing: one-sided label smoothing of the real label (0 = none).
        ema_decay: decay of the exponential moving average of the generator's
            weights, kept beside the generator; the averaged generator draws the
            samples and snapshots and is the run's saved generator (0 = no
            average: the trained generator itself).
        seed: fixes initial weights, noise, dropout and data order.
        sample_every: steps between saved grids of samples from fixed noise.
        num_samples: digits in each sample grid (a square number fills the grid).
        checkpoint_every: steps between checkpoints.
        snapshot_every: steps between saved copies of the generator's weights,
            kept for measuring quality over training (0 = none).
        log_every: steps between rows of the history file.
        steps_per_execution: train steps run per call into the compiled graph.
        jit_compile: compile the train step with XLA.
        precision: the Keras dtype policy of both networks. ``"float32"``
            computes in full precision. The mixed policies keep float32 weights
            but compute in 16 bits, which hardware with 16-bit matrix units does
            several times faster: ``"mixed_float16"`` for GPUs with float16
            tensor cores (Colab's T4, V100), with the losses scaled so that small
            gradients do not vanish; ``"mixed_bfloat16"`` for recent GPUs (A100,
            H100), TPUs and CPUs with AMX matrix units. Elsewhere both are slower
            than float32. ``"auto"`` picks the fastest of them for the machine
            (:func:`dcgan_lib.hardware.choose_precision`), and the run records which.
    """

    steps: int = 2000
    batch_size: int = 64
    latent_dim: int = 100
    variant: str = "book"
    num_classes: int = 0
    kernel_size: int = 5
    upsampling: str = "transpose"
    loss: str = "non_saturating"
    g_learning_rate: float = 4e-4
    d_learning_rate: float = 4e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    label_smoothing: float = 0.0
    ema_decay: float = 0.999
    seed: int = 0
    sample_every: int = 200
    num_samples: int = 25
    checkpoint_every: int = 500
    snapshot_every: int = 0
    log_every: int = 50
    steps_per_execution: int = 1
    jit_compile: bool = False
    precision: str = "auto"

    def __post_init__(self) -> None:
        positive = (
            "steps",
            "batch_size",
            "latent_dim",
            "kernel_size",
            "sample_every",
            "num_samples",
            "checkpoint_every",
            "log_every",
            "steps_per_execution",
        )
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
        for name in ("g_learning_rate", "d_learning_rate"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 < value < 1:
                raise ConfigError(f"{name} must be a number between 0 and 1, got {value!r}.")
        for name in ("beta_1", "beta_2"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"{name} must be in [0, 1), got {getattr(self, name)!r}.")
        for name in ("label_smoothing", "ema_decay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ConfigError(f"{name} must be in [0, 1), got {value!r}.")
        choices = {
            "variant": VARIANTS, "upsampling": UPSAMPLINGS, "loss": tuple(LOSSES),
            "precision": PRECISIONS,
        }  # fmt: skip
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}."
                )
        if self.loss == "hinge" and self.label_smoothing:
            raise ConfigError("label_smoothing has no meaning for the hinge loss: set it to 0.")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed!r}.")
        classes = self.num_classes
        if isinstance(classes, bool) or not isinstance(classes, int) or classes < 0 or classes == 1:
            raise ConfigError(f"num_classes must be 0 or at least 2, got {self.num_classes!r}.")
        if not isinstance(self.snapshot_every, int) or self.snapshot_every < 0:
            raise ConfigError(f"snapshot_every must be 0 or more, got {self.snapshot_every!r}.")
        for name in ("sample_every", "checkpoint_every", "log_every", "snapshot_every"):
            if getattr(self, name) % self.steps_per_execution:
                raise ConfigError(
                    f"{name} ({getattr(self, name)}) must be a multiple of steps_per_execution "
                    f"({self.steps_per_execution}): callbacks only run between executions."
                )

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dictionary, for JSON."""
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> None:
        """Write the configuration to a JSON file."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a configuration written by :meth:`save`.

        Raises:
            ConfigError: the file is missing, not JSON, or has unknown fields.
        """
        path = Path(path)
        try:
            values = json.loads(path.read_text())
        except FileNotFoundError as error:
            raise ConfigError(f"configuration file not found: {path}") from error
        except json.JSONDecodeError as error:
            raise ConfigError(f"{path} is not valid JSON: {error}") from error
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{path} has unknown settings: {', '.join(unknown)}")
        return cls(**values)


# The others as they were written: no averaged generator, float32, one learning rate for both.
def _original(learning_rate: float, **settings: Any) -> TrainConfig:
    rates = {"g_learning_rate": learning_rate, "d_learning_rate": learning_rate}
    return TrainConfig(ema_decay=0.0, precision="float32", **rates, **settings)


PRESETS: dict[str, TrainConfig] = {
    # The book's reference configuration (the defaults above).
    "book": TrainConfig(),
    # The original blog post: Adam(2e-4) with Keras' default beta_1 = 0.9, batches of 32.
    "blog": _original(2e-4, batch_size=32, beta_1=0.9),
    # The TensorFlow DCGAN tutorial: Adam(1e-4), default beta_1 = 0.9, batches of 256.
    "tutorial": _original(1e-4, batch_size=256, beta_1=0.9),
    # The DCGAN paper: its optimizer settings, batches of 128 and its architecture choices.
    "paper": _original(2e-4, batch_size=128, variant="paper"),
}
"""Named configurations compared in chapter "Evaluation"; ``--preset`` on the command line."""
