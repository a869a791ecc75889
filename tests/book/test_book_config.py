"""The book's configuration, table of contents and chapter notebooks follow the book's rules."""

from __future__ import annotations

import json
import re
import sys
import types

import pytest
from IPython.core.interactiveshell import InteractiveShell
from notebook_utils import (
    INSTALL_CELL_TEMPLATE,
    all_notebooks,
    chapter_notebooks,
    first_code_cell_index,
    install_url,
    is_placeholder,
    load_yaml,
    markdown_headings,
    read_notebook,
    repository_url,
    source_path,
    toc_entries,
)

MAX_OUTPUT_BYTES = 200_000

CHAPTERS = chapter_notebooks()
NOTEBOOKS = all_notebooks()


def _chapter(entry: str):
    notebook = read_notebook(source_path(entry))
    if is_placeholder(notebook):
        pytest.skip(f"{entry} is a placeholder for a chapter being written")
    return notebook


def _install_cell_source(entry: str) -> str:
    notebook = _chapter(entry)
    index = first_code_cell_index(notebook)
    assert index is not None, f"{entry} has no code cell"
    return notebook.cells[index].source


@pytest.mark.parametrize("entry", toc_entries())
def test_every_toc_entry_has_a_source_file(entry):
    assert source_path(entry) is not None, f"_toc.yml lists {entry}, but no .ipynb or .md exists"


def test_the_introduction_is_the_root_of_the_book():
    assert load_yaml("_toc.yml")["root"] == "book/intro"


def test_colab_links_point_at_the_notebooks_in_the_repository():
    config = load_yaml("_config.yml")
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config["repository"]["url"].startswith("https://github.com/")
    assert config["repository"]["branch"] == "main"
    # The book's root is the repository's root, so notebook paths need no prefix.
    assert config["repository"]["path_to_book"] == ""


def test_notebooks_are_executed_through_the_cache_and_errors_fail_the_build():
    execute = load_yaml("_config.yml")["execute"]
    assert execute["execute_notebooks"] == "cache"
    assert execute["allow_errors"] is False


@pytest.mark.parametrize("entry", CHAPTERS)
def test_chapter_starts_with_a_title(entry):
    first = _chapter(entry).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# "), f"{entry} must open with a '# Title' heading"


@pytest.mark.parametrize("entry", CHAPTERS)
def test_chapter_first_code_cell_is_the_install_cell(entry):
    expected = INSTALL_CELL_TEMPLATE.format(repository_url=repository_url())
    assert _install_cell_source(entry).strip() == expected


@pytest.mark.parametrize("entry", CHAPTERS)
def test_install_cell_installs_from_the_configured_repository(entry):
    assert install_url(_install_cell_source(entry)) == repository_url()


@pytest.mark.parametrize("entry", CHAPTERS)
def test_install_cell_follows_a_running_this_notebook_section(entry):
    notebook = _chapter(entry)
    index = first_code_cell_index(notebook)
    previous = notebook.cells[index - 1]
    assert previous.cell_type == "markdown"
    assert "## Running this notebook" in previous.source


@pytest.mark.parametrize("entry", CHAPTERS)
def test_chapter_ends_with_summary_then_exercises(entry):
    headings = markdown_headings(_chapter(entry), level=2)
    assert headings[-2:] == ["Summary", "Exercises"], (
        f"{entry}: the last two sections must be 'Summary' and 'Exercises', got {headings}"
    )


@pytest.mark.parametrize("entry", CHAPTERS)
def test_every_exercise_has_its_solution_in_a_dropdown_under_it(entry):
    cells = [cell.source for cell in _chapter(entry).cells if cell.cell_type == "markdown"]
    source = next(source for source in cells if re.search(r"^## Exercises", source, re.M))
    exercises = source[re.search(r"^## Exercises", source, re.M).start() :]
    items = re.split(r"\n(?=\d+\. )", exercises)[1:]
    assert len(items) >= 3, f"{entry}: a chapter ends with at least three exercises"
    for number, item in enumerate(items, start=1):
        assert item.startswith(f"{number}. "), f"{entry}: exercise {number} is out of order"
        assert re.search(r":::\{admonition\} Solution\n\s*:class: dropdown", item), (
            f"{entry}: exercise {number} has no solution in a dropdown directly under it"
        )


class _PipRecorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, line: str) -> None:
        self.calls.append(line)


def _run_install_cell(monkeypatch, installed: bool) -> list[str]:
    """Run the standard install cell in IPython; return the arguments given to %pip."""
    shell = InteractiveShell.instance()
    pip = _PipRecorder()
    monkeypatch.setitem(shell.magics_manager.magics["line"], "pip", pip)
    if installed:
        monkeypatch.setitem(sys.modules, "dcgan_lib", types.ModuleType("dcgan_lib"))
    else:
        # `None` in sys.modules makes `import dcgan_lib` raise ImportError, as on a
        # machine where the package is not installed; the import after %pip fails too,
        # since the recorder installs nothing.
        monkeypatch.setitem(sys.modules, "dcgan_lib", None)
    result = shell.run_cell(INSTALL_CELL_TEMPLATE.format(repository_url=repository_url()))
    if installed:
        result.raise_error()
    else:
        assert isinstance(result.error_in_exec, ImportError)
    return pip.calls


def test_install_cell_does_nothing_where_dcgan_lib_is_installed(monkeypatch):
    assert _run_install_cell(monkeypatch, installed=True) == []


def test_install_cell_installs_the_package_where_it_is_missing(monkeypatch):
    calls = _run_install_cell(monkeypatch, installed=False)
    assert calls == [f'install --quiet "dcgan_lib @ git+{repository_url()}"']


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_stored_without_widget_state(path):
    notebook = read_notebook(path)
    assert "widgets" not in notebook.metadata, f"{path.name} stores widget state"
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_stored_without_execution_timestamps(path):
    # Timestamps change at every run and make every re-execution a diff of every cell.
    for index, cell in enumerate(read_notebook(path).cells):
        assert "execution" not in cell.metadata, f"{path.name}, cell {index} stores timestamps"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_stored_without_error_outputs(path):
    for cell in read_notebook(path).cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", (
                f"{path.name} stores an error output: {output.get('ename')}: {output.get('evalue')}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_outputs_are_small(path):
    for index, cell in enumerate(read_notebook(path).cells):
        for output in cell.get("outputs", []):
            size = len(json.dumps(output))
            assert size <= MAX_OUTPUT_BYTES, (
                f"{path.name}, cell {index}: an output of {size:,} bytes; keep figures small"
            )
