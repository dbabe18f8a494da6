"""compare() and the GradientExplorer over boxes in d dimensions agree with closed forms.

A separable Gaussian over a 2-D box and a product of exponentials over a 3-D and a 4-D box
have closed-form integrals and gradients (in ``erf`` and ``exp``); every method's gradient,
the value and, for quasi-Monte Carlo and Monte Carlo, the error estimate (shown as
``value ± error``) are checked against them; the text table, the HTML and the plain data show
the box and the same numbers; an executor changes no number; the widget over a box draws a
heat map with the rule's nodes, and its controls change the result; a 1-D-only rule over a
box raises integrate's error.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser

import numpy as np
import pytest
from scipy.special import erf

import symrules as sr
from symrules.errors import QuadratureInputError
from symrules.explore.compare import compare
from symrules.quadrature import QMC, GaussKronrod, GaussLegendre, MonteCarlo, Product

EXACT = 1e-12  # relative: symbolic and AD with 20 Gauss-Legendre nodes per axis, smooth f
FD = 1e-8  # relative: finite differences of order 4 at their searched step
QMC_GRAD = 1e-5  # relative: 8 x 2**12 scrambled Sobol' points, smooth 2-D f (seen: 1.3e-6)
SIGMAS = 4  # a randomised rule's value lies within this many of its standard errors
NO_TIMING = {"repeat": 0}
PNG = b"\x89PNG\r\n\x1a\n"

BOX_2D = ((0.0, 1.0), (-1.0, 2.0))
BOX_3D = ((0.0, 1.0), (0.0, 2.0), (-1.0, 1.0))


# closed forms
def gauss_1d(c: float, lo: float, hi: float) -> tuple[float, float]:
    """``int_lo^hi exp(-c x**2) dx`` and its derivative in ``c``."""
    r = np.sqrt(c)
    spread = erf(r * hi) - erf(r * lo)
    value = np.sqrt(np.pi) / (2 * r) * spread
    d_c = -np.sqrt(np.pi) / (4 * c**1.5) * spread + (
        hi * np.exp(-c * hi**2) - lo * np.exp(-c * lo**2)
    ) / (2 * c)
    return float(value), float(d_c)


def gaussian_2d(a: float, b: float) -> tuple[float, dict[str, float]]:
    """``exp(-a x**2 - b y**2)`` over BOX_2D: the integral and its gradient."""
    (ga, da), (gb, db) = gauss_1d(a, *BOX_2D[0]), gauss_1d(b, *BOX_2D[1])
    return ga * gb, {"a": da * gb, "b": ga * db}


def exp_1d(k: float, lo: float, hi: float) -> tuple[float, float]:
    """``int_lo^hi exp(k x) dx`` and its derivative in ``k``."""
    value = (np.exp(k * hi) - np.exp(k * lo)) / k
    d_k = (hi * np.exp(k * hi) - lo * np.exp(k * lo)) / k - value / k
    return float(value), float(d_k)


def exponentials(k: np.ndarray, box: tuple) -> tuple[float, np.ndarray]:
    """``exp(k . x)`` over ``box``: the integral and its gradient in ``k``."""
    parts = [exp_1d(kk, lo, hi) for kk, (lo, hi) in zip(k, box, strict=True)]
    value = float(np.prod([v for v, _ in parts]))
    return value, np.array([value / v * dv for v, dv in parts])


# integrands
def make_gaussian(a: float, b: float):
    """The separable Gaussian as a closure."""

    def gaussian(x: np.ndarray) -> np.ndarray:
        return np.exp(-a * x[:, 0] ** 2 - b * x[:, 1] ** 2)

    return gaussian


@dataclass(frozen=True)
class Exponentials:
    """``exp(k . x)``, a callable dataclass with an array field."""

    k: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.exp((x * self.k).sum(axis=1))


K3 = np.array([0.5, -0.3, 1.2])


def check_gradients(c, exact: dict, methods=("symbolic", "ad", "fd")) -> None:
    for m in methods:
        rtol = FD if m == "fd" else EXACT
        for name, value in exact.items():
            assert np.allclose(c.gradients[m][name], value, rtol=rtol, atol=0), (m, name)


# compare
def test_2d_gaussian_closure_every_method() -> None:
    value, grad = gaussian_2d(1.3, 0.7)
    c = compare(make_gaussian(1.3, 0.7), BOX_2D, GaussLegendre(20), **NO_TIMING)
    assert c.value == pytest.approx(value, rel=EXACT)
    check_gradients(c, grad)  # symbolic: the closure lifted to SymPy
    assert c.error is None  # a product rule has no error estimate
    assert c.domain == BOX_2D
    assert c.rule == "GaussLegendre(n=20) on every axis"


def test_2d_gaussian_integrand_every_method() -> None:
    f = sr.Integrand("exp(-a*x**2 - b*y**2)", var=("x", "y"), a=1.3, b=0.7)
    value, grad = gaussian_2d(1.3, 0.7)
    c = compare(f, BOX_2D, Product(GaussLegendre(20)), **NO_TIMING)
    assert c.reference == "symbolic" and not c.skipped
    assert c.value == pytest.approx(value, rel=EXACT)
    check_gradients(c, grad)


def test_3d_exponentials_every_method() -> None:
    value, grad = exponentials(K3, BOX_3D)
    c = compare(Exponentials(K3.copy()), BOX_3D, **NO_TIMING)  # integrate's default rule
    assert c.rule == "Product(GaussLegendre(n=20))"
    assert c.value == pytest.approx(value, rel=EXACT)
    check_gradients(c, {"k": grad}, ("ad", "fd"))
    f = sr.Integrand("exp(p*x + q*y + r*z)", var=("x", "y", "z"), p=K3[0], q=K3[1], r=K3[2])
    c = compare(f, BOX_3D, **NO_TIMING)
    check_gradients(c, dict(zip("pqr", grad, strict=True)))


def test_qmc_value_within_its_error_estimate() -> None:
    value, grad = gaussian_2d(1.3, 0.7)
    c = compare(make_gaussian(1.3, 0.7), BOX_2D, QMC(2**12, seed=5), ("ad", "fd"), **NO_TIMING)
    assert c.error is not None and 0 < c.error < 1e-5
    assert abs(c.value - value) < SIGMAS * c.error
    for m in ("ad", "fd"):
        for name, g in grad.items():
            assert c.gradients[m][name] == pytest.approx(g, rel=QMC_GRAD), (m, name)


def test_monte_carlo_value_within_its_error_estimate() -> None:
    value, _ = exponentials(K3, BOX_3D)
    c = compare(Exponentials(K3.copy()), BOX_3D, MonteCarlo(10**5, seed=1), ("ad",), **NO_TIMING)
    assert c.error is not None and abs(c.value - value) < SIGMAS * c.error


def test_text_table_shows_the_box_the_value_and_its_error() -> None:
    c = compare(make_gaussian(1.3, 0.7), BOX_2D, QMC(2**10, seed=2), ("ad", "fd"), repeat=1)
    text = str(c)
    lines = text.splitlines()
    assert lines[0].startswith("integral over [0, 1] x [-1, 2] by QMC(n=1024")
    assert lines[2] == f"I = {c.value:.15g} ± {c.error:.2g}"
    row = next(line for line in lines if line.startswith("ad "))
    shown = [float(f"{c.gradients['ad'][name]:.15g}") for name in ("a", "b")]
    assert [float(v) for v in row.split()[1:3]] == shown
    product = compare(make_gaussian(1.3, 0.7), BOX_2D, GaussLegendre(5), ("ad",), **NO_TIMING)
    assert str(product).splitlines()[2] == f"I = {product.value:.15g}"  # no estimate, no ±


class _Cells(HTMLParser):
    """The value (with its error) and the gradient cells of a comparison table."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.value: dict[str, str] = {}
        self.cells: dict[tuple[str, str], float] = {}
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if a.get("class") == "symrules-value":
            self.value = a
        if a.get("class") == "symrules-grad":
            self.cells[a["data-method"], a["data-field"]] = float(a["data-value"])


def test_html_shows_the_box_the_value_and_its_error() -> None:
    c = compare(Exponentials(K3.copy()), BOX_3D, QMC(2**10, seed=3), ("ad",), **NO_TIMING)
    page = c._repr_html_()
    assert "integral over [0, 1] x [0, 2] x [-1, 1] by QMC" in page
    cells = _Cells(page)
    assert float(cells.value["data-value"]) == c.value
    assert float(cells.value["data-error"]) == c.error
    assert f"± {c.error:.2g}" in page
    for i in range(3):
        assert cells.cells["ad", f"k[{i}]"] == c.gradients["ad"]["k"][i]
    data = c.to_dict()
    assert data["domain"] == [list(pair) for pair in BOX_3D] and data["error"] == c.error


def test_an_executor_changes_no_number() -> None:
    f = Exponentials(K3.copy())
    options = {"chunk_size": 1000, "methods": ("ad", "fd"), "repeat": 1, "min_time": 0.0}
    for rule in (Product(GaussLegendre(15)), QMC(2**10, seed=4)):
        here = compare(f, BOX_3D, rule, **options)
        with ThreadPoolExecutor(2) as pool:
            there = compare(f, BOX_3D, rule, executor=pool, **options)
        assert (there.value, there.error) == (here.value, here.error)
        for m in ("ad", "fd"):
            assert np.array_equal(there.gradients[m]["k"], here.gradients[m]["k"]), (rule, m)
        assert there.fd_error is not None and here.fd_error is not None
        assert np.array_equal(there.fd_error["k"], here.fd_error["k"])


def test_a_1d_only_rule_over_a_box_raises_integrates_error() -> None:
    with pytest.raises(QuadratureInputError, match="adaptive GaussKronrod"):
        compare(make_gaussian(1.0, 1.0), BOX_2D, GaussKronrod(), **NO_TIMING)
    with pytest.raises(QuadratureInputError, match=r"axis 1 must be a pair \(a1, b1\)"):
        compare(make_gaussian(1.0, 1.0), ((0, 1), (0, 1, 2)), **NO_TIMING)


# the widget
@pytest.fixture(scope="module")
def ui():
    """``(symrules.widgets, symrules.explore.plots)``, which need the ``jupyter`` extra."""
    pytest.importorskip("ipywidgets")
    pytest.importorskip("matplotlib")
    from symrules import widgets
    from symrules.explore import plots

    return widgets, plots


def node_scatter(fig) -> np.ndarray:
    """The nodes drawn on a heat map: the offsets of its one scatter."""
    from matplotlib.collections import PathCollection

    (scatter,) = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    return np.asarray(scatter.get_offsets())


def test_widget_over_a_2d_box(ui) -> None:
    widgets, plots = ui
    explorer = widgets.GradientExplorer(make_gaussian(1.3, 0.7), BOX_2D, methods=("ad", "fd"))
    assert (explorer.rule_picker.value, explorer.count.value) == ("product-gauss-legendre", 20)
    assert explorer.count.description == "nodes per axis"
    check_gradients(explorer.comparison, gaussian_2d(1.3, 0.7)[1], ("ad", "fd"))
    assert all(bytes(image.value).startswith(PNG) for image in explorer.plots.values())
    fig = plots.integrand_map(explorer.current_f(), explorer.domain, explorer.current_rule())
    assert len(fig.axes[0].images) == 1
    nodes = node_scatter(fig)
    assert len(nodes) == 400  # the 20 x 20 grid
    assert nodes[:, 0].min() > 0 and nodes[:, 1].max() < 2  # Gauss nodes: inside the box

    before = bytes(explorer.plots["integrand"].value)
    explorer.sliders["b"].value = 1.9
    check_gradients(explorer.comparison, gaussian_2d(1.3, 1.9)[1], ("ad", "fd"))
    assert bytes(explorer.plots["integrand"].value) != before


def test_widget_rule_controls_over_a_box(ui) -> None:
    widgets, plots = ui
    explorer = widgets.GradientExplorer(make_gaussian(1.3, 1.9), BOX_2D, plots=False)
    explorer.rule_picker.value = "qmc-sobol"
    assert explorer.count.value == 2**12
    assert explorer.count.description == "points per replicate"
    explorer.count.value = 2**10
    c = explorer.comparison
    assert c.rule.startswith("QMC(n=1024") and c.error is not None
    assert abs(c.value - gaussian_2d(1.3, 1.9)[0]) < SIGMAS * c.error
    assert "±" in explorer.table.value
    fig = plots.integrand_map(explorer.current_f(), explorer.domain, explorer.current_rule())
    assert len(node_scatter(fig)) == 1024  # the first replicate's points
    explorer.count.value = 1000  # not a power of two: Sobol' refuses, the table stays
    assert "power of two" in explorer.status.value and explorer.comparison is c


def test_widget_over_a_4d_box(ui) -> None:
    widgets, plots = ui
    k = np.array([0.5, -0.3, 1.2, 0.8])
    box = ((0.0, 1.0),) * 4
    explorer = widgets.GradientExplorer(
        Exponentials(k.copy()), box, Product(GaussLegendre(10)), methods=("ad",), plots=False
    )
    assert list(explorer.sliders) == ["k[0]", "k[1]", "k[2]", "k[3]"]
    assert explorer.rule_picker.value == "product-gauss-legendre"
    value, grad = exponentials(k, box)
    assert explorer.comparison.value == pytest.approx(value, rel=EXACT)
    assert np.allclose(explorer.comparison.gradients["ad"]["k"], grad, rtol=EXACT, atol=0)

    explorer.sliders["k[2]"].value = -0.5
    k[2] = -0.5
    assert np.allclose(explorer.comparison.gradients["ad"]["k"], exponentials(k, box)[1])

    fig = plots.integrand_map(explorer.current_f(), explorer.domain, explorer.current_rule())
    assert len(fig.axes[0].images) == 1
    assert "slice at x2 = 0.5, x3 = 0.5" in fig.axes[0].get_title()
    assert len(node_scatter(fig)) == 100  # the 10 x 10 grid of the first two axes
    explorer.rule_picker.value = "monte-carlo"
    c = explorer.comparison
    assert c.error is not None and abs(c.value - exponentials(k, box)[0]) < SIGMAS * c.error
    fig = plots.integrand_map(explorer.current_f(), explorer.domain, explorer.current_rule())
    assert len(node_scatter(fig)) == plots.MAX_NODES  # a subsample of 10**5 points


def test_widget_refuses_a_1d_only_rule_over_a_box(ui) -> None:
    widgets, _ = ui
    with pytest.raises(QuadratureInputError, match="adaptive GaussKronrod"):
        widgets.GradientExplorer(make_gaussian(1.0, 1.0), BOX_2D, GaussKronrod())
