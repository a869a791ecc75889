"""Shared fixtures for the test suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Runs jupyter-book's command line with the interpreter running the tests, so the build
# uses the same environment whether or not the `jupyter-book` script is on PATH.
_JUPYTER_BOOK = [
    sys.executable,
    "-c",
    "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
]
_TERMINAL_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class BookBuild:
    """The outcome of one `jupyter-book build` of the whole book, and its log in plain text."""

    returncode: int
    log: str
    html_dir: Path

    @property
    def reports_dir(self) -> Path:
        """Where myst-nb writes the traceback of each notebook that failed to execute."""
        return self.html_dir / "reports"

    def failure_details(self, tail_lines: int = 80) -> str:
        """The end of the build log and every execution report, for assertion messages."""
        tail = "\n".join(self.log.splitlines()[-tail_lines:])
        reports = sorted(self.reports_dir.glob("**/*.log")) if self.reports_dir.is_dir() else []
        report_text = "\n\n".join(f"--- {path.name} ---\n{path.read_text()}" for path in reports)
        return f"--- last {tail_lines} lines of the build log ---\n{tail}\n\n{report_text}"


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> BookBuild:
    """The book built from this checkout with warnings as errors, in short-run mode.

    The build runs once per test session, into a fresh directory with an empty
    execution cache, so every chapter is executed from scratch.
    """
    output = tmp_path_factory.mktemp("book")
    env = dict(os.environ)
    env["DCGAN_SHORT_RUN"] = "1"
    # The chapters and the API page must import this checkout's dcgan_lib.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    command = [
        *_JUPYTER_BOOK,
        "build",
        str(REPO_ROOT),
        "-W",
        "--keep-going",
        "--path-output",
        str(output),
    ]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    log = _TERMINAL_COLOURS.sub("", result.stdout)
    return BookBuild(result.returncode, log, output / "_build" / "html")
