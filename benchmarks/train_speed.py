"""Training throughput of three DCGAN training loops on the same architecture.

Measures generator images per second after warm-up, in one process, in
interleaved rounds (every loop runs once per round, so a slow spell of the
machine hits all of them alike), and reports medians:

1. the original blog's loop: ``train_on_batch`` with ``predict``, batch 32
   (``dcgan_lib.book.original.BlogDCGAN`` with the fixes that let its discriminator
   learn, so that it does the work it was written to do);
2. the TensorFlow tutorial's loop: a ``tf.function`` step with two gradient
   tapes, batch 256 (``dcgan_lib.book.original.TutorialLoop``);
3. ``dcgan_lib``'s ``DCGAN.fit`` at its default settings, the path a reader's
   ``python -m dcgan_lib train`` takes: ``precision="auto"`` computes in bfloat16 where
   the hardware has bfloat16 matrix units (a CPU with AMX, a recent GPU), in float32
   elsewhere (:func:`dcgan_lib.hardware.choose_precision`); then at batches 32, 128 and
   256, and at the default batch in each precision that ``"auto"`` did not pick
   (``float32``, ``mixed_bfloat16``, and on a GPU ``mixed_float16``); and the conditional
   DCGAN of chapter "Ask for a digit" at the defaults (``num_classes=10``).

A training step costs about 0.452 GFLOP per generator image (forward and
backward through both networks), which turns images per second into GFLOP/s.

    python benchmarks/train_speed.py                 # bundled sample, 3 rounds
    python benchmarks/train_speed.py --rounds 5 --json speed.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

from contenders import BlogContender, LibraryContender, TutorialContender
from machine import environment

from dcgan_lib._runtime import tf
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import load_mnist, load_mnist_sample
from dcgan_lib.hardware import choose_precision

GFLOP_PER_IMAGE = 0.452


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="mnist.npz; default: the bundled sample")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=4096, help="images per loop per round")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    (images, labels), _ = load_mnist(args.data) if args.data else load_mnist_sample()
    defaults, auto = TrainConfig(), choose_precision()
    print(f"precision='auto' picks {auto.policy}: {auto.reason}")
    default_name = f"dcgan_lib fit (defaults: batch {defaults.batch_size}, {auto.policy})"
    contenders = {
        "blog loop (batch 32)": BlogContender(images),
        "tutorial loop (batch 256)": TutorialContender(images),
        default_name: LibraryContender(images, defaults),
        "dcgan_lib fit (batch 32)": LibraryContender(images, defaults.replace(batch_size=32)),
        "dcgan_lib fit (batch 128)": LibraryContender(images, defaults.replace(batch_size=128)),
        "dcgan_lib fit (batch 256)": LibraryContender(images, defaults.replace(batch_size=256)),
        "dcgan_lib fit (conditional)": LibraryContender(
            images, defaults.replace(num_classes=10), labels
        ),
    }
    # A CPU has no fast float16 convolutions (one step takes many seconds): that one only on GPUs.
    gpu = bool(tf.config.list_physical_devices("GPU"))
    precisions = ("float32", "mixed_bfloat16", *(("mixed_float16",) if gpu else ()))
    for precision in precisions:
        if precision != auto.policy:
            contenders[f"dcgan_lib fit ({precision})"] = LibraryContender(
                images, defaults.replace(precision=precision)
            )
    for contender in contenders.values():  # warm-up: tracing, first allocations
        contender.run(max(2, 512 // contender.batch_size))

    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for round_number in range(1, args.rounds + 1):
        for name, contender in contenders.items():
            steps = max(1, args.images // contender.batch_size)
            started = time.perf_counter()
            contender.run(steps)
            rates[name].append(steps * contender.batch_size / (time.perf_counter() - started))
        print(f"round {round_number}/{args.rounds} done", flush=True)

    medians = {name: statistics.median(values) for name, values in rates.items()}
    blog = medians["blog loop (batch 32)"]
    tutorial = medians["tutorial loop (batch 256)"]
    print(f"\n{'loop':<36} {'images/s':>9} {'GFLOP/s':>8} {'vs blog':>8} {'vs tutorial':>12}")
    for name, rate in medians.items():
        print(
            f"{name:<36} {rate:9.1f} {rate * GFLOP_PER_IMAGE:8.1f} "
            f"{rate / blog:7.2f}x {rate / tutorial:11.2f}x"
        )
    if args.json:
        report = {
            "command": "python benchmarks/train_speed.py " + " ".join(_quoted_args()),
            "images_per_second": medians,
            "all_rounds": rates,
            "gflop_per_image": GFLOP_PER_IMAGE,
            "default_row": default_name,
            "auto_precision": {"policy": auto.policy, "reason": auto.reason},
            "machine": environment(),
        }
        with open(args.json, "w") as file:
            json.dump(report, file, indent=2)


def _quoted_args() -> list[str]:
    """The command line, with files named without their directories (a local detail)."""
    args = sys.argv[1:]
    for index, arg in enumerate(args[:-1]):
        if arg in ("--data", "--json"):
            args[index + 1] = Path(args[index + 1]).name
    return [shlex.quote(arg) for arg in args]


if __name__ == "__main__":
    main()
