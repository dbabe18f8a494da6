"""The rules of the box integral: ``f_bar`` chunk by chunk, and Leibniz' rule on the faces.

This module registers the reverse and forward rules of
:func:`~symrules.quadrature.boxes.box_integral`. ``f_bar = sum_i w_i df(x_i)/dp`` is reduced
over the chunks with the value, by ``method`` (the integrand's generated rule, one tape of the
engine per chunk, or finite differences), then scaled by ``y_bar`` -- it is linear in it.
A traced bound moves a face of the box: ``d/db_k`` of the integral is the integral of ``f``
over the face ``x_k = b_k`` (and ``-`` that over ``x_k = a_k`` for ``a_k``), computed with the
rule's restriction to the other axes, one floating-point step inside the box (a jump on the
face gives its one-sided value, so splitting a box where a jump sits makes its term exact); in
one dimension the face is a point and the term is ``f(b)``. The face integrals are box
integrals themselves, so they differentiate again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.fields import leaves, path_name
from ..engine.needs import Needs
from ..engine.registry import register_frule, register_rrule
from ..engine.tangents import (
    NoTangent,
    SkippedTangent,
    tangent_from_leaves,
)
from ..engine.tracing import strip
from ..errors import MovingDiscontinuityError
from .boxes import Face, Plan, box_integral
from .cotangents import first_order_only, given_tangents, wanted_paths
from .sums import contract, step_inside

__all__: list[str] = []


def _face_integral(f: Any, plan: Plan, bounds: tuple[Any, ...], k: int) -> Any:
    """The integral of ``f`` over the face of the box at its ``k``-th bound (``bounds[k]``):
    positive for an upper bound ``b``, negative for a lower bound ``a``."""
    axis, sign = k // 2, (1.0 if k % 2 else -1.0)
    # one floating-point step inside the box, so a jump on the face gives its inner value
    face = Face(f, axis, step_inside(bounds[k], bounds[k - 1] if k % 2 else bounds[k + 1]))
    rest = bounds[: 2 * axis] + bounds[2 * axis + 2 :]
    if not rest:  # one dimension: the face is the point itself
        point = np.zeros((1, 0))
        return sign * contract(np.ones(1), face(point), face.at * np.ones((1, 1)), f)
    method = "ad" if plan.method == "symbolic" else plan.method  # a Face has no generated rule
    face_plan = Plan(plan.rule.face(axis), method, plan.chunk_size, plan.executor)
    return sign * box_integral(face, face_plan, rest)


def _refuse_moving_jumps(f: Any, paths: list[Any]) -> None:
    """Refuse to differentiate in a parameter that moves a jump of an Integrand (found by
    SymPy, :meth:`~symrules.symbolic.integrand.Integrand.moving_jumps`): the surface term
    is missing from every quadrature on fixed points."""
    inner, prefix = (f.f, ("f",)) if isinstance(f, Face) else (f, ())
    jumps = getattr(type(inner), "moving_jumps", None)
    # an Integrand names its parameters, a lifted callable gives the paths of its fields
    moving = [m if isinstance(m, tuple) else (m,) for m in jumps(inner)] if jumps else []
    named = [p for p in paths if any(p[: len(prefix) + len(m)] == (*prefix, *m) for m in moving)]
    if named:
        fields = ", ".join(path_name(p, "f") for p in named)
        raise MovingDiscontinuityError(
            f"f has a jump across the box that moves with {fields}: its surface term "
            "is missing from every quadrature on fixed points, so the gradient would be wrong "
            "silently. Split the box where the jump sits so that it lies on a face whose bound "
            "is traced (Leibniz' rule then gives the term exactly)"
        )


@register_rrule(box_integral)
def box_integral_rrule(
    f: Any, plan: Plan, bounds: tuple[Any, ...], *, needs: Needs
) -> tuple[Any, Callable[[Any], tuple]]:
    """Reverse rule of :func:`box_integral`: ``f_bar`` by ``plan.method``, faces for bounds.

    Only the cotangents ``needs`` asks for are computed: the fields of ``f`` (position 1) and
    the bounds (position 3); the others come back as :class:`SkippedTangent`.
    """
    f_paths = wanted_paths(needs, 1, f)
    which = [k for (k,) in wanted_paths(needs, 3, bounds)]
    if f_paths and plan.method == "fd":
        first_order_only(f, bounds, "method='fd'")
    _refuse_moving_jumps(f, f_paths)
    reduced = plan.reduce(f, bounds, paths=tuple(f_paths))

    def box_pullback(y_bar: Any) -> tuple:
        if f_paths:
            f_bar: Any = tangent_from_leaves(f, {p: y_bar * v for p, v in reduced.bars.items()})
        else:
            f_bar = SkippedTangent() if any(True for _ in leaves(f)) else NoTangent()
        bounds_bar: Any = SkippedTangent()
        if which:
            bounds_bar = tuple(
                y_bar * _face_integral(f, plan, bounds, k) if k in which else SkippedTangent()
                for k in range(len(bounds))
            )
        return NoTangent(), f_bar, NoTangent(), bounds_bar

    return reduced.value, box_pullback


@register_frule(box_integral)
def box_integral_frule(dots: tuple, f: Any, plan: Plan, bounds: tuple[Any, ...]) -> tuple:
    """Forward rule of :func:`box_integral`: the pushforward of the fields, reduced with the
    value, plus each moving bound's face integral."""
    _, f_dot, _, bounds_dot = dots
    field_dots = given_tangents(f_dot, [path for path, _ in leaves(f)])
    if field_dots and plan.method == "fd":
        first_order_only(f, bounds, "method='fd'")
    _refuse_moving_jumps(f, list(field_dots))
    reduced = plan.reduce(f, bounds, dots=field_dots or None)
    y_dot: Any = 0.0 * reduced.value + reduced.pushed
    for (k,), d in given_tangents(bounds_dot, [(k,) for k in range(len(bounds))]).items():
        if np.isfinite(strip(bounds[k])):
            y_dot = y_dot + d * _face_integral(f, plan, bounds, k)
    return reduced.value, y_dot
