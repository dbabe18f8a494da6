"""The test command runs from any directory: pyproject's relative nbval sanitize file is found.

``cd notebooks && pytest 01_quick_start.ipynb`` once failed with ``FileNotFoundError:
'nbval_sanitize.cfg'`` (nbval opens it relative to the current directory). The notebook's
stored timings differ from a fresh run's, so it passes only if the file is read and applied.
The oracle is the notebook itself: one passing test per code cell.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "01_quick_start.ipynb"


def test_a_notebook_passes_nbval_from_its_own_directory() -> None:
    cells = nbformat.read(REPO / "notebooks" / NOTEBOOK, as_version=4).cells
    code = sum(cell.cell_type == "code" for cell in cells)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", NOTEBOOK],
        cwd=REPO / "notebooks",
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert f"{code} passed" in out.stdout
