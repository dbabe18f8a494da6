"""The GradientExplorer works in a real browser: JupyterLab in headless Chromium.

A notebook built here (into a temporary directory) displays the explorer for
``I(a, b) = int_0^1 a exp(-b x^2) dx``. After Run All, the table in the page shows the
closed-form gradient; pressing the right arrow on the ``b`` slider's handle reaches the
kernel, and the table changes to the closed-form gradient at the new ``b``. Screenshots go
to ``artifacts/`` (or ``$ARTIFACTS_DIR``). Skipped only where ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser.lab import CHROMIUM, TOKEN, LabServer, browser_context
from browser.problems import GAUSSIAN, gaussian_gradient

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is absent: apt-get install chromium (as .ci/run does)",
)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", REPO / "artifacts"))
EXACT = 1e-12  # relative: the 20-node Gauss rule is converged; the page shows repr(float)
WAIT = 60_000  # ms: JupyterLab's first load and Run All
ROUND_TRIP = 20_000  # ms: a slider move to the kernel and the new table back

CELLS = [
    "import symrules as sr\n"
    "from symrules import GaussLegendre\n"
    "from symrules.widgets import GradientExplorer",
    f'f = sr.Integrand("{GAUSSIAN}", a=1.3, b=0.7)\n'
    "explorer = GradientExplorer(f, (0.0, 1.0), GaussLegendre(20))\n"
    "explorer",
    "'ok'",
]

KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.context || !w.context.isReady || !w.sessionContext) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""

ALL_RUN = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = Array.from(w.content.model.cells);
  const k = w.sessionContext.session.kernel;
  return cells.every(c => c.type !== 'code' || c.executionCount !== null)
    && k.status === 'idle';
}"""


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[LabServer]:
    root = tmp_path / "root"
    root.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "explorer.ipynb")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = LabServer(root, tmp_path / "home", ARTIFACTS / "jupyterlab-server.log", REPO)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        context = browser_context(playwright, tmp_path / "chromium-profile")
        try:
            page = context.new_page()
            page.on("pageerror", lambda err: errors.append(str(err)))
            yield page
            page.screenshot(path=ARTIFACTS / f"{request.node.name}-final.png", full_page=True)
        finally:
            context.close()
    assert errors == [], f"errors in the page: {errors}"


def shown(page: Any) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """The parameter values and gradient cells the page displays (their data-value)."""
    params = page.eval_on_selector_all(
        ".symrules-table .symrules-param",
        "els => els.map(e => [e.dataset.field, e.dataset.value])",
    )
    cells = page.eval_on_selector_all(
        ".symrules-table td.symrules-grad",
        "els => els.map(e => [e.dataset.method, e.dataset.field, e.dataset.value])",
    )
    return (
        {name: float(v) for name, v in params},
        {(m, name): float(v) for m, name, v in cells},
    )


def check_closed_form(cells: dict[tuple[str, str], float], a: float, b: float) -> None:
    exact = gaussian_gradient(a, b)
    for method in ("symbolic", "ad"):
        for name, value in exact.items():
            assert cells[method, name] == pytest.approx(value, rel=EXACT), (method, name)
    for name, value in exact.items():
        assert cells["fd", name] == pytest.approx(value, rel=1e-8), ("fd", name)


def test_slider_moves_the_gradient_in_jupyterlab(lab: LabServer, page: Any) -> None:
    start = time.monotonic()
    page.goto(f"{lab.url}/lab/tree/explorer.ipynb?token={TOKEN}&reset", timeout=WAIT)
    page.wait_for_function(KERNEL_IDLE, timeout=WAIT)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator('li[data-command="runmenu:run-all"]').click()
    page.wait_for_function(ALL_RUN, timeout=WAIT)
    page.locator(".jp-OutputArea-output", has_text="'ok'").wait_for(timeout=WAIT)

    explorer = page.locator(".symrules-explorer")
    explorer.wait_for(timeout=WAIT)
    page.locator('.symrules-table td[data-method="fd"][data-field="b"]').wait_for(timeout=WAIT)
    params, cells = shown(page)
    assert params == {"a": 1.3, "b": 0.7}
    check_closed_form(cells, 1.3, 0.7)
    assert explorer.locator("img").count() == 4  # the four plots

    handle = page.locator(".symrules-slider-b .noUi-handle")
    handle.scroll_into_view_if_needed()
    assert float(handle.get_attribute("aria-valuenow")) == pytest.approx(0.7)
    handle.focus()
    handle.press("ArrowRight")  # one step: b = 0.71
    page.locator('.symrules-param[data-field="b"]:not([data-value="0.7"])').wait_for(
        timeout=ROUND_TRIP
    )
    params, cells = shown(page)
    assert params["a"] == 1.3 and params["b"] == pytest.approx(0.71, abs=1e-12)
    check_closed_form(cells, params["a"], params["b"])
    assert cells["symbolic", "a"] != pytest.approx(gaussian_gradient(1.3, 0.7)["a"], rel=1e-6)

    explorer.scroll_into_view_if_needed()
    explorer.screenshot(path=ARTIFACTS / "gradient-explorer.png")
    assert time.monotonic() - start < 60
