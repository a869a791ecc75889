"""Which oneDNN kernels a training step of ``dcgan_lib`` runs, and how long each takes.

TensorFlow computes convolutions and matrix products on a CPU through oneDNN, which
picks a kernel for the instructions the CPU has: on a CPU with AMX the bfloat16 kernels
are named ``..._amx``, elsewhere ``avx512_core``, ``avx2`` and so on. With
``ONEDNN_VERBOSE=1`` oneDNN prints one line per kernel call with its name, shapes and
milliseconds. This script trains a few steps at the defaults in a child process with
that switch on, parses the second half of its kernel calls (after warm-up), and writes
the time per kernel kind, implementation and direction.

    python benchmarks/onednn_kernels.py --json onednn-kernels.json
    python benchmarks/onednn_kernels.py --precision float32 --json onednn-float32.json

The verbose output slows the step, so the times are for comparing kernels with each
other, not for speeds.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys

CHILD = """
import sys
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import load_mnist_sample, make_dataset
from dcgan_lib.gan import build_gan
(images, _), _ = load_mnist_sample()
gan = build_gan(TrainConfig(precision=sys.argv[1]))
steps = int(sys.argv[2])
print("@@ precision", gan.precision.policy, flush=True)
gan.fit(make_dataset(images, 64, num_steps=steps), epochs=1, steps_per_epoch=steps, verbose=0)
"""


def kernel_times(lines: list[str]) -> dict[str, float]:
    """Milliseconds per ``kind / implementation / direction`` over oneDNN ``exec`` lines."""
    times: dict[str, float] = collections.defaultdict(float)
    for line in lines:
        fields = line.strip().split(",")
        if len(fields) < 8 or fields[:1] != ["onednn_verbose"] or "exec" not in fields:
            continue
        start = fields.index("exec")
        kind, implementation, direction = fields[start + 2 : start + 5]
        try:
            times[f"{kind} / {implementation} / {direction}"] += float(fields[-1])
        except ValueError:
            continue
    return dict(sorted(times.items(), key=lambda item: -item[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--precision", default="auto", help="TrainConfig.precision")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--json", required=True)
    args = parser.parse_args()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, args.precision, str(args.steps)],
        env={**os.environ, "ONEDNN_VERBOSE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    policy = next(line.split()[-1] for line in lines if line.startswith("@@ precision"))
    executed = [line for line in lines if ",exec," in line]
    times = kernel_times(executed[len(executed) // 2 :])
    total = sum(times.values())
    amx = sum(ms for name, ms in times.items() if "amx" in name)
    report = {
        "command": f"python benchmarks/onednn_kernels.py --precision {args.precision} "
        f"--steps {args.steps}",
        "policy": policy,
        "steps": args.steps,
        "total_ms": total,
        "amx_share": amx / total if total else 0.0,
        "ms_by_kernel": times,
    }
    with open(args.json, "w") as file:
        json.dump(report, file, indent=1)
    print(f"{policy}: {total:.0f} ms in oneDNN kernels, {amx / max(total, 1e-9):.0%} in AMX ones")
    for name, ms in list(times.items())[:12]:
        print(f"{ms:9.1f} ms  {name}")


if __name__ == "__main__":
    main()
