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

from dcgan_lib.config import PRECISIONS, PRESETS, TrainConfig
from dcgan_lib.distribute import STRATEGIES
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
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="book",
        help="start from a named configuration (default: book); the options below override it",
    )
    parser.add_argument("--batch-size", type=positive_int, help=f"default {_DEFAULTS.batch_size}")
    parser.add_argument("--seed", type=non_negative_int, default=_DEFAULTS.seed)
    parser.add_argument("--out", type=Path, default=Path("runs/latest"), help="run directory")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its last checkpoint"
    )
    parser.add_argument("--variant", choices=VARIANTS)
    parser.add_argument("--lr", type=unit_float, help="Adam learning rate of both networks")
    parser.add_argument("--beta1", type=unit_float, help="Adam's beta_1 for both networks")
    parser.add_argument("--label-smoothing", type=unit_float, default=_DEFAULTS.label_smoothing)
    parser.add_argument(
        "--ema-decay",
        type=unit_float,
        help=f"decay of the generator's weight average, 0 for none (default {_DEFAULTS.ema_decay})",
    )
    parser.add_argument("--sample-every", type=positive_int, default=_DEFAULTS.sample_every)
    parser.add_argument("--checkpoint-every", type=positive_int, default=_DEFAULTS.checkpoint_every)
    parser.add_argument("--log-every", type=positive_int, default=_DEFAULTS.log_every)
    parser.add_argument(
        "--snapshot-every",
        type=non_negative_int,
        default=_DEFAULTS.snapshot_every,
        help="keep the generator's weights every N steps, for metrics over training (0: never)",
    )
    parser.add_argument("--jit-compile", action="store_true", help="compile the step with XLA")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=_DEFAULTS.precision,
        help="mixed_float16 or mixed_bfloat16 compute in 16 bits, faster on GPUs and TPUs "
        "(slower on CPUs)",
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="default",
        help="where to train: one device (default), all GPUs of this machine (mirrored), "
        "several machines described by TF_CONFIG (multiworker) or a TPU (tpu); "
        "--batch-size is then per replica",
    )
    parser.add_argument("--quiet", action="store_true", help="one line per epoch, no progress bar")


def _load_training_images(args: argparse.Namespace):
    from dcgan_lib.data import load_mnist, load_mnist_sample

    (x_train, _), _ = load_mnist_sample() if args.sample_data else load_mnist(args.data)
    return x_train


def _run_train(args: argparse.Namespace) -> int:
    from dcgan_lib.data import steps_per_epoch
    from dcgan_lib.distribute import global_batch_size, make_strategy
    from dcgan_lib.runs import train

    # A multi-worker strategy must exist before TensorFlow does any other work.
    strategy = make_strategy(args.strategy)
    images = _load_training_images(args)
    preset = PRESETS[args.preset]
    overrides = {
        "batch_size": args.batch_size,
        "variant": args.variant,
        "g_learning_rate": args.lr,
        "d_learning_rate": args.lr,
        "beta_1": args.beta1,
        "ema_decay": args.ema_decay,
    }
    preset = preset.replace(**{k: v for k, v in overrides.items() if v is not None})
    replicas = strategy.num_replicas_in_sync
    batch_size = global_batch_size(preset.batch_size, strategy)
    if batch_size > len(images):
        per_replica = f" times {replicas} replicas ({batch_size})" if replicas > 1 else ""
        raise DCGANError(
            f"--batch-size {preset.batch_size}{per_replica} is larger than the data "
            f"({len(images)} images)."
        )
    steps = args.steps or preset.steps
    if args.resume and not (args.steps or args.epochs):
        steps = _saved_steps(args.out)
    if args.epochs:
        steps = args.epochs * steps_per_epoch(len(images), batch_size)
    config = preset.replace(
        steps=steps,
        label_smoothing=args.label_smoothing,
        seed=args.seed,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        log_every=args.log_every,
        snapshot_every=args.snapshot_every,
        jit_compile=args.jit_compile,
        precision=args.precision,
    )
    if not args.resume and (args.out / "checkpoints").exists():
        raise DCGANError(
            f"{args.out} already holds a run. Add --resume to continue it, or choose another --out."
        )
    print(
        f"Training {steps} steps of batch {batch_size} on {len(images)} images -> {args.out}\n"
        f"Strategy {args.strategy}: {replicas} replica{'s' if replicas > 1 else ''}, "
        f"global batch {batch_size} = {config.batch_size} per replica x {replicas}"
    )
    try:
        gan = train(
            config,
            images,
            args.out,
            resume=args.resume,
            verbose=2 if args.quiet else 1,
            strategy=strategy,
        )
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

    from dcgan_lib.grids import save_image_grid
    from dcgan_lib.runs import load_generator

    generator = load_generator(args.weights)
    latent_dim = generator.input_shape[-1]
    noise = np.random.default_rng(args.seed).standard_normal((args.num, latent_dim))
    images = np.asarray(generator(noise.astype("float32"), training=False))
    save_image_grid(images, args.out)
    print(f"Wrote {args.num} samples to {args.out}")
    return 0


def _add_train_classifier_arguments(parser: argparse.ArgumentParser) -> None:
    from dcgan_lib.classifier import default_weights_path

    _add_data_arguments(parser)
    parser.add_argument("--epochs", type=positive_int, default=8)
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument(
        "--out",
        type=Path,
        default=default_weights_path(),
        help="weights file to write, with its .json record beside it "
        "(default: the copy shipped in the package)",
    )
    parser.add_argument("--quiet", action="store_true", help="one line per epoch")


def _run_train_classifier(args: argparse.Namespace) -> int:
    import time

    from dcgan_lib.classifier import save_classifier, train_classifier
    from dcgan_lib.data import load_mnist, load_mnist_sample

    (x_train, y_train), (x_test, y_test) = (
        load_mnist_sample() if args.sample_data else load_mnist(args.data)
    )
    print(f"Training the MNIST classifier for {args.epochs} epochs on {len(x_train)} digits")
    started = time.perf_counter()
    classifier = train_classifier(
        x_train, y_train, epochs=args.epochs, seed=args.seed, verbose=2 if args.quiet else 1
    )
    seconds = time.perf_counter() - started
    accuracy = classifier.accuracy(x_test, y_test)
    data = "--sample-data" if args.sample_data else f"--data {Path(args.data or 'mnist.npz').name}"
    out = args.out.resolve()
    shown_out = out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out.name
    record_path = save_classifier(
        classifier,
        args.out,
        {
            "command": f"python -m dcgan_lib train-classifier {data} --epochs {args.epochs} "
            f"--seed {args.seed} --out {shown_out}",
            "train_digits": len(x_train),
            "test_digits": len(x_test),
            "test_accuracy": round(accuracy, 5),
            "epochs": args.epochs,
            "seed": args.seed,
            "parameters": classifier.model.count_params(),
            "training_seconds": round(seconds),
        },
    )
    errors = round((1 - accuracy) * len(x_test))
    print(f"Test accuracy: {accuracy:.2%} ({errors} errors in {len(x_test)} digits)")
    print(f"Wrote {args.out} and {record_path}")
    return 0


def _add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data_arguments(parser)
    parser.add_argument(
        "--weights",
        type=Path,
        required=True,
        help="a run directory or a generator .weights.h5 file",
    )
    parser.add_argument(
        "--num-samples",
        type=positive_int,
        help="digits to generate, and real digits to compare with "
        "(default 5000, or 500 when DCGAN_SHORT_RUN is on)",
    )
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of the noise")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the metrics here")


def _run_evaluate(args: argparse.Namespace) -> int:
    import json

    from dcgan_lib.metrics import (
        SAMPLE_DATA,
        default_num_samples,
        evaluate_generator,
        format_table,
        reference_metrics,
    )
    from dcgan_lib.runs import load_generator

    generator = load_generator(args.weights)
    data = SAMPLE_DATA if args.sample_data else args.data
    num_samples = args.num_samples or default_num_samples()
    print(f"Evaluating {num_samples} digits generated by {args.weights}")
    generated = evaluate_generator(generator, num_samples, seed=args.seed, data=data)
    reference = reference_metrics(num_samples, seed=args.seed, data=data)
    print(format_table(generated, reference))
    if args.json:
        report = {
            "weights": str(args.weights),
            "seed": args.seed,
            "real_data": "bundled sample" if args.sample_data else "MNIST",
            "generated": generated.to_dict(),
            "reference": reference.to_dict(),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"Wrote {args.json}")
    return 0


def _add_reference_metrics_arguments(parser: argparse.ArgumentParser) -> None:
    from dcgan_lib.metrics import reference_cache_path

    parser.add_argument(
        "--data",
        metavar="NPZ",
        help="a local mnist.npz; default: $DCGAN_MNIST_PATH, else Keras downloads MNIST",
    )
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument(
        "--out",
        type=Path,
        default=reference_cache_path(),
        help="JSON file to write (default: the cache shipped in the package)",
    )


def _run_reference_metrics(args: argparse.Namespace) -> int:
    from dcgan_lib.metrics import write_reference_cache

    data = f" --data {Path(args.data).name}" if args.data else ""
    command = f"python -m dcgan_lib reference-metrics{data} --seed {args.seed}"
    cache = write_reference_cache(args.out, args.data, command, seed=args.seed)
    for entry in cache["entries"]:
        metrics = entry["metrics"]
        print(
            f"{entry['data']}, {entry['num_samples']} digits: "
            f"FD {metrics['frechet_distance']:.3f}, IS {metrics['inception_score']:.3f}, "
            f"precision {metrics['precision']:.3f}, recall {metrics['recall']:.3f}"
        )
    print(f"Wrote {args.out}")
    return 0


COMMANDS: dict[str, tuple[str, Command]] = {
    "train": ("train a DCGAN and write a run directory", (_add_train_arguments, _run_train)),
    "sample": ("draw a grid of digits from trained weights", (_add_sample_arguments, _run_sample)),
    "train-classifier": (
        "train the MNIST classifier behind the evaluation metrics",
        (_add_train_classifier_arguments, _run_train_classifier),
    ),
    "reference-metrics": (
        "compute the real-data reference values of the evaluation metrics",
        (_add_reference_metrics_arguments, _run_reference_metrics),
    ),
    "evaluate": (
        "measure trained weights with the metrics of chapter 5",
        (_add_evaluate_arguments, _run_evaluate),
    ),
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
