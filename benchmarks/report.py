"""Write ``benchmarks/README.md`` from the measurements it describes.

Every number in the README comes from a JSON report in this folder (or the package's
assets), so the page cannot drift from the data:

* ``results-train-speed.json``: ``train_speed.py``;
* ``results-onednn-kernels.json``: ``onednn_kernels.py``, the kernels a step runs;
* ``dcgan_lib/assets/time_to_quality.json``: ``time_to_quality.py`` racing the library's
  defaults against the original blog's and the TensorFlow tutorial's training loops;
* ``dcgan_lib/assets/recipe_race.json``: ``time_to_quality.py`` racing two learning rates,
  three seeds each;
* ``dcgan_lib/assets/failures/loss_speed.json``: ``loss_speed.py``.

    python benchmarks/report.py            # rewrites benchmarks/README.md
    python benchmarks/report.py --check    # fails if README.md is not what the reports give
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
SPEED = HERE / "results-train-speed.json"
RACE = HERE.parent / "dcgan_lib" / "assets" / "recipe_race.json"
LOOPS_RACE = HERE.parent / "dcgan_lib" / "assets" / "time_to_quality.json"
KERNELS = HERE / "results-onednn-kernels.json"
LOSS_SPEED = HERE.parent / "dcgan_lib" / "assets" / "failures" / "loss_speed.json"
LEVELS = (100, 60, 40, 25)
TEN_MINUTES = 600.0


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1) -> str:
    """A Markdown table; columns from ``right_from`` on are right-aligned."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def machine_line(environment: Mapping[str, Any]) -> str:
    """One sentence naming the hardware and the versions of a measurement."""
    units = environment.get("cpu_units") or "unknown vector units"
    accelerator = environment.get("accelerator", "none (CPU only)")
    return (
        f"{environment.get('cpu', environment.get('processor', 'unknown CPU'))} "
        f"({units}), {environment['cpu_cores']} cores, accelerator: {accelerator}; "
        f"Python {environment['python']}, TensorFlow {environment['tensorflow']}, "
        f"Keras {environment['keras']}"
    )


def speed_section(report: Mapping[str, Any]) -> str:
    rates = report["images_per_second"]
    blog, tutorial = rates["blog loop (batch 32)"], rates["tutorial loop (batch 256)"]
    default = report["default_row"]
    gflop = report["gflop_per_image"]
    rows = [
        (
            name,
            f"{rate:.1f}",
            f"{rate * gflop:.1f}",
            f"{rate / blog:.2f}x",
            f"{rate / tutorial:.2f}x",
        )
        for name, rate in rates.items()
    ]
    auto = report["auto_precision"]
    other = {"mixed_bfloat16": "float32", "float32": "mixed_bfloat16"}.get(auto["policy"])
    comparison = ""
    if other and f"dcgan_lib fit ({other})" in rates:
        ratio = rates[default] / rates[f"dcgan_lib fit ({other})"]
        comparison = f" At the same batch, the defaults run {ratio:.2f} times as fast as `{other}`."
    return f"""## Training throughput: `train_speed.py`

Generator images per second of three training loops on the book's architecture, in one
process, in interleaved rounds, medians after warm-up. `dcgan_lib` runs at its defaults, the
path `python -m dcgan_lib train` takes; `precision="auto"` chose `{auto["policy"]}` here
because {auto["reason"]}. The other rows change one setting each.

Measured on {machine_line(report["machine"])}:

```bash
{report.get("command", "python benchmarks/train_speed.py")}
```

{table(("loop", "images/s", "GFLOP/s", "vs blog loop", "vs tutorial loop"), rows)}

GFLOP/s counts about {gflop} GFLOP per generator image (forward and backward through both
networks). The defaults train {rates[default] / tutorial:.2f} times as many images per second
as the tutorial's loop and {rates[default] / blog:.2f} times as many as the blog's.{comparison}
"""


def _first_below(rows: Sequence[Mapping[str, Any]], level: float) -> float | None:
    for row in rows:
        if row["frechet_distance"] <= level:
            return row["seconds"]
    return None


def _at_ten_minutes(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The last measurement within ten minutes of training (plus one turn's rounding)."""
    within = [row for row in rows if row["seconds"] <= TEN_MINUTES + 30]
    return within[-1] if within else rows[0]


def _setting(name: str) -> str:
    return re.sub(r"-?seed\d+$", "", name) or name


def _config_of(report: Mapping[str, Any], setting: str) -> Mapping[str, Any]:
    for name, contender in report["contenders"].items():
        if _setting(name) == setting and contender.get("config"):
            return contender["config"]
    return {}


def _describe(report: Mapping[str, Any], setting: str) -> str:
    """What a setting trained with: its optimizer, batch, averaging and precision."""
    config = _config_of(report, setting)
    return (
        f"Adam {config['g_learning_rate']:g} with beta_1 {config['beta_1']:g}, batch "
        f"{config['batch_size']}, averaged generator {config['ema_decay']:g}, "
        f"precision {config['precision']}"
    )


def race_section(report: Mapping[str, Any]) -> str:
    contenders = report["contenders"]
    rows = []
    for name, contender in contenders.items():
        measured = contender["rows"]
        last = _at_ten_minutes(measured)
        config = contender.get("config") or {}
        rows.append(
            (
                name,
                str(config.get("seed", 0)) if config else "0",
                f"{measured[-1]['images_seen'] / measured[-1]['seconds']:.0f}",
                f"{last['frechet_distance']:.1f}",
                *(
                    "-" if (seconds := _first_below(measured, level)) is None else f"{seconds:.0f}"
                    for level in LEVELS
                ),
            )
        )
    groups: dict[str, list[float]] = {}
    for name, contender in contenders.items():
        if contender.get("config"):
            setting = "defaults" if name == "dcgan_lib" else _setting(name)
            groups.setdefault(setting, []).append(
                _at_ten_minutes(contender["rows"])["frechet_distance"]
            )
    spread_rows = [
        (
            setting,
            str(len(values)),
            f"{statistics.mean(values):.1f}",
            f"{min(values):.1f} to {max(values):.1f}",
        )
        for setting, values in groups.items()
    ]
    target = report["target"]
    settings_text = " and ".join(
        f"`{setting}` ({_describe(report, setting)})" for setting in groups
    )
    seeds = sorted({str((c.get("config") or {}).get("seed", 0)) for c in contenders.values()})
    seeds_text = ", ".join(seeds)
    return f"""## Two learning rates, three seeds each: `time_to_quality.py`

Fréchet distance against seconds of training, for {len(contenders)} training runs of
`DCGAN.fit` in one process: {settings_text}, each with the seeds
{seeds_text}. The runs take turns: each trains for a minute of wall-clock time, then its
generator draws 5,000 digits that are measured against 5,000 MNIST test digits (not counted
as training), until it has trained for ten minutes or met the target of chapter "Evaluation",
clearly good digits: a Fréchet distance of at most {target["max_frechet_distance"]:.2f} with
every digit at least {target["min_class_share"]:.0%} of the samples.

{_measured(report)}
{table(("loop", "seed", "images/s", "FD after 10 min", *(f"FD ≤ {v}" for v in LEVELS)), rows)}

The settings over their seeds, Fréchet distance after ten minutes:

{table(("setting", "seeds", "mean", "range"), spread_rows)}
"""


def _measured(report: Mapping[str, Any]) -> str:
    """When, where and how a race was measured, and how to read its table."""
    command = report["command"].replace(" --", " \\\n    --")
    return f"""Measured {report.get("date", "")} on {machine_line(report["environment"])}:

```bash
{command}
```

Each row: speed over the whole race, Fréchet distance after ten minutes of training, and the
seconds of training until the distance first fell to each level ("-": not within ten minutes).
"""


def loops_race_section(report: Mapping[str, Any]) -> str:
    rows = []
    for name, contender in report["contenders"].items():
        measured = contender["rows"]
        rows.append(
            (
                name,
                str(contender["batch_size"]),
                contender.get("precision", "float32"),
                f"{measured[-1]['images_seen'] / measured[-1]['seconds']:.0f}",
                f"{_at_ten_minutes(measured)['frechet_distance']:.1f}",
                *(
                    "-" if (seconds := _first_below(measured, level)) is None else f"{seconds:.0f}"
                    for level in LEVELS
                ),
            )
        )
    loops = "\n".join(
        f"* `{name}`: {contender['description']}."
        for name, contender in report["contenders"].items()
    )
    header = ("loop", "batch", "precision", "images/s", "FD after 10 min")
    return f"""## Three training loops against the clock: `time_to_quality.py`

The race of chapter "Evaluation": three loops train the book's networks in one process, taking
turns of a minute of wall-clock time each, and after every turn the loop's generator draws
5,000 digits that are measured against 5,000 MNIST test digits (not counted as training),
until each has trained for ten minutes.

{loops}

{_measured(report)}
{table((*header, *(f"FD ≤ {v}" for v in LEVELS)), rows)}
"""


def kernels_section(report: Mapping[str, Any]) -> str:
    rows = [
        (name, f"{ms:.1f}", f"{ms / report['total_ms']:.1%}")
        for name, ms in list(report["ms_by_kernel"].items())[:10]
    ]
    return f"""## Where a step's time goes: `onednn_kernels.py`

TensorFlow runs the convolutions and matrix products of a step on the CPU through oneDNN,
which picks a kernel for the CPU's instructions; kernels named `..._amx` use the AMX matrix
units. With `ONEDNN_VERBOSE=1` oneDNN reports every kernel call and its time; the script
trains {report["steps"]} steps at the defaults (here `{report["policy"]}`) and adds up the
second half of the calls:

```bash
{report["command"]}
```

{report["total_ms"]:.0f} ms were spent in oneDNN kernels, {report["amx_share"]:.0%} of them in
AMX kernels. The ten largest (the verbose output itself slows the step, so compare the rows
with each other, not with the speeds above):

{table(("kernel / implementation / direction", "ms", "share"), rows)}
"""


def loss_speed_section(report: Mapping[str, Any]) -> str:
    per_step = report["seconds_per_step"]
    rows = [(name, f"{1000 * seconds:.0f}") for name, seconds in per_step.items()]
    fastest = min(per_step.values())
    slowest = max(per_step.values())
    environment = report.get("environment") or report.get("machine")
    machine = f" on {machine_line(environment)}" if environment else ""
    return f"""## The cost of a step of each GAN loss: `loss_speed.py`

The loss race of chapter "When training fails" compares the four losses of
`dcgan_lib.losses.LOSSES` after the same number of steps. `loss_speed.py` says what a step of
each costs: `DCGAN.fit` at the book's defaults (batch {report["batch_size"]}) with each loss,
in interleaved rounds in one process, median milliseconds per step{machine}:

```bash
{report["command"]}
```

{table(("loss", "ms per step"), rows)}

The slowest step costs {slowest / fastest:.2f} times the fastest.
"""


def render() -> str:
    speed = json.loads(SPEED.read_text())
    kernels = json.loads(KERNELS.read_text())
    race = json.loads(RACE.read_text())
    loops_race = json.loads(LOOPS_RACE.read_text())
    loss_speed = json.loads(LOSS_SPEED.read_text())
    return "\n".join(
        [
            "# Benchmarks\n",
            "Generated by `python benchmarks/report.py` from the JSON reports beside it; each "
            "section names\nthe command that measured it and the machine it ran on.\n",
            speed_section(speed),
            kernels_section(kernels),
            loops_race_section(loops_race),
            race_section(race),
            loss_speed_section(loss_speed),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if README.read_text() != text:
            print("benchmarks/README.md differs from its reports: run benchmarks/report.py")
            return 1
        return 0
    README.write_text(text)
    print(f"Wrote {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
