"""The tutorial notebooks are stored executed, so that ``pytest --nbval`` has something to check.

nbval executes every notebook but compares a cell's outputs only when the stored cell has an
``execution_count``; a notebook saved without outputs would pass while checking nothing. This
pins down that every code cell of every notebook in ``notebooks/`` was executed, in order, and
that the notebook as a whole stores outputs. Re-execute a notebook after editing it:
``jupyter nbconvert --to notebook --execute --inplace notebooks/NAME.ipynb``.
"""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def code_cells(path: Path) -> list[dict]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 5, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_code_cell_was_executed_in_order(path: Path) -> None:
    counts = [cell["execution_count"] for cell in code_cells(path)]
    assert None not in counts, f"{path.name}: unexecuted code cells at {counts}"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run top to bottom: {counts}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_outputs_are_stored(path: Path) -> None:
    with_outputs = [cell for cell in code_cells(path) if cell["outputs"]]
    assert len(with_outputs) >= len(code_cells(path)) // 2, f"{path.name} stores few outputs"
