"""The whole book builds, executes and renders offline, from a clean execution cache."""

from __future__ import annotations

import re

import pytest
from notebook_utils import REPO_ROOT, load_yaml, toc_entries

LOCAL_MATHJAX = "_static/mathjax/tex-chtml.js"
MATHJAX_FROM_ELSEWHERE = re.compile(r"""src=["']?(?:https?:)?//[^"'\s>]*mathjax""", re.IGNORECASE)
MATHJAX_SCRIPT = re.compile(r"""<script[^>]*src=["']([^"']*mathjax[^"']*)["']""", re.IGNORECASE)


def _page(built_book, entry: str):
    path = built_book.html_dir / f"{entry}.html"
    assert path.is_file(), f"no page was built for {entry}"
    return path.read_text(encoding="utf-8")


def _colab_url(entry: str) -> str:
    config = load_yaml("_config.yml")
    repository = config["repository"]
    github_path = repository["url"].removeprefix("https://github.com/").rstrip("/")
    notebook = "/".join(filter(None, [repository.get("path_to_book", "").strip("/"), entry]))
    return (
        f"{config['launch_buttons']['colab_url']}/github/{github_path}"
        f"/blob/{repository['branch']}/{notebook}.ipynb"
    )


def _is_problem(line: str) -> bool:
    # The kernel's notice about its local TCP transport is not a problem with the book.
    if "Kernel is running over TCP" in line:
        return False
    return any(marker in line for marker in ("WARNING", "ERROR", "Executing notebook failed"))


def test_book_builds_without_warnings_or_execution_errors(built_book):
    problems = [line for line in built_book.log.splitlines() if _is_problem(line)]
    assert built_book.returncode == 0 and not problems, (
        f"the book build failed (exit code {built_book.returncode}) with:\n"
        + "\n".join(problems)
        + "\n\n"
        + built_book.failure_details()
    )


@pytest.mark.parametrize("entry", toc_entries())
def test_every_page_in_the_toc_is_built(built_book, entry):
    _page(built_book, entry)


@pytest.mark.parametrize("entry", toc_entries())
def test_no_page_loads_mathjax_from_the_internet(built_book, entry):
    page = _page(built_book, entry)
    assert not MATHJAX_FROM_ELSEWHERE.search(page), f"{entry} loads MathJax from a CDN"


@pytest.mark.parametrize("entry", toc_entries())
def test_pages_with_math_load_the_bundled_mathjax(built_book, entry):
    page_path = built_book.html_dir / f"{entry}.html"
    page = _page(built_book, entry)
    if 'class="math' not in page:
        pytest.skip(f"{entry} has no math")
    sources = MATHJAX_SCRIPT.findall(page)
    assert sources, f"{entry} has math but loads no MathJax"
    for source in sources:
        assert source.endswith(LOCAL_MATHJAX), f"{entry} loads MathJax from {source}"
        assert (page_path.parent / source).resolve().is_file(), f"{source} was not copied"


def test_the_introduction_renders_math_offline(built_book):
    page = _page(built_book, "book/intro")
    assert 'class="math' in page
    assert (built_book.html_dir / LOCAL_MATHJAX).is_file()


@pytest.mark.parametrize(
    "entry", [entry for entry in toc_entries() if (REPO_ROOT / f"{entry}.ipynb").is_file()]
)
def test_notebook_pages_link_to_the_notebook_in_colab(built_book, entry):
    page = _page(built_book, entry)
    assert f'href="{_colab_url(entry)}"' in page, f"{entry} has no Colab link to its notebook"


def test_the_introductions_colab_link_opens_book_intro_ipynb():
    assert _colab_url("book/intro").endswith("/blob/main/book/intro.ipynb")
