"""Differential testing against SymPy: random integrands, every method, one reference.

A hypothesis strategy draws expressions from a grammar (``+ - * /``, small powers, ``exp``,
``log``, ``sqrt``, trigonometric and hyperbolic functions and their inverses, ``Abs``,
``Max``, ``Min``, nested to depth 5) in a variable ``x``, two scalar parameters ``a``, ``b`` and
an array parameter ``c`` of length 2, with parameter values and a domain on which the integrand
and its partials are finite. :func:`check` integrates it with a fixed Gauss-Legendre rule and
compares, against ``sympy.diff`` + ``lambdify`` on the same nodes (the reference; the
integrand's found breakpoints are not used, ``breakpoints="declared"``):

- the symbolic gradient (the Integrand's generated rule) and its jvp,
- the AD gradient of the same integrand written as plain numpy (SymPy's own ``lambdify``
  code, traced by the engine); where a kink or jump moves with a parameter (SymPy finds one),
  the AD path refuses instead (``MovingDiscontinuityError``), and that refusal is checked,
- the finite-difference gradient, within its own error estimate,
- the gradient with respect to the bounds (``f(hi)`` and ``-f(lo)``),
- the Hessian by the symbolic path (reverse over reverse) against ``sympy.hessian``.

It returns an outcome instead of raising, so ``tests/fuzz.py`` can count them over many
thousands of expressions; ``tests/test_differential.py`` asserts every outcome is "ok".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st

import symrules as sr
from symrules import finite_differences as fd

X = sp.Symbol("x", real=True)
A, B = sp.Symbol("a", real=True), sp.Symbol("b", real=True)
C = (sp.Symbol("c_0", real=True), sp.Symbol("c_1", real=True))
RULE = sr.GaussLegendre(8)
RTOL = 1e-7  # symbolic and AD against SymPy: the same algebra in another order, 8 nodes
FD_SLACK = 10.0  # finite differences agree within this many times their own error estimate
LARGEST = 1e6  # integrands or partials beyond this in size are not drawn (no cancellation tests)

UNARY = {
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh,
    "tanh": sp.tanh, "asinh": sp.asinh, "acosh": sp.acosh, "atanh": sp.atanh, "Abs": sp.Abs,
}  # fmt: skip
BINARY = {
    "+": lambda u, v: u + v, "-": lambda u, v: u - v, "*": lambda u, v: u * v,
    "/": lambda u, v: u / v, "Max": sp.Max, "Min": sp.Min,
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    """An integrand, parameter values and a domain, drawn by :func:`cases`."""

    expr: sp.Expr
    a: float
    b: float
    c: tuple[float, float]
    lo: float
    hi: float

    @property
    def params(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "c": np.array(self.c)}

    def __str__(self) -> str:
        return f"{self.expr} with a={self.a}, b={self.b}, c={self.c} on [{self.lo}, {self.hi}]"


@dataclass
class Outcome:
    """``ok``, or the first check that failed and how (``disagree``, ``nan``, ``raised``)."""

    status: str = "ok"
    detail: str = ""
    checks: list[str] = field(default_factory=list)


def _leaves() -> st.SearchStrategy[sp.Expr]:
    numbers = st.sampled_from([sp.Integer(2), sp.Integer(3), sp.Rational(1, 2), sp.Float(1.5)])
    return st.sampled_from([X, X, A, B, C[0], C[1]]) | numbers


def _apply(fn: Any, *args: Any) -> sp.Expr | None:
    """``fn(*args)``, or ``None`` where SymPy refuses (``Max`` of incomparable constants)."""
    try:
        return fn(*args)
    except (ValueError, TypeError, ZeroDivisionError):
        return None


def _extend(children: st.SearchStrategy[sp.Expr]) -> st.SearchStrategy[sp.Expr]:
    unary = st.builds(lambda name, u: _apply(UNARY[name], u), st.sampled_from(sorted(UNARY)),
                      children)  # fmt: skip
    binary = st.builds(lambda name, u, v: _apply(BINARY[name], u, v),
                       st.sampled_from(sorted(BINARY)), children, children)  # fmt: skip
    power = st.builds(lambda u, k: _apply(sp.Pow, u, k), children,
                      st.sampled_from([2, 3, -1, sp.Rational(1, 2)]))  # fmt: skip
    return (unary | binary | power).filter(lambda e: e is not None)


def _depth(expr: sp.Basic) -> int:
    return 1 + max((_depth(arg) for arg in expr.args), default=0)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Integrands that depend on ``x`` and a parameter, with values where all is finite."""
    expr = draw(st.recursive(_leaves(), _extend, max_leaves=12))
    assume(expr.has(X) and expr.free_symbols & {A, B, *C} and _depth(expr) <= 6)
    assume(not expr.has(sp.I, sp.zoo, sp.nan, sp.oo))
    values = draw(st.lists(st.floats(0.2, 1.6).map(lambda v: round(v, 3)), min_size=4, max_size=4))
    lo = draw(st.floats(0.05, 1.0).map(lambda v: round(v, 3)))
    width = draw(st.floats(0.1, 1.0).map(lambda v: round(v, 3)))
    return Case(expr, values[0], values[1], (values[2], values[3]), lo, round(lo + width, 3))


def _numeric(expr: sp.Expr) -> Any:
    modules = [{"Max": np.maximum, "Min": np.minimum}, "numpy"]
    return sp.lambdify([X, A, B, C], expr, modules=modules)


def _at_nodes(expr: sp.Expr, x: np.ndarray, args: tuple) -> np.ndarray:
    """``expr`` at each node, one scalar call each (SymPy's piecewise code is scalar code)."""
    numeric = _numeric(expr)
    return np.array([complex(numeric(t, *args)) for t in x])


def reference(case: Case) -> dict[str, Any] | None:
    """SymPy's value, gradient, Hessian and bound derivatives; ``None`` where not finite or
    where SymPy cannot evaluate them (it refuses some comparisons of symbolic constants)."""
    try:
        return _reference(case)
    except (TypeError, ValueError, NameError, ZeroDivisionError):
        return None


def _reference(case: Case) -> dict[str, Any] | None:
    symbols = [A, B, *C]
    x, w = RULE.nodes_weights(case.lo, case.hi)
    args = (case.a, case.b, np.array(case.c))
    grad_exprs = [sp.diff(case.expr, s) for s in symbols]
    hess = sp.hessian(case.expr, symbols).replace(sp.DiracDelta, lambda *_: sp.S.Zero)
    if hess.has(sp.Derivative):  # SymPy left a derivative unevaluated: no reference
        return None
    with np.errstate(all="ignore"):
        values = _at_nodes(case.expr, x, args)
        grads = [_at_nodes(g, x, args) for g in grad_exprs]
        hessian = np.array([[_at_nodes(h, x, args) for h in row] for row in hess.tolist()])
        ends = _at_nodes(case.expr, np.array([case.lo, case.hi]), args)
    everything = [values, *grads, hessian, ends]
    if any(np.any(~np.isfinite(v)) or np.any(np.abs(v.imag) > 0) for v in everything):
        return None
    if any(np.max(np.abs(v)) > LARGEST for v in everything):
        return None
    return {
        "value": float(np.dot(w, values.real)),
        "grad": np.array([np.dot(w, g.real) for g in grads]),
        "hessian": np.einsum("i,jki->jk", w, hessian.real),
        "bounds": np.array([-ends.real[0], ends.real[1]]),
    }


def _flat(g: Any) -> np.ndarray:
    """``Tangent(f, a=.., b=.., c=[..])`` as ``[a, b, c0, c1]`` (zeros for missing fields)."""
    out = []
    for name, size in (("a", 1), ("b", 1), ("c", 2)):
        value = g.fields.get(name, 0.0) if isinstance(g, sr.Tangent) else g[name]
        value = np.zeros(size) if isinstance(value, sr.ZeroTangent) else value
        out.extend(np.atleast_1d(np.asarray(value, dtype=float)))
    return np.array(out)


def _close(got: Any, want: Any, scale: float) -> bool:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return bool(np.all(np.abs(got - want) <= RTOL * max(scale, 1.0)))


def check(case: Case, backend: str | None = None) -> Outcome:
    """Every method against the SymPy reference; the outcome of the first that disagrees.

    ``backend`` is the Integrand's for the symbolic value and gradient (default: numba's
    fused kernel where numba is installed); the other checks trace through the numpy rules.
    """
    ref = reference(case)
    outcome = Outcome()
    if ref is None:
        outcome.status = "skipped"
        return outcome
    scale = float(max(np.max(np.abs(ref["grad"])), abs(ref["value"])))
    text = str(case.expr).replace("c_0", "c[0]").replace("c_1", "c[1]")
    numeric = _numeric(case.expr)
    domain = (case.lo, case.hi)

    def integral(f: Any, method: str) -> Any:
        return sr.integrate(f, domain, RULE, method=method, breakpoints="declared")

    def closure(a: Any, b: Any, c: Any) -> Any:
        return lambda x: numeric(x, a, b, c)

    def run(name: str, got: Any, want: Any, what_scale: float = scale) -> bool:
        outcome.checks.append(name)
        if np.any(~np.isfinite(np.asarray(got, dtype=float))):
            outcome.status, outcome.detail = "nan", f"{name}: {got} (SymPy: {want})"
            return False
        if not _close(got, want, what_scale):
            outcome.status, outcome.detail = "disagree", f"{name}: {got} vs SymPy {want}"
            return False
        return True

    try:
        f = sr.Integrand(text, backend=backend, **case.params)
        value, f_bar = sr.value_and_grad(lambda f: integral(f, "symbolic"))(f)
        if not (run("value", value, ref["value"]) and run("symbolic", _flat(f_bar), ref["grad"])):
            return outcome
        flat = np.array([case.a, case.b, *case.c])

        def by_flat(p: Any) -> Any:
            return integral(sr.Integrand(text, a=p[0], b=p[1], c=p[2:]), "symbolic")

        v = np.array([0.3, -0.7, 0.5, 0.2])
        if not run("jvp", sr.jvp(by_flat, (flat,), (v,))[1], np.dot(v, ref["grad"])):
            return outcome
        try:
            g = sr.grad(lambda a, b, c: integral(closure(a, b, c), "ad"), argnums=(0, 1, 2))(
                case.a, case.b, np.array(case.c)
            )
        except sr.MovingDiscontinuityError:  # right only where a kink or jump may move
            with warnings.catch_warnings(record=True) as unsolved:  # SymPy finds no closed form
                warnings.simplefilter("always")
                f.breakpoints_in(*domain)
            if not (unsolved or any(point.free_symbols for point in f.breakpoints)):
                raise
            outcome.checks.append("ad refused: a moving kink")
        else:
            if not run("ad", _flat(dict(zip("abc", g, strict=True))), ref["grad"]):
                return outcome
        bounds = sr.grad(lambda lo, hi: sr.integrate(f, (lo, hi), RULE, breakpoints="declared"),
                         argnums=(0, 1))(*domain)  # fmt: skip
        if not run("bounds", bounds, ref["bounds"], float(np.max(np.abs(ref["bounds"])))):
            return outcome
        hessian = sr.hessian(by_flat)(flat)
        if not run("hessian", hessian, ref["hessian"], float(np.max(np.abs(ref["hessian"])))):
            return outcome
        g_fd, err = fd.gradient(lambda p: float(by_flat(p)), flat, error=True)
        outcome.checks.append("fd")
        if np.any(np.abs(g_fd - ref["grad"]) > FD_SLACK * err + RTOL * max(scale, 1.0)):
            outcome.status = "fd-beyond-estimate"
            outcome.detail = f"fd {g_fd} ± {err} vs SymPy {ref['grad']}"
    except sr.SymrulesError as exc:  # a named refusal is a bug too, on a finite integrand
        outcome.status, outcome.detail = "refused", f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        outcome.status, outcome.detail = "raised", f"{type(exc).__name__}: {exc}"
    return outcome
