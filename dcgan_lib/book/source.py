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


def show_source(function: Callable[..., Any]) -> Markdown:
    """The source of ``function`` as a highlighted Python block, for a notebook cell."""
    return Markdown(f"```python\n{source_of(function)}```")
