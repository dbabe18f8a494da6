"""The package's layout: layers whose imports point down only, one concept per module.

Pins down what ``symrules/__init__.py`` promises: ``engine`` imports nothing above it,
``checking`` and ``symbolic`` only the engine, ``quadrature`` the engine, ``checking`` and
``symbolic`` (below it: ``method="symbolic"`` lifts a plain integrand, importing SymPy on first
use only), and no module imports another's private (underscore) names. The oracle is the
source itself, read with :mod:`ast`; ``import symrules`` is checked in a fresh interpreter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "symrules"

# What each layer may import from symrules (besides itself and ``errors``).
ALLOWED = {
    "errors": set(),
    "engine": set(),
    "checking": {"engine"},
    "symbolic": {"engine"},
    "quadrature": {"engine", "checking", "symbolic"},
    "explore": {"engine", "checking", "symbolic", "quadrature"},
    "scipy": {"engine"},  # symrules.scipy: scipy's Python-level functions, differentiable
}
# A module reads in one sitting; a table of entries (numpy's derivatives) may run longer.
MAX_LINES = 420
TABLES = {"engine/numpy_table.py"}
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _layer(path: Path) -> str | None:
    rel = path.relative_to(PACKAGE)
    if len(rel.parts) > 1:
        return rel.parts[0]
    return "errors" if rel.name == "errors.py" else None  # façades and __init__ see everything


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(absolute symrules module, imported names)`` for every ``from ... import``."""
    package = ".".join(("symrules", *path.relative_to(PACKAGE).parent.parts))
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] == "symrules":
                out.append((module, [alias.name for alias in node.names]))
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    layer = _layer(path)
    if layer is None:
        return
    for module, names in _imports(path):
        parts = module.split(".")
        target = parts[1] if len(parts) > 1 else None
        if target is None:  # ``from .. import x`` names modules of the package
            target = names[0]
        target = "errors" if target == "errors" else target
        assert target in ALLOWED[layer] | {layer, "errors"}, (
            f"{path.relative_to(PACKAGE)} ({layer}) imports {module}, a layer above it"
        )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_names_cross_modules(path: Path) -> None:
    for module, names in _imports(path):
        private = [n for n in names if n.startswith("_")]
        assert not private, f"{path.relative_to(PACKAGE)} imports {private} from {module}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_read_in_one_sitting(path: Path) -> None:
    rel = str(path.relative_to(PACKAGE))
    lines = len(path.read_text().splitlines())
    assert rel in TABLES or lines <= MAX_LINES, f"{rel} has {lines} lines: split it by concept"


def test_errors_live_in_one_module() -> None:
    defined = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Warning")):
                defined.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert defined and all(d.startswith("errors.py:") for d in defined), defined


def test_import_symrules_stays_light() -> None:
    code = (
        "import sys, symrules, symrules.testing, symrules.finite_differences; "
        "heavy = ('sympy', 'ipywidgets', 'matplotlib', 'jax', 'torch', 'dask'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_paths_of_the_design_work() -> None:
    import symrules
    import symrules.finite_differences as fd
    import symrules.testing as testing
    import symrules.widgets as widgets

    assert callable(fd.gradient) and callable(testing.check_rrule)
    assert widgets.GradientExplorer.__name__ == "GradientExplorer"
    missing = [name for name in symrules.__all__ if not hasattr(symrules, name)]
    assert not missing
