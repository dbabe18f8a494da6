"""The rules of :func:`~symrules.quadrature.integration.integrate`: ``f_bar`` and Leibniz' terms.

This module registers the reverse and forward rules of the quadrature primitive
:func:`~symrules.quadrature.integration.integral`. The cotangent of the integrand's fields,
``f_bar = sum_i w_i y_bar df(x_i)/dp``, comes from ``method``: the integrand's own generated rule
("symbolic"), one tape of the engine over all nodes ("ad"), or finite differences of the
quadrature sum ("fd"). A traced domain point gets Leibniz' term ``f(c^-) - f(c^+)``, the upper
end of the panel before minus the lower end of the panel after, with ``f`` evaluated one
floating-point step inside each panel, so a jump at a breakpoint gives its one-sided values.

An adaptive :class:`~symrules.quadrature.adaptive.GaussKronrod` rule first adapts on plain
values, then acts as the fixed rule of its final subdivision (``adjoint="discrete"``), or
integrates the derivative adaptively on its own (``adjoint="continuous"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np

from ..checking import finite_differences as fd
from ..engine.fields import Path, get_path, leaves, path_name, replace_leaves
from ..engine.forward import jvp
from ..engine.needs import Needs
from ..engine.registry import frule, has_frule, register_frule, register_rrule, rrule
from ..engine.reverse import rrule_via_ad
from ..engine.tangents import (
    NoTangent,
    SkippedTangent,
    ZeroTangent,
    cotangent_at,
    is_zero,
    tangent_from_leaves,
)
from ..engine.tracing import Box, is_traced, strip
from ..errors import MethodError, MovingDiscontinuityError, QuadratureInputError, RuleError
from .adaptive import GaussKronrod
from .discontinuities import moving_discontinuity, watched_nodes
from .integration import (
    check_values,
    contract,
    integral,
    node_writes_refused,
    non_finite,
    quadrature_nodes,
)
from .rules import QuadratureRule

__all__: list[str] = []
# ---------------------------------------------------------------------------------------
# derivatives of the integrand


def _first_order(f: Any, points: tuple[Any, ...], why: str) -> None:
    if is_traced(f) or is_traced(points):
        raise MethodError(
            f"{why} gives first derivatives only, and an outer differentiation traces this "
            "integral: use method='ad' or 'symbolic' with adjoint='discrete'"
        )


def _wanted(needs: Needs, pos: int, obj: Any) -> list[Path]:
    """The float leaves of ``obj`` whose cotangents ``needs`` asks for at ``pos``."""
    if not needs[pos]:
        return []
    paths = needs.paths(pos)
    if paths is not None:  # the engine names exactly the traced leaves
        return sorted(paths, key=repr)
    return [path for path, _ in leaves(obj)]


def _symbolic_rrule(f: Any, x: Any, paths: list[Path]) -> tuple[Any, Callable[[Any], tuple]]:
    """The integrand's own rule over all nodes, asked for ``f_bar`` only (never ``x_bar``)."""
    out = rrule(f, x, needs=Needs.of_paths([paths, False]))
    if out is None:  # method "symbolic" is only chosen for an f with a registered rule
        raise RuleError(f"the reverse rule of {type(f).__name__} returned None, not (y, pullback)")
    return out


def _fused(f: Any, x: Any, w: Any) -> tuple[Any, Any] | None:
    """``(value, f_bar at y_bar = 1)`` from ``f``'s compiled kernel, in one pass over the
    nodes, or ``None`` if it has none (only an Integrand on the numba backend has one), if
    anything is traced by an outer differentiation, or if a sum is not finite (the numpy
    rules' checks then name the node)."""
    fused = getattr(type(f), "__symrules_fused__", None)
    return None if fused is None else fused(f, x, w)


def _ad_rrule(
    f: Any, x: Any, paths: list[Path], points: tuple[Any, ...]
) -> tuple[Any, Callable[[Any], tuple]]:
    """One tape of ``f`` over all nodes: ``f_bar`` over the fields wanted, nothing for ``x``.

    The nodes are watched: a jump that moves with a traced value inside a panel raises
    (:mod:`~symrules.quadrature.discontinuities`)."""
    nodes = watched_nodes(x, points)
    try:
        fx, pullback = rrule_via_ad(f, nodes, needs=Needs.of_paths([paths, False]))
    except MovingDiscontinuityError as err:
        raise moving_discontinuity(err, f, nodes, paths, points) from None

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
        out = frule((tangent_from_leaves(f, dots), ZeroTangent()), f, x)
        if out is None:  # has_frule(f): only a rule that returns None gets here
            raise RuleError(f"the forward rule of {type(f).__name__} returned None, not (y, y_dot)")
        return out[1]
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


def _all_finite(value: Any) -> bool:
    value = strip(value)
    if type(value) is float or type(value) is np.float64:  # the common case, spelled out
        return math.isfinite(value)
    return bool(np.isfinite(value).all())


def _finite_f_bar(f: Any, f_bar: Any, paths: list[Path], method: str, x: Any) -> None:
    """Refuse a non-finite ``f_bar``, naming the field: a NaN or infinite field value, or the
    node where ``df/dp`` is not finite.

    The value of the integral can be finite while a partial is not (``x**a * log(x)`` at
    ``x = 0``): the quadrature's derivative is then meaningless, not a number to return.
    """
    for path in paths:
        value = cotangent_at(f_bar, path)
        if value is None or is_zero(value) or _all_finite(value):
            continue
        entry = np.asarray(strip(value), dtype=float)
        leaf = np.asarray(strip(get_path(f, path)))
        if not _all_finite(leaf):
            raise QuadratureInputError(
                f"the field {path_name(path, 'f')} is {leaf.tolist()}: the integral has no "
                "derivative with respect to a NaN or infinite parameter"
            )
        idx = np.unravel_index(int(np.flatnonzero(~np.isfinite(entry))[0]), entry.shape)
        entry_name = str(list(idx)) if leaf.ndim else ""
        name = path_name(path, "").lstrip(".") + entry_name
        one_hot = np.zeros(leaf.shape)
        one_hot[idx] = 1.0
        with np.errstate(all="ignore"):
            partial = np.asarray(strip(_push(f, method, x, {path: one_hot if leaf.ndim else 1.0})))
        nodes = np.broadcast_to(np.asarray(strip(x)), partial.shape)
        bad = np.flatnonzero(~np.isfinite(partial))
        where = (
            f"df/d{name} is {partial.flat[bad[0]]} at the node x={float(nodes.flat[bad[0]])!r}"
            if len(bad) else "the weighted sum of df/d" + name + " overflows"
        )  # fmt: skip
        raise QuadratureInputError(
            f"the derivative of the integral with respect to the field "
            f"{path_name(path, 'f')}{entry_name} is {entry.flat[0]}: "
            f"{where}. A rule that does not evaluate f at the ends of the domain "
            "(GaussLegendre, TanhSinh, GaussKronrod) avoids an end where a partial is singular"
        )


def _inside(p: Any, toward: Any) -> Any:
    """``p`` moved one floating-point step toward ``toward``: a point inside that panel."""
    value = float(strip(p))
    return p + (np.nextafter(value, float(strip(toward))) - value)


def _jumps(f: Any, points: tuple[Any, ...], which: list[int]) -> dict[int, Any]:
    """``f(c_k^-) - f(c_k^+)`` for each point ``k`` in ``which``: the one-sided limits of ``f``.

    ``f`` is evaluated one floating-point step inside each panel (so a jump at a breakpoint
    gives its one-sided values) and at the point itself; where ``f`` is infinite at the point
    (a singular end, ``1/sqrt(x)`` at 0), that infinity is the one-sided limit and the
    derivative is infinite, not the huge finite value one step inside.
    """
    where = []
    for k in which:
        if k > 0:
            where.append((k, 1.0, _inside(points[k], points[k - 1])))
        if k < len(points) - 1:
            where.append((k, -1.0, _inside(points[k], points[k + 1])))
    x = np.stack([p for _, _, p in where])
    fx = f(x)
    check_values(fx, x, "f at the domain points")
    with np.errstate(all="ignore"):
        at_points = np.asarray(strip(f(np.array([float(strip(points[k])) for k, _, _ in where]))))
    singular = np.isinf(at_points)
    if not np.all(np.isfinite(np.asarray(strip(fx))[~singular])):
        non_finite(np.asarray(strip(fx))[~singular], np.asarray(strip(x))[~singular],
                   "f next to a traced domain point")  # fmt: skip
    jumps: dict[int, Any] = dict.fromkeys(which, 0.0)
    for i, (k, sign, _) in enumerate(where):
        jumps[k] = jumps[k] + sign * (at_points[i] if singular[i] else fx[i])
    return jumps


# ---------------------------------------------------------------------------------------
# rules


def _continuous_rule(rule: QuadratureRule) -> GaussKronrod | None:
    """``rule`` if it differentiates by the continuous adjoint, else ``None`` (discrete)."""
    if isinstance(rule, GaussKronrod) and rule.adjoint == "continuous":
        return rule
    return None


@register_rrule(integral)
def integral_rrule(
    f: Any, rule: QuadratureRule, method: str, points: tuple[Any, ...], *, needs: Needs
) -> tuple[Any, Callable[[Any], tuple]]:
    """Reverse rule of :func:`integral`: ``f_bar`` by ``method``, Leibniz terms for ``points``.

    Only the cotangents ``needs`` asks for are computed: the fields of ``f`` (position 1) and
    the domain points (position 4); the others come back as :class:`SkippedTangent`.
    """
    f_paths = _wanted(needs, 1, f)
    which = [k for (k,) in _wanted(needs, 4, points) if np.isfinite(strip(points[k]))]
    adaptive = _continuous_rule(rule) if f_paths else None
    continuous = adaptive is not None
    if continuous:
        _first_order(f, points, "the continuous adjoint")
    if f_paths and method == "fd":
        _first_order(f, points, "method='fd'")
    x, w = quadrature_nodes(f, rule, points)
    f_pullback = None
    fused = None
    if f_paths and not continuous and method == "symbolic":
        fused = _fused(f, x, w)
    with node_writes_refused():
        if fused is not None:
            y, fused_bar = fused
        elif f_paths and not continuous and method == "symbolic":
            fx, f_pullback = _symbolic_rrule(f, x, f_paths)
        elif f_paths and not continuous and method == "ad":
            fx, f_pullback = _ad_rrule(f, x, f_paths, points)
        else:
            fx = f(x)
    if fused is None:
        y = contract(w, fx, x, f)

    def integrate_pullback(y_bar: Any) -> tuple:
        if not f_paths:
            f_bar: Any = SkippedTangent() if any(True for _ in leaves(f)) else NoTangent()
        elif fused is not None and type(y_bar) is not Box:
            f_bar = y_bar * fused_bar
        elif fused is not None:  # a traced y_bar: the numpy rules, which trace through
            f_bar = _symbolic_rrule(f, x, f_paths)[1](w * y_bar)[0]
        elif f_pullback is not None and type(y_bar) is Box:
            f_bar = f_pullback(w * y_bar)[0]
        elif f_pullback is not None:  # a plain y_bar scales the few field cotangents instead
            f_bar = y_bar * f_pullback(w)[0]
        else:
            per_leaf = _continuous(f, adaptive, method, points, f_paths) \
                if adaptive is not None else _fd_f_bar(f, x, w, f_paths)  # fmt: skip
            f_bar = tangent_from_leaves(f, {p: y_bar * v for p, v in per_leaf.items()})
        if f_paths:
            _finite_f_bar(f, f_bar, f_paths, method, x)
        points_bar: Any = SkippedTangent()
        if which:
            jumps = _jumps(f, points, which)
            points_bar = tuple(
                y_bar * jumps[k] if k in jumps else SkippedTangent() for k in range(len(points))
            )
        return NoTangent(), f_bar, NoTangent(), NoTangent(), points_bar

    return y, integrate_pullback


@register_frule(integral)
def integral_frule(
    dots: tuple, f: Any, rule: QuadratureRule, method: str, points: tuple[Any, ...]
) -> tuple[Any, Any]:
    _, f_dot, _, _, points_dot = dots
    field_dots = {}
    if not is_zero(f_dot):
        for path, _ in leaves(f):
            d = cotangent_at(f_dot, path)
            if d is not None and not is_zero(d):
                field_dots[path] = d
    x, w = quadrature_nodes(f, rule, points)
    y = contract(w, f(x), x, f)
    y_dot: Any = 0.0 * y
    adaptive = _continuous_rule(rule) if field_dots else None
    if adaptive is not None:
        _first_order(f, points, "the continuous adjoint")
        y_dot = y_dot + sum(
            adaptive.integrate_adaptive(lambda t: _push(f, method, t, field_dots), a, b).value
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
