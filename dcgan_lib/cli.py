"""The command line: ``python -m dcgan_lib train|sample|evaluate|diagnose ...``.

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
from dcgan_lib.distribute import PEER_TIMEOUT, STRATEGIES
from dcgan_lib.errors import DCGANError
from dcgan_lib.losses import LOSSES
from dcgan_lib.models import UPSAMPLINGS, VARIANTS

_DEFAULTS = TrainConfig()

# A subcommand: a function adding its arguments, and one running it to an exit status.
Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _number(convert: Callable[[str], float], low: float, high: float | None = None):
    """An argparse type: a number ``convert`` reads, in [low, high) (or at least ``low``)."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            kind = "a whole number" if convert is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        if value < low or (high is not None and value >= high):
            bounds = f"in [{low}, {high})" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse


positive_int = _number(int, 1)
non_negative_int = _number(int, 0)
unit_float = _number(float, 0, 1)


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


# The options that set a TrainConfig field: option, fields, argparse keywords, help.
# Unset options keep the preset's value (or, with --resume, the run's).
_CONFIG_OPTIONS = [
    ("--batch-size", ("batch_size",), {"type": positive_int}, "images per step and replica"),
    ("--variant", ("variant",), {"choices": VARIANTS}, "model variant"),
    ("--conditional", ("num_classes",), {"action": "store_const", "const": 10}, "ask for digits"),
    ("--kernel-size", ("kernel_size",), {"type": positive_int}, "generator's kernels"),
    ("--upsampling", ("upsampling",), {"choices": UPSAMPLINGS}, "generator's upsampling"),
    ("--loss", ("loss",), {"choices": tuple(LOSSES)}, "GAN loss"),
    ("--lr", ("g_learning_rate", "d_learning_rate"), {"type": unit_float}, "both learning rates"),
    ("--g-lr", ("g_learning_rate",), {"type": unit_float}, "generator's learning rate"),
    ("--d-lr", ("d_learning_rate",), {"type": unit_float}, "discriminator's learning rate"),
    ("--beta1", ("beta_1",), {"type": unit_float}, "Adam's beta_1"),
    ("--ema-decay", ("ema_decay",), {"type": unit_float}, "weight average's decay, 0: none"),
    ("--label-smoothing", ("label_smoothing",), {"type": unit_float}, "of the real label"),
    ("--seed", ("seed",), {"type": non_negative_int}, "fixes weights, noise and data order"),
    ("--precision", ("precision",), {"choices": PRECISIONS}, "auto: 16 bits where fast"),
    ("--sample-every", ("sample_every",), {"type": positive_int}, "steps between sample grids"),
    ("--samples-per-grid", ("num_samples",), {"type": positive_int}, "digits in each grid"),
    ("--checkpoint-every", ("checkpoint_every",), {"type": positive_int}, "steps between saves"),
    ("--log-every", ("log_every",), {"type": positive_int}, "steps between history rows"),
    ("--snapshot-every", ("snapshot_every",), {"type": non_negative_int}, "0: no snapshots"),
    ("--jit-compile", ("jit_compile",), {"action": "store_const", "const": True}, "use XLA"),
]


def _dest(option: str) -> str:
    return option[2:].replace("-", "_")


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data_arguments(parser)
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=positive_int, help=f"default {_DEFAULTS.steps}")
    length.add_argument("--epochs", type=positive_int, help="passes over the training images")
    parser.add_argument("--out", type=Path, default=Path("runs/latest"), help="run directory")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its last checkpoint, with its saved settings; "
        "--steps, --epochs and the --*-every options may change, other options are refused",
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="start from a named configuration (default: book); the options below override it",
    )
    for option, fields, keywords, help_text in _CONFIG_OPTIONS:
        if "type" in keywords:
            keywords = {**keywords, "metavar": option[2:].upper().replace("-", "_")}
        default = getattr(_DEFAULTS, fields[0])
        parser.add_argument(option, dest=_dest(option), **keywords, help=f"{help_text} ({default})")
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="default",
        help="where to train: one device (default), all GPUs of this machine (mirrored), "
        "several machines described by TF_CONFIG (multiworker) or a TPU (tpu); "
        "--batch-size is then per replica",
    )
    parser.add_argument(
        "--peer-timeout",
        type=_number(float, 0),
        default=PEER_TIMEOUT,
        help=f"multiworker: seconds to wait for the other machines (default {PEER_TIMEOUT:g})",
    )
    parser.add_argument("--quiet", action="store_true", help="one line per epoch, no progress bar")


def _load_training_data(args: argparse.Namespace):
    from dcgan_lib.data import load_mnist, load_mnist_sample

    (x_train, y_train), _ = load_mnist_sample() if args.sample_data else load_mnist(args.data)
    return x_train, y_train


def _run_train(args: argparse.Namespace) -> int:
    from dcgan_lib.data import steps_per_epoch
    from dcgan_lib.distribute import global_batch_size, make_strategy
    from dcgan_lib.hardware import resolve_precision
    from dcgan_lib.runs import RunDirectory, check_resumable, train

    # A multi-worker strategy must exist before TensorFlow does any other work.
    strategy = make_strategy(args.strategy, peer_timeout=args.peer_timeout)
    run = RunDirectory(args.out)
    if args.lr is not None and (args.g_lr is not None or args.d_lr is not None):
        raise DCGANError("--lr sets both learning rates: give it, or --g-lr and --d-lr.")
    names = {"steps": "--steps"}  # the option that sets each field, for error messages
    given = {} if args.steps is None else {"steps": args.steps}
    for option, fields, _, _ in _CONFIG_OPTIONS:
        value = getattr(args, _dest(option))
        for field in fields:
            names.setdefault(field, option)
            if value is not None:
                given[field] = value
    if args.resume:
        if args.preset:
            raise DCGANError("--preset cannot change a resumed run: it keeps its saved settings.")
        config = run.config().replace(**given)
    else:
        if run.checkpoints_dir.exists():
            raise DCGANError(
                f"{args.out} already holds a run. Add --resume to continue it, "
                "or choose another --out."
            )
        config = PRESETS[args.preset or "book"].replace(**given)
    images, labels = _load_training_data(args)
    batch_size = global_batch_size(config.batch_size, strategy)
    if args.epochs:
        config = config.replace(steps=args.epochs * steps_per_epoch(len(images), batch_size))
    if args.resume:
        check_resumable(run, config, names)
    replicas = strategy.num_replicas_in_sync
    precision = resolve_precision(config.precision)
    print(
        f"Training {config.steps} steps of batch {batch_size} on {len(images)} images -> "
        f"{args.out}\nStrategy {args.strategy}: {replicas} replica{'s' if replicas > 1 else ''}, "
        f"global batch {batch_size} = {config.batch_size} per replica x {replicas}\n"
        f"Precision {precision.policy}: {precision.reason}"
    )
    try:
        gan = train(
            config,
            images,
            args.out,
            resume=args.resume,
            verbose=2 if args.quiet else 1,
            strategy=strategy,
            labels=labels if config.num_classes else None,
        )
    except KeyboardInterrupt:
        print(
            f"\nInterrupted. Continue from the last checkpoint with: "
            f"python -m dcgan_lib train --out {args.out} --resume --steps {config.steps}",
            file=sys.stderr,
        )
        return 130
    print(f"Done at step {gan.step}. Generator weights: {run.generator_path}")
    return 0


def _add_sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--weights",
        type=Path,
        help="a run directory or a generator .weights.h5 file (default: the book's "
        "reference run, or with --digit its conditional run)",
    )
    parser.add_argument(
        "--digit",
        type=int,
        choices=range(10),
        metavar="0-9",
        help="a conditional generator draws only this digit",
    )
    parser.add_argument("--out", type=Path, default=Path("samples.png"), help="PNG to write")
    parser.add_argument("--num", type=positive_int, default=25, help="digits in the grid")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of the noise")


def _run_sample(args: argparse.Namespace) -> int:
    import numpy as np

    from dcgan_lib.grids import save_image_grid
    from dcgan_lib.latent import generate, latent_dim_of, sample_noise
    from dcgan_lib.models import num_classes_of
    from dcgan_lib.pretrained import load_pretrained_generator
    from dcgan_lib.runs import load_generator

    if args.weights is None:
        generator = load_pretrained_generator(conditional=args.digit is not None)
    else:
        generator = load_generator(args.weights)
    noise = sample_noise(args.num, latent_dim_of(generator), args.seed)
    digits = args.digit
    if digits is None and num_classes_of(generator):  # every digit in turn
        digits = np.arange(args.num) % num_classes_of(generator)
    save_image_grid(generate(generator, noise, digits=digits), args.out)
    print(f"Wrote {args.num} samples to {args.out}")
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

    from dcgan_lib import metrics
    from dcgan_lib.runs import load_generator

    generator = load_generator(args.weights)
    data = metrics.SAMPLE_DATA if args.sample_data else args.data
    num_samples = args.num_samples or metrics.default_num_samples()
    print(f"Evaluating {num_samples} digits generated by {args.weights}")
    generated = metrics.evaluate_generator(generator, num_samples, seed=args.seed, data=data)
    reference = metrics.reference_metrics(num_samples, seed=args.seed, data=data)
    print(metrics.format_table(generated, reference))
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


def _add_diagnose_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory")
    parser.add_argument(
        "--no-measure",
        action="store_true",
        help="without metrics.jsonl, do not classify samples of the snapshots",
    )


def _run_diagnose(args: argparse.Namespace) -> int:
    from dcgan_lib.diagnosis import diagnose, report

    try:
        findings = diagnose(args.run_dir, measure=not args.no_measure)
    except DCGANError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report(findings))
    return 1 if findings else 0


COMMANDS: dict[str, tuple[str, Command]] = {
    "train": ("train a DCGAN and write a run directory", (_add_train_arguments, _run_train)),
    "sample": ("draw a grid of digits from trained weights", (_add_sample_arguments, _run_sample)),
    "evaluate": (
        'measure trained weights with the metrics of the chapter "Evaluation"',
        (_add_evaluate_arguments, _run_evaluate),
    ),
    "diagnose": (
        "find common training failures in a run directory (exit 1 if any, 2 for a bad run)",
        (_add_diagnose_arguments, _run_diagnose),
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
