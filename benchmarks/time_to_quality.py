"""Seconds of training until each loop draws clearly good digits.

Trains several loops on the book's architecture side by side, in one process, in
interleaved rounds: in every round each loop trains for ``--interval`` seconds of
wall-clock time, then its generator is evaluated with the package's metrics (5,000
digits against 5,000 MNIST test digits; evaluation time is not counted as training).
A loop stops once it meets the "clearly good digits" target of
:mod:`dcgan_lib.book.time_to_quality` or has trained for ``--budget`` seconds.

The loops:

* ``blog``: the original blog's loop and settings (``train_on_batch``, Adam 2e-4 with
  beta_1 0.9, batch 32 with half-batch discriminator updates), its Keras 3 bugs fixed;
* ``tutorial``: the TensorFlow tutorial's loop and settings (Adam 1e-4, batch 256);
* ``dcgan_lib``: ``DCGAN.fit`` with the package's default ``TrainConfig``;
* any ``--config NAME=FIELD=VALUE,...``: ``DCGAN.fit`` with the defaults changed.

    python benchmarks/time_to_quality.py --data mnist.npz --json time_to_quality.json

All loops take their turns in one process, so a slow spell of the machine slows each of
them alike. For a loop that draws with an averaged generator (``TrainConfig.ema_decay``),
the rows also hold the Fréchet distance of the trained generator itself
(``trained_generator_frechet_distance``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from contenders import BlogContender, Contender, LibraryContender, TutorialContender
from machine import environment

from dcgan_lib.book.time_to_quality import FD_FACTOR, MIN_CLASS_SHARE, QualityTarget
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import load_mnist
from dcgan_lib.errors import ConfigError, DCGANError
from dcgan_lib.metrics import evaluate_generator, real_test_digits, reference_metrics

NUM_SAMPLES = 5000
BUILT_IN_LOOPS = ("dcgan_lib", "blog", "tutorial")
DESCRIPTIONS = {
    "dcgan_lib": "dcgan_lib's DCGAN.fit at its default TrainConfig",
    "blog": "the original blog's train_on_batch loop and settings, Keras 3 bugs fixed",
    "tutorial": "the TensorFlow tutorial's tf.function loop and settings",
}


def parse_config(text: str) -> tuple[str, TrainConfig]:
    """``NAME=FIELD=VALUE,FIELD=VALUE`` -> (NAME, TrainConfig with those fields changed).

    Raises:
        argparse.ArgumentTypeError: no name, an unknown field or a value of the wrong type.
    """
    name, _, fields = text.partition("=")
    if not name:
        raise argparse.ArgumentTypeError(f"{text!r} has no name; write NAME=FIELD=VALUE,...")
    defaults = TrainConfig().to_dict()
    changes: dict[str, object] = {}
    for item in filter(None, fields.split(",")):
        field, _, value = item.partition("=")
        if field not in defaults:
            known = ", ".join(defaults)
            raise argparse.ArgumentTypeError(f"unknown TrainConfig field {field!r} ({known})")
        kind = type(defaults[field])
        try:
            changes[field] = value in ("1", "true", "True") if kind is bool else kind(value)
        except ValueError:
            wanted = {int: "an integer", float: "a number"}.get(kind, kind.__name__)
            raise argparse.ArgumentTypeError(f"{field} must be {wanted}, got {value!r}") from None
    try:
        return name, TrainConfig().replace(**changes)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_loops(text: str) -> list[str]:
    """``"dcgan_lib,blog"`` -> ``["dcgan_lib", "blog"]``, checking every name."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BUILT_IN_LOOPS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown loop {unknown[0]!r}; choose from {', '.join(BUILT_IN_LOOPS)}"
        )
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="MNIST mnist.npz")
    parser.add_argument("--interval", type=float, default=60.0, help="training seconds per round")
    parser.add_argument("--budget", type=float, default=600.0, help="training seconds per loop")
    parser.add_argument(
        "--loops",
        type=parse_loops,
        default="dcgan_lib,blog,tutorial",
        help=f"comma-separated, from {', '.join(BUILT_IN_LOOPS)}; empty for none",
    )
    parser.add_argument(
        "--config",
        type=parse_config,
        action="append",
        default=[],
        help="NAME=FIELD=VALUE,...: DCGAN.fit with these TrainConfig fields changed",
    )
    parser.add_argument("--json", required=True, help="write the report here (after every round)")
    args = parser.parse_args()

    (images, _), _ = load_mnist(args.data)
    real_digits = real_test_digits(NUM_SAMPLES, data=args.data)
    reference = reference_metrics(NUM_SAMPLES, data=args.data)
    target = QualityTarget.from_reference(reference)

    builders = {
        "dcgan_lib": lambda: LibraryContender(images, TrainConfig()),
        "blog": lambda: BlogContender(images),
        "tutorial": lambda: TutorialContender(images),
    }
    contenders: dict[str, Contender] = {name: builders[name]() for name in args.loops}
    for name, config in args.config:
        contenders[name] = LibraryContender(images, config)

    command = "python benchmarks/time_to_quality.py " + " ".join(_quoted_args())
    today = time.strftime("%Y-%m-%d")
    report = {
        "description": __doc__.split("\n")[0],
        "command": command,
        "environment": environment(),
        "target": {
            "fd_factor": FD_FACTOR,
            "reference_frechet_distance": reference.frechet_distance,
            "max_frechet_distance": target.max_frechet_distance,
            "min_class_share": MIN_CLASS_SHARE,
            "num_samples": NUM_SAMPLES,
        },
        "contenders": {
            name: {
                "description": DESCRIPTIONS.get(name, f"dcgan_lib's DCGAN.fit, {name}"),
                "batch_size": contender.batch_size,
                "precision": contender.precision,
                "config": getattr(contender, "config", None) and contender.config.to_dict(),
                "rows": [],
            }
            for name, contender in contenders.items()
        },
    }
    seconds = dict.fromkeys(contenders, 0.0)
    active = list(contenders)
    while active:
        for name in list(active):
            contender = contenders[name]
            seconds[name] += contender.train_for(args.interval)
            result = evaluate_generator(contender.generator, NUM_SAMPLES, real_images=real_digits)
            row = {
                "seconds": round(seconds[name], 1),
                "images_seen": contender.images_seen,
                **result.to_dict(),
            }
            trained = getattr(contender, "trained_generator", contender.generator)
            if trained is not contender.generator:
                # The loop draws with an averaged generator: measure the trained one beside it.
                row["trained_generator_frechet_distance"] = evaluate_generator(
                    trained, NUM_SAMPLES, real_images=real_digits
                ).frechet_distance
            report["contenders"][name]["rows"].append(row)
            print(
                f"{name:<12} {row['seconds']:7.0f} s {row['images_seen']:>9,} images  "
                f"FD {row['frechet_distance']:7.2f}  min share {min(row['class_shares']):.3f}",
                flush=True,
            )
            if target.met_by(result) or seconds[name] >= args.budget:
                active.remove(name)
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    report["date"] = today
    Path(args.json).write_text(json.dumps(report, indent=1) + "\n")


def _quoted_args() -> list[str]:
    """The command line, with the data file named without its directory (a local detail)."""
    args = sys.argv[1:]
    for index, arg in enumerate(args[:-1]):
        if arg == "--data":
            args[index + 1] = Path(args[index + 1]).name
    return [shlex.quote(arg) for arg in args]


if __name__ == "__main__":
    try:
        main()
    except DCGANError as error:  # bad input: one clear line, not a traceback
        sys.exit(f"error: {error}")
