"""The GradientExplorer, driven from Python, shows the right gradients after every change.

Moving a slider changes ``explorer.comparison`` and the table's gradient cells to the
closed-form gradient at the new value; the rule picker, node count, method toggles and
finite-difference step each take effect; an "fd" entry further from the reference than its
own error estimate is marked in the table, and only then; a bad setting shows a message and
keeps the last good table; the plots are PNG images redrawn in place; ``import symrules``
stays free of ipywidgets and matplotlib.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pytest
from broken_step import BrokenStep
from browser.problems import GAUSSIAN, POLYNOMIAL, gaussian_gradient, polynomial_gradient

import symrules as sr
from symrules.quadrature import GaussKronrod, GaussLegendre, Simpson, integrate

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")
from matplotlib.backends.backend_agg import FigureCanvasAgg

from symrules.explore import plots
from symrules.widgets import GradientExplorer

EXACT = 1e-12  # relative: symbolic and AD with a 20-node Gauss rule on a smooth integrand
FD = 1e-8  # relative: finite differences at integrate's step rule
PNG = b"\x89PNG\r\n\x1a\n"
MARK = 'data-fd-mark="exceeds-estimate"'  # the HTML hook of an fd entry beyond its estimate


class _Cells(HTMLParser):
    """The gradient cells of a comparison table: ``(method, field) -> data-value``, and the
    cells marked as beyond fd's error estimate."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], float] = {}
        self.marked: set[tuple[str, str]] = set()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if a.get("class") == "symrules-grad":
            self.cells[a["data-method"], a["data-field"]] = float(a["data-value"])
            if a.get("data-fd-mark") == "exceeds-estimate":
                self.marked.add((a["data-method"], a["data-field"]))


@pytest.fixture(scope="module")
def explorer() -> GradientExplorer:
    f = sr.Integrand(GAUSSIAN, a=1.3, b=0.7)
    return GradientExplorer(f, (0.0, 1.0), GaussLegendre(20))


def check_table(explorer: GradientExplorer, a: float, b: float) -> None:
    exact = gaussian_gradient(a, b)
    cells = _Cells(explorer.table.value).cells
    assert MARK not in explorer.table.value  # a smooth integrand: fd within its estimate
    for m in explorer.comparison.gradients:
        rtol = FD if m == "fd" else EXACT
        for name, value in exact.items():
            assert cells[m, name] == pytest.approx(value, rel=rtol), (m, name)
            assert explorer.comparison.gradients[m][name] == cells[m, name]


def test_a_slider_per_scalar_field(explorer: GradientExplorer) -> None:
    assert list(explorer.sliders) == ["a", "b"]
    b = explorer.sliders["b"]
    assert (b.value, b.min, b.max, b.step) == (0.7, -1.3, 2.7, 0.01)
    assert not b.continuous_update  # recompute on release, not on every pixel of a drag
    check_table(explorer, 1.3, 0.7)


def test_moving_a_slider_updates_the_table(explorer: GradientExplorer) -> None:
    before = {k: bytes(v.value) for k, v in explorer.plots.items()}
    explorer.sliders["b"].value = 1.9
    assert explorer.comparison.params == {"a": 1.3, "b": 1.9}
    check_table(explorer, 1.3, 1.9)
    explorer.sliders["a"].value = -0.4
    check_table(explorer, -0.4, 1.9)
    after = {k: bytes(v.value) for k, v in explorer.plots.items()}
    assert all(png.startswith(PNG) for png in after.values())
    assert after["integrand"] != before["integrand"]  # redrawn for the new integrand
    assert explorer.progress.layout.display == "none"  # shown only during a long sweep


def test_rule_picker_and_count(explorer: GradientExplorer) -> None:
    explorer.rule_picker.value = "simpson"
    assert explorer.count.value == 100 and explorer.count.description == "subintervals"
    assert explorer.comparison.rule == repr(Simpson(100))
    explorer.count.value = 8
    f = explorer.current_f()
    expected = sr.grad(lambda g: integrate(g, (0.0, 1.0), Simpson(8), method="ad"))(f)
    assert explorer.comparison.gradients["ad"]["b"] == pytest.approx(expected.fields["b"])
    good = explorer.comparison
    assert explorer.status.layout.display == "none"  # no blank line above the table
    explorer.count.value = 7  # Simpson needs an even count
    assert "n must be an even number" in explorer.status.value
    assert explorer.status.layout.display is None  # shown
    assert explorer.comparison is good
    explorer.rule_picker.value = "gauss-legendre"
    assert explorer.count.value == 20 and explorer.status.value == ""


def test_method_toggles(explorer: GradientExplorer) -> None:
    explorer.method_toggles["symbolic"].value = False
    assert list(explorer.comparison.gradients) == ["ad", "fd"]
    assert explorer.comparison.reference == "ad"
    explorer.method_toggles["symbolic"].value = True
    assert explorer.comparison.reference == "symbolic"


def test_fd_step(explorer: GradientExplorer) -> None:
    explorer.fd_auto.value = False
    explorer.fd_step.value = 1e-2
    h, f = 1e-2, explorer.current_f()
    b = f.params["b"]

    def integral(b: float) -> float:
        g = sr.with_fields(f, b=b)
        return integrate(g, (0.0, 1.0), GaussLegendre(20))

    stencil = (
        -integral(b + 2 * h) + 8 * integral(b + h) - 8 * integral(b - h) + integral(b - 2 * h)
    ) / (12 * h)
    assert explorer.comparison.gradients["fd"]["b"] == pytest.approx(stencil, rel=1e-12)
    explorer.fd_auto.value = True
    assert explorer.fd_step.disabled  # the step search ignores the slider: disabled


def test_the_step_slider_is_live_only_without_the_step_search(explorer: GradientExplorer) -> None:
    for search in (True, False, True):
        explorer.fd_auto.value = search
        assert explorer.fd_step.disabled is search


def test_the_time_axis_fits_its_bars(explorer: GradientExplorer) -> None:
    # an 861 us bar once sat on an axis running to ~4000 us; the longest label must fit
    for longest, label in ((8.61e-4, "861 us"), (1.23e-3, "1.23 ms"), (9.99e-4, "999 us")):
        c = replace(explorer.comparison, times={"symbolic": 9.45e-5, "ad": 1.36e-4, "fd": longest})
        fig = plots.times_figure(c)
        ax = fig.axes[0]
        renderer = FigureCanvasAgg(fig).get_renderer()
        scale = 1e-3 if longest >= 1e-3 else 1e-6  # the unit of the longest: ms or us
        widths = [bar.get_width() * scale for bar in ax.patches]
        assert widths == pytest.approx(list(c.times.values()), rel=1e-12)
        assert ax.get_xlim() == pytest.approx((0.0, plots.TIME_MARGIN * longest / scale))
        assert 1.0 < plots.TIME_MARGIN <= 1.2
        frame = ax.get_window_extent(renderer)
        assert ax.texts[-1].get_text() == label
        for text in ax.texts:  # inside the frame: labels of a bar
            assert frame.x0 <= text.get_window_extent(renderer).x1 <= frame.x1, text


def test_the_comparison_prints_as_its_text_table(explorer: GradientExplorer) -> None:
    c = explorer.comparison
    assert repr(c) == str(c)  # a REPL shows the table, not the dataclass fields
    assert repr(c).splitlines()[0] == f"integral over (0, 1) by {c.rule}"
    assert "Comparison(" not in repr(c) and len(repr(c)) < 1000


def test_the_table_marks_fd_beyond_its_estimate() -> None:
    explorer = GradientExplorer(BrokenStep(1.5), (0.0, 1.0), GaussKronrod(), plots=False)
    assert explorer.rule_picker.value == "gauss-kronrod"
    cells = _Cells(explorer.table.value)  # the jump is outside: I = 1 for every s
    assert explorer.comparison is not None and explorer.comparison.fd_error is not None
    assert abs(cells.cells["fd", "s"]) <= explorer.comparison.fd_error["s"]
    assert cells.cells["ad", "s"] == 0.0
    assert cells.marked == set() and MARK not in explorer.table.value
    # The jump inside: the adaptive rule follows it and fd finds dI/ds = 1, while AD through
    # the broken rule finds 0; they differ by far more than fd's estimate, and the table says so.
    explorer.sliders["s"].value = 0.4
    cells = _Cells(explorer.table.value)
    assert cells.cells["fd", "s"] == pytest.approx(1.0, rel=FD)
    assert cells.cells["ad", "s"] == 0.0
    assert cells.marked == {("fd", "s")}
    assert "exceeds its error estimate" in explorer.table.value
    explorer.sliders["s"].value = 1.2  # outside again: the mark goes
    assert MARK not in explorer.table.value


def test_closure_and_array_fields() -> None:
    def make(c: np.ndarray, big: np.ndarray):
        def f(x: np.ndarray) -> np.ndarray:
            return c[0] + c[1] * x + c[2] * x**2 + 0.0 * np.sum(big)

        return f

    explorer = GradientExplorer(
        make(np.array([1.0, -2.0, 0.5]), np.zeros(20)),
        (-0.5, 2.0),
        GaussLegendre(2),
        ranges={"c[1]": (-5.0, 5.0, 0.5)},
        plots=False,
    )
    assert list(explorer.sliders) == ["c[0]", "c[1]", "c[2]"]
    assert explorer.sliders["c[1]"].step == 0.5
    assert any("big has 20 entries" in note for note in explorer.notes)
    np.testing.assert_allclose(  # the closure, lifted to SymPy (big: summed over its own axis)
        explorer.comparison.gradients["symbolic"]["c"], polynomial_gradient(-0.5, 2.0), rtol=EXACT
    )
    explorer.sliders["c[1]"].value = 3.0
    assert explorer.comparison.params["c"].tolist() == [1.0, 3.0, 0.5]
    np.testing.assert_allclose(
        explorer.comparison.gradients["ad"]["c"], polynomial_gradient(-0.5, 2.0), rtol=EXACT
    )


def test_given_rule_and_display() -> None:
    from symrules.quadrature import Composite

    rule = Composite(GaussLegendre(3), panels=4)
    explorer = GradientExplorer(sr.Integrand(POLYNOMIAL, c=[1.0, 2.0, 3.0]), (0, 1), rule)
    assert explorer.rule_picker.value == "given" and explorer.count.disabled
    assert explorer.comparison.rule == repr(rule)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_import_symrules_does_not_import_the_widget_stack() -> None:
    code = (
        "import sys, symrules, symrules.explore.compare, symrules.explore.cli; "
        "print(sorted(m for m in ('ipywidgets', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
