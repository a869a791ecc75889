"""Reading a finished run: grids and their readings, nearest neighbours, films, clock times."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dcgan_lib import pretrained
from dcgan_lib.book import results, results_plots
from dcgan_lib.book.results import read_image_grid
from dcgan_lib.grids import save_image_grid
from dcgan_lib.runs import RunDirectory


def _random_digits(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)


# --- nearest neighbours ---------------------------------------------------------------


def test_a_query_found_in_the_training_set_is_at_distance_zero_at_its_index():
    training = _random_digits(500, seed=0)
    where = [3, 250, 499]
    found = results.nearest_neighbours(training[where], training)
    assert found.indices[:, 0].tolist() == where
    assert found.distances[:, 0].tolist() == [0.0, 0.0, 0.0]


def test_nearest_neighbours_agree_with_a_brute_force_search():
    training, queries = _random_digits(300, seed=1), _random_digits(40, seed=2)
    found = results.nearest_neighbours(queries, training, k=3, batch_size=7)
    flat_queries = queries.reshape(len(queries), -1) / 255.0
    flat_training = training.reshape(len(training), -1) / 255.0
    all_distances = np.linalg.norm(flat_queries[:, None] - flat_training[None], axis=2)
    expected = np.argsort(all_distances, axis=1)[:, :3]
    np.testing.assert_array_equal(found.indices, expected)
    np.testing.assert_allclose(found.distances, np.sort(all_distances, axis=1)[:, :3])


def test_pixel_distance_is_measured_on_intensities_between_0_and_1():
    black = np.zeros((1, 28, 28), dtype=np.uint8)
    one_white_pixel = black.copy()
    one_white_pixel[0, 10, 10] = 255
    four_white_pixels = black.copy()
    four_white_pixels[0, :2, :2] = 255
    found = results.nearest_neighbours(
        black, np.concatenate([four_white_pixels, one_white_pixel]), k=2
    )
    assert found.indices.tolist() == [[1, 0]]
    np.testing.assert_allclose(found.distances, [[1.0, 2.0]])


def test_generator_output_in_model_range_is_compared_as_pixels():
    training = _random_digits(50, seed=3)
    as_model_output = training[[7]].astype(np.float32) / 127.5 - 1.0
    found = results.nearest_neighbours(as_model_output, training)
    assert found.indices[0, 0] == 7
    assert found.distances[0, 0] == 0.0


def test_nearest_neighbours_in_a_feature_space_use_the_given_embedding():
    def mean_brightness(images):
        return np.asarray(images, dtype=np.float64).mean(axis=(1, 2))[:, np.newaxis]

    # A checkerboard of 0 and 200 has the mean brightness of a uniform 100 but is much
    # closer, pixel by pixel, to a checkerboard of 0 and 230.
    query = np.zeros((1, 28, 28), dtype=np.uint8)
    query[0, ::2, ::2] = query[0, 1::2, 1::2] = 200
    brighter = np.where(query == 200, 230, 0).astype(np.uint8)
    uniform = np.full((1, 28, 28), 100, dtype=np.uint8)
    references = np.concatenate([brighter, uniform])

    assert results.nearest_neighbours(query, references).indices[0, 0] == 0
    found = results.nearest_neighbours(query, references, embed=mean_brightness)
    assert found.indices[0, 0] == 1
    assert found.distances[0, 0] == 0.0


def test_asking_for_more_neighbours_than_references_is_an_error():
    with pytest.raises(ValueError, match="k must be between 1 and 5"):
        results.nearest_neighbours(_random_digits(2, 0), _random_digits(5, 1), k=6)


# --- history --------------------------------------------------------------------------

# A hand-made history: 10 s of start-up, then 0.2 s per step; 60,000 images in batches of
# 128 make 468 steps per epoch (the last 96 images are dropped).
HISTORY = [
    {"step": 50, "seconds": 20.0, "d_loss": 1.0, "g_loss": 1.0, "d_real": 0.6, "d_fake": 0.4},
    {"step": 100, "seconds": 30.0, "d_loss": 1.2, "g_loss": 0.8, "d_real": 0.7, "d_fake": 0.3},
    {"step": 150, "seconds": 40.0, "d_loss": 1.4, "g_loss": 0.6, "d_real": 0.5, "d_fake": 0.5},
    {"step": 200, "seconds": 50.0, "d_loss": 1.6, "g_loss": 0.4, "d_real": 0.4, "d_fake": 0.2},
]


def test_time_per_epoch_is_the_steady_time_per_step_times_the_steps_per_epoch():
    speed = results.training_speed(HISTORY, num_images=60_000, batch_size=128)
    assert speed.steps == 200
    assert speed.total_seconds == 50.0
    assert speed.seconds_per_step == pytest.approx(0.2)
    assert speed.startup_seconds == pytest.approx(10.0)
    assert speed.steps_per_epoch == 468
    assert speed.seconds_per_epoch == pytest.approx(93.6)
    assert speed.images_per_second == pytest.approx(640.0)


def test_a_slow_stretch_of_a_busy_machine_does_not_change_the_typical_time_per_step():
    busy = [dict(row) for row in HISTORY]
    busy.append({**busy[-1], "step": 250, "seconds": 150.0})  # 2 s per step in one window
    assert results.training_speed(busy, 60_000, 128).seconds_per_step == pytest.approx(0.2)


def test_measuring_a_speed_needs_two_history_rows():
    with pytest.raises(ValueError, match="at least two"):
        results.training_speed(HISTORY[:1], num_images=60_000, batch_size=128)


def test_seconds_per_step_are_given_for_each_window_after_the_first():
    steps, per_step = results.seconds_per_step(HISTORY)
    assert steps.tolist() == [100, 150, 200]
    np.testing.assert_allclose(per_step, [0.2, 0.2, 0.2])


def test_windowed_means_average_the_rows_of_each_window():
    means = results.windowed_means(HISTORY, window=100, metrics=("d_loss", "d_real"))
    assert [(row["first_step"], row["last_step"]) for row in means] == [(0, 100), (100, 200)]
    assert [row["d_loss"] for row in means] == pytest.approx([1.1, 1.5])
    assert [row["d_real"] for row in means] == pytest.approx([0.65, 0.45])


def test_a_round_window_is_the_smallest_round_number_of_steps_within_the_count():
    assert results.round_window(12_000, most=12) == 1000
    assert results.round_window(60_000, most=12) == 5000
    assert results.round_window(50_000, most=12) == 5000
    assert results.round_window(30_000, most=12) == 2500
    assert results.round_window(10, most=12) == 1
    assert results.round_window(13, most=12) == 2


def test_the_windowed_means_table_has_a_header_and_a_line_per_window():
    table = results.format_windowed_means(results.windowed_means(HISTORY, window=100))
    lines = table.splitlines()
    assert lines[0].split() == ["steps", "d_loss", "g_loss", "D(x)", "D(G(z))"]
    assert lines[2].split() == ["100-200", "1.500", "0.500", "0.450", "0.350"]


RECORD = {
    "command": "python -m dcgan_lib train --data mnist.npz --steps 4000 --batch-size 128 "
    "--seed 0 --out runs/reference --sample-every 200 --checkpoint-every 500 --quiet",
    "steps": 4000,
    "images_seen": 512_000,
    "training_seconds": 3000.0,
    "environment": {
        "python": "3.11.7",
        "tensorflow": "2.21.0",
        "keras": "3.15.1",
        "numpy": "2.4.6",
        "cpu": "A CPU",
        "cpu_cores": 2,
        "accelerator": "none (CPU only)",
    },
    "notes": "",
}


def _command_lines(text: str) -> list[str]:
    command = text.split("\nsteps:")[0].removeprefix("command:").strip()
    return [line.strip() for line in command.split(" \\\n")]


def test_a_record_prints_its_command_wrapped_between_options_for_a_shell():
    text = results.format_record(RECORD, width=60)
    command_lines = _command_lines(text)
    assert " ".join(command_lines) == RECORD["command"]
    assert all(line.startswith("--") for line in command_lines[1:])
    assert all(len(line) <= 60 for line in text.split("\nsteps:")[0].splitlines())
    assert "50.0 min of training" in text
    assert "A CPU, 2 CPU cores, accelerator: none (CPU only)" in text
    assert "tensorflow 2.21.0" in text
    assert "notes" not in text
    assert "precision" not in text


def test_a_record_prints_the_precision_each_session_computed_in_and_why():
    record = {
        **RECORD,
        "precision": [
            {"from_step": 0, "policy": "mixed_bfloat16", "reason": "the CPU has AMX"},
            {"from_step": 2500, "policy": "float32", "reason": "asked for"},
        ],
        "environment": {**RECORD["environment"], "cpu_units": "AMX (bfloat16), AVX2"},
    }
    text = results.format_record(record, width=100)
    assert (
        "precision: mixed_bfloat16 (the CPU has AMX); float32 from step 2,500 (asked for)\n" in text
    )
    assert "cpu units: AMX (bfloat16), AVX2" in text


def test_a_run_resumed_in_the_same_precision_names_it_once():
    same = {"policy": "mixed_bfloat16", "reason": "the CPU has AMX"}
    record = {**RECORD, "precision": [{"from_step": 0, **same}, {"from_step": 9000, **same}]}
    assert results.describe_precision(record) == "mixed_bfloat16 (the CPU has AMX)"


def test_a_record_without_precision_describes_keras_default():
    assert results.describe_precision(RECORD).startswith("float32 (Keras' default")


def test_the_shipped_conditional_runs_record_names_its_precision():
    record = pretrained.reference_run(conditional=True).record()
    assert "precision: mixed_bfloat16" in results.format_record(record)


def test_chained_commands_start_a_new_line_at_each_and():
    chained = {**RECORD, "command": "python -m dcgan_lib train --steps 10 && python -m x --y 1"}
    text = results.format_record(chained, width=100)
    assert _command_lines(text) == ["python -m dcgan_lib train --steps 10", "&& python -m x --y 1"]


# --- sample grids and the training film -----------------------------------------------


def test_a_runs_sample_grids_are_listed_by_step(tmp_path):
    run = RunDirectory(tmp_path)
    for step in (1200, 0, 400):
        save_image_grid(_random_digits(4, seed=step), run.sample_path(step))
    (run.samples_dir / "notes.png").write_bytes(b"")
    assert list(run.samples()) == [0, 400, 1200]


def test_progress_steps_keep_the_early_steps_every_nth_and_the_last():
    available = range(0, 4001, 200)
    assert results.progress_steps(available, every=1000, early=(200, 400)) == [
        0,
        200,
        400,
        1000,
        2000,
        3000,
        4000,
    ]
    assert results.progress_steps([0, 200, 400, 500], every=1000) == [0, 500]
    assert results.progress_steps([], every=1000) == []


def test_spaced_steps_keep_the_first_and_the_last_and_are_evenly_spaced():
    assert results.spaced_steps(range(0, 60_001, 2500), most=9) == list(range(0, 60_001, 7500))
    assert results.spaced_steps(range(0, 12_001, 500), most=9) == list(range(0, 12_001, 1500))
    assert results.spaced_steps([0, 100, 200, 300, 400], most=3) == [0, 200, 400]
    assert results.spaced_steps([0, 100, 200, 300], most=3) == [0, 300]
    assert results.spaced_steps(range(0, 50_001, 2500), most=9) == list(range(0, 50_001, 10_000))
    # 22 gaps: no spacing from 3 to 5 divides them, so the last step ends a shorter gap.
    assert results.spaced_steps(range(23), most=9) == [0, 3, 6, 9, 12, 15, 18, 21, 22]
    assert results.spaced_steps([0, 100, 200], most=9) == [0, 100, 200]
    with pytest.raises(ValueError, match="at least 2"):
        results.spaced_steps([0, 100], most=1)


@pytest.mark.parametrize(("count", "scale"), [(25, 2), (100, 2), (10, 1), (7, 3)])
def test_the_digits_of_a_saved_grid_are_read_back_exactly(tmp_path, count, scale):
    # Grey levels that matplotlib's grey colour map saves unchanged (it stores a few
    # others one level darker), so the digits must come back exactly as they were drawn.
    levels = np.array([*range(0, 256, 16), 255], dtype=np.uint8)
    digits = np.random.default_rng(count).choice(levels, (count, 28, 28))
    path = save_image_grid(digits, tmp_path / "grid.png", scale=scale)
    read = read_image_grid(path, count)
    assert read.dtype == np.uint8
    assert read.shape == (count, 28, 28)
    np.testing.assert_array_equal(read, digits)


def test_any_digits_come_back_from_a_saved_grid_within_one_grey_level(tmp_path):
    digits = _random_digits(100, seed=4)
    path = save_image_grid(digits, tmp_path / "grid.png")
    difference = read_image_grid(path, 100).astype(int) - digits
    assert difference.min() >= -1
    assert difference.max() == 0


def test_a_grid_of_another_size_is_refused(tmp_path):
    path = save_image_grid(_random_digits(25, seed=0), tmp_path / "grid.png")
    with pytest.raises(ValueError, match="not a grid of 100 digits"):
        read_image_grid(path, 100)


def test_the_shipped_reference_grids_hold_their_runs_number_of_digits():
    run = pretrained.reference_run()
    last = list(run.samples())[-1]
    digits = read_image_grid(run.sample_path(last), run.config().num_samples)
    assert digits.shape == (run.config().num_samples, 28, 28)
    assert digits.max() > 200  # bright strokes, not only the black padding between digits


def _one_hot(classes, confidence=1.0):
    """Probabilities that give each digit its class with the given confidence."""
    classes = np.asarray(classes)
    rest = (1.0 - confidence) / 9
    probabilities = np.full((*classes.shape, 10), rest)
    np.put_along_axis(probabilities, classes[..., np.newaxis], confidence, axis=-1)
    return probabilities


def test_grid_readings_count_confident_final_and_settled_digits():
    # Four digits over four grids: the first settles at once, the second at the third grid,
    # the third leaves its final class and comes back, the fourth only gets it at the end.
    classes = [[1, 2, 3, 4], [1, 7, 3, 4], [1, 7, 9, 4], [1, 7, 3, 5]]
    probabilities = _one_hot(classes, confidence=0.95)
    probabilities[0] = _one_hot(classes[0], confidence=0.5)
    readings = results.GridReadings(np.array([0, 10, 20, 30]), probabilities)
    np.testing.assert_array_equal(readings.classes, classes)
    np.testing.assert_allclose(readings.confident_share(), [0.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(readings.confident_share(threshold=0.4), [1.0] * 4)
    np.testing.assert_allclose(readings.final_class_share(), [0.5, 0.75, 0.5, 1.0])
    np.testing.assert_allclose(readings.settled_share(), [0.25, 0.5, 0.5, 1.0])
    assert readings.first_step(readings.settled_share(), 0.5) == 10
    assert readings.first_step(readings.confident_share(), 0.9) == 10
    assert readings.first_step(readings.settled_share(), 1.01) is None


def test_read_grids_reads_every_digit_of_every_grid_in_step_order(tmp_path):
    run = RunDirectory(tmp_path)
    # Digit i of the grid of step s is uniformly bright at level s + i.
    for step in (20, 0, 10):
        levels = step + np.arange(4, dtype=np.uint8)
        save_image_grid(np.broadcast_to(levels[:, None, None], (4, 28, 28)), run.sample_path(step))

    def predict(digits):
        # "Reads" each digit as its brightness modulo 10, with certainty.
        return _one_hot(digits[:, 0, 0] % 10)

    readings = results.read_grids(run.samples(), num_samples=4, predict=predict)
    assert readings.steps.tolist() == [0, 10, 20]
    assert readings.probabilities.shape == (3, 4, 10)
    assert readings.classes.tolist() == [[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]]


def test_the_readings_figure_draws_three_shares_against_the_step():
    readings = results.GridReadings(np.array([0, 10]), _one_hot([[1, 2], [1, 3]]))
    fig = results_plots.plot_grid_readings(readings)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    assert lines[0].get_xdata().tolist() == [0, 10]


@pytest.fixture
def sample_grids(tmp_path):
    run = RunDirectory(tmp_path)
    for step in (0, 200, 400):
        save_image_grid(_random_digits(25, seed=step), run.sample_path(step))
    return run.samples()


def test_the_training_gif_has_one_frame_per_sample_grid(sample_grids):
    gif = results_plots.training_gif(sample_grids)
    assert gif.startswith(b"GIF8")
    with Image.open(io.BytesIO(gif)) as film:
        assert film.n_frames == len(sample_grids)
        assert film.info["loop"] == 0


def test_the_training_gif_shows_each_grid_at_the_requested_scale(sample_grids):
    with Image.open(sample_grids[0]) as grid:
        width = grid.width
    gif = results_plots.training_gif(sample_grids, scale=0.5)
    with Image.open(io.BytesIO(gif)) as film:
        assert film.width == width // 2


def test_a_film_is_shown_twice_its_size_but_no_wider_than_asked(sample_grids):
    gif = results_plots.training_gif(sample_grids)
    with Image.open(io.BytesIO(gif)) as film:
        width = film.width
    assert results_plots.show_film(gif).width == 2 * width
    assert results_plots.show_film(gif, max_width=width).width == width


def test_a_grid_is_shown_at_its_own_size(sample_grids):
    shown = results_plots.show_grid(sample_grids[0])
    with Image.open(sample_grids[0]) as grid:
        assert shown.width == grid.width
        assert shown.data == sample_grids[0].read_bytes()


def test_a_training_gif_needs_a_sample_grid():
    with pytest.raises(ValueError, match="at least one"):
        results_plots.training_gif({})


def test_nearest_neighbour_figure_has_a_row_per_neighbour_and_a_column_per_query():
    training = _random_digits(30, seed=5)
    found = results.nearest_neighbours(training[:4], training, k=2)
    fig = results_plots.plot_nearest_neighbours(training[:4], training, found)
    assert len(fig.axes) == 3 * 4
    assert fig.axes[4].get_title() == "0.00"


def test_distance_figure_labels_each_distribution_with_its_median():
    fig = results_plots.plot_distance_distributions(
        {"generated": np.array([1.0, 2.0, 3.0]), "test": np.array([4.0, 5.0])}
    )
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels == ["generated (median 2.00)", "test (median 4.50)"]
