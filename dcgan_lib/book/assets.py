"""The maintainer's tasks that make the package's shipped assets.

Part of the book's helpers, not of ``dcgan_lib``'s API: the user's command line
is ``python -m dcgan_lib``. Every task here writes only where ``--out`` says::

    python -m dcgan_lib.book.assets train-classifier --out DIR/mnist_classifier.weights.h5
    python -m dcgan_lib.book.assets reference-metrics --out DIR/reference_metrics.json
    python -m dcgan_lib.book.assets evaluate-snapshots runs/reference --data mnist.npz
    python -m dcgan_lib.book.assets export-run runs/reference --out DIR --command "..."
    python -m dcgan_lib.book.assets export-comparison runs/compare-blog --out DIR
    python -m dcgan_lib.book.assets blog-run --data mnist.npz --out DIR

``dcgan_lib/assets/README.md`` and ``dcgan_lib/assets/comparison/README.md``
record the commands that made each shipped file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import dcgan_lib
from dcgan_lib._runtime import keras, tf
from dcgan_lib.book import failures, original
from dcgan_lib.book.comparison import evaluate_snapshots
from dcgan_lib.book.failures import FAILURES_NUM_SAMPLES
from dcgan_lib.classifier import (
    MnistClassifier,
    build_classifier,
    default_weights_path,
    load_classifier,
    weights_sha256,
)
from dcgan_lib.data import IMAGE_SHAPE, load_mnist, load_mnist_sample, to_model_range
from dcgan_lib.errors import ConfigError, DataError, DCGANError
from dcgan_lib.grids import save_image_grid
from dcgan_lib.hardware import cpu_flags
from dcgan_lib.metrics import (
    DEFAULT_K,
    DEFAULT_NUM_SAMPLES,
    SAMPLE_DATA,
    SHORT_RUN_NUM_SAMPLES,
    compute_reference_metrics,
)
from dcgan_lib.runs import RunDirectory, fixed_noise
from dcgan_lib.settings import SHORT_RUN_VARIABLE, short_run

# CPU flags (as /proc/cpuinfo names them) of the matrix and vector units TensorFlow can use.
_CPU_UNITS = {
    "amx_bf16": "AMX (bfloat16)",
    "avx512_bf16": "AVX-512 BF16",
    "avx512f": "AVX-512",
    "avx2": "AVX2",
}


def environment_record() -> dict[str, Any]:
    """The versions and the machine behind a computed asset or measurement, for its record."""
    cpu, flags = platform.processor() or platform.machine(), cpu_flags()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpus = [device.name for device in tf.config.list_logical_devices("GPU")]
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "dcgan_lib": dcgan_lib.__version__,
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_units": ", ".join(name for flag, name in _CPU_UNITS.items() if flag in flags),
        "cpu_cores": cores or 0,
        "accelerator": ", ".join(gpus) or "none (CPU only)",
    }


# Augmentation while training the classifier: shifts of 2/28 of the frame, turns of 8/360.
_MAX_SHIFT = 2 / 28
_MAX_ROTATION = 8 / 360


def train_classifier(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = 8,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    augment: bool = True,
    seed: int = 0,
    verbose: int | str = "auto",
) -> MnistClassifier:
    """Train a fresh classifier on labelled digits (chapter "Evaluation").

    Adam, with a learning rate that decays along a cosine to zero over the
    run. Light augmentation (shifts of up to 2 pixels, rotations of up to 8
    degrees) makes the classifier judge a generated digit by its shape, not by
    exactly where it sits in the frame; the augmentation layers wrap the
    network only while it trains, so the saved weights are the plain network.
    The run is a function of ``seed`` (initial weights, augmentation, dropout,
    shuffling).

    Args:
        images: uint8 pixels (N, 28, 28), or floats in [-1, 1].
        labels: digits 0..9, shape (N,).
        epochs: passes over the images.
        batch_size: images per step.
        learning_rate: Adam's initial learning rate.
        augment: apply the random shifts and rotations.
        seed: fixes every random choice of the run.
        verbose: Keras' ``fit`` verbosity.
    """
    keras.utils.set_random_seed(seed)
    classifier = build_classifier(seed)
    x = to_model_range(images)
    y = np.asarray(labels, dtype=np.int32)
    if len(x) != len(y):
        raise DataError(f"got {len(x)} images but {len(y)} labels.")
    augmentation = [
        keras.layers.RandomTranslation(
            _MAX_SHIFT, _MAX_SHIFT, fill_mode="constant", fill_value=-1.0, seed=seed
        ),
        keras.layers.RandomRotation(
            _MAX_ROTATION, fill_mode="constant", fill_value=-1.0, seed=seed
        ),
    ]
    trainer = keras.Sequential(
        [keras.Input(shape=IMAGE_SHAPE), *(augmentation if augment else []), classifier.model]
    )
    steps = epochs * -(-len(y) // batch_size)
    trainer.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    trainer.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose)
    return classifier


def first_per_class(
    images: np.ndarray, labels: np.ndarray, per_class: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``per_class`` images of each digit, kept in their original order.

    This is how the bundled sample was cut from MNIST (see ``assets/README.md``).
    """
    keep = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        keep[np.flatnonzero(labels == digit)[:per_class]] = True
    return images[keep], labels[keep]


def _record_path(weights: Path) -> Path:
    """The JSON record beside a weights file: ``name.weights.h5`` -> ``name.json``."""
    return weights.with_name(weights.name.removesuffix(".weights.h5") + ".json")


def classifier_record() -> dict[str, Any]:
    """How the shipped classifier was made: command, test accuracy, versions, hardware.

    Read from ``assets/mnist_classifier.json``, which ``train-classifier`` writes
    beside the weights (chapter "Evaluation" prints it).
    """
    return json.loads(_record_path(default_weights_path()).read_text())


def save_classifier(classifier: MnistClassifier, path: str | Path, record: dict[str, Any]) -> Path:
    """Write the weights to ``path`` and ``record`` beside them as JSON.

    The JSON file has the weights' name with ``.json`` in place of
    ``.weights.h5``; the SHA-256 of the weights and :func:`environment_record`
    are added to ``record``, so the two files always describe each other.

    Returns:
        The path of the JSON file.
    """
    path = Path(path)
    if not path.name.endswith(".weights.h5"):
        raise DataError(f"Keras weights files must end in .weights.h5, got {path.name}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    classifier.model.save_weights(path)
    record = {**record, "weights_sha256": weights_sha256(path), **environment_record()}
    json_path = _record_path(path)
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    return json_path


def write_reference_cache(
    path: str | Path, data: str | Path | None, command: str, seed: int = 0
) -> dict[str, Any]:
    """Compute the real-data metrics at the default settings and write them as JSON.

    Three entries: MNIST from ``data`` with 5,000 digits a side (the book's
    evaluations) and with 2,000 (the runs of chapter "When training fails"), and
    the bundled sample with 500. The classifier's SHA-256 is recorded: the cache is only
    read back with the same classifier (:func:`dcgan_lib.metrics.cached_reference`).
    """
    if data is None and short_run():
        raise ConfigError(f"unset {SHORT_RUN_VARIABLE}: the reference metrics are of full MNIST.")
    classifier = load_classifier()
    entries = []
    for source, source_data, num_samples in (
        ("mnist", data, DEFAULT_NUM_SAMPLES),
        ("mnist", data, FAILURES_NUM_SAMPLES),
        ("mnist_sample", SAMPLE_DATA, SHORT_RUN_NUM_SAMPLES),
    ):
        result = compute_reference_metrics(
            num_samples, seed=seed, k=DEFAULT_K, data=source_data, classifier=classifier
        )
        entries.append(
            {
                "data": source,
                "num_samples": num_samples,
                "seed": seed,
                "k": DEFAULT_K,
                "metrics": result.to_dict(),
            }
        )
    cache = {
        "description": (
            "Metrics of real digits: num_samples random digits of the training split judged, "
            "like generated digits, against num_samples random digits of the test split."
        ),
        "command": command,
        "classifier_sha256": weights_sha256(),
        "environment": environment_record(),
        "entries": entries,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cache, indent=2) + "\n")
    return cache


def export_run(
    run_dir: str | Path,
    destination: str | Path,
    *,
    command: str,
    sample_every: int = 200,
    notes: str = "",
) -> RunDirectory:
    """Copy the small artifacts of a finished run into ``destination`` and record how.

    Copied: the configuration, history, final generator, measured metrics (if
    any) and the sample grids of every ``sample_every`` steps. Written:
    ``record.json`` with the command, steps, training time and
    :func:`environment_record`. Checkpoints and snapshots stay behind: they are
    for resuming and measuring, not reading.
    """
    run, out = RunDirectory(run_dir), RunDirectory(destination)
    out.samples_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(run.config_path, out.config_path)
    shutil.copy2(run.generator_path, out.generator_path)
    history = run.history()
    out.write_history(history)
    if run.metrics_path.is_file():
        out.write_metrics(run.metrics())
    for step, grid in run.samples().items():
        if step % sample_every == 0:
            shutil.copy2(grid, out.sample_path(step))
    last = history[-1] if history else {"step": 0, "seconds": 0.0}
    precision = run.record().get("precision", []) if run.record_path.is_file() else []
    out.write_record(
        {
            "command": command,
            "precision": precision,
            "steps": last["step"],
            "images_seen": last["step"] * run.config().batch_size,
            "training_seconds": last["seconds"],
            "environment": environment_record(),
            "notes": notes,
        }
    )
    return out


def export_comparison(
    run_dir: str | Path,
    destination: str | Path,
    *,
    until_step: int | None = None,
    sample_steps: Sequence[int] | None = None,
) -> RunDirectory:
    """Copy the small artifacts of a measured run into ``destination`` (chapter "Evaluation").

    Copied: the configuration; the rows of the history and the metrics up to
    ``until_step``; the sample grids of ``sample_steps``. A grid the run did not
    save is drawn from the snapshot of its step with the run's fixed noise,
    exactly as the run's own grids are. Weights, checkpoints and snapshots stay
    behind, so an export is a few tens of kilobytes.

    Args:
        run_dir: a run measured by :func:`dcgan_lib.book.comparison.evaluate_snapshots`.
        destination: the directory to fill.
        until_step: the last step to keep; by default the last measured snapshot.
        sample_steps: steps whose grids to copy; by default ``until_step`` and
            the saved grid or snapshot nearest to halfway there.

    Raises:
        DataError: a file is missing, or ``until_step`` was not measured.
    """
    run, out = RunDirectory(run_dir), RunDirectory(destination)
    metrics = run.metrics()
    measured = [row["step"] for row in metrics]
    until_step = measured[-1] if until_step is None else until_step
    if until_step not in measured:
        raise DataError(f"step {until_step} of {run.root} was not measured (measured: {measured}).")
    if sample_steps is None:
        candidates = [step for step in {*run.samples(), *measured} if 0 < step <= until_step]
        halfway = min(
            candidates or [until_step], key=lambda step: (abs(step - until_step / 2), step)
        )
        sample_steps = sorted({halfway, until_step})
    config = run.config()

    if out.samples_dir.is_dir():
        shutil.rmtree(out.samples_dir)
    out.samples_dir.mkdir(parents=True)
    shutil.copy2(run.config_path, out.config_path)
    out.write_history([row for row in run.history() if row["step"] <= until_step])
    out.write_metrics([row for row in metrics if row["step"] <= until_step])
    for step in sample_steps:
        if run.sample_path(step).is_file():
            shutil.copy2(run.sample_path(step), out.sample_path(step))
        else:
            images = run.load_generator(step)(fixed_noise(config), training=False)
            save_image_grid(np.asarray(images), out.sample_path(step))
    return out


# --- Command line -------------------------------------------------------------------------------


def _train_classifier(args: argparse.Namespace) -> None:
    (x_train, y_train), (x_test, y_test) = (
        load_mnist_sample() if args.sample_data else load_mnist(args.data)
    )
    print(f"Training the MNIST classifier for {args.epochs} epochs on {len(x_train)} digits")
    started = time.perf_counter()
    classifier = train_classifier(
        x_train, y_train, epochs=args.epochs, seed=args.seed, verbose=2 if args.quiet else 1
    )
    seconds = time.perf_counter() - started
    accuracy = classifier.accuracy(x_test, y_test)
    data = "--sample-data" if args.sample_data else f"--data {Path(args.data or 'mnist.npz').name}"
    record_path = save_classifier(
        classifier,
        args.out,
        {
            "command": f"python -m dcgan_lib.book.assets train-classifier {data} "
            f"--epochs {args.epochs} --seed {args.seed} --out {args.out.name}",
            "train_digits": len(x_train),
            "test_digits": len(x_test),
            "test_accuracy": round(accuracy, 5),
            "epochs": args.epochs,
            "seed": args.seed,
            "parameters": classifier.model.count_params(),
            "training_seconds": round(seconds),
        },
    )
    errors = round((1 - accuracy) * len(x_test))
    print(f"Test accuracy: {accuracy:.2%} ({errors} errors in {len(x_test)} digits)")
    print(f"Wrote {args.out} and {record_path}")


def _reference_metrics(args: argparse.Namespace) -> None:
    data = f" --data {Path(args.data).name}" if args.data else ""
    command = (
        f"python -m dcgan_lib.book.assets reference-metrics{data} --seed {args.seed} "
        f"--out {args.out.name}"
    )
    cache = write_reference_cache(args.out, args.data, command, seed=args.seed)
    for entry in cache["entries"]:
        metrics = entry["metrics"]
        print(
            f"{entry['data']}, {entry['num_samples']} digits: "
            f"FD {metrics['frechet_distance']:.3f}, IS {metrics['inception_score']:.3f}, "
            f"precision {metrics['precision']:.3f}, recall {metrics['recall']:.3f}"
        )
    print(f"Wrote {args.out}")


def _evaluate_snapshots(args: argparse.Namespace) -> None:
    out = args.out or args.run_dir
    rows = evaluate_snapshots(
        args.run_dir, args.num_samples, seed=args.seed, data=args.data, out=out
    )
    for row in rows:
        print(
            f"step {row['step']:>6}  Fréchet {row['frechet_distance']:8.2f}  "
            f"IS {row['inception_score']:.2f}  precision {row['precision']:.3f}  "
            f"recall {row['recall']:.3f}  digits {row['classes_covered']}/10"
        )
    print(f"Wrote {RunDirectory(out).metrics_path}")


def _export_run(args: argparse.Namespace) -> None:
    out = export_run(
        args.run_dir,
        args.out,
        command=args.command,
        sample_every=args.sample_every,
        notes=args.notes,
    )
    print(f"Exported {args.run_dir} to {out.root}")


def _export_comparison(args: argparse.Namespace) -> None:
    out = export_comparison(
        args.run_dir, args.out, until_step=args.until_step, sample_steps=args.sample_steps
    )
    print(f"Exported {args.run_dir} to {out.root}")


def _export_failure(args: argparse.Namespace) -> None:
    run = RunDirectory(args.run_dir)
    steps = [step for step in run.samples() if step % args.sample_every == 0]
    out = export_comparison(run.root, args.out, sample_steps=steps)
    out.write_history(run.history())  # all of it: a diverged run's last row is its NaN
    failures.save_gallery(run.root, out.root)
    values: dict[str, Any] = {"checkerboard": failures.snapshot_checkerboard(run.root)}
    if args.gradient_norms:
        values["gradient_norms"] = failures.replay_gradient_norms(run.root, data=args.data)
    failures.record_measurements(out.root.name, values, out.root.parent)
    print(f"Exported {args.run_dir} to {out.root}")


def _blog_run(args: argparse.Namespace) -> None:
    (x_train, _), _ = load_mnist(args.data)
    print(f"Training the blog's code, bugs fixed, for {args.iterations} iterations of 32")
    out = original.train_blog_run(
        x_train, args.out, iterations=args.iterations, seed=args.seed, data=args.data
    )
    _write_blog_record(out, args)
    print(f"Wrote {out.root}")


def _write_blog_record(out: RunDirectory, args: argparse.Namespace) -> None:
    """Write the ``record.json`` of the blog's run made by ``blog-run`` with ``args``."""
    last = out.metrics()[-1]
    half_batch = original.BLOG_BATCH_SIZE // 2
    out.write_record(
        {
            "command": f"python -m dcgan_lib.book.assets blog-run "
            f"--data {Path(args.data or 'mnist.npz').name} --iterations {args.iterations} "
            f"--seed {args.seed} --out {args.out}",
            "steps": last["step"],
            "images_seen": last["images_seen"],
            "environment": environment_record(),
            "notes": "The blog's Keras code (dcgan_lib.book.original.BlogDCGAN) with its three "
            f"bugs fixed, in float32: an Adam with learning rate {original.BLOG_LEARNING_RATE:g} "
            "and beta_1 0.9 for each model; each iteration trains the discriminator on "
            f"{half_batch} real and {half_batch} generated digits, then the generator on "
            f"{original.BLOG_BATCH_SIZE} noise vectors. Images counts the real digits.",
        }
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m dcgan_lib.book.assets`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m dcgan_lib.book.assets",
        description="Make the package's shipped assets; each task writes only to --out.",
    )
    tasks = parser.add_subparsers(dest="task", required=True, metavar="TASK")

    def task(name: str, help_text: str, run) -> argparse.ArgumentParser:
        subparser = tasks.add_parser(name, help=help_text, description=help_text)
        subparser.set_defaults(run=run)
        return subparser

    classifier = task(
        "train-classifier", "train the MNIST classifier behind the metrics", _train_classifier
    )
    source = classifier.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="NPZ", help="a local mnist.npz (default as load_mnist)")
    source.add_argument("--sample-data", action="store_true", help="the bundled MNIST sample")
    classifier.add_argument("--epochs", type=int, default=8)
    classifier.add_argument("--seed", type=int, default=0)
    classifier.add_argument("--quiet", action="store_true", help="one line per epoch")
    classifier.add_argument(
        "--out", type=Path, required=True, help="weights file (.weights.h5), its .json beside it"
    )

    reference = task(
        "reference-metrics", "compute the real-data values of the metrics", _reference_metrics
    )
    reference.add_argument(
        "--data", metavar="NPZ", help="a local mnist.npz (default as load_mnist)"
    )
    reference.add_argument("--seed", type=int, default=0)
    reference.add_argument("--out", type=Path, required=True, help="JSON file to write")

    snapshots = task(
        "evaluate-snapshots", "measure every generator snapshot of a run", _evaluate_snapshots
    )
    snapshots.add_argument("run_dir", type=Path)
    snapshots.add_argument(
        "--data", metavar="NPZ", help="a local mnist.npz (default as load_mnist)"
    )
    snapshots.add_argument("--num-samples", type=int, help="default 5000 (500 in a short run)")
    snapshots.add_argument("--seed", type=int, default=0)
    snapshots.add_argument(
        "--out", type=Path, help="run directory to write metrics.jsonl into (default RUN_DIR)"
    )

    run = task("export-run", "copy a finished run's small artifacts and record how", _export_run)
    run.add_argument("run_dir", type=Path)
    run.add_argument("--out", type=Path, required=True, help="directory to fill")
    run.add_argument("--command", required=True, help="the command that trained the run")
    run.add_argument("--sample-every", type=int, default=200, help="steps between copied grids")
    run.add_argument("--notes", default="", help="a sentence on how the run was made")

    comparison = task(
        "export-comparison", "copy a measured run's small artifacts", _export_comparison
    )
    comparison.add_argument("run_dir", type=Path)
    comparison.add_argument("--out", type=Path, required=True, help="directory to fill")
    comparison.add_argument("--until-step", type=int, help="last step to keep (default: all)")
    comparison.add_argument("--sample-steps", type=int, nargs="+", help="steps whose grids to copy")

    failure = task(
        "export-failure",
        "copy a measured run of the failures chapter, with its gallery and measurements",
        _export_failure,
    )
    failure.add_argument("run_dir", type=Path)
    failure.add_argument("--out", type=Path, required=True, help="directory to fill")
    failure.add_argument(
        "--gradient-norms",
        action="store_true",
        help="also retrain the run exactly, measuring the generator's gradient norms",
    )
    failure.add_argument("--data", metavar="NPZ", help="a local mnist.npz, for --gradient-norms")
    failure.add_argument("--sample-every", type=int, default=500, help="steps between copied grids")

    blog = task("blog-run", "train and measure the blog's own run, bugs fixed", _blog_run)
    blog.add_argument("--data", metavar="NPZ", help="a local mnist.npz (default as load_mnist)")
    blog.add_argument("--iterations", type=int, default=original.BLOG_ITERATIONS)
    blog.add_argument("--seed", type=int, default=0)
    blog.add_argument("--out", type=Path, required=True, help="directory to fill")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m dcgan_lib.book.assets``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except DCGANError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
