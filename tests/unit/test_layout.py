"""The library stands alone: its public names, and no import of the book's helpers."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import dcgan_lib

PACKAGE = Path(dcgan_lib.__file__).parent
REPOSITORY = PACKAGE.parent
CORE_MODULES = sorted(path for path in PACKAGE.glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_core_module_imports_the_book_helpers():
    offenders = {
        path.name: sorted(
            name for name in imported_modules(path) if name.startswith("dcgan_lib.book")
        )
        for path in CORE_MODULES
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_importing_every_core_module_loads_nothing_of_the_book():
    modules = ", ".join(
        f"dcgan_lib.{path.stem}" for path in CORE_MODULES if path.stem != "__main__"
    )
    code = (
        f"import sys, {modules}\n"
        "print([name for name in sys.modules if name.startswith('dcgan_lib.book')])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert result.stdout.strip() == "[]"


def test_the_library_is_small():
    lines = sum(len(path.read_text().splitlines()) for path in CORE_MODULES)
    # 3,500 lines held the training, data, metrics, latent, widget and command-line core; the
    # run diagnosis, the loss and upsampling choices, the hardware's precision and the
    # conditional networks add about 700.
    assert lines <= 4250
    assert len(dcgan_lib.__all__) <= 25
    assert all(hasattr(dcgan_lib, name) for name in dcgan_lib.__all__)


def test_chapters_import_no_private_names():
    private = []
    for notebook in sorted((REPOSITORY / "book").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            lines = [line for line in source.splitlines() if not line.lstrip().startswith("%")]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dcgan_lib"):
                    names = [node.module, *(alias.name for alias in node.names)]
                    if any(part.startswith("_") for name in names for part in name.split(".")):
                        private.append(f"{notebook.name}: from {node.module} import ...")
    assert private == []


def test_every_book_helper_says_whom_it_serves_and_that_it_is_not_the_api():
    for path in sorted((PACKAGE / "book").glob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "dcgan_lib``'s API" in docstring, path
        if path.stem not in ("__init__", "assets"):
            assert 'chapter "' in docstring or "chapters" in docstring, path
