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

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np

from ..engine.fields import Path, get_path, leaves
from ..engine.needs import Needs
from ..engine.registry import register_frule, register_rrule
from ..engine.reverse import rrule_via_ad
from ..engine.tangents import (
    NoTangent,
    SkippedTangent,
    tangent_from_leaves,
)
from ..engine.tracing import Box, strip
from ..errors import MovingDiscontinuityError
from .adaptive import GaussKronrod
from .cotangents import (
    check_finite_f_bar,
    fd_f_bar,
    first_order_only,
    fused_value_and_bar,
    given_tangents,
    push,
    symbolic_pullback,
    wanted_paths,
)
from .discontinuities import moving_discontinuity, watched_nodes
from .integration import integral, quadrature_nodes
from .rules import QuadratureRule
from .sums import check_values, contract, node_writes_refused, non_finite, step_inside

__all__: list[str] = []
# ---------------------------------------------------------------------------------------
# derivatives of the integrand


def _ad_rrule(
    f: Any, x: Any, paths: list[Path], points: tuple[Any, ...]
) -> tuple[Any, Callable[[Any], tuple]]:
    """One tape of ``f`` over all nodes: ``f_bar`` over the fields wanted, nothing for ``x``.

    The nodes are watched: a jump that moves with a traced value inside a panel raises
    (:mod:`~symrules.quadrature.discontinuities`). Nodes that an outer differentiation moves
    (traced domain points) are passed as they are: watching strips them, and the outer tape
    needs them."""
    nodes = watched_nodes(x, points) if type(x) is np.ndarray else x
    try:
        fx, pullback = rrule_via_ad(f, nodes, needs=Needs.of_paths([paths, False]))
    except MovingDiscontinuityError as err:
        raise moving_discontinuity(err, f, nodes, paths, points) from None

    def at_nodes_pullback(fx_bar: Any) -> tuple:
        return (pullback(fx_bar)[0],)

    return fx, at_nodes_pullback


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
            rows.append(np.broadcast_to(push(f, method, x, {path: dot}), np.shape(x)))
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
            where.append((k, 1.0, step_inside(points[k], points[k - 1])))
        if k < len(points) - 1:
            where.append((k, -1.0, step_inside(points[k], points[k + 1])))
    x = np.stack([p for _, _, p in where])
    fx = f(x)
    check_values(fx, x, "f at the domain points")
    with np.errstate(all="ignore"):  # (strip, not np.asarray: jit stages these values)
        at_points = strip(f(np.stack([strip(points[k]) for k, _, _ in where])))
    singular = np.isinf(at_points)
    if not np.all(np.isfinite(strip(fx)[~singular])):
        non_finite(strip(fx)[~singular], strip(x)[~singular], "f next to a traced domain point")
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
    f_paths = wanted_paths(needs, 1, f)
    which = [k for (k,) in wanted_paths(needs, 4, points) if np.isfinite(strip(points[k]))]
    adaptive = _continuous_rule(rule) if f_paths else None
    continuous = adaptive is not None
    if continuous:
        first_order_only(f, points, "the continuous adjoint")
    if f_paths and method == "fd":
        first_order_only(f, points, "method='fd'")
    x, w = quadrature_nodes(f, rule, points)
    f_pullback = None
    fused = None
    if f_paths and not continuous and method == "symbolic":
        fused = fused_value_and_bar(f, x, w)
    with node_writes_refused():
        if fused is not None:
            y, fused_bar = fused
        elif f_paths and not continuous and method == "symbolic":
            fx, f_pullback = symbolic_pullback(f, x, f_paths)
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
            f_bar = symbolic_pullback(f, x, f_paths)[1](w * y_bar)[0]
        elif f_pullback is not None and type(y_bar) is Box:
            f_bar = f_pullback(w * y_bar)[0]
        elif f_pullback is not None:  # a plain y_bar scales the few field cotangents instead
            f_bar = y_bar * f_pullback(w)[0]
        else:
            per_leaf = _continuous(f, adaptive, method, points, f_paths) \
                if adaptive is not None else fd_f_bar(f, x, w, f_paths)  # fmt: skip
            f_bar = tangent_from_leaves(f, {p: y_bar * v for p, v in per_leaf.items()})
        if f_paths:
            check_finite_f_bar(f, f_bar, f_paths, method, x)
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
    field_dots = given_tangents(f_dot, [path for path, _ in leaves(f)])
    x, w = quadrature_nodes(f, rule, points)
    y = contract(w, f(x), x, f)
    y_dot: Any = 0.0 * y
    adaptive = _continuous_rule(rule) if field_dots else None
    if adaptive is not None:
        first_order_only(f, points, "the continuous adjoint")
        y_dot = y_dot + sum(
            adaptive.integrate_adaptive(lambda t: push(f, method, t, field_dots), a, b).value
            for a, b in pairwise(points)
        )
    elif field_dots:
        if method == "fd":
            first_order_only(f, points, "method='fd'")
        y_dot = y_dot + np.dot(w, push(f, method, x, field_dots))
    paths = [(k,) for k in range(len(points))]
    moving = {k: d for (k,), d in given_tangents(points_dot, paths).items()}
    if moving:
        jumps = _jumps(f, points, list(moving))
        for k, d in moving.items():
            y_dot = y_dot + d * jumps[k]
    return y, y_dot
