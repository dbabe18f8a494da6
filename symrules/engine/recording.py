"""Applying a function's rule to traced arguments: what the tape records for one call.

:func:`reverse_rule` evaluates a call and returns its vector-Jacobian product over the traced
inputs; :func:`forward_rule` its value and tangent. Both use the numpy table when the function
is in it (computing cotangents only for the traced arguments, and keeping on the tape only the
values the pullback reads -- its *residuals* -- so intermediates are freed early), else a
registered rule, whose result is checked: the number of cotangents, their shapes, and that every
traced field of a closure or callable object received one (never a silent zero gradient).
Both return ``None`` where there is no rule, and the engine then traces through.
"""

from __future__ import annotations

import contextvars
import inspect
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import MissingCotangentError, RuleError, UnsupportedFunctionError
from .broadcasting import ShapeOnly, shape_of, sum_to
from .fields import Path, is_differentiable, leaves, path_name, replace_leaves
from .registry import find_frule, find_rrule, table_entry, table_frule
from .tangents import NoTangent, ZeroTangent, cotangent_at, is_zero, tangent_from_leaves

__all__ = ["TRACED_FIELDS", "forward_rule", "name_of", "reverse_rule"]

# While a custom rrule runs: id(argument object) -> the paths of its fields that are traced.
# rrule_via_ad reads it to skip f_bar work for fields that carry no derivative.
TRACED_FIELDS: contextvars.ContextVar[dict[int, set[Path]] | None] = contextvars.ContextVar(
    "TRACED_FIELDS", default=None
)


def name_of(fun: Any) -> str:
    """How messages name a function: ``numpy.sin``, ``indexing``, or its qualified name."""
    if isinstance(fun, np.ufunc) or getattr(fun, "__module__", "").startswith("numpy"):
        return f"numpy.{fun.__name__}"
    if fun is operator.getitem:
        return "indexing"
    return getattr(fun, "__qualname__", None) or type(fun).__name__


def _position(fun: Any, pos: int, path: Path) -> str:
    """How an error names a traced input: ``argument 0 (f)``, ``field f.p[1] of argument 0``."""
    if pos == 0:
        return f"field {path_name(path, type(fun).__name__)}"
    impl = getattr(fun, "_symrules_impl", None) or getattr(type(fun), "_symrules_call", None)
    try:
        params = [p for p in inspect.signature(impl).parameters if p != "self"]
        name = params[pos - 1]
    except (TypeError, ValueError, IndexError):
        name = None
    if not path:
        return f"argument {pos - 1}" + (f" ({name})" if name else "")
    return f"field {path_name(path, name or 'f')} of argument {pos - 1}"


def _refuse_several_outputs(fun: Any, y: Any) -> None:
    """A tuple of outputs (``retstep=True``, ...) would silently lose its derivative."""
    if isinstance(y, tuple | list):
        raise UnsupportedFunctionError(
            f"{name_of(fun)} returned several outputs; differentiating through that form is "
            "not supported"
        )


def _not_differentiable_in(fun: Any, pos: int) -> UnsupportedFunctionError:
    return UnsupportedFunctionError(f"{name_of(fun)} is not differentiable in its argument {pos}")


# ---------------------------------------------------------------------------------------
# reverse mode


def reverse_rule(fun: Any, callee: Any, uargs: list, kwargs: dict, top: list, nested: bool):
    """``(y, vjp)`` for one call, ``(y, None)`` if ``y`` carries no derivative, ``None`` if no rule.

    ``top`` lists the traced inputs as ``(position, path, box)``, position 0 being the callee;
    ``vjp(y_bar)`` returns their cotangents in that order.
    """
    entry = table_entry(fun)
    if entry is not None and entry.vjps:
        if nested:
            plan = _plan(fun, entry, tuple(sorted({pos for pos, _, _ in top})))
        else:
            plan = _plan(fun, entry, tuple([pos for pos, _, _ in top]))
        y = fun(*uargs, **kwargs)
        if not (type(y) is np.ndarray and y.dtype.kind == "f") and not is_differentiable(y):
            _refuse_several_outputs(fun, y)
            return y, None
        make = _table_vjp_nested if nested else _table_vjp
        return y, make(plan, entry.broadcast, y, uargs, kwargs, top)
    found = find_rrule(fun)
    if found is None:
        return None
    rule, is_instance = found
    token = TRACED_FIELDS.set(_traced_fields(callee, uargs, top))
    try:
        out = rule(callee, *uargs, **kwargs) if is_instance else rule(*uargs, **kwargs)
    finally:
        TRACED_FIELDS.reset(token)
    if not (isinstance(out, tuple) and len(out) == 2 and callable(out[1])):
        raise RuleError(f"the rrule {name_of(rule)} for {name_of(fun)} must return (y, pullback)")
    y, pullback = out
    return y, _rule_vjp(fun, rule, pullback, len(uargs), top)


def _traced_fields(callee: Any, uargs: list, top: list) -> dict[int, set[Path]]:
    traced: dict[int, set[Path]] = {}
    for pos, obj in enumerate([callee, *uargs]):
        traced[id(obj)] = {path for p, path, _ in top if p == pos}
    return traced


def _shapes(x: Any) -> Any:
    """``x`` with its float arrays replaced by their shapes (see :class:`ShapeOnly`)."""
    if type(x) is np.ndarray:
        return ShapeOnly(x.shape, x.dtype) if x.dtype.kind in "fc" else x
    if getattr(type(x), "_symrules_traced", False):
        return ShapeOnly(x.shape, x.dtype)
    if isinstance(x, tuple | list):
        return type(x)(map(_shapes, x))
    return x


def _plan(fun: Any, entry: Any, positions: tuple[int, ...]) -> tuple[list, Any, bool]:
    """For traced ``positions`` of a table function: the pullbacks, and what they read.

    A pullback declares ``reads`` (the positions it reads, ``len(args)`` standing for ``y``)
    and ``shapes`` (whether it needs the other float arrays' shapes); one without ``reads``
    keeps everything. Cached on the table entry: a function is called the same way often.
    """
    plan = entry.plans.get(positions)
    if plan is None:
        for pos in positions:
            if pos > len(entry.vjps) or entry.vjps[pos - 1] is None:
                raise _not_differentiable_in(fun, pos - 1)
        vjps = [entry.vjps[pos - 1] for pos in positions]
        declared = [getattr(vjp, "reads", None) for vjp in vjps]
        reads = None if None in declared else frozenset().union(*declared)
        shapes = reads is not None and any(vjp.shapes for vjp in vjps)
        plan = entry.plans[positions] = (vjps, reads, shapes)
    return plan


def _residuals(reads: frozenset | None, shapes: bool, y: Any, uargs: list) -> tuple[Any, list]:
    """The values a pullback keeps: what it reads; the rest dropped, or kept as a shape."""
    if reads is None:
        return y, uargs
    n = len(uargs)
    if shapes:
        return (
            y if n in reads else _shapes(y),
            [a if i in reads else _shapes(a) for i, a in enumerate(uargs)],
        )
    return y if n in reads else None, [a if i in reads else None for i, a in enumerate(uargs)]


def _table_vjp(plan, broadcast, y, uargs, kwargs, top) -> Callable[[Any], list]:
    vjps, reads, shapes = plan
    sizes = None
    if broadcast:  # an argument smaller than the output gets its cotangent summed down
        y_shape = shape_of(y)
        sizes = [shape_of(uargs[pos - 1]) for pos, _, _ in top]
        if all(size == y_shape for size in sizes):
            sizes = None
    y, uargs = _residuals(reads, shapes, y, uargs)
    if sizes is None and len(vjps) == 1:  # the common case, spelled out for speed
        (vjp,) = vjps

        def table_vjp(y_bar: Any) -> list:
            return [vjp(y_bar, y, *uargs, **kwargs)]

    elif sizes is None:

        def table_vjp(y_bar: Any) -> list:
            return [vjp(y_bar, y, *uargs, **kwargs) for vjp in vjps]

    else:

        def table_vjp(y_bar: Any) -> list:
            return [sum_to(vjp(y_bar, y, *uargs, **kwargs), shape)
                    for vjp, shape in zip(vjps, sizes, strict=True)]  # fmt: skip

    return table_vjp


def _table_vjp_nested(plan, broadcast, y, uargs, kwargs, top) -> Callable[[Any], list]:
    """The same, for traced values inside containers (``np.concatenate([a, b])``)."""
    positions = tuple(sorted({pos for pos, _, _ in top}))
    pullbacks, reads, keep_shapes = plan
    vjps = list(zip(positions, pullbacks, strict=True))
    shapes = {pos: shape_of(uargs[pos - 1]) for pos in positions} if broadcast else None
    y, uargs = _residuals(reads, keep_shapes, y, uargs)
    paths = [(pos, path) for pos, path, _ in top]

    def table_vjp(y_bar: Any) -> list:
        by_pos = {pos: vjp(y_bar, y, *uargs, **kwargs) for pos, vjp in vjps}
        if shapes is not None:
            by_pos = {pos: sum_to(x_bar, shapes[pos]) for pos, x_bar in by_pos.items()}
        return [cotangent_at(by_pos[pos], path) if path else by_pos[pos] for pos, path in paths]

    return table_vjp


def _rule_vjp(fun, rule, pullback, nargs: int, top) -> Callable[[Any], list]:
    expected = [(pos, path, shape_of(box.value)) for pos, path, box in top]

    def rule_vjp(y_bar: Any) -> list:
        result = pullback(y_bar)
        if not isinstance(result, tuple | list) or len(result) != 1 + nargs:
            got = len(result) if isinstance(result, tuple | list) else type(result).__name__
            raise RuleError(
                f"the pullback of {name_of(rule)} for {name_of(fun)} returned {got} "
                f"cotangents; it must return {1 + nargs}: (f_bar, *arg_bars), f_bar first"
            )
        return [_checked(fun, rule, result[pos], pos, path, shape) for pos, path, shape in expected]

    rule_vjp.__qualname__ = f"{name_of(rule)}_checked"
    return rule_vjp


def _checked(fun: Any, rule: Any, at_pos: Any, pos: int, path: Path, shape: tuple) -> Any:
    """The cotangent a rule returned for one traced input, refused if missing or misshapen."""
    if path and is_zero(at_pos):
        raise MissingCotangentError(
            f"the pullback of {name_of(rule)} returned {at_pos!r} for "
            f"{'the callee' if pos == 0 else f'argument {pos - 1}'}, but its "
            f"{_position(fun, pos, path)} holds a traced value: return a Tangent with that "
            "field (a silent zero gradient otherwise)"
        )
    x_bar = cotangent_at(at_pos, path) if path else at_pos
    if x_bar is None or isinstance(x_bar, NoTangent):
        raise MissingCotangentError(
            f"the pullback of {name_of(rule)} returned no cotangent for "
            f"{_position(fun, pos, path)}, which holds a traced value (a silent zero gradient "
            "otherwise)"
        )
    if not is_zero(x_bar) and shape_of(x_bar) != shape:
        raise RuleError(
            f"the pullback of {name_of(rule)} returned a cotangent of shape "
            f"{shape_of(x_bar)} for {_position(fun, pos, path)}, whose shape is {shape}"
        )
    return x_bar


# ---------------------------------------------------------------------------------------
# forward mode


def forward_rule(fun: Any, callee: Any, uargs: list, kwargs: dict, top: list):
    """``(y, y_dot)`` for one call (``y_dot`` None if zero), or ``None`` if no rule."""
    dots_by_pos: dict[int, dict[Path, Any]] = {}
    for pos, path, b in top:
        dots_by_pos.setdefault(pos, {})[path] = b.tangent
    entry = table_entry(fun)
    if entry is not None and entry.jvps:
        dots: list[Any] = [ZeroTangent()] * (1 + len(uargs))
        for pos, sub in dots_by_pos.items():
            if pos > len(entry.jvps) or entry.jvps[pos - 1] is None:
                raise _not_differentiable_in(fun, pos - 1)
            dots[pos] = sub[()] if () in sub else _filled_tangent(uargs[pos - 1], sub)
        y, y_dot = table_frule(fun, entry, tuple(dots), tuple(uargs), kwargs)
        if not is_differentiable(y):
            _refuse_several_outputs(fun, y)
            return y, None
        return y, None if is_zero(y_dot) else y_dot
    found = find_frule(fun)
    if found is None:
        return None
    rule, is_instance = found
    objs = [callee, *uargs]
    dots = tuple(
        tangent_from_leaves(objs[pos], dots_by_pos[pos]) if pos in dots_by_pos else ZeroTangent()
        for pos in range(len(objs))
    )
    y, y_dot = rule(dots, *objs, **kwargs) if is_instance else rule(dots, *uargs, **kwargs)
    if not is_zero(y_dot) and shape_of(y_dot) != shape_of(y):
        raise RuleError(
            f"the frule {name_of(rule)} for {name_of(fun)} returned a tangent of shape "
            f"{shape_of(y_dot)} for an output of shape {shape_of(y)}"
        )
    return y, None if is_zero(y_dot) else y_dot


def _filled_tangent(primal: Any, leaf_tangents: dict[Path, Any]) -> Any:
    """A container like ``primal`` holding the given tangents and zeros at its other leaves."""
    zeros = {path: np.zeros_like(leaf) for path, leaf in leaves(primal)}
    return replace_leaves(primal, {**zeros, **leaf_tangents})
