"""Reading a finished run: nearest neighbours, training films and clock times (chapter 4)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dcgan_lib.book import results, results_plots
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


def test_a_record_prints_its_command_wrapped_between_options_for_a_shell():
    text = results.format_record(RECORD, width=60)
    command_lines = text.split("\nsteps:")[0].removeprefix("command:  ").split(" \\\n    ")
    assert " ".join(command_lines) == RECORD["command"]
    assert all(line.startswith("--") for line in command_lines[1:])
    assert "50.0 min of training" in text
    assert "A CPU, 2 CPU cores, accelerator: none (CPU only)" in text
    assert "tensorflow 2.21.0" in text
    assert "notes" not in text


def test_chained_commands_start_a_new_line_at_each_and():
    chained = {**RECORD, "command": "python -m dcgan_lib train --steps 10 && python -m x --y 1"}
    text = results.format_record(chained, width=100)
    assert "--steps 10 \\\n    && python -m x --y 1\n" in text


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
