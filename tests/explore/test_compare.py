"""compare() reports every method's gradient of a quadrature functional, and its true errors.

On integrands whose gradients are known in closed form, each method's numbers are checked by
value; the errors a Comparison reports are recomputed independently (from the closed form and
from the reported gradients) and must agree; the error "fd" estimates for itself bounds its
true error, and an "fd" entry that disagrees with the reference beyond it is marked in the text,
the HTML and the plain data; a method that cannot apply is reported with its reason; the tables
and the plain data carry the same numbers.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
from broken_step import BrokenStep
from browser.problems import (
    DAMPED_COSINE,
    GAUSSIAN,
    POLYNOMIAL,
    damped_cosine_gradient,
    gaussian_gradient,
    polynomial_gradient,
)

import symrules as sr
from symrules.errors import FieldsError, MethodError, RuleSpecError
from symrules.explore.compare import compare, field_gradient
from symrules.explore.comparison import Comparison
from symrules.explore.rule_specs import rule_from_spec
from symrules.quadrature import (
    ClenshawCurtis,
    GaussLegendre,
    Simpson,
    TanhSinh,
    Trapezoid,
    integrate,
)
from symrules.quadrature.adaptive import GaussKronrod

EXACT = 1e-12  # relative: symbolic and AD gradients with a converged rule, vs the closed form
FD = 1e-8  # relative: finite differences of order 4 at their default step
SAME = 1e-14  # absolute: a reported error vs the same error recomputed independently
MARK = 'data-fd-mark="exceeds-estimate"'  # the HTML hook of an fd entry beyond its estimate
NO_TIMING = {"repeat": 0}


def make_gaussian(a: float, b: float):
    """The Gaussian as a plain closure: no generated rule."""

    def gaussian(x: np.ndarray) -> np.ndarray:
        return a * np.exp(-b * x**2)

    return gaussian


def check_close(gradient: dict, exact: dict, rtol: float) -> None:
    for name, value in exact.items():
        np.testing.assert_allclose(gradient[name], value, rtol=rtol, atol=rtol, err_msg=name)


@pytest.fixture(scope="module")
def gaussian() -> Comparison:
    f = sr.Integrand(GAUSSIAN, a=1.3, b=0.7)
    return compare(f, (0.0, 1.0), GaussLegendre(20), repeat=2, min_time=1e-4)


def test_every_method_matches_the_closed_form(gaussian: Comparison) -> None:
    exact = gaussian_gradient(1.3, 0.7)
    assert list(gaussian.gradients) == ["symbolic", "ad", "fd"]
    check_close(gaussian.gradients["symbolic"], exact, EXACT)
    check_close(gaussian.gradients["ad"], exact, EXACT)
    check_close(gaussian.gradients["fd"], exact, FD)
    assert gaussian.value == pytest.approx(1.3 * exact["a"], rel=EXACT)
    assert gaussian.params == {"a": 1.3, "b": 0.7}
    assert gaussian.reference == "symbolic" and gaussian.skipped == {}


def test_reported_errors_are_the_true_errors(gaussian: Comparison) -> None:
    exact = np.array(list(gaussian_gradient(1.3, 0.7).values()))
    for m in gaussian.gradients:
        g = np.array([gaussian.gradients[m][k] for k in ("a", "b")])
        true_error = np.max(np.abs(g - exact))  # the reference is exact to ~1e-16
        reported_abs, reported_rel = gaussian.errors(m)
        assert reported_abs == pytest.approx(true_error, abs=SAME)
        assert reported_rel == pytest.approx(true_error / np.max(np.abs(exact)), abs=SAME)
        for n in gaussian.gradients:
            h = np.array([gaussian.gradients[n][k] for k in ("a", "b")])
            assert gaussian.abs_errors[m][n] == np.max(np.abs(g - h))
            assert gaussian.rel_errors[m][n] == np.max(np.abs(g - h)) / np.max(np.abs(h))
    assert gaussian.errors("fd")[0] > 0.0  # finite differences are never bit-exact here


def test_fd_error_estimate_bounds_the_true_error(gaussian: Comparison) -> None:
    exact = gaussian_gradient(1.3, 0.7)
    assert gaussian.fd_error is not None and set(gaussian.fd_error) == set(exact)
    for name, value in exact.items():
        assert abs(gaussian.gradients["fd"][name] - value) <= gaussian.fd_error[name]
        assert gaussian.fd_error[name] <= FD * abs(value)
    assert gaussian.fd_exceeds_estimate() == []
    assert MARK not in gaussian._repr_html_() and "exceeds its error estimate" not in str(gaussian)


def test_the_issue_example_x_over_a() -> None:
    # I(a) = 1 / (2 a) on (0, 1): dI/da = -1 / (2 a^2) = -5e7 at a = 1e-4. A step of 1e-3
    # reached past the pole at a = 0 and gave +2.5e5.
    c = compare(sr.Integrand("x/a", a=1e-4), (0.0, 1.0), **NO_TIMING)
    exact = -1.0 / (2 * 1e-4**2)
    assert c.gradients["fd"]["a"] == pytest.approx(exact, rel=FD)
    assert c.fd_error is not None and abs(c.gradients["fd"]["a"] - exact) <= c.fd_error["a"]
    assert c.fd_exceeds_estimate() == []


def test_fd_beyond_its_estimate_is_marked() -> None:
    # A jump that moves with s under a rule that says it does not: the adaptive rule follows
    # the jump, so I(s) = s and fd finds dI/ds = 1, while AD through the broken rule finds 0.
    # They differ by far more than fd's estimate: the mark says one of them is wrong (AD).
    c = compare(BrokenStep(0.4), (0.0, 1.0), **NO_TIMING)
    assert c.fd_error is not None and abs(c.gradients["fd"]["s"] - 1.0) <= c.fd_error["s"]
    assert c.gradients["ad"]["s"] == 0.0
    assert c.fd_exceeds_estimate() == ["s"]
    text = str(c)
    assert "1.00e+00 (exceeds its error estimate" in text
    assert re.search(r"^fd +1\.0+\d* !", text, re.MULTILINE)
    page = c._repr_html_()
    assert f'<tr data-method="fd" {MARK}>' in page
    parser = _Cells()
    parser.feed(page)
    assert parser.marked == {("fd", "s")}
    assert f'<p class="symrules-fd-warning" {MARK}>' in page
    data = json.loads(c.to_json())
    assert data["fd_exceeds_estimate"] == ["s"] and data["fd_error"] == c.fd_error


def test_a_jump_the_ad_path_cannot_follow_is_skipped_with_the_reason() -> None:
    s = 0.4  # a jump that moves with the captured field s: AD would miss its Leibniz term
    c = compare(lambda x: np.where(x < s, 1.0, 0.0), (0.0, 1.0), **NO_TIMING)
    assert "ad" in c.skipped and "f.s" in c.skipped["ad"] and "breakpoint" in c.skipped["ad"]
    assert c.gradients["fd"]["s"] == pytest.approx(1.0, rel=FD)  # I(s) = s


def test_times_are_measured_per_method(gaussian: Comparison) -> None:
    assert set(gaussian.times) == {"symbolic", "ad", "fd"}
    assert all(isinstance(t, float) and 0.0 < t < 1.0 for t in gaussian.times.values())
    untimed = compare(sr.Integrand(GAUSSIAN, a=1.3, b=0.7), (0.0, 1.0), **NO_TIMING)
    assert set(untimed.times.values()) == {None}


def test_a_closure_is_lifted_for_symbolic() -> None:
    c = compare(make_gaussian(1.3, 0.7), (0.0, 1.0), GaussLegendre(20), **NO_TIMING)
    assert list(c.gradients) == ["symbolic", "ad", "fd"] and c.reference == "symbolic"
    check_close(c.gradients["symbolic"], gaussian_gradient(1.3, 0.7), EXACT)


def make_branchy_gaussian(a: float, b: float):
    """The Gaussian behind a Python branch on a field's value: it cannot be lifted."""
    return lambda x: a * np.exp(-b * x**2) if a > 0 else 0.0 * x


def test_a_closure_that_cannot_be_lifted_skips_symbolic_with_the_reason() -> None:
    c = compare(make_branchy_gaussian(1.3, 0.7), (0.0, 1.0), GaussLegendre(20), **NO_TIMING)
    assert list(c.gradients) == ["ad", "fd"] and c.reference == "ad"
    assert "Integrand" in c.skipped["symbolic"] and "lifts to SymPy" in c.skipped["symbolic"]
    check_close(c.gradients["ad"], gaussian_gradient(1.3, 0.7), EXACT)
    check_close(c.gradients["fd"], gaussian_gradient(1.3, 0.7), FD)
    assert "symbolic  skipped: method='symbolic' needs an Integrand" in str(c)
    assert 'class="symrules-skipped"' in c._repr_html_()
    with pytest.raises(KeyError, match="needs an Integrand"):
        c.errors("symbolic")


def test_infinite_domain_adaptive_rule() -> None:
    f = sr.Integrand(DAMPED_COSINE, a=1.3, b=0.7, c=2.0)
    c = compare(f, (0.0, math.inf), **NO_TIMING)
    exact = damped_cosine_gradient(1.3, 0.7, 2.0)
    check_close(c.gradients["symbolic"], exact, 1e-10)  # the adaptive rule's rtol
    check_close(c.gradients["fd"], exact, FD)
    assert c.domain == (0.0, math.inf)


def test_array_field_by_component() -> None:
    f = sr.Integrand(POLYNOMIAL, c=np.array([1.0, -2.0, 0.5]))
    c = compare(f, (-0.5, 2.0), GaussLegendre(2), **NO_TIMING)
    for m in ("symbolic", "ad", "fd"):
        np.testing.assert_allclose(c.gradients[m]["c"], polynomial_gradient(-0.5, 2.0), rtol=FD)
    assert "dI/dc[2]" in str(c)
    assert c.to_dict()["gradients"]["ad"]["c"] == pytest.approx(polynomial_gradient(-0.5, 2.0))


def test_fixed_fd_step_is_the_order_4_central_difference() -> None:
    f, h = sr.Integrand(GAUSSIAN, a=1.3, b=0.7), 1e-2
    c = compare(f, (0.0, 1.0), GaussLegendre(20), methods=("fd",), fd_step=h, **NO_TIMING)

    def integral(b: float) -> float:
        return integrate(sr.Integrand(GAUSSIAN, a=1.3, b=b), (0.0, 1.0), GaussLegendre(20))

    stencil = (
        -integral(0.7 + 2 * h)
        + 8 * integral(0.7 + h)
        - 8 * integral(0.7 - h)
        + integral(0.7 - 2 * h)
    ) / (12 * h)
    assert c.gradients["fd"]["b"] == pytest.approx(stencil, rel=1e-12)
    assert c.reference is None and "vs -" in str(c)
    exact = gaussian_gradient(1.3, 0.7)
    assert c.fd_error is not None
    for name, value in exact.items():  # at h = 1e-2 the error is ~1e-7, and the bound holds
        assert abs(c.gradients["fd"][name] - value) <= c.fd_error[name]


def test_field_gradient_is_one_row() -> None:
    g = field_gradient(make_gaussian(1.3, 0.7), (0.0, 1.0), GaussLegendre(20), "ad")
    check_close(g, gaussian_gradient(1.3, 0.7), EXACT)


class _Cells(HTMLParser):
    """Collects ``data-method``/``data-field``/``data-value`` of the gradient cells (and which
    are marked), the parameters and the fd error estimates."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], float] = {}
        self.params: dict[str, float] = {}
        self.fd_error: dict[str, float] = {}
        self.marked: set[tuple[str, str]] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if a.get("class") == "symrules-grad":
            self.cells[a["data-method"], a["data-field"]] = float(a["data-value"])
            if a.get("data-fd-mark") == "exceeds-estimate":
                self.marked.add((a["data-method"], a["data-field"]))
        if a.get("class") == "symrules-param":
            self.params[a["data-field"]] = float(a["data-value"])
        if a.get("class") == "symrules-fd-error":
            self.fd_error[a["data-field"]] = float(a["data-value"])


def test_html_table_carries_the_exact_numbers(gaussian: Comparison) -> None:
    parser = _Cells()
    parser.feed(gaussian._repr_html_())
    assert parser.params == {"a": 1.3, "b": 0.7}
    for m, g in gaussian.gradients.items():
        for name, value in g.items():
            assert parser.cells[m, name] == value  # repr round-trips a float exactly
    assert parser.fd_error == gaussian.fd_error


def test_text_table_is_aligned_and_shows_the_numbers(gaussian: Comparison) -> None:
    text = str(gaussian)
    table = text.split("pairwise")[0].splitlines()
    rows = {line.split()[0]: line for line in table if line[:3] in ("sym", "ad ", "fd ")}
    assert len({len(row) for row in rows.values()}) <= 2  # the reference row has no rel err
    for m, g in gaussian.gradients.items():
        numbers = [float(t) for t in re.findall(r"-?\d\.\d+(?:e-?\d+)?", rows[m])[:2]]
        assert numbers == pytest.approx([g["a"], g["b"]], rel=1e-14)
    assert "pairwise abs error" in text and "I = 1.05104454898636" in text
    assert gaussian.fd_error is not None
    estimates = next(line for line in table if line.startswith("± fd")).split()[2:]
    assert [float(e) for e in estimates] == pytest.approx(
        [gaussian.fd_error["a"], gaussian.fd_error["b"]],
        rel=0.1,  # printed with 2 digits
    )


def test_plain_data_round_trips_through_json(gaussian: Comparison) -> None:
    data = json.loads(gaussian.to_json())
    assert data["reference"] == "symbolic"
    assert data["methods"] == ["symbolic", "ad", "fd"]
    for m, g in gaussian.gradients.items():
        assert data["gradients"][m] == g
        assert data["abs_errors"][m] == gaussian.abs_errors[m]
    assert data["fd_error"] == gaussian.fd_error and data["fd_exceeds_estimate"] == []
    assert data["value"] == gaussian.value and data["domain"] == [0.0, 1.0]
    assert json.loads(
        compare(sr.Integrand("a*exp(-x**2)", a=1.0), (0, math.inf), **NO_TIMING).to_json()
    )["domain"] == [0.0, "inf"]


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ("gauss-legendre:50", GaussLegendre(50)),
        ("Gauss-Legendre", GaussLegendre(20)),
        ("clenshaw-curtis:9", ClenshawCurtis(9)),
        ("simpson:10", Simpson(10)),
        ("trapezoid:7", Trapezoid(7)),
        ("tanh-sinh:4", TanhSinh(level=4)),
        ("gauss-kronrod:15", GaussKronrod(order=15)),
    ],
)
def test_rule_from_spec(spec: str, rule: object) -> None:
    assert rule_from_spec(spec) == rule


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gauss:5", "unknown rule 'gauss': choose gauss-legendre"),
        ("simpson:3", "n must be an even number"),
        ("trapezoid:x", "must be an integer"),
    ],
)
def test_bad_rule_spec_says_what_to_fix(spec: str, message: str) -> None:
    with pytest.raises(RuleSpecError, match=re.escape(message)):
        rule_from_spec(spec)


def test_bad_input() -> None:
    with pytest.raises(MethodError, match="unknown method 'exact'"):
        compare(sr.Integrand("a*x", a=1.0), (0.0, 1.0), methods=("exact",))
    with pytest.raises(FieldsError):
        compare(np.sin, (0.0, 1.0))


def test_import_symrules_compare_stays_light() -> None:
    code = (
        "import sys, symrules, symrules.explore.compare; "
        "print(sorted(m for m in ('ipywidgets', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
