"""The README's ``symrules`` commands work as written, pasted in order into a fresh shell.

The quick start makes ``.venv`` and never activates it, so every later command names it
(``.venv/bin/symrules``); a bare ``symrules`` would be "command not found". Each ``symrules``
command of the README's shell blocks, and of notebook 05's "From a terminal" cell, runs here in
a real process from the repository's root, the running interpreter's ``bin`` directory standing
for ``.venv/bin`` (the same directory when the suite runs in the quick start's venv) and first on
``PATH``. A ``compare`` command's symbolic gradient is checked against SymPy's partials
integrated by :func:`scipy.integrate.quad`. Nothing is installed: no network.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
QUAD = 1e-9  # relative: the CLI's adaptive rule (rtol 1e-10) and quad's own error, both ways
NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


def shell_blocks(markdown: str) -> list[str]:
    """The lines of the ```bash blocks of ``markdown``, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", markdown, flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def symrules_commands(lines: list[str]) -> list[list[str]]:
    """Every command (a line, or a part of a ``&&`` chain) whose program is ``symrules``."""
    commands = []
    for line in lines:
        for part in line.split("&&"):
            argv = shlex.split(part, comments=True)
            if argv and Path(argv[0]).name == "symrules":
                commands.append(argv)
    return commands


def documented_commands() -> list[list[str]]:
    notebook = json.loads((ROOT / "notebooks" / "05_comparing_gradients.ipynb").read_text())
    markdown = [
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown"
    ]
    lines = shell_blocks((ROOT / "README.md").read_text()) + shell_blocks("\n".join(markdown))
    unique: dict[str, list[str]] = {}
    for argv in symrules_commands(lines):
        unique.setdefault(shlex.join(argv), argv)
    return list(unique.values())


COMMANDS = documented_commands()


def test_every_command_names_the_venv() -> None:
    programs = {argv[0] for argv in COMMANDS}
    assert programs == {".venv/bin/symrules"}  # bare "symrules" fails in a fresh shell
    subcommands = [argv[1] for argv in COMMANDS]
    assert subcommands.count("compare") >= 3 and "demo" in subcommands


def oracle(argv: list[str]) -> dict[str, float]:
    """``dI/dp`` for every ``--param`` of a compare command: SymPy's partial, quad-integrated."""
    expr, var = argv[2], "x"
    params: dict[str, float] = {}
    domain: list[float] = []
    words = iter(argv[3:])
    for word in words:
        if word == "--param":
            name, value = next(words).split("=")
            params[name] = float(value)
        elif word == "--domain":
            domain = [float(next(words)), float(next(words))]
    x = sp.Symbol(var)
    symbols = {name: sp.Symbol(name) for name in params}
    f = sp.sympify(expr, locals={var: x, **symbols})
    out = {}
    for name, p in symbols.items():
        partial = sp.lambdify(x, sp.diff(f, p).subs({symbols[k]: v for k, v in params.items()}))
        out[name] = quad(partial, *domain, epsabs=0, epsrel=1e-12)[0]
    return out


@pytest.mark.parametrize(
    "argv", COMMANDS, ids=[f"{k}-{argv[1]}" for k, argv in enumerate(COMMANDS)]
)
def test_command_runs_as_written(argv: list[str]) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = subprocess.run(
        [str(BIN / "symrules"), *argv[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    if argv[1] == "compare" and "--help" not in argv:
        names = re.findall(
            r"dI/d(\w+)", next(s for s in out.stdout.splitlines() if s.startswith("method"))
        )
        row = next(s for s in out.stdout.splitlines() if s.startswith("symbolic"))
        gradient = [float(v) for v in re.findall(NUMBER, row)[: len(names)]]
        exact = oracle(argv)
        assert names == list(exact)
        np.testing.assert_allclose(gradient, list(exact.values()), rtol=QUAD)
