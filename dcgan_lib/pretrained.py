"""The book's reference run, shipped with the package (chapter 4, "Training results").

``dcgan_lib/assets/reference_run/`` holds the small artifacts of one full training
run made with ``python -m dcgan_lib train`` on the whole MNIST training split: the
final generator, the run's configuration and history, sample grids from fixed
noise, metrics measured along the way and a record of how it was made. Chapters
and widgets load the generator from here instead of training for half an hour.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dcgan_lib._runtime import keras, tf
from dcgan_lib.callbacks import read_history
from dcgan_lib.config import TrainConfig
from dcgan_lib.errors import DataError
from dcgan_lib.runs import load_generator

REFERENCE_RUN = "reference_run"


def reference_run_dir() -> Path:
    """The directory of the shipped reference run inside the installed package."""
    return Path(str(resources.files("dcgan_lib.assets"))) / REFERENCE_RUN


def _require(path: Path) -> Path:
    if not path.exists():
        raise DataError(
            f"{path} is missing from the installed package; reinstall dcgan_lib "
            "(pip install --force-reinstall dcgan_lib) to get the reference run back."
        )
    return path


def load_pretrained_generator() -> keras.Model:
    """The generator of the book's reference run, ready to draw digits.

    >>> generator = load_pretrained_generator()
    >>> images = generator(noise, training=False)  # noise of shape (N, 100)
    """
    return load_generator(_require(reference_run_dir() / "generator.weights.h5"))


def reference_history() -> list[dict[str, float]]:
    """The reference run's history rows: step, d_loss, g_loss, d_real, d_fake, seconds."""
    return read_history(_require(reference_run_dir() / "history.jsonl"))


def reference_record() -> dict[str, Any]:
    """How the reference run was made: command, versions, hardware, duration."""
    return json.loads(_require(reference_run_dir() / "record.json").read_text())


def reference_samples() -> list[Path]:
    """The reference run's sample grids from fixed noise, in step order."""
    return sorted(_require(reference_run_dir() / "samples").glob("step_*.png"))


def export_run(
    run_dir: str | Path,
    destination: str | Path,
    *,
    command: str,
    sample_every: int = 200,
    notes: str = "",
) -> Path:
    """Copy the small artifacts of a finished run into ``destination`` and record how.

    Copied: ``config.json``, ``history.jsonl``, ``generator.weights.h5`` and the
    sample grids of every ``sample_every`` steps. Written: ``record.json`` with
    the command, library versions, hardware, steps and training time. Checkpoints
    and snapshots stay behind: they are for resuming and measuring, not reading.
    """
    run = Path(run_dir)
    out = Path(destination)
    (out / "samples").mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "history.jsonl", "generator.weights.h5"):
        shutil.copy2(_require(run / name), out / name)
    for grid in sorted((run / "samples").glob("step_*.png")):
        if int(grid.stem.split("_")[1]) % sample_every == 0:
            shutil.copy2(grid, out / "samples" / grid.name)
    history = read_history(run / "history.jsonl")
    config = TrainConfig.load(run / "config.json")
    record = {
        "command": command,
        "steps": history[-1]["step"] if history else 0,
        "images_seen": (history[-1]["step"] if history else 0) * config.batch_size,
        "training_seconds": history[-1]["seconds"] if history else 0.0,
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
        "hardware": {
            "machine": platform.machine(),
            "processor": _cpu_name(),
            "cpu_cores": _cpu_count(),
            "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        },
        "notes": notes,
    }
    (out / "record.json").write_text(json.dumps(record, indent=2) + "\n")
    return out


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
