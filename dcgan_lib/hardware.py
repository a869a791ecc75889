"""What this machine computes fast, and so which precision a run trains in by default.

A mixed-precision policy keeps the weights in float32 but computes the layers in 16
bits. That pays only where the hardware has 16-bit matrix units; elsewhere the 16-bit
arithmetic is emulated and slower than float32. ``precision="auto"`` (the default of
:class:`~dcgan_lib.config.TrainConfig`) asks :func:`choose_precision`:

* a TPU, or a GPU of compute capability 8.0 or later (A100, H100, L4): ``mixed_bfloat16``,
  computed by their bfloat16 tensor cores, with float32's range (no loss scaling);
* an older GPU with float16 tensor cores (capability 7.x: V100, T4): ``mixed_float16``;
* a CPU with AMX, Intel's Advanced Matrix Extensions (Xeon from Sapphire Rapids on),
  which TensorFlow reaches through oneDNN: ``mixed_bfloat16``;
* anything else (a CPU with AVX-512 or AVX2 only, an older GPU): ``float32``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from dcgan_lib._runtime import tf


@dataclasses.dataclass(frozen=True)
class PrecisionChoice:
    """A Keras dtype policy and why it was chosen, for the run's record."""

    policy: str
    reason: str


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux names them (``amx_bf16``, ``avx2``...); empty elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its CPU kernels through oneDNN, the only route to AMX."""
    return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip().lower() not in ("0", "false")


def choose_precision(
    accelerators: list[tuple[str, tuple[int, int] | None]] | None = None,
    flags: set[str] | None = None,
) -> PrecisionChoice:
    """The fastest precision that trains as well as float32 on this machine.

    Args:
        accelerators: ``(kind, compute capability)`` of each accelerator, kind
            ``"TPU"`` or ``"GPU"``; by default those TensorFlow sees.
        flags: the CPU's feature flags; by default :func:`cpu_flags`.
    """
    if accelerators is None:
        accelerators = [("TPU", None) for _ in tf.config.list_logical_devices("TPU")]
        for gpu in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(gpu)
            accelerators.append(("GPU", details.get("compute_capability")))
    if any(kind == "TPU" for kind, _ in accelerators):
        return PrecisionChoice("mixed_bfloat16", "TPUs compute in bfloat16 natively")
    capabilities = [capability or (0, 0) for kind, capability in accelerators if kind == "GPU"]
    if capabilities:
        oldest = min(capabilities)
        name = f"GPU of compute capability {oldest[0]}.{oldest[1]}"
        if oldest >= (8, 0):
            return PrecisionChoice("mixed_bfloat16", f"the {name} has bfloat16 tensor cores")
        if oldest >= (7, 0):
            return PrecisionChoice("mixed_float16", f"the {name} has float16 tensor cores")
        return PrecisionChoice("float32", f"the {name} has no 16-bit tensor cores")
    flags = cpu_flags() if flags is None else flags
    if "amx_bf16" in flags:
        if onednn_enabled():
            return PrecisionChoice("mixed_bfloat16", "the CPU has AMX bfloat16 matrix units")
        return PrecisionChoice(
            "float32", "the CPU has AMX, but TF_ENABLE_ONEDNN_OPTS=0 keeps TensorFlow from it"
        )
    return PrecisionChoice("float32", "the CPU has no AMX matrix units, so bfloat16 is slower")


def resolve_precision(precision: str) -> PrecisionChoice:
    """``precision`` itself, or for ``"auto"`` the choice of :func:`choose_precision`."""
    if precision == "auto":
        return choose_precision()
    return PrecisionChoice(precision, "set in the configuration")
