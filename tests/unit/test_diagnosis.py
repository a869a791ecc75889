"""Finding common failures in a run (dcgan_lib.diagnosis, python -m dcgan_lib diagnose)."""

import pytest

from dcgan_lib.cli import main
from dcgan_lib.config import TrainConfig
from dcgan_lib.diagnosis import diagnose, report
from dcgan_lib.errors import DataError
from dcgan_lib.pretrained import reference_run
from dcgan_lib.runs import RunDirectory

BALANCED = [0.1] * 10


def make_run(tmp_path, history, metrics=None, **config):
    run = RunDirectory(tmp_path / "run")
    run.root.mkdir()
    TrainConfig(steps=history[-1]["step"], **config).save(run.config_path)
    run.write_history(history)
    if metrics is not None:
        run.write_metrics(metrics)
    return run.root


def healthy_history(steps=1000, every=50):
    return [
        {"step": s, "d_loss": 1.3, "g_loss": 0.8, "d_real": 0.6, "d_fake": 0.4, "seconds": s / 10}
        for s in range(every, steps + 1, every)
    ]


def quality(step, distance, shares=BALANCED):
    return {"step": step, "frechet_distance": distance, "class_shares": list(shares)}


def test_a_healthy_history_has_no_findings(tmp_path):
    metrics = [quality(0, 400), quality(500, 100), quality(1000, 60)]
    assert diagnose(make_run(tmp_path, healthy_history(), metrics)) == []
    assert report([]) == "no problems found"


def test_the_shipped_reference_run_is_healthy():
    assert diagnose(reference_run().root) == []


def test_a_non_finite_value_is_found_at_its_step(tmp_path):
    history = healthy_history(300) + [{"step": 317, "g_loss": float("nan")}]
    (finding,) = diagnose(make_run(tmp_path, history), measure=False)
    assert finding.problem == "training diverged" and finding.step == 317
    assert "g_loss = nan" in finding.evidence


def test_a_long_saturated_stretch_is_the_discriminator_winning(tmp_path):
    history = healthy_history()
    for row in history[5:]:  # from step 300 on, 15 of 20 rows
        row.update(d_real=0.97, d_fake=0.02)
    (finding,) = diagnose(make_run(tmp_path, history, loss="minimax"), measure=False)
    assert (finding.problem, finding.step) == ("the discriminator wins", 300)
    assert "--loss non_saturating" in finding.remedy


def test_a_short_saturated_stretch_is_not_a_finding(tmp_path):
    history = healthy_history()
    for row in history[5:8]:  # 3 rows of 20: under a fifth of the run
        row.update(d_real=0.97, d_fake=0.02)
    assert diagnose(make_run(tmp_path, history), measure=False) == []


def test_saturation_is_only_read_from_probability_losses(tmp_path):
    history = healthy_history()
    for row in history:
        row.update(d_real=0.97, d_fake=0.02)
    assert diagnose(make_run(tmp_path, history, loss="hinge"), measure=False) == []


def test_collapse_and_missing_digits_start_where_they_last_began(tmp_path):
    collapsed = [0.35, 0.01, 0.1, 0.1, 0.1, 0.1, 0.1, 0.005, 0.035, 0.1]
    metrics = [
        quality(0, 400, [0] * 8 + [1, 0]),
        quality(250, 200, collapsed),
        quality(500, 150),
        quality(750, 120, collapsed),
        quality(1000, 110, collapsed),
    ]
    findings = diagnose(make_run(tmp_path, healthy_history(), metrics))
    assert [(f.problem, f.step) for f in findings] == [
        ("digits missing", 750),
        ("mode collapse", 750),
    ]
    assert "1 and 7" in findings[0].evidence and "35% of the samples" in findings[1].evidence


def test_a_distance_well_above_its_best_is_worse_quality(tmp_path):
    metrics = [quality(s, d) for s, d in [(0, 400), (250, 90), (500, 60), (750, 70), (1000, 80)]]
    (finding,) = diagnose(make_run(tmp_path, healthy_history(), metrics))
    assert (finding.problem, finding.step) == ("quality got worse", 750)
    assert "60.0 at step 500" in finding.evidence


def test_a_second_half_that_barely_improves_is_stalled(tmp_path):
    metrics = [quality(s, d) for s, d in [(250, 200), (500, 150), (750, 145), (1000, 140)]]
    (finding,) = diagnose(make_run(tmp_path, healthy_history(), metrics))
    assert (finding.problem, finding.step) == ("quality stalled", 500)


def test_without_metrics_the_digits_of_the_final_generator_are_classified(tmp_path):
    run = RunDirectory(make_run(tmp_path, healthy_history()))
    reference_run().load_generator().save_weights(run.generator_path)
    assert diagnose(run.root) == []


def test_the_command_line_exit_status_says_what_it_found(tmp_path, capsys):
    healthy = make_run(tmp_path, healthy_history(), [quality(1000, 60)])
    assert main(["diagnose", str(healthy)]) == 0
    assert capsys.readouterr().out.strip() == "no problems found"
    sick = RunDirectory(healthy)
    sick.append_history({"step": 1001, "d_loss": float("inf")})
    assert main(["diagnose", str(healthy)]) == 1
    assert "training diverged (from step 1001)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda path: None, "is not a directory"),
        (lambda path: path.mkdir(), "configuration file not found"),
        (lambda path: (path.mkdir(), (path / "config.json").write_text("{")), "not valid JSON"),
    ],
)
def test_a_missing_or_malformed_run_is_one_line_and_status_2(tmp_path, capsys, setup, message):
    path = tmp_path / "nothing"
    setup(path)
    assert main(["diagnose", str(path)]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


def test_a_history_without_rows_is_a_data_error(tmp_path):
    run = RunDirectory(make_run(tmp_path, healthy_history()))
    run.write_history([])
    with pytest.raises(DataError, match="has no rows"):
        diagnose(run.root)


def test_many_missing_digits_are_named_by_the_few_that_remain(tmp_path):
    metrics = [quality(s, 400, [0] * 8 + [1, 0]) for s in (250, 500, 1000)]
    findings = diagnose(make_run(tmp_path, healthy_history(), metrics))
    assert "9 of the 10 digits (all but 8)" in findings[0].evidence
