"""Quadrature functionals: :func:`integrate` and its reverse and forward rules.

This module owns ``integrate(f, domain, rule, method)``: the integral of a vectorized integrand
over a domain with optional interior breakpoints, differentiable with respect to what ``f``
captures (its fields) and with respect to every finite point of the domain.

How it works
------------
The public :func:`integrate` checks its input and calls the primitive ``_integrate(f, rule,
method, points)``, whose rules are registered here. All nodes of all panels form one array, so
``f`` is called once per evaluation. The cotangent of ``f``'s fields, ``f_bar``, is
``sum_i w_i y_bar df(x_i)/dp``, computed by ``method``: the integrand's own generated rule
("symbolic"), one tape over the node array (``rrule_via_ad``, "ad"), or finite differences
of the quadrature sum ("fd"). Points get Leibniz' terms: ``dI/dc_k = f(c_k^-) - f(c_k^+)``
(the upper end of the panel before minus the lower end of the panel after), with ``f``
evaluated one floating-point step inside each panel, so a jump at a breakpoint gives its
one-sided values. The engine reports which fields and points are traced (``TRACED_FIELDS``);
nothing is computed for the others. An adaptive :class:`~symrules.adaptive.GaussKronrod` rule
first adapts on plain values, then acts as the fixed rule of its final subdivision
(``adjoint="discrete"``), or integrates the derivative adaptively on its own
(``adjoint="continuous"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

import numpy as np

from . import finite_differences as fd
from .adaptive import AdaptiveResult, GaussKronrod
from .fields import Path, get_path, leaves, replace_leaves
from .forward import jvp
from .primitives import non_differentiable, primitive
from .quadrature_rules import QuadratureInputError, QuadratureRule
from .recording import TRACED_FIELDS
from .reverse import rrule_via_ad
from .rules import frule, has_frule, has_rrule, register_frule, register_rrule, rrule
from .tangents import NoTangent, ZeroTangent, cotangent_at, is_zero, tangent_from_leaves
from .tracing import Box, is_traced, strip

__all__ = ["DEFAULT_RULE", "METHODS", "MethodError", "integrate"]

METHODS = ("auto", "symbolic", "ad", "fd")
DEFAULT_RULE = GaussKronrod()
Method = Literal["auto", "symbolic", "ad", "fd"]


class MethodError(QuadratureInputError):
    """``method`` cannot compute ``f_bar`` for this integrand or this order of derivative.

    Examples
    --------
    >>> try:
    ...     integrate(lambda x: x, (0, 1), method="symbolic")
    ... except MethodError as err:
    ...     print(str(err).split(";")[0])
    method='symbolic' needs an Integrand (or a callable with a registered reverse rule) whose
    partials are generated
    """


def integrate(
    f: Callable[[Any], Any],
    domain: tuple[Any, ...],
    rule: QuadratureRule | None = None,
    method: Method = "auto",
) -> Any:
    """The integral of ``f`` over ``domain``, differentiable in ``f``'s fields and the bounds.

    Parameters
    ----------
    f : callable
        Vectorized integrand: given a 1-D float array of nodes it returns one real value per
        node. An :class:`~symrules.symbolic.Integrand`, a closure, a callable dataclass, a
        ``functools.partial``; the values it captures are differentiable.
    domain : tuple
        ``(a, b)`` or ``(a, c1, ..., b)``: the rule is applied on each panel between
        consecutive points and the results added, so ``a > b`` gives ``-integrate(f, (b, a))``.
        ``a`` and ``b`` may be infinite (the rule's variable transform), interior points must
        be finite. Any finite point may be traced.
    rule : QuadratureRule, optional
        A fixed rule (``GaussLegendre(n)``, ``Composite(...)``, ...) or the adaptive
        ``GaussKronrod(..., adjoint=...)``; default :data:`DEFAULT_RULE`, ``GaussKronrod()``.
    method : {"auto", "symbolic", "ad", "fd"}
        How ``f_bar`` is computed. "symbolic": the integrand's generated rule, contracted with
        the weights (an Integrand, or any callable with a registered reverse rule); "ad": one
        tape of the engine over all nodes; "fd": finite differences of the quadrature sum
        over ``f``'s fields (first derivatives only); "auto": "symbolic" where possible,
        else "ad".

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
    to ``s`` -- symbolic, AD or finite differences on fixed nodes -- is silently 0: each node
    value is locally constant in ``s``. Declare the jump, ``integrate(f, (a, s, b))``, and its
    Leibniz term ``f(s^-) - f(s^+)`` gives the right derivative.

    A traced point uses Leibniz' rule; its derivative needs ``f`` to be finite there, and
    an infinite point cannot be traced. An integrable endpoint singularity such as
    ``x**-0.5`` needs ``TanhSinh`` or the adaptive ``GaussKronrod``; a closed rule
    (``Trapezoid``, ``Simpson``, ``ClenshawCurtis``) evaluates ``f`` at the end and raises,
    while ``GaussLegendre`` returns a number with an unestimated error.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> from symrules.quadrature_rules import GaussLegendre
    >>> def loss(p):
    ...     return integrate(lambda x: p[0] * x + p[1] * x**2, (0.0, 1.0), GaussLegendre(2))
    >>> bool(np.allclose(sr.grad(loss)(np.array([1.0, 2.0])), [1 / 2, 1 / 3]))
    True
    >>> def area(s):  # a jump at s, declared as a breakpoint
    ...     return integrate(lambda x: np.where(x < s, 1.0, 0.0), (0.0, s, 1.0))
    >>> float(sr.grad(area)(0.4))
    1.0

    See Also
    --------
    symrules.quadrature_rules, symrules.adaptive.GaussKronrod
    """
    points = _domain(domain)
    rule = DEFAULT_RULE if rule is None else rule
    if not isinstance(rule, QuadratureRule):
        raise QuadratureInputError(f"rule must be a QuadratureRule, got {rule!r}")
    if not callable(f):
        raise QuadratureInputError(f"f must be callable, got {type(f).__name__}")
    return _integrate(f, rule, _resolve(f, method), points)


# ---------------------------------------------------------------------------------------
# input


def _domain(domain: Any) -> tuple[Any, ...]:
    if isinstance(domain, np.ndarray) and domain.ndim == 1:
        domain = tuple(domain.tolist())
    if not isinstance(domain, tuple | list) or len(domain) < 2:
        raise QuadratureInputError(
            f"domain must be a tuple (a, b) or (a, c1, ..., b), got {domain!r}"
        )
    names = ["a", *(f"c{k}" for k in range(1, len(domain) - 1)), "b"]
    points = []
    for k, (name, p) in enumerate(zip(names, domain, strict=True)):
        traced = type(p) is Box
        value = strip(p)
        if type(value) is not float:
            if np.ndim(value) != 0 or np.asarray(value).dtype.kind not in "biuf":
                raise QuadratureInputError(f"domain point {name} must be a real scalar, got {p!r}")
            value = float(value)
        if value != value:
            raise QuadratureInputError(f"domain point {name} is NaN")
        if abs(value) == math.inf and (traced or 0 < k < len(domain) - 1):
            why = "traced: no derivative exists at inf" if traced else "an interior breakpoint"
            raise QuadratureInputError(f"domain point {name} is {value}, {why}")
        points.append(p if traced else value)
    return tuple(points)


def _resolve(f: Any, method: str) -> str:
    if method not in METHODS:
        raise MethodError(f"method must be one of {METHODS}, got {method!r}")
    generated = has_rrule(f)
    if method == "auto":
        return "symbolic" if generated else "ad"
    if method == "symbolic" and not generated:
        kind = "closure" if getattr(f, "__closure__", None) else type(f).__name__
        raise MethodError(
            "method='symbolic' needs an Integrand (or a callable with a registered reverse "
            f"rule) whose partials are generated; f is a {kind} with no rule: use "
            "method='ad' or 'fd', or write it as symrules.Integrand(expr, **params)"
        )
    return method


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


def _nodes(f: Any, rule: QuadratureRule, points: tuple[Any, ...]) -> tuple[Any, Any]:
    """All nodes and weights; an adaptive rule adapts each panel to ``f`` first."""
    if isinstance(rule, GaussKronrod):
        panels = pairwise(points)
        return _panel_nodes([_adapt(rule, f, a, b).rule for a, b in panels], points)
    if all(isinstance(p, float) for p in points):
        return _cached_nodes(rule, points)
    return _panel_nodes([rule] * (len(points) - 1), points)


def _check_values(fx: Any, x: Any, what: str = "f") -> None:
    shape, x_shape = np.shape(strip(fx)), np.shape(strip(x))
    if shape != x_shape:
        raise QuadratureInputError(
            f"{what} returned values of shape {shape} for {x_shape[0]} nodes; a vectorized "
            "integrand returns one value per node (e.g. p * np.ones_like(x) for a constant)"
        )
    values = np.asarray(strip(fx))
    if values.dtype.kind not in "biuf":
        raise QuadratureInputError(f"{what} returned {values.dtype} values; real values needed")


def _non_finite(fx: Any, x: Any, what: str) -> None:
    values, nodes = np.asarray(strip(fx)), np.asarray(strip(x))
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise QuadratureInputError(
            f"{what} returned {values[bad[0]]} at node x={float(nodes[bad[0]])!r}; an integrable "
            "singularity at an end needs TanhSinh or GaussKronrod"
        )


def _contract(w: Any, fx: Any, x: Any) -> Any:
    """``sum_i w_i f(x_i)``, checking the values; a non-finite sum names the bad node."""
    _check_values(fx, x)
    y = np.dot(w, fx)
    if not np.isfinite(strip(y)):
        _non_finite(fx, x, "f")
        raise QuadratureInputError(f"the quadrature sum overflowed to {strip(y)}")
    return y


@primitive
def _integrate(f: Any, rule: QuadratureRule, method: str, points: tuple[Any, ...]) -> Any:
    if isinstance(rule, GaussKronrod):
        panels = pairwise(points)
        return float(sum(rule.integrate_adaptive(f, a, b).value for a, b in panels))
    x, w = _nodes(f, rule, points)
    return float(_contract(w, f(x), x))


# ---------------------------------------------------------------------------------------
# derivatives of the integrand


def _first_order(f: Any, points: tuple[Any, ...], why: str) -> None:
    if is_traced(f) or is_traced(points):
        raise MethodError(
            f"{why} gives first derivatives only, and an outer differentiation traces this "
            "integral: use method='ad' or 'symbolic' with adjoint='discrete'"
        )


def _traced_paths(known: dict[int, set[Path]] | None, obj: Any) -> list[Path]:
    """The traced leaves of ``obj`` as the engine reported them (all leaves if unknown)."""
    if known is not None and id(obj) in known:
        return sorted(known[id(obj)], key=repr)
    return [path for path, _ in leaves(obj)]


def _symbolic_rrule(f: Any, x: Any) -> tuple[Any, Callable[[Any], tuple]]:
    """The integrand's own rule over all nodes; ``x`` is marked untraced (no ``x_bar``)."""
    token = TRACED_FIELDS.set({id(x): set()})
    try:
        return rrule(f, x)
    finally:
        TRACED_FIELDS.reset(token)


def _ad_rrule(f: Any, x: Any) -> tuple[Any, Callable[[Any], tuple]]:
    """One tape of ``f`` over all nodes: ``f_bar`` over its traced fields, nothing for ``x``."""
    fx, pullback = rrule_via_ad(f, x, constant_args=True)

    def at_nodes_pullback(fx_bar: Any) -> tuple:
        return (pullback(fx_bar)[0],)

    return fx, at_nodes_pullback


def _fd_f_bar(f: Any, x: Any, w: Any, paths: list[Path]) -> dict[Path, Any]:
    """``d/dp sum_i w_i f(x_i)`` for each traced leaf ``p`` of ``f``, by finite differences."""

    def quadrature_sum(values: list[Any]) -> float:
        g = replace_leaves(f, dict(zip(paths, values, strict=True)))
        return float(np.dot(w, g(x)))

    grads = fd.gradient(quadrature_sum, [get_path(f, p) for p in paths])
    return dict(zip(paths, grads, strict=True))


def _push(f: Any, method: str, x: Any, dots: dict[Path, Any]) -> Any:
    """``sum_p df(x)/dp * p_dot`` at every node: the pushforward of ``f``'s fields."""
    if method == "fd":
        return fd.jvp(lambda g: g(x), f, tangent_from_leaves(f, dots))
    if method == "symbolic" and has_frule(f):
        return frule((tangent_from_leaves(f, dots), ZeroTangent()), f, x)[1]
    paths = list(dots)

    def at_fields(*values: Any) -> Any:
        return replace_leaves(f, dict(zip(paths, values, strict=True)))(x)

    return jvp(at_fields, [get_path(f, p) for p in paths], list(dots.values()))[1]


def _columns(f: Any, method: str, paths: list[Path]) -> tuple[Callable[[Any], Any], list]:
    """``x -> df(x)/dp_j`` for every scalar entry ``p_j`` of the traced leaves, stacked."""
    entries = [(p, idx) for p in paths for idx in np.ndindex(np.shape(get_path(f, p)))]

    def columns(x: Any) -> Any:
        rows = []
        for path, idx in entries:
            leaf = get_path(f, path)
            one_hot = np.zeros(np.shape(leaf))
            one_hot[idx] = 1.0
            dot = one_hot if isinstance(leaf, np.ndarray) else float(one_hot)
            rows.append(np.broadcast_to(_push(f, method, x, {path: dot}), np.shape(x)))
        return np.stack(rows)

    return columns, entries


def _continuous(
    f: Any, rule: GaussKronrod, method: str, points: tuple[Any, ...], paths: list[Path]
) -> dict[Path, Any]:
    """``integral of df/dp`` for every traced leaf, integrated adaptively on its own."""
    columns, entries = _columns(f, method, paths)
    total = sum(rule.integrate_adaptive(columns, a, b).value for a, b in pairwise(points))
    out = {p: np.zeros(np.shape(get_path(f, p))) for p in paths}
    for (path, idx), value in zip(entries, np.atleast_1d(total), strict=True):
        out[path][idx] = value
    return {p: v if isinstance(get_path(f, p), np.ndarray) else float(v) for p, v in out.items()}


def _inside(p: Any, toward: Any) -> Any:
    """``p`` moved one floating-point step toward ``toward``: a point inside that panel."""
    value = float(strip(p))
    return p + (np.nextafter(value, float(strip(toward))) - value)


def _jumps(f: Any, points: tuple[Any, ...], which: list[int]) -> dict[int, Any]:
    """``f(c_k^-) - f(c_k^+)`` for each point ``k`` in ``which`` (one call of ``f``)."""
    where = []
    for k in which:
        if k > 0:
            where.append((k, 1.0, _inside(points[k], points[k - 1])))
        if k < len(points) - 1:
            where.append((k, -1.0, _inside(points[k], points[k + 1])))
    x = np.stack([p for _, _, p in where])
    fx = f(x)
    _check_values(fx, x, "f at the domain points")
    _non_finite(fx, x, "f at a traced domain point")
    jumps: dict[int, Any] = dict.fromkeys(which, 0.0)
    for i, (k, sign, _) in enumerate(where):
        jumps[k] = jumps[k] + sign * fx[i]
    return jumps


# ---------------------------------------------------------------------------------------
# rules


def _adjoint(rule: QuadratureRule) -> str:
    return rule.adjoint if isinstance(rule, GaussKronrod) else "discrete"


@register_rrule(_integrate)
def _integrate_rrule(
    f: Any, rule: QuadratureRule, method: str, points: tuple[Any, ...]
) -> tuple[Any, Callable[[Any], tuple]]:
    known = TRACED_FIELDS.get()
    f_paths = _traced_paths(known, f)
    which = [k for (k,) in _traced_paths(known, points) if np.isfinite(strip(points[k]))]
    continuous = bool(f_paths) and _adjoint(rule) == "continuous"
    if continuous:
        _first_order(f, points, "the continuous adjoint")
    if f_paths and method == "fd":
        _first_order(f, points, "method='fd'")
    x, w = _nodes(f, rule, points)
    f_pullback = None
    if f_paths and not continuous and method == "symbolic":
        fx, f_pullback = _symbolic_rrule(f, x)
    elif f_paths and not continuous and method == "ad":
        fx, f_pullback = _ad_rrule(f, x)
    else:
        fx = f(x)
    y = _contract(w, fx, x)

    def integrate_pullback(y_bar: Any) -> tuple:
        if not f_paths:
            f_bar: Any = NoTangent()
        elif f_pullback is not None and type(y_bar) is Box:
            f_bar = f_pullback(w * y_bar)[0]
        elif f_pullback is not None:  # a plain y_bar scales the few field cotangents instead
            f_bar = y_bar * f_pullback(w)[0]
        else:
            per_leaf = _continuous(f, rule, method, points, f_paths) if continuous \
                else _fd_f_bar(f, x, w, f_paths)  # fmt: skip
            f_bar = tangent_from_leaves(f, {p: y_bar * v for p, v in per_leaf.items()})
        points_bar: Any = NoTangent()
        if which:
            jumps = _jumps(f, points, which)
            points_bar = tuple(
                y_bar * jumps[k] if k in jumps else ZeroTangent() for k in range(len(points))
            )
        return NoTangent(), f_bar, NoTangent(), NoTangent(), points_bar

    return y, integrate_pullback


@register_frule(_integrate)
def _integrate_frule(
    dots: tuple, f: Any, rule: QuadratureRule, method: str, points: tuple[Any, ...]
) -> tuple[Any, Any]:
    _, f_dot, _, _, points_dot = dots
    field_dots = {}
    if not is_zero(f_dot):
        for path, _ in leaves(f):
            d = cotangent_at(f_dot, path)
            if d is not None and not is_zero(d):
                field_dots[path] = d
    x, w = _nodes(f, rule, points)
    y = _contract(w, f(x), x)
    y_dot: Any = 0.0 * y
    if field_dots and _adjoint(rule) == "continuous":
        _first_order(f, points, "the continuous adjoint")
        y_dot = y_dot + sum(
            rule.integrate_adaptive(lambda t: _push(f, method, t, field_dots), a, b).value
            for a, b in pairwise(points)
        )
    elif field_dots:
        if method == "fd":
            _first_order(f, points, "method='fd'")
        y_dot = y_dot + np.dot(w, _push(f, method, x, field_dots))
    moving = {}
    if not is_zero(points_dot):
        for k in range(len(points)):
            d = cotangent_at(points_dot, (k,))
            if d is not None and not is_zero(d):
                moving[k] = d
    if moving:
        jumps = _jumps(f, points, list(moving))
        for k, d in moving.items():
            y_dot = y_dot + d * jumps[k]
    return y, y_dot
