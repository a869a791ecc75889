"""The command line: ``python -m dcgan_lib train|sample ...``.

Every invalid value is reported in one line with a non-zero exit status:
2 for a malformed command line (argparse's convention), 1 for a problem found
while running (a missing file, a batch larger than the data, a diverged run).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dcgan_lib.config import TrainConfig
from dcgan_lib.errors import DCGANError
from dcgan_lib.models import VARIANTS

_DEFAULTS = TrainConfig()

# A subcommand: a function adding its arguments, and one running it to an exit status.
Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer of at least 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def unit_float(text: str) -> float:
    """argparse type: a number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--data",
        metavar="NPZ",
        help="a local mnist.npz; default: $DCGAN_MNIST_PATH, else Keras downloads MNIST",
    )
    source.add_argument(
        "--sample-data",
        action="store_true",
        help="train on the small MNIST sample bundled with the package (no download)",
    )


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data_arguments(parser)
    length = parser.add_mutually_exclusive_group()
    length.add_argument(
        "--steps", type=positive_int, help=f"training steps (default {_DEFAULTS.steps})"
    )
    length.add_argument("--epochs", type=positive_int, help="passes over the training images")
    parser.add_argument("--batch-size", type=positive_int, default=_DEFAULTS.batch_size)
    parser.add_argument("--seed", type=non_negative_int, default=_DEFAULTS.seed)
    parser.add_argument("--out", type=Path, default=Path("runs/latest"), help="run directory")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last checkpoint"
    )
    parser.add_argument("--variant", choices=VARIANTS, default=_DEFAULTS.variant)
    parser.add_argument(
        "--lr",
        type=unit_float,
        default=_DEFAULTS.g_learning_rate,
        help="Adam learning rate of both networks",
    )
    parser.add_argument("--beta1", type=unit_float, default=_DEFAULTS.beta_1)
    parser.add_argument("--label-smoothing", type=unit_float, default=_DEFAULTS.label_smoothing)
    parser.add_argument("--sample-every", type=positive_int, default=_DEFAULTS.sample_every)
    parser.add_argument("--checkpoint-every", type=positive_int, default=_DEFAULTS.checkpoint_every)
    parser.add_argument("--log-every", type=positive_int, default=_DEFAULTS.log_every)
    parser.add_argument("--jit-compile", action="store_true", help="compile the step with XLA")
    parser.add_argument("--quiet", action="store_true", help="one line per epoch, no progress bar")


def _load_training_images(args: argparse.Namespace):
    from dcgan_lib.data import load_mnist, load_mnist_sample

    (x_train, _), _ = load_mnist_sample() if args.sample_data else load_mnist(args.data)
    return x_train


def _run_train(args: argparse.Namespace) -> int:
    from dcgan_lib.data import steps_per_epoch
    from dcgan_lib.run import train

    images = _load_training_images(args)
    if args.batch_size > len(images):
        raise DCGANError(
            f"--batch-size {args.batch_size} is larger than the data ({len(images)} images)."
        )
    steps = args.steps or _DEFAULTS.steps
    if args.resume and not (args.steps or args.epochs):
        steps = _saved_steps(args.out)
    if args.epochs:
        steps = args.epochs * steps_per_epoch(len(images), args.batch_size)
    config = TrainConfig(
        steps=steps,
        batch_size=args.batch_size,
        variant=args.variant,
        g_learning_rate=args.lr,
        d_learning_rate=args.lr,
        beta_1=args.beta1,
        label_smoothing=args.label_smoothing,
        seed=args.seed,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        log_every=args.log_every,
        jit_compile=args.jit_compile,
    )
    if not args.resume and (args.out / "checkpoints").exists():
        raise DCGANError(
            f"{args.out} already holds a run. Add --resume to continue it, or choose another --out."
        )
    print(
        f"Training {steps} steps of batch {args.batch_size} on {len(images)} images -> {args.out}"
    )
    try:
        gan = train(config, images, args.out, resume=args.resume, verbose=2 if args.quiet else 1)
    except KeyboardInterrupt:
        print(
            f"\nInterrupted. Continue from the last checkpoint with: "
            f"python -m dcgan_lib train --out {args.out} --resume --steps {steps}",
            file=sys.stderr,
        )
        return 130
    print(f"Done at step {gan.step}. Generator weights: {args.out / 'generator.weights.h5'}")
    return 0


def _saved_steps(run_dir: Path) -> int:
    return TrainConfig.load(run_dir / "config.json").steps


def _add_sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--weights",
        type=Path,
        required=True,
        help="a run directory or a generator .weights.h5 file",
    )
    parser.add_argument("--out", type=Path, default=Path("samples.png"), help="PNG to write")
    parser.add_argument("--num", type=positive_int, default=25, help="digits in the grid")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of the noise")


def _run_sample(args: argparse.Namespace) -> int:
    import numpy as np

    from dcgan_lib.run import load_generator
    from dcgan_lib.visualize import save_image_grid

    generator = load_generator(args.weights)
    latent_dim = generator.input_shape[-1]
    noise = np.random.default_rng(args.seed).standard_normal((args.num, latent_dim))
    images = np.asarray(generator(noise.astype("float32"), training=False))
    save_image_grid(images, args.out)
    print(f"Wrote {args.num} samples to {args.out}")
    return 0


COMMANDS: dict[str, tuple[str, Command]] = {
    "train": ("train a DCGAN and write a run directory", (_add_train_arguments, _run_train)),
    "sample": ("draw a grid of digits from trained weights", (_add_sample_arguments, _run_sample)),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m dcgan_lib`` argument parser with all subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m dcgan_lib",
        description="Train and use the DCGAN of the DCGAN book.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, (add_arguments, run)) in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=help_text, description=help_text)
        add_arguments(subparser)
        subparser.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m dcgan_lib``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DCGANError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
