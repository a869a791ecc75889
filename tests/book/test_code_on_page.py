"""The code a chapter teaches is shown from the library's own source, so page and program agree."""

from __future__ import annotations

import ast

import pytest
from notebook_utils import BOOK_DIR, read_notebook

from dcgan_lib import losses, models
from dcgan_lib.book.source import show_source, source_of
from dcgan_lib.gan import DCGAN

# What each chapter must show, by the expression its show_source call names.
SHOWN = {
    "dcgan_architecture": {"models.build_generator", "models.build_discriminator"},
    "implementation": {
        "losses.binary_cross_entropy_from_logits",
        "losses.discriminator_loss",
        "losses.generator_loss",
        "DCGAN.discriminator_step",
        "DCGAN.generator_step",
        "DCGAN.train_step",
    },
    "conditional": {"build_generator", "build_discriminator", "DCGAN.train_step"},
}


def shown_sources(chapter: str) -> set[str]:
    """The expressions passed to show_source in the chapter's code cells."""
    shown = set()
    for cell in read_notebook(BOOK_DIR / f"{chapter}.ipynb").cells:
        if cell.cell_type != "code" or "show_source(" not in cell.source:
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "show_source":
                shown.add(ast.unparse(node.args[0]))
    return shown


@pytest.mark.parametrize("chapter", sorted(SHOWN))
def test_each_chapter_shows_the_code_it_teaches_from_the_library(chapter):
    assert SHOWN[chapter] <= shown_sources(chapter)


@pytest.mark.parametrize(
    "function",
    [models.build_generator, models.build_discriminator, losses.generator_loss, DCGAN.train_step],
)
def test_the_shown_code_is_the_source_python_runs(function):
    block = show_source(function).data
    source = source_of(function)
    assert block == f"```python\n{source}```"
    assert f"def {function.__name__}(" in source
    ast.parse(source)  # complete and dedented: it could be pasted into a notebook
