"""The machine a benchmark runs on: what it is, and how much of its CPU time it got.

On a virtual machine the host may run other guests on the same cores: the guest's CPU
time that the host takes away is counted as *steal* in ``/proc/stat``. A loop measured
during a stretch of heavy steal looks slower than it is, so the benchmarks record the
share of stolen time beside their measurements.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import dcgan_lib
from dcgan_lib._runtime import keras, tf


def cpu_times() -> list[int] | None:
    """The machine's cumulative CPU times (``/proc/stat``), or ``None`` where there are none."""
    try:
        return [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None


def steal_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """Share of the CPU time between two :func:`cpu_times` that the host stole."""
    if before is None or after is None or len(before) < 8:
        return None
    spent = [b - a for a, b in zip(before, after)]
    total = sum(spent[:8])  # user, nice, system, idle, iowait, irq, softirq, steal
    return round(spent[7] / total, 3) if total else None


def cpu_name() -> str:
    """The processor's model name, and whether it has AVX-512 (what the convolutions use)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    names = [line.split(":", 1)[1].strip() for line in info.splitlines() if "model name" in line]
    vectors = "AVX-512" if "avx512f" in info else "AVX2" if "avx2" in info else "no AVX2"
    return f"{names[0] if names else platform.machine()}, {vectors}"


def environment() -> dict[str, str | int]:
    return {
        "processor": cpu_name(),
        "cpu_cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "dcgan_lib": dcgan_lib.__version__,
    }
