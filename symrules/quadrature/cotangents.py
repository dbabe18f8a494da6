"""The cotangent of an integrand's fields over a set of nodes, by each method.

This module owns how a quadrature gets ``f_bar = sum_i w_i df(x_i)/dp`` for the fields ``p``
that an outer differentiation traces: from the integrand's own generated rule ("symbolic",
:func:`symbolic_pullback`, or the compiled kernel's fused pass, :func:`fused_value_and_bar`),
from finite differences of the weighted sum (:func:`fd_f_bar`), and the pushforward ``df/dp *
p_dot`` at every node (:func:`push`) the forward rules use. :func:`check_finite_f_bar` refuses a
non-finite cotangent, naming the field and the node. The one-dimensional rules
(:mod:`~symrules.quadrature.adjoints`) and the d-dimensional ones
(:mod:`~symrules.quadrature.box_adjoints`) share them; nodes are a 1-D array or rows of points.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from ..checking import finite_differences as fd
from ..engine.fields import Path, get_path, leaves, path_name, replace_leaves
from ..engine.forward import jvp
from ..engine.needs import Needs
from ..engine.registry import frule, has_frule, has_rrule, rrule
from ..engine.staging import differentiated
from ..engine.tangents import ZeroTangent, cotangent_at, is_zero, tangent_from_leaves
from ..engine.tracing import strip
from ..errors import MethodError, QuadratureInputError, RuleError, SymbolicError
from .sums import node_name

__all__ = [
    "METHODS",
    "Method",
    "all_finite",
    "check_finite_f_bar",
    "fd_f_bar",
    "first_order_only",
    "fused_value_and_bar",
    "given_tangents",
    "push",
    "resolve_method",
    "symbolic_pullback",
    "wanted_paths",
]

METHODS = ("auto", "symbolic", "ad", "fd")
Method = Literal["auto", "symbolic", "ad", "fd"]


def resolve_method(f: Any, method: str, var: Any = "x") -> tuple[Any, str]:
    """``(f, method)`` checked, "auto" resolved -- "symbolic" for an ``f`` with a registered
    reverse rule (an Integrand), else "ad" -- and for "symbolic" a plain numpy integrand
    lifted to SymPy (:class:`~symrules.symbolic.lifted.Lifted`; ``var`` as for
    ``Integrand``), or refused with the reason it cannot be."""
    if method not in METHODS:
        raise MethodError(f"method must be one of {METHODS}, got {method!r}")
    generated = has_rrule(f)
    if method == "auto":
        return f, "symbolic" if generated else "ad"
    if method == "symbolic" and not generated:
        from ..symbolic.lifted import Lifted, lifted_integrand  # SymPy, on first use

        try:
            lifted_integrand(f, var)
        except SymbolicError as err:
            kind = "closure" if getattr(f, "__closure__", None) else type(f).__name__
            raise MethodError(
                "method='symbolic' needs an Integrand, or a plain numpy integrand that lifts to "
                f"SymPy; f is a {kind} that does not ({err}): use method='ad' or 'fd', or "
                "write it as symrules.Integrand(expr, **params)"
            ) from None
        return Lifted(f, var), method
    return f, method


def first_order_only(f: Any, points: tuple[Any, ...], why: str) -> None:
    """Refuse ``why`` under an outer differentiation (staging by ``jit`` is none)."""
    if differentiated(f) or differentiated(points):
        raise MethodError(
            f"{why} gives first derivatives only, and an outer differentiation traces this "
            "integral: use method='ad' or 'symbolic' with adjoint='discrete'"
        )


def wanted_paths(needs: Needs, pos: int, obj: Any) -> list[Path]:
    """The float leaves of ``obj`` whose cotangents ``needs`` asks for at ``pos``."""
    if not needs[pos]:
        return []
    paths = needs.paths(pos)
    if paths is not None:  # the engine names exactly the traced leaves
        return sorted(paths, key=repr)
    return [path for path, _ in leaves(obj)]


def symbolic_pullback(f: Any, x: Any, paths: list[Path]) -> tuple[Any, Callable[[Any], tuple]]:
    """The integrand's own rule over all nodes, asked for ``f_bar`` only (never ``x_bar``)."""
    out = rrule(f, x, needs=Needs.of_paths([paths, False]))
    if out is None:  # method "symbolic" is only chosen for an f with a registered rule
        raise RuleError(f"the reverse rule of {type(f).__name__} returned None, not (y, pullback)")
    return out


def fused_value_and_bar(f: Any, x: Any, w: Any) -> tuple[Any, Any] | None:
    """``(value, f_bar at y_bar = 1)`` from ``f``'s compiled kernel, in one pass over the
    nodes, or ``None`` if it has none (only an Integrand on the numba backend has one), if
    anything is traced by an outer differentiation, or if a sum is not finite (the numpy
    rules' checks then name the node)."""
    fused = getattr(type(f), "__symrules_fused__", None)
    return None if fused is None else fused(f, x, w)


def fd_f_bar(f: Any, x: Any, w: Any, paths: list[Path]) -> dict[Path, Any]:
    """``d/dp sum_i w_i f(x_i)`` for each traced leaf ``p`` of ``f``, by finite differences."""

    def quadrature_sum(values: list[Any]) -> float:
        g = replace_leaves(f, dict(zip(paths, values, strict=True)))
        return float(np.dot(w, g(x)))

    grads = fd.gradient(quadrature_sum, [get_path(f, p) for p in paths])
    return dict(zip(paths, grads, strict=True))


def push(f: Any, method: str, x: Any, dots: dict[Path, Any]) -> Any:
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


def all_finite(value: Any) -> bool:
    value = strip(value)
    if type(value) is float or type(value) is np.float64:  # the common case, spelled out
        return math.isfinite(value)
    return bool(np.isfinite(value).all())


def check_finite_f_bar(f: Any, f_bar: Any, paths: list[Path], method: str, x: Any) -> None:
    """Refuse a non-finite ``f_bar``, naming the field: a NaN or infinite field value, or the
    node where ``df/dp`` is not finite.

    The value of the integral can be finite while a partial is not (``x**a * log(x)`` at
    ``x = 0``): the quadrature's derivative is then meaningless, not a number to return.
    """
    for path in paths:
        value = cotangent_at(f_bar, path)
        if value is None or is_zero(value) or all_finite(value):
            continue
        entry = np.asarray(strip(value), dtype=float)
        leaf = np.asarray(strip(get_path(f, path)))
        if not all_finite(leaf):
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
            partial = np.asarray(strip(push(f, method, x, {path: one_hot if leaf.ndim else 1.0})))
        nodes = np.asarray(strip(x))
        if nodes.ndim == 1:
            nodes = np.broadcast_to(nodes, partial.shape).ravel()
        bad = np.flatnonzero(~np.isfinite(np.broadcast_to(partial, nodes.shape[:1])))
        where = (
            f"df/d{name} is {partial.flat[bad[0]]} at the node {node_name(nodes, bad[0])}"
            if len(bad) else "the weighted sum of df/d" + name + " overflows"
        )  # fmt: skip
        raise QuadratureInputError(
            f"the derivative of the integral with respect to the field "
            f"{path_name(path, 'f')}{entry_name} is {entry.flat[0]}: "
            f"{where}. A rule that does not evaluate f at the ends of the domain "
            "(GaussLegendre, TanhSinh, GaussKronrod) avoids an end where a partial is singular"
        )


def given_tangents(dot: Any, paths: list[Path]) -> dict[Path, Any]:
    """The entries of the structural tangent ``dot`` at ``paths`` that are given and nonzero
    (a forward rule's field or point tangents).

    Examples
    --------
    >>> given_tangents((ZeroTangent(), 2.0), [(0,), (1,)])
    {(1,): 2.0}
    """
    if is_zero(dot):
        return {}
    found = ((path, cotangent_at(dot, path)) for path in paths)
    return {path: d for path, d in found if d is not None and not is_zero(d)}
