"""The failing runs of the chapter "When training fails" and their measurements."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dcgan_lib.book import failures
from dcgan_lib.book.assets import main as assets_main
from dcgan_lib.config import TrainConfig
from dcgan_lib.data import load_mnist_sample
from dcgan_lib.diagnosis import diagnose
from dcgan_lib.errors import DataError
from dcgan_lib.metrics import generate_images
from dcgan_lib.models import build_generator
from dcgan_lib.runs import RunDirectory, train

TINY = TrainConfig(
    steps=4, batch_size=16, sample_every=2, checkpoint_every=4, snapshot_every=2, log_every=2,
    num_samples=4, precision="float32",
)  # fmt: skip


def test_a_checkerboard_is_all_alternating_power_and_real_digits_almost_none():
    checkerboard = (np.indices((28, 28)).sum(axis=0) % 2 * 255).astype(np.uint8)
    assert failures.checkerboard_share(checkerboard[None]) == pytest.approx(1.0)
    (x_train, _), _ = load_mnist_sample()
    assert failures.checkerboard_share(x_train[:500]) < 0.01


def test_untrained_transposed_convolutions_make_checkerboards_and_resizing_does_not():
    shares = {
        upsampling: failures.checkerboard_share(
            generate_images(build_generator(seed=0, upsampling=upsampling), 200)
        )
        for upsampling in ("transpose", "resize")
    }
    assert shares["transpose"] > 0.1 > 0.01 > shares["resize"]


def test_gradient_norms_follow_the_two_losses_without_changing_the_run(tmp_path):
    (x_train, _), _ = load_mnist_sample()
    images = x_train[:200]
    noise = np.random.default_rng(0).standard_normal((32, 100)).astype(np.float32)
    norms = failures.GradientNorms(noise, every=2)
    train(TINY, images, tmp_path / "measured", verbose=0, extra_callbacks=[norms])
    train(TINY, images, tmp_path / "plain", verbose=0)
    assert [row["step"] for row in norms.rows] == [2, 4]
    assert all(row["minimax"] > 0 and row["non_saturating"] > 0 for row in norms.rows)
    # The per-example gradients differ by the factors D(G(z)) and 1 - D(G(z)).
    for row in norms.rows:
        ratio = row["minimax"] / row["non_saturating"]
        assert (ratio < 1) == (row["d_fake"] < 0.5)
    without_clock = [
        [{k: v for k, v in row.items() if k != "seconds"} for row in RunDirectory(path).history()]
        for path in (tmp_path / "measured", tmp_path / "plain")
    ]
    assert without_clock[0] == without_clock[1]


def test_a_replay_that_differs_from_the_run_is_refused(tmp_path, monkeypatch):
    (x_train, _), _ = load_mnist_sample()
    run = RunDirectory(tmp_path / "run")
    train(TINY, x_train[:200], run.root, verbose=0)
    history = run.history()
    history[0]["d_loss"] += 1e-3
    run.write_history(history)
    monkeypatch.setattr(failures, "load_mnist", lambda data: ((x_train[:200], None), None))
    with pytest.raises(DataError, match="differs from the run"):
        failures.replay_gradient_norms(run.root, every=2, batch=8)


def test_export_failure_writes_the_run_its_gallery_and_its_measurements(tmp_path):
    (x_train, _), _ = load_mnist_sample()
    run = RunDirectory(tmp_path / "run")
    train(TINY, x_train[:200], run.root, verbose=0)
    out = tmp_path / "failures" / "tiny"
    assert assets_main(["export-failure", str(run.root), "--out", str(out)]) == 1  # not measured
    run.write_metrics([{"step": s, "frechet_distance": 1.0} for s in run.snapshot_steps()])
    arguments = ["export-failure", str(run.root), "--out", str(out), "--sample-every", "2"]
    assert assets_main(arguments) == 0
    exported = RunDirectory(out)
    assert list(exported.samples()) == [0, 2, 4]
    assert (out / failures.GALLERY_FILE).is_file()
    measurements = json.loads((out.parent / failures.MEASUREMENTS_FILE).read_text())
    assert [row["step"] for row in measurements["tiny"]["checkerboard"]] == [0, 2, 4]


SCHEDULE = ("steps", "sample_every", "checkpoint_every", "snapshot_every", "log_every")


@pytest.mark.parametrize("name", failures.RUNS)
def test_each_shipped_run_is_the_baseline_with_its_listed_options(name):
    """The chapter says each run changes only the options it names: its config must agree."""
    from dcgan_lib.cli import build_parser

    options = [*failures.BASELINE_OPTIONS.split(), *failures.RUN_OPTIONS[name].split()]
    arguments = build_parser().parse_args(["train", *options])
    changes = {
        field: getattr(arguments, option)
        for field, option in [
            ("loss", "loss"), ("kernel_size", "kernel_size"), ("upsampling", "upsampling"),
            ("beta_1", "beta1"), ("precision", "precision"), ("seed", "seed"),
        ]
        if getattr(arguments, option) is not None
    }  # fmt: skip
    changes["g_learning_rate"] = changes["d_learning_rate"] = arguments.lr
    if arguments.d_lr is not None:
        changes["d_learning_rate"] = arguments.d_lr
    expected = TrainConfig(**changes)
    run = failures.load_failure_run(name)
    training = {key: value for key, value in run.config.to_dict().items() if key not in SCHEDULE}
    assert training == {
        key: value for key, value in expected.to_dict().items() if key not in SCHEDULE
    }
    assert run.config.steps == 2000 and run.history and run.metrics
    assert failures.gallery_path(name).is_file()


def test_the_healthy_run_has_no_findings_and_the_failures_have_theirs():
    found = {
        name: {finding.problem for finding in diagnose(failures.failures_dir() / name)}
        for name in ("baseline", "minimax-d-lr-0.02", "lr-0.02", "f16-lr-0.9")
    }
    assert found["baseline"] == set()
    assert "the discriminator wins" in found["minimax-d-lr-0.02"]
    assert "mode collapse" in found["lr-0.02"]
    assert "training diverged" in found["f16-lr-0.9"]


def test_the_measurements_cover_every_run_and_the_gradient_norms_their_run():
    measurements = failures.load_measurements()
    assert set(measurements) == set(failures.RUNS)
    norms = measurements["minimax-d-lr-0.02"]["gradient_norms"]
    assert norms[-1]["step"] == 2000
    assert norms[-1]["non_saturating"] > 100 * norms[-1]["minimax"]
    speed = failures.load_loss_speed()["seconds_per_step"]
    assert set(speed) == {"non_saturating", "minimax", "least_squares", "hinge"}


def test_the_shipped_failures_hold_no_weights_and_stay_small():
    files = [path for path in failures.failures_dir().rglob("*") if path.is_file()]
    assert not [path for path in files if path.name.endswith(".h5")]
    assert sum(path.stat().st_size for path in files) < 6_000_000


def test_the_readme_lists_every_shipped_run():
    readme = (failures.failures_dir() / "README.md").read_text()
    for name in failures.RUNS:
        stem = name.removesuffix("-seed1")
        assert f"`{stem}/`" in readme or f"`{name}/`" in readme or name.endswith("-seed1"), name
