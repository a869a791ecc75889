"""The built book works in a real browser, offline: pages, math, images, links, the explorer.

The book is served from 127.0.0.1 and every request for anything else is blocked,
so a page that needed the internet would fail here. The browser is Chromium,
driven by Playwright; without a Chromium on the machine the browser tests are
skipped (the link check below needs no browser and always runs).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from notebook_utils import REPO_ROOT, toc_entries

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOST = "127.0.0.1"
NOTEBOOK_ENTRIES = [entry for entry in toc_entries() if (REPO_ROOT / f"{entry}.ipynb").is_file()]
EXPLORER_PAGE = "book/latent_space"
# A page of plots with axes, labels and legends, and how many of its figures to check.
FIGURE_PAGE = "book/evaluation"
FIGURES_CHECKED = 8
MIN_FIGURE_CONTRAST = 150
PAGE_TIMEOUT_MS = 30_000

# Console errors that come from the book's toolchain, not from the book, each matched exactly.
UPSTREAM_CONSOLE_ERRORS = {
    # Sphinx 7.4 writes an inline script twice when an extension registers it after the
    # builder starts (sphinx_thebe does): the copy fails to redeclare its constant and
    # is skipped. Thebe is not used by the book, so nothing is lost.
    "Identifier 'THEBE_JS_URL' has already been declared",
    # pydata-sphinx-theme starts a page in an empty colour mode when no `default_mode`
    # is configured, then logs this and uses "auto", which is what the book wants.
    "Got invalid theme mode: . Resetting to auto.",
}


def _find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        path = shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def book_url(built_book) -> Iterator[str]:
    """The built book served over HTTP from 127.0.0.1, for as long as the tests need it."""
    if not (built_book.html_dir / "index.html").is_file():
        pytest.fail("the book was not built:\n" + built_book.failure_details())
    handler = functools.partial(_QuietHandler, directory=str(built_book.html_dir))
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium, or a skip saying that none was found."""
    chromium = _find_chromium()
    if chromium is None:
        pytest.skip(
            "no Chromium found (looked for " + ", ".join(CHROMIUM_CANDIDATES) + "); "
            "install it with `apt-get install chromium` to run the browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Chromium is here but the `playwright` package is not; install the test extras")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class OfflinePage:
    """A page that may only talk to the local server, and remembers everything that failed."""

    def __init__(self, browser, base_url: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base_url = base_url
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.context.route("**/*", self._only_local)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    def _only_local(self, route) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith("data:") or host == LOCAL_HOST:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def _on_console(self, message) -> None:
        if message.type == "error" and message.text not in UPSTREAM_CONSOLE_ERRORS:
            self.console_errors.append(f"{message.text} at {message.location}")

    def _on_request_failed(self, request) -> None:
        self.failed.append(f"{request.url} ({request.failure})")

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def _on_page_error(self, error) -> None:
        if error.message not in UPSTREAM_CONSOLE_ERRORS:
            self.console_errors.append(f"{error.name}: {error.message}")

    def open(self, entry: str) -> None:
        self.page.goto(f"{self.base_url}/{entry}.html", wait_until="load", timeout=PAGE_TIMEOUT_MS)
        self.page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline_page(browser, book_url) -> Iterator[OfflinePage]:
    page = OfflinePage(browser, book_url)
    try:
        yield page
    finally:
        page.close()


@pytest.mark.parametrize("entry", toc_entries())
def test_page_loads_offline_without_errors_or_failed_requests(offline_page, entry):
    offline_page.open(entry)
    assert not offline_page.blocked, f"{entry} tried to reach the internet: {offline_page.blocked}"
    assert not offline_page.failed, f"{entry} has failed requests: {offline_page.failed}"
    assert not offline_page.console_errors, f"{entry} logged errors: {offline_page.console_errors}"


@pytest.mark.parametrize("entry", toc_entries())
def test_every_image_on_the_page_has_loaded(offline_page, entry):
    offline_page.open(entry)
    broken = offline_page.page.evaluate(
        """async () => {
            const images = Array.from(document.images);
            for (const image of images) { image.loading = "eager"; }
            await Promise.all(images.map((image) => image.decode().catch(() => null)));
            return images
                .filter((image) => !image.complete || image.naturalWidth === 0)
                .map((image) => image.currentSrc || image.src);
        }"""
    )
    assert not broken, f"{entry} has images that did not load: {broken}"


@pytest.mark.parametrize("entry", toc_entries())
def test_math_is_typeset_by_the_bundled_mathjax(offline_page, built_book, entry):
    if 'class="math' not in (built_book.html_dir / f"{entry}.html").read_text(encoding="utf-8"):
        pytest.skip(f"{entry} has no math")
    offline_page.open(entry)
    offline_page.page.wait_for_selector("mjx-container", state="attached", timeout=PAGE_TIMEOUT_MS)
    untypeset = offline_page.page.evaluate(
        """() => Array.from(document.querySelectorAll(".math"))
            .filter((element) => !element.querySelector("mjx-container")).length"""
    )
    assert untypeset == 0, f"{entry}: {untypeset} formulas were not typeset"
    assert not offline_page.blocked, f"{entry} tried to reach the internet: {offline_page.blocked}"


@pytest.mark.parametrize("entry", NOTEBOOK_ENTRIES)
def test_the_colab_button_opens_this_chapters_notebook(offline_page, entry):
    offline_page.open(entry)
    links = offline_page.page.eval_on_selector_all(
        'a[href*="colab.research.google.com"]', "links => links.map(link => link.href)"
    )
    assert links, f"{entry} has no Colab link"
    for link in links:
        assert link.endswith(f"/blob/main/{entry}.ipynb"), f"{entry}: Colab link {link}"


@pytest.mark.parametrize("entry", NOTEBOOK_ENTRIES)
def test_code_cells_fit_the_page_without_scrolling_sideways(offline_page, entry):
    """In a window 1280 pixels wide, no code cell needs a horizontal scroll bar.

    The notebooks are formatted to 84 characters (book/ruff.toml) and the book's style
    sheet (book/_static/code.css) sizes code so that 84 characters fit the column.
    """
    offline_page.open(entry)
    too_wide = offline_page.page.evaluate(
        """() => Array.from(document.querySelectorAll("div.cell_input pre"))
            .filter((block) => block.scrollWidth > block.clientWidth + 1)
            .map((block) => block.textContent.split("\\n")
                .reduce((longest, line) => (line.length > longest.length ? line : longest)))"""
    )
    assert not too_wide, f"{entry}: code wider than the page: {too_wide}"


def test_the_static_latent_explorer_shows_another_frame_when_its_slider_moves(offline_page):
    offline_page.open(EXPLORER_PAGE)
    explorer = offline_page.page.locator(".dcgan-explorer").first
    frame = explorer.locator(".dcgan-explorer-frame")
    slider = explorer.locator('input[type="range"]').first
    explorer.scroll_into_view_if_needed()

    def state() -> tuple[str | None, str, str, bytes]:
        position = frame.evaluate("element => element.style.backgroundPosition")
        readout = explorer.locator("output").inner_text()
        return frame.get_attribute("data-frame"), position, readout, frame.screenshot()

    before = state()
    slider.focus()
    offline_page.page.keyboard.press("End")
    after = state()
    assert after[0] != before[0], "the frame index did not change"
    assert after[1] != before[1], "the sprite did not move"
    assert after[2] != before[2], "the readout did not change"
    assert after[3] != before[3], "the displayed digit did not change"
    assert not offline_page.console_errors, offline_page.console_errors


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_the_figures_of_a_page_are_legible_in_both_colour_modes(offline_page, mode):
    """Each figure keeps its own opaque background: its dark strokes and its light
    background stay far apart in brightness whichever colour mode the reader picks."""
    import io

    import numpy as np
    from PIL import Image

    offline_page.open(FIGURE_PAGE)
    offline_page.page.evaluate(
        "mode => { document.documentElement.dataset.theme = mode;"
        " document.documentElement.dataset.mode = mode; }",
        mode,
    )
    page_background = offline_page.page.evaluate(
        "() => getComputedStyle(document.body).backgroundColor"
    )
    assert ("255, 255, 255" in page_background) == (mode == "light"), page_background
    figures = offline_page.page.locator(".cell_output img")
    count = min(figures.count(), FIGURES_CHECKED)
    assert count >= 3, f"{FIGURE_PAGE} shows {figures.count()} figures"
    for index in range(count):
        shot = Image.open(io.BytesIO(figures.nth(index).screenshot())).convert("L")
        brightness = np.asarray(shot, dtype=float)
        dark, light = np.percentile(brightness, [1, 99])
        assert light - dark >= MIN_FIGURE_CONTRAST, (
            f"{FIGURE_PAGE}, figure {index + 1} in {mode} mode: brightness from {dark:.0f} "
            f"to {light:.0f} of 255"
        )


class _LinkCollector(HTMLParser):
    """The ids of one page and every local href/src in it."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and (name == "id" or tag == "a"):
                self.ids.add(value)
            elif name in ("href", "src"):
                self.links.append(value)


def _is_local(link: str) -> bool:
    parts = urlsplit(link)
    return not parts.scheme and not parts.netloc and link.strip() not in ("", "#")


def test_every_internal_link_of_the_book_resolves(built_book):
    html_dir = built_book.html_dir
    if not (html_dir / "index.html").is_file():
        pytest.fail("the book was not built:\n" + built_book.failure_details())
    pages: dict[Path, _LinkCollector] = {}
    for path in sorted(html_dir.rglob("*.html")):
        if "_static" in path.relative_to(html_dir).parts:
            continue
        collector = _LinkCollector()
        collector.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = collector

    broken = []
    for path, collector in pages.items():
        for link in collector.links:
            if not _is_local(link):
                continue
            parts = urlsplit(link)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(html_dir.resolve())}: {link}"
            if not target.is_file():
                broken.append(f"{where} (no file {target.name})")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where} (no anchor #{parts.fragment})")
    assert not broken, "broken internal links:\n" + "\n".join(broken)
