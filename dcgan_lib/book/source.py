"""The library's own code on the page (chapters "DCGAN architecture" and "Implementation").

Part of the book's helpers, not of ``dcgan_lib``'s API. A chapter that teaches a
piece of ``dcgan_lib`` (the networks, the losses, the train step) shows it with
:func:`show_source`, which reads the source of the very function the chapter
runs, so the page and the program cannot disagree.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from IPython.display import Markdown


def source_of(function: Callable[..., Any]) -> str:
    """The source code of ``function`` (or class), dedented, as Python reads it."""
    return textwrap.dedent(inspect.getsource(function))


def source_from(function: Callable[..., Any], first_line: str) -> str:
    """The source of ``function`` from its first line that contains ``first_line`` to its end.

    Raises:
        ValueError: no line contains ``first_line`` (the code shown has changed).
    """
    lines = source_of(function).splitlines(keepends=True)
    for number, line in enumerate(lines):
        if first_line in line:
            return textwrap.dedent("".join(lines[number:]))
    raise ValueError(f"{function.__qualname__} has no line containing {first_line!r}.")


def show_source(function: Callable[..., Any], first_line: str | None = None) -> Markdown:
    """The source of ``function`` as a highlighted Python block, for a notebook cell.

    With ``first_line``, only the end of the function from the line that contains it.
    """
    code = source_of(function) if first_line is None else source_from(function, first_line)
    return Markdown(f"```python\n{code}```")
