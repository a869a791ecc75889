"""Helpers for tests that read the book's configuration and notebooks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
BOOK_DIR = REPO_ROOT / "book"

# Pages of the book that are not chapters: they have no install cell or exercises.
REFERENCE_PAGES = {"book/api", "book/references"}

# A chapter that has not been written yet holds only this sentence after its title.
PLACEHOLDER_TEXT = "This chapter is being written."

INSTALL_CELL_TEMPLATE = """\
# In Colab, or wherever dcgan_lib is missing, this installs the book's package
# from its repository; where the package is installed, it does nothing.
try:
    import dcgan_lib
except ImportError:
    %pip install --quiet "dcgan_lib @ git+{repository_url}"
    import dcgan_lib"""

_INSTALL_URL = re.compile(r'"dcgan_lib @ git\+(?P<url>[^"]+)"')


def load_yaml(name: str) -> dict[str, Any]:
    """A YAML file at the repository root, such as ``_config.yml`` or ``_toc.yml``."""
    return yaml.safe_load((REPO_ROOT / name).read_text())


def repository_url() -> str:
    """The repository URL, written once in ``_config.yml``."""
    return load_yaml("_config.yml")["repository"]["url"]


def toc_entries() -> list[str]:
    """Every ``file`` in ``_toc.yml`` (root first), without suffix, relative to the root."""
    toc = load_yaml("_toc.yml")
    entries = [toc["root"]]

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if "file" in item:
                entries.append(item["file"])
            walk(item.get("sections", []))
            walk(item.get("chapters", []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return entries


def source_path(entry: str) -> Path | None:
    """The notebook or Markdown file behind a ``_toc.yml`` entry, or ``None`` if missing."""
    for suffix in (".ipynb", ".md"):
        path = REPO_ROOT / f"{entry}{suffix}"
        if path.is_file():
            return path
    return None


def chapter_notebooks() -> list[str]:
    """The ``_toc.yml`` entries that are chapters written as notebooks."""
    return [
        entry
        for entry in toc_entries()
        if entry not in REFERENCE_PAGES and (REPO_ROOT / f"{entry}.ipynb").is_file()
    ]


def all_notebooks() -> list[Path]:
    """Every notebook in ``book/``, in or out of the table of contents."""
    return sorted(
        path for path in BOOK_DIR.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
    )


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A notebook, read as nbformat version 4."""
    return nbformat.read(path, as_version=4)


def is_placeholder(notebook: nbformat.NotebookNode) -> bool:
    """Whether the notebook is a chapter that has not been written yet."""
    return len(notebook.cells) == 1 and PLACEHOLDER_TEXT in notebook.cells[0].source


def first_code_cell_index(notebook: nbformat.NotebookNode) -> int | None:
    """The index of the first code cell, or ``None`` when there is none."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            return index
    return None


def install_url(source: str) -> str | None:
    """The repository URL that an install cell passes to pip, if any."""
    match = _INSTALL_URL.search(source)
    return match.group("url") if match else None


def markdown_headings(notebook: nbformat.NotebookNode, level: int) -> list[str]:
    """The text of every Markdown heading of the given level, in order."""
    marker = "#" * level + " "
    headings = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        in_fence = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", "~~~", ":::")):
                in_fence = not in_fence
            elif not in_fence and line.startswith(marker):
                headings.append(line[len(marker) :].strip())
    return headings
