"""Quadrature functionals: :func:`integrate`, and the primitive :func:`integral` it calls.

This module owns ``integrate(f, domain, rule, method)``: the integral of a vectorized integrand
over a domain with optional interior breakpoints, differentiable with respect to what ``f``
captures (its fields) and with respect to every finite point of the domain.

How it works
------------
The public :func:`integrate` checks its input and calls the primitive ``integral(f, rule,
method, points)``, whose reverse and forward rules live in :mod:`~symrules.quadrature.adjoints`.
All nodes of all panels form one array (:func:`quadrature_nodes`), so ``f`` is called once per
evaluation, and :func:`contract` forms ``sum_i w_i f(x_i)``, naming a node where ``f`` is not
finite. An adaptive rule adapts each panel on plain values first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

import numpy as np

from ..engine.primitives import non_differentiable, primitive
from ..engine.staging import is_staged
from ..engine.tracing import Box, strip
from ..errors import QuadratureInputError
from .adaptive import AdaptiveResult, GaussKronrod
from .boxes import integrate_box, is_box
from .cotangents import METHODS, Method, resolve_method
from .cubature import CubatureRule
from .rules import QuadratureRule
from .sums import contract, node_writes_refused

__all__ = [
    "DEFAULT_RULE",
    "METHODS",
    "integral",
    "integrate",
    "quadrature_nodes",
]

DEFAULT_RULE = GaussKronrod()


def integrate(
    f: Callable[[Any], Any],
    domain: Any,
    rule: QuadratureRule | CubatureRule | None = None,
    method: Method = "auto",
    breakpoints: Literal["found", "declared"] = "found",
    chunk_size: int | None = None,
    executor: Executor | None = None,
) -> Any:
    """The integral of ``f`` over ``domain``, differentiable in ``f``'s fields and the bounds.

    Parameters
    ----------
    f : callable
        Vectorized integrand: given a 1-D float array of nodes it returns one real value per
        node. An :class:`~symrules.symbolic.integrand.Integrand`, a closure, a callable dataclass, a
        ``functools.partial``; the values it captures are differentiable.
    domain : tuple
        ``(a, b)`` or ``(a, c1, ..., b)``: the rule is applied on each panel between
        consecutive points and the results added, so ``a > b`` gives ``-integrate(f, (b, a))``.
        ``a`` and ``b`` may be infinite (the rule's variable transform), interior points must
        be finite. Any finite point may be traced.
        Or a box in d dimensions, ``((a0, b0), (a1, b1), ...)`` (or an array of shape
        ``(d, 2)``): then ``f(x)`` gets ``x`` of shape ``(n_points, d)`` and returns one value
        per point, as for ``scipy.integrate.cubature``; any bound may be infinite (each axis is
        transformed) and any finite bound traced (its derivative is the integral over the
        moving face, by Leibniz' rule).
    rule : QuadratureRule or CubatureRule, optional
        A fixed rule (``GaussLegendre(n)``, ``Composite(...)``, ...) or the adaptive
        ``GaussKronrod(..., adjoint=...)``; default :data:`DEFAULT_RULE`, ``GaussKronrod()``.
        Over a box: ``Product(...)`` of fixed 1-D rules (a 1-D rule alone is used on every
        axis), ``QMC(n, ...)`` or ``MonteCarlo(n)``; default ``Product()`` (20 Gauss-Legendre
        points per axis) up to 3 dimensions, ``QMC(2**14, seed=0)`` beyond. Their error
        estimates come from :func:`~symrules.quadrature.boxes.estimate`.
    method : {"auto", "symbolic", "ad", "fd"}
        How ``f_bar`` is computed. "symbolic": the integrand's generated rule, contracted with
        the weights (an Integrand, or any callable with a registered reverse rule); "ad": one
        tape of the engine over all nodes; "fd": finite differences of the quadrature sum
        over ``f``'s fields (first derivatives only); "auto": "symbolic" where possible,
        else "ad". "symbolic" with a plain numpy integrand lifts it to SymPy
        (:meth:`Integrand.from_function <symrules.symbolic.integrand.Integrand.from_function>`,
        once per signature of ``f``) and routes each parameter's cotangent back to its field.
    breakpoints : {"found", "declared"}
        "found": each panel is also split where ``f``'s pieces meet, at the points its method
        ``breakpoints_in(a, b)`` returns (an :class:`~symrules.symbolic.integrand.Integrand`
        finds them with SymPy: ``f.breakpoints``); "declared": only at the domain's points.
        A box is not split.
    chunk_size : int, optional
        Over a box: the points are made and consumed this many at a time (default
        :data:`~symrules.quadrature.boxes.DEFAULT_CHUNK_SIZE`), and the value and every
        cotangent reduced chunk by chunk, so memory does not grow with the number of points.
    executor : concurrent.futures.Executor, optional
        Over a box: the chunks are mapped to it -- a thread or process pool, or a Dask
        client's ``client.get_executor()`` for a cluster -- and the partial results added in
        a fixed order: the same bits whatever the executor and however many workers. ``f``
        travels to the workers by pickling (an Integrand is re-created from its expression).
        Under an outer differentiation of second order the chunks run here.

    Returns
    -------
    float
        The quadrature value (a traced scalar while differentiating).

    Raises
    ------
    QuadratureInputError
        A malformed domain, a NaN point, an infinite interior point, a traced infinite point
        (no derivative exists), an integrand returning the wrong shape or a non-finite value
        (the message names the node).
    MethodError
        ``method="symbolic"`` for an integrand without a generated rule, or "fd" or the
        continuous adjoint under a second derivative.
    ConvergenceError
        The adaptive rule did not meet its tolerance (the message gives the error estimate).

    Notes
    -----
    **A discontinuity whose position moves with a parameter needs a breakpoint.** For
    ``f = lambda x: np.where(x < s, 1.0, 0.0)`` every quadrature-based gradient with respect
    to ``s`` -- symbolic, AD or finite differences on fixed nodes -- misses the jump's term:
    each node value is locally constant in ``s``. ``method="ad"`` raises a
    :class:`~symrules.errors.MovingDiscontinuityError` naming the comparison; "fd" returns 0
    silently. Declare the jump, ``integrate(f, (a, s, b))``, and its
    Leibniz term ``f(s^-) - f(s^+)`` gives the right derivative. An Integrand
    (``Piecewise``, ``Heaviside``, ``Abs``, ``sign``, ``Max``, ``Min``, ``floor``, ``ceiling``)
    needs no declaration: the points SymPy finds are computed from its (traced) parameters,
    and those inside the domain split it, with the same Leibniz terms. Where SymPy finds no
    closed form, a :class:`~symrules.errors.BreakpointWarning` names the
    condition; declare those points.

    A traced point uses Leibniz' rule; its derivative needs ``f`` to be finite there, and
    an infinite point cannot be traced. An integrable endpoint singularity such as
    ``x**-0.5`` needs ``TanhSinh`` or the adaptive ``GaussKronrod``; a closed rule
    (``Trapezoid``, ``Simpson``, ``ClenshawCurtis``) evaluates ``f`` at the end and raises,
    while ``GaussLegendre`` returns a number with an unestimated error.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> from symrules import GaussLegendre
    >>> def loss(p):
    ...     return integrate(lambda x: p[0] * x + p[1] * x**2, (0.0, 1.0), GaussLegendre(2))
    >>> bool(np.allclose(sr.grad(loss)(np.array([1.0, 2.0])), [1 / 2, 1 / 3]))
    True
    >>> def area(s):  # a jump at s, declared as a breakpoint
    ...     return integrate(lambda x: np.where(x < s, 1.0, 0.0), (0.0, s, 1.0))
    >>> float(sr.grad(area)(0.4))
    1.0
    >>> step = sr.Integrand("Max(0, x - s)**2", s=0.4)  # a kink at s, found: no declaration
    >>> bool(np.isclose(integrate(step, (0.0, 1.0), GaussLegendre(2)), 0.6**3 / 3))
    True
    >>> def box(a, b):  # exp(-a (x^2 + y^2)) over [0, b] x [0, 1]
    ...     return integrate(lambda x: np.exp(-a * (x**2).sum(axis=1)), ((0, b), (0, 1)))
    >>> value, (da, db) = sr.value_and_grad(box, argnums=(0, 1))(1.0, 1.0)
    >>> erf_1 = 0.746824132812427  # the integral of exp(-x^2) over [0, 1]
    >>> bool(np.isclose(value, erf_1**2)), bool(np.isclose(db, np.exp(-1) * erf_1))
    (True, True)

    See Also
    --------
    symrules.quadrature.rules, symrules.quadrature.adaptive.GaussKronrod
    """
    if is_box(domain):
        return integrate_box(f, domain, rule, method, chunk_size, executor)
    points = _domain(domain)
    rule = DEFAULT_RULE if rule is None else rule
    if isinstance(rule, CubatureRule) or chunk_size is not None or executor is not None:
        what = f"rule {rule!r}" if isinstance(rule, CubatureRule) else "chunk_size and executor"
        raise QuadratureInputError(
            f"{what}: for a box domain; integrate over ((a, b),), and f gets x of shape (n, 1)"
        )
    if not isinstance(rule, QuadratureRule):
        raise QuadratureInputError(f"rule must be a QuadratureRule, got {rule!r}")
    if not callable(f):
        raise QuadratureInputError(f"f must be callable, got {type(f).__name__}")
    if isinstance(var := getattr(f, "var", None), tuple):
        raise QuadratureInputError(
            f"f is an Integrand in the variables {var}: integrate it over a box, one (a, b) "
            "pair per variable"
        )
    if breakpoints not in ("found", "declared"):
        raise QuadratureInputError(
            f"breakpoints must be 'found' or 'declared', got {breakpoints!r}"
        )
    f, resolved = resolve_method(f, method)
    found = getattr(type(f), "breakpoints_in", None) if breakpoints == "found" else None
    if found is not None:
        points = _split(points, lambda a, b: found(f, a, b))
    return integral(f, rule, resolved, points)


def _split(points: tuple[Any, ...], found: Callable[[Any, Any], list[Any]]) -> tuple[Any, ...]:
    """``points`` with every panel split at the points ``found(a, b)`` (the closed interval,
    sorted from ``a`` to ``b``). A found point equal to an interior domain point replaces it
    when traced (the jump moves with the found point's parameters); one equal to an end of the
    domain is left out (no Leibniz term from outside the domain)."""
    merged = [points[0]]
    for a, b in pairwise(points):
        for p in found(a, b):
            value = float(strip(p))
            if value == float(strip(b)):
                continue  # the next panel's start, or the domain's end
            if value != float(strip(merged[-1])):
                merged.append(p)
            elif len(merged) > 1 and type(p) is Box:
                merged[-1] = p
        merged.append(b)
    return tuple(merged)


# ---------------------------------------------------------------------------------------
# input


def _domain(domain: Any) -> tuple[Any, ...]:
    """The domain's points as floats (traced ones kept), checked; a domain of Python numbers
    is checked once."""
    if type(domain) is tuple and all(type(p) is float or type(p) is int for p in domain):
        return _plain_domain(domain)
    return _checked_domain(domain)


def _checked_domain(domain: Any) -> tuple[Any, ...]:
    if isinstance(domain, np.ndarray) and domain.ndim == 1:
        domain = tuple(domain.tolist())
    if not isinstance(domain, tuple | list) or len(domain) < 2:
        raise QuadratureInputError(
            f"domain must be a tuple (a, b) or (a, c1, ..., b), got {domain!r}"
        )
    names = ["a", *(f"c{k}" for k in range(1, len(domain) - 1)), "b"]
    points: list[Any] = []
    previous = 0.0
    for k, (name, p) in enumerate(zip(names, domain, strict=True)):
        traced = type(p) is Box
        value = strip(p)
        if type(value) is not float:
            if np.ndim(value) != 0 or np.result_type(value).kind not in "biuf":
                raise QuadratureInputError(f"domain point {name} must be a real scalar, got {p!r}")
            value = value if is_staged(value) else float(value)  # jit: checked, not frozen
        if value != value:
            raise QuadratureInputError(f"domain point {name} is NaN")
        if abs(value) == math.inf and (traced or 0 < k < len(domain) - 1):
            why = "traced: no derivative exists at inf" if traced else "an interior breakpoint"
            raise QuadratureInputError(f"domain point {name} is {value}, {why}")
        if points and np.isinf(value - previous) and np.isfinite(value + previous):
            raise QuadratureInputError(
                f"the panel from {names[k - 1]} = {previous:g} to {name} = {value:g} is wider "
                "than the largest float (its width overflows float64): add a breakpoint at 0, "
                "or use an infinite bound"
            )
        points.append(p if traced else value)
        previous = value
    return tuple(points)


_plain_domain = lru_cache(maxsize=64)(_checked_domain)


# ---------------------------------------------------------------------------------------
# nodes, weights and the quadrature sum


@non_differentiable
def _adapt(rule: GaussKronrod, f: Any, a: float, b: float) -> AdaptiveResult:
    """Adaptive subdivision of one panel, on plain values (the engine strips traced ones)."""
    return rule.integrate_adaptive(f, a, b)


@lru_cache(maxsize=16)
def _cached_nodes(rule: QuadratureRule, points: tuple[float, ...]) -> tuple[Any, Any]:
    x, w = _panel_nodes([rule] * (len(points) - 1), points)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


def _panel_nodes(rules: list[QuadratureRule], points: tuple[Any, ...]) -> tuple[Any, Any]:
    pairs = [r.nodes_weights(a, b) for r, a, b in zip(rules, points[:-1], points[1:], strict=True)]
    if len(pairs) == 1:
        return pairs[0]
    return np.concatenate([x for x, _ in pairs]), np.concatenate([w for _, w in pairs])


def quadrature_nodes(f: Any, rule: QuadratureRule, points: tuple[Any, ...]) -> tuple[Any, Any]:
    """All nodes and weights; an adaptive rule adapts each panel to ``f`` first."""
    if isinstance(rule, GaussKronrod):
        panels = pairwise(points)
        return _panel_nodes([_adapt(rule, f, a, b).rule for a, b in panels], points)
    if all(isinstance(p, float) for p in points):
        return _cached_nodes(rule, points)
    return _panel_nodes([rule] * (len(points) - 1), points)


@primitive
def integral(f: Any, rule: QuadratureRule, method: str, points: tuple[Any, ...]) -> Any:
    """The primitive behind :func:`integrate`, on checked input: its rules are in ``adjoints``.

    ``method`` is resolved ("symbolic", "ad" or "fd") and ``points`` holds plain floats or
    traced scalars.

    Examples
    --------
    >>> from symrules import GaussLegendre
    >>> integral(lambda x: x**2, GaussLegendre(2), "ad", (0.0, 1.0))  # doctest: +ELLIPSIS
    0.333333333333333...
    """
    if isinstance(rule, GaussKronrod):
        panels = pairwise(points)
        return float(sum(rule.integrate_adaptive(f, a, b).value for a, b in panels))
    x, w = quadrature_nodes(f, rule, points)
    with node_writes_refused():
        fx = f(x)
    return float(contract(w, fx, x, f))
