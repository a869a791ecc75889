"""Training speed of the four GAN losses, measured together in one process.

The loss race of the chapter "When training fails" compares the losses after the
same number of steps; this says what a step of each costs. Each loss trains
``dcgan_lib``'s ``DCGAN.fit`` at the book's defaults, in interleaved rounds (every
loss once per round, so a slow spell of the machine hits all alike), and the
median seconds per step are reported.

    python benchmarks/loss_speed.py --json dcgan_lib/assets/failures/loss_speed.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from contenders import LibraryContender
from machine import environment

from dcgan_lib.config import TrainConfig
from dcgan_lib.data import load_mnist_sample
from dcgan_lib.losses import LOSSES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100, help="steps per loss per round")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    (images, _), _ = load_mnist_sample()
    contenders = {loss: LibraryContender(images, TrainConfig(loss=loss)) for loss in LOSSES}
    for contender in contenders.values():  # warm-up: tracing, first allocations
        contender.run(10)
    seconds: dict[str, list[float]] = {loss: [] for loss in contenders}
    for round_number in range(1, args.rounds + 1):
        for loss, contender in contenders.items():
            started = time.perf_counter()
            contender.run(args.steps)
            seconds[loss].append((time.perf_counter() - started) / args.steps)
        print(f"round {round_number}/{args.rounds} done", flush=True)
    medians = {loss: statistics.median(values) for loss, values in seconds.items()}
    fastest = min(medians.values())
    for loss, value in medians.items():
        print(f"{loss:>15}: {1000 * value:6.1f} ms per step ({value / fastest:.2f}x the fastest)")
    if args.json:
        report = {
            "command": f"python benchmarks/loss_speed.py --rounds {args.rounds} "
            f"--steps {args.steps} --json {args.json}",
            "batch_size": TrainConfig().batch_size,
            "seconds_per_step": medians,
            "rounds": seconds,
            "environment": environment(),
        }
        with open(args.json, "w") as file:
            json.dump(report, file, indent=2)
            file.write("\n")
        print(f"Wrote {args.json}")


if __name__ == "__main__":
    main()
