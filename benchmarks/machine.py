"""The machine a benchmark runs on: what it is, and how much of its CPU time it got.

On a virtual machine the host may run other guests on the same cores: the guest's CPU
time that the host takes away is counted as *steal* in ``/proc/stat``. A loop measured
during a stretch of heavy steal looks slower than it is, so the benchmarks record the
share of stolen time beside their measurements.
"""

from __future__ import annotations

from pathlib import Path

from dcgan_lib.book.assets import environment_record


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


def environment() -> dict[str, str | int]:
    """The versions and the machine of a measurement (the record every shipped asset keeps)."""
    return environment_record()
