"""An Integrand in several variables pins down: called on points of shape ``(n, d)``, one
column a variable (``scipy.integrate.cubature``'s convention), it gives the closed form's
values; its generated reverse and forward rules agree with finite differences through the
inner-product identity, its fields and the points included, on both backends; its partials are
SymPy's; ``x_bar`` holds one column per variable, each the finite-difference partial; the fused
kernel's weighted sums are the closed form's and the finite differences'; gradients of a
weighted sum reach its fields by value; any other shape, a repeated name, a parameter named as
a variable, an undeclared symbol raise named errors; breakpoints are refused by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import sympy as sp

import symrules as sr
from symrules import finite_differences as fd
from symrules.errors import InputError, ParameterNameError, SymbolicError, UndeclaredSymbolError
from symrules.symbolic import Integrand, integrand, loader, store
from symrules.symbolic.decorator import IntegrandFamily
from symrules.testing import check_frule, check_rrule

# Rule checks compare against 5-point central differences: truncation ~h^4, rounding ~eps/h.
CHECK_RTOL = 1e-6
CHECK_ATOL = 1e-8
# Closed forms evaluated in floating point, by numpy's and the generated code's operations.
EXACT = 1e-12
# One central difference of step FD_STEP: truncation ~h^2 |f'''|, rounding ~eps/h.
FD_STEP = 1e-5
FD_TOL = 1e-7
# The fused kernel's compensated sums against numpy's pairwise sums of the same terms.
FUSED = 1e-13
BACKENDS = ("numpy", "numba")


@dataclass(frozen=True)
class Case:
    id: str
    expr: str
    var: tuple[str, ...]
    params: dict[str, Any]
    value: Callable[..., Any]  # value(x, **params) at points x of shape (n, d), by numpy

    def points(self, rng: np.random.Generator, n: int = 7) -> np.ndarray:
        return rng.uniform(-1.0, 1.0, (n, len(self.var)))

    def integrand(self, backend: str | None = None, **params: Any) -> Integrand:
        return Integrand(self.expr, var=self.var, backend=backend, **{**self.params, **params})


CASES = [
    Case("gauss-2d", "exp(-a*(x**2 + y**2))", ("x", "y"), {"a": 1.3},
         lambda p, a: np.exp(-a * (p[:, 0] ** 2 + p[:, 1] ** 2))),
    Case("array-2d", "c[0]*sin(x)*y + c[1]*exp(-b*y**2) + c[2]", ("x", "y"),
         {"b": 0.7, "c": np.array([1.5, -0.5, 0.25])},
         lambda p, b, c: c[0] * np.sin(p[:, 0]) * p[:, 1] + c[1] * np.exp(-b * p[:, 1] ** 2)
         + c[2]),
    Case("gauss-3d", "a*exp(-(x**2 + 2*y**2 + 3*z**2)/s)", ("x", "y", "z"), {"a": 2.0, "s": 1.5},
         lambda p, a, s: a * np.exp(-(p[:, 0] ** 2 + 2 * p[:, 1] ** 2 + 3 * p[:, 2] ** 2) / s)),
    Case("array-3d", "c[0]*x*y*z + log(1 + c[1]*x**2) + cos(b*z)*y", ("x", "y", "z"),
         {"b": 0.9, "c": np.array([0.8, 0.3])},
         lambda p, b, c: c[0] * p[:, 0] * p[:, 1] * p[:, 2] + np.log(1 + c[1] * p[:, 0] ** 2)
         + np.cos(b * p[:, 2]) * p[:, 1]),
]  # fmt: skip
IDS = [case.id for case in CASES]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_are_the_closed_form(case: Case, backend: str, rng: np.random.Generator) -> None:
    x = case.points(rng)
    y = case.integrand(backend)(x)
    assert y.shape == (len(x),)
    np.testing.assert_allclose(y, case.value(x, **case.params), rtol=EXACT, atol=EXACT)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_check_rrule(case: Case, backend: str, rng: np.random.Generator) -> None:
    f = case.integrand(backend)
    check_rrule(f, case.points(rng), rtol=CHECK_RTOL, atol=CHECK_ATOL, rng=rng)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_check_frule(case: Case, backend: str, rng: np.random.Generator) -> None:
    f = case.integrand(backend)
    check_frule(f, case.points(rng), rtol=CHECK_RTOL, atol=CHECK_ATOL, rng=rng)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_partials_are_sympys(case: Case) -> None:
    f = case.integrand()
    by_name = {s.name: s for s in f.expr.free_symbols}
    for name, value in case.params.items():
        if np.ndim(value):
            oracle = [sp.diff(f.expr, by_name[f"{name}_{k}"]) for k in range(len(value))]
            assert [sp.simplify(p - q) for p, q in zip(f.partials[name], oracle, strict=True)] \
                == [0] * len(value)  # fmt: skip
        else:
            assert sp.simplify(f.partials[name] - sp.diff(f.expr, by_name[name])) == 0
    for v in case.var:
        assert sp.simplify(f.partials[v] - sp.diff(f.expr, by_name[v])) == 0
    assert list(f.partials)[-len(case.var) :] == list(case.var)  # the variables come last


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_x_bar_columns_are_finite_difference_partials(case: Case, rng: np.random.Generator) -> None:
    f, x = case.integrand(), case.points(rng)
    y_bar = rng.normal(size=len(x))
    _, pullback = sr.rrule(f, x)
    _, x_bar = pullback(y_bar)
    assert x_bar.shape == x.shape
    for k in range(x.shape[1]):
        step = np.zeros(x.shape[1])
        step[k] = FD_STEP
        partial = (f(x + step) - f(x - step)) / (2 * FD_STEP)
        np.testing.assert_allclose(x_bar[:, k], y_bar * partial, rtol=FD_TOL, atol=FD_TOL)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_f_bar_only_when_x_bar_is_not_needed(
    case: Case, backend: str, rng: np.random.Generator
) -> None:
    f, x, w = case.integrand(backend), case.points(rng), rng.uniform(0.1, 1.0, 7)
    _, pullback = sr.rrule(f, x, needs=sr.Needs(True, False))
    f_bar, x_bar = pullback(w)
    assert isinstance(x_bar, sr.SkippedTangent)
    oracle = fd.gradient(lambda p: float(w @ case.value(x, **p)), dict(case.params))
    for name in case.params:
        np.testing.assert_allclose(f_bar.fields[name], oracle[name], rtol=FD_TOL, atol=FD_TOL)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fused_kernel_sums(case: Case, rng: np.random.Generator) -> None:
    x, w = case.points(rng, n=1000), rng.uniform(0.0, 1.0, 1000)  # several blocks of 256
    f = case.integrand("numba")
    value, f_bar = f.__symrules_fused__(x, w)
    assert value == pytest.approx(float(w @ case.value(x, **case.params)), rel=FUSED)
    oracle = fd.gradient(lambda p: float(w @ case.value(x, **p)), dict(case.params))
    for name in case.params:
        np.testing.assert_allclose(f_bar.fields[name], oracle[name], rtol=FD_TOL, atol=FD_TOL)
    assert case.integrand("numpy").__symrules_fused__(x, w) is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_grad_of_weighted_sum_by_value(backend: str, rng: np.random.Generator) -> None:
    x, w = rng.uniform(-1.0, 1.0, (9, 2)), rng.uniform(0.0, 1.0, 9)
    r2 = (x**2).sum(axis=1)

    def gauss(a: Any) -> Any:
        return np.sum(w * Integrand("exp(-a*(x**2 + y**2))", var=("x", "y"), a=a,
                                    backend=backend)(x))  # fmt: skip

    a_bar = sr.grad(gauss)(1.3)
    assert a_bar == pytest.approx(float(-w @ (r2 * np.exp(-1.3 * r2))), rel=EXACT)

    def series(b: Any, c: Any) -> Any:
        f = Integrand("b*x*y + c[0]*x + c[1]*y**2", var=("x", "y"), b=b, c=c, backend=backend)
        return np.sum(w * f(x))

    b_bar, c_bar = sr.grad(series, argnums=(0, 1))(0.5, np.array([1.0, 2.0]))
    assert b_bar == pytest.approx(float(w @ (x[:, 0] * x[:, 1])), rel=EXACT)
    np.testing.assert_allclose(c_bar, [w @ x[:, 0], w @ x[:, 1] ** 2], rtol=EXACT)


def test_second_derivatives_by_value(rng: np.random.Generator) -> None:
    x, w = rng.uniform(-1.0, 1.0, (5, 2)), rng.uniform(0.0, 1.0, 5)
    r2 = (x**2).sum(axis=1)
    gauss = Integrand("exp(-a*(x**2 + y**2))", var=("x", "y"), a=1.3)
    a_a = sr.hessian(lambda a: np.sum(w * sr.with_fields(gauss, a=a)(x)))(1.3)
    assert a_a == pytest.approx(float(w @ (r2**2 * np.exp(-1.3 * r2))), rel=EXACT)
    cubic = Integrand("x**2*y + a*y**3", var=("x", "y"), a=2.0)
    hessian = sr.hessian(lambda p: np.sum(cubic(p)))(x).reshape(10, 10)
    blocks = [[2 * x[:, 1], 2 * x[:, 0]], [2 * x[:, 0], 12 * x[:, 1]]]  # d2f/dx_j dx_k
    for j in range(2):
        for k in range(2):
            np.testing.assert_allclose(np.diag(hessian[j::2, k::2]), blocks[j][k], rtol=EXACT)


def test_gradient_and_tangent_of_the_points(rng: np.random.Generator) -> None:
    x, w, v = rng.uniform(-1.0, 1.0, (6, 2)), rng.uniform(0.0, 1.0, 6), rng.normal(size=(6, 2))
    a = 0.8
    f = Integrand("exp(-a*(x**2 + y**2))", var=("x", "y"), a=a)
    values = np.exp(-a * (x**2).sum(axis=1))
    x_bar = sr.grad(lambda p: np.sum(w * f(p)))(x)
    np.testing.assert_allclose(x_bar, (-2 * a * values * w)[:, None] * x, rtol=EXACT)
    _, y_dot = sr.jvp(f, (x,), (v,))
    np.testing.assert_allclose(y_dot, -2 * a * values * (x * v).sum(axis=1), rtol=EXACT)


@pytest.mark.parametrize("shape", [(5,), (5, 3), (5, 2, 1), (), (2, 5)])
def test_points_of_another_shape_are_refused(shape: tuple[int, ...]) -> None:
    f = Integrand("x*y + a", var=("x", "y"), a=1.0, backend="numba")
    x = np.ones(shape)
    for call in (f, lambda p: sr.rrule(f, p), lambda p: f.__symrules_fused__(p, np.ones(5))):
        with pytest.raises(InputError, match=r"variables \(x, y\).*\(n, 2\).*got shape"):
            call(x)


def test_weights_of_another_length_are_refused() -> None:
    f = Integrand("x*y + a", var=("x", "y"), a=1.0, backend="numba")
    with pytest.raises(InputError, match="4 points take 4 weights"):
        f.__symrules_fused__(np.ones((4, 2)), np.ones(3))


@pytest.mark.parametrize(
    ("var", "params", "error", "match"),
    [
        (("x", "x"), {}, ParameterNameError, "'x' appears twice"),
        (("x", "y"), {"y": 1.0}, ParameterNameError, "has the name of the variable 'y'"),
        ((), {}, ParameterNameError, "names no variable"),
        (("x", 2), {}, ParameterNameError, "must be a string"),
        (("x", "lambda"), {}, ParameterNameError, "Python keyword"),
        ({"x", "y"}, {}, ParameterNameError, "var must be a string naming the variable"),
        (("x", "z"), {"a": 1.0}, UndeclaredSymbolError, "undeclared symbol 'y'.*x, z"),
    ],
)
def test_bad_names_are_refused(var: Any, params: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Integrand("a*x*y", var=var, **({"a": 1.0} | params))


def test_breakpoints_are_refused() -> None:
    f = Integrand("Abs(x - y)*a", var=("x", "y"), a=1.0)
    with pytest.raises(InputError, match="breakpoints are points of one variable"):
        f.breakpoints  # noqa: B018
    with pytest.raises(InputError, match="breakpoints are points of one variable"):
        f.breakpoints_in(0.0, 1.0)


def test_repr_round_trips_and_var_is_a_tuple(rng: np.random.Generator) -> None:
    f = Integrand("c[0]*x + c[1]*y**2", var=["x", "y"], c=np.array([1.0, 0.5]))
    assert f.var == ("x", "y")
    assert repr(f) == "Integrand('c[0]*x + c[1]*y**2', var=('x', 'y'), c=[1.0, 0.5])"
    again = eval(repr(f), {"Integrand": Integrand})
    x = rng.uniform(size=(4, 2))
    np.testing.assert_allclose(again(x), x[:, 0] + 0.5 * x[:, 1] ** 2, rtol=EXACT)
    assert "f(x, y; \\mathbf{c})" in f._repr_latex_()


def test_one_variable_in_a_tuple_is_another_declaration(tmp_path) -> None:
    before = store.cache_dir()
    try:
        store.set_cache_dir(tmp_path)
        loader.clear_cache()
        points = Integrand("a*x**2", var=("x",), a=2.0, backend="numpy")
        nodes = Integrand("a*x**2", var="x", a=2.0, backend="numpy")
        assert len(list(tmp_path.glob("*.py"))) == 2  # two keys, two files
    finally:
        store.set_cache_dir(before)
        loader.clear_cache()
    assert points.var == ("x",) and nodes.var == "x"
    np.testing.assert_allclose(points(np.array([[1.0], [3.0]])), [2.0, 18.0], rtol=EXACT)
    np.testing.assert_allclose(nodes(np.array([1.0, 3.0])), [2.0, 18.0], rtol=EXACT)
    with pytest.raises(InputError, match=r"\(n, 1\)"):
        points(np.array([1.0, 3.0]))


def test_decorator_with_several_variables(rng: np.random.Generator) -> None:
    @integrand(var=("x", "y"))
    def gauss(x, y, a=1.0):
        return np.exp(-a * (x**2 + y**2))

    x = rng.uniform(size=(5, 2))
    assert isinstance(gauss, Integrand) and gauss.var == ("x", "y")
    np.testing.assert_allclose(gauss(x), np.exp(-(x**2).sum(axis=1)), rtol=EXACT)

    @integrand(var=["y", "x"])  # the columns follow var, not the function's order
    def tilt(x, y, a):
        return a * x + y

    assert isinstance(tilt, IntegrandFamily)
    assert repr(tilt) == "<integrand family tilt(y, x; a) = a*x + y>"
    np.testing.assert_allclose(tilt(a=2.0)(x), 2.0 * x[:, 1] + x[:, 0], rtol=EXACT)
    with pytest.raises(SymbolicError, match="no parameter named 'z'"):
        integrand(var=("x", "z"))(lambda x, y: x * y)


def test_symbolic_rule_stays_one_dimensional() -> None:
    with pytest.raises(ParameterNameError, match="var must be a string"):
        sr.symbolic_rule("a*x*y", wrt="a", var=("x", "y"))
