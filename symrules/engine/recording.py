"""Applying a function's rule to traced arguments: what the tape records for one call.

:func:`reverse_rule` evaluates a call and returns its vector-Jacobian product over the traced
inputs; :func:`forward_rule` its value and tangent. A numpy-table function goes through
:mod:`~symrules.engine.table` (the code :func:`symrules.rrule` runs too); a registered rule
is called through :func:`~symrules.engine.registry.call_rrule`, told which cotangents are
needed (:class:`~symrules.engine.needs.Needs`), and its result is checked: the number of
cotangents, their shapes, and that every traced field of a closure or callable object received
one (never a silent zero gradient). A table function whose result is a
:class:`~symrules.engine.watched.WatchedArray` reports to its watcher.
Both return ``None`` where there is no rule, and the engine then traces through.
"""

from __future__ import annotations

import contextlib
import inspect
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import MissingCotangentError, RuleError, UnsupportedFunctionError
from .broadcasting import shape_of
from .fields import Path, is_differentiable, path_name, replace_leaves
from .needs import Needs
from .registry import call_frule, call_rrule, find_frule, find_rrule
from .table import label, normalize_call, table_entry, table_pullback, table_pushforward
from .tangents import (
    NoTangent,
    SkippedTangent,
    ZeroTangent,
    cotangent_at,
    is_zero,
    tangent_from_leaves,
)
from .watched import WatchedArray, report

__all__ = ["forward_rule", "name_of", "reverse_rule"]


def name_of(fun: Any) -> str:
    """How messages name a function: ``numpy.sin``, ``indexing``, or its qualified name."""
    if isinstance(fun, np.ufunc) or getattr(fun, "__module__", "").startswith("numpy"):
        return label(fun)
    if fun is operator.getitem:
        return "indexing"
    return getattr(fun, "__qualname__", None) or type(fun).__name__


def _position(fun: Any, pos: int, path: Path) -> str:
    """How an error names a traced input: ``argument 0 (f)``, ``field f.p[1] of argument 0``."""
    if pos == 0:
        return f"field {path_name(path, type(fun).__name__)}"
    impl = getattr(fun, "_symrules_impl", None) or getattr(type(fun), "_symrules_call", None)
    name: str | None = None
    if impl is not None:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            params = [p for p in inspect.signature(impl).parameters if p != "self"]
            name = params[pos - 1]
    if not path:
        return f"argument {pos - 1}" + (f" ({name})" if name else "")
    return f"field {path_name(path, name or 'f')} of argument {pos - 1}"


def _check_output(fun: Any, y: Any) -> bool:
    """Whether ``y`` carries a derivative; several outputs are refused."""
    if isinstance(y, tuple | list):  # ``retstep=True``, ...: the derivative would be lost
        raise UnsupportedFunctionError(
            f"{name_of(fun)} returned several outputs; differentiating through that form is "
            "not supported"
        )
    return is_differentiable(y)


def _data_positions(fun: Any, entry: Any, nargs: int, top: list) -> None:
    """Refuse a traced value in a non-data argument (an axis, a keyword)."""
    for pos, _, _ in top:
        if pos > nargs:
            raise UnsupportedFunctionError(
                f"{name_of(fun)} is not differentiable in its argument {pos - 1}"
            )


def _normalized(fun: Any, entry: Any, uargs: list, kwargs: dict, top: list):
    """The call in the table's form (data positional); the traced values must be data."""
    data, kwargs = normalize_call(fun, entry, tuple(uargs), kwargs)
    _data_positions(fun, entry, len(data), top)
    return list(data), kwargs


def _needs(top: list, nargs: int) -> Needs:
    """The :class:`Needs` of a call: the traced inputs and fields in ``top``."""
    wanted: list[Any] = [False] * (nargs + 1)
    for pos, path, _ in top:
        if not path:
            wanted[pos] = True
        elif wanted[pos] is not True:
            wanted[pos] = {*(wanted[pos] or ()), path}
    return Needs.of_paths(wanted)


# ---------------------------------------------------------------------------------------
# reverse mode


def reverse_rule(fun: Any, callee: Any, uargs: list, kwargs: dict, top: list, nested: bool):
    """``(y, vjp)`` for one call, ``(y, None)`` if ``y`` carries no derivative, ``None`` if no rule.

    ``top`` lists the traced inputs as ``(position, path, box)``, position 0 being the callee;
    ``vjp(y_bar)`` returns their cotangents in that order.
    """
    entry = table_entry(fun)
    if entry is not None and entry.vjps:
        if len(uargs) > entry.ndata:
            uargs, kwargs = _normalized(fun, entry, uargs, kwargs, top)
        y = fun(*uargs, **kwargs)
        kind = type(y)  # the common float results first: the checks below cost a microsecond
        real = kind is np.float64 or (kind is np.ndarray and y.dtype.kind == "f")
        if not real:
            if kind is WatchedArray:  # a watched array met a traced value
                report(fun, uargs, y)
                real = y.dtype.kind == "f"
            if not real and not _check_output(fun, y):
                return y, None
        if not nested:
            positions = tuple([p for p, _, _ in top])
            return y, table_pullback(fun, entry, y, uargs, kwargs, positions, real)
        positions = tuple(sorted({pos for pos, _, _ in top}))
        return y, _at_paths(table_pullback(fun, entry, y, uargs, kwargs, positions, real), top)
    found = find_rrule(fun)
    if found is None:
        return None
    out = call_rrule(found, callee, uargs, kwargs, _needs(top, len(uargs)))
    rule = found[0]
    if not (isinstance(out, tuple) and len(out) == 2 and callable(out[1])):
        raise RuleError(f"the rrule {name_of(rule)} for {name_of(fun)} must return (y, pullback)")
    y, pullback = out
    kind = type(y)
    if not (kind is np.float64 or kind is float or (kind is np.ndarray and y.dtype.kind == "f")):
        _check_output(fun, y)
    return y, _rule_vjp(fun, rule, pullback, len(uargs), top)


def _at_paths(vjp: Callable[[Any], list], top: list) -> Callable[[Any], list]:
    """For traced values inside containers (``np.concatenate([a, b])``): each one's entry."""
    positions = sorted({pos for pos, _, _ in top})
    paths = [(pos, path) for pos, path, _ in top]

    def table_vjp_at_paths(y_bar: Any) -> list:
        by_pos = dict(zip(positions, vjp(y_bar), strict=True))
        return [cotangent_at(by_pos[pos], path) if path else by_pos[pos] for pos, path in paths]

    return table_vjp_at_paths


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
    if x_bar is None or isinstance(x_bar, NoTangent | SkippedTangent):
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
        if len(uargs) > entry.ndata:
            uargs, kwargs = _normalized(fun, entry, uargs, kwargs, top)
        dots: list[Any] = [ZeroTangent()] * len(uargs)
        for pos, sub in dots_by_pos.items():
            dots[pos - 1] = sub[()] if () in sub else _filled_tangent(uargs[pos - 1], sub)
        y, y_dot = table_pushforward(fun, entry, tuple(dots), tuple(uargs), kwargs)
    else:
        found = find_frule(fun)
        if found is None:
            return None
        objs = [callee, *uargs]
        obj_dots = tuple(
            tangent_from_leaves(obj, dots_by_pos[pos]) if pos in dots_by_pos
            else NoTangent() if pos == 0 else ZeroTangent()
            for pos, obj in enumerate(objs)
        )  # fmt: skip
        y, y_dot = call_frule(found, callee, uargs, kwargs, obj_dots)
        rule = found[0]
        if not is_zero(y_dot) and shape_of(y_dot) != shape_of(y):
            raise RuleError(
                f"the frule {name_of(rule)} for {name_of(fun)} returned a tangent of shape "
                f"{shape_of(y_dot)} for an output of shape {shape_of(y)}"
            )
    if not _check_output(fun, y):
        return y, None
    return y, None if is_zero(y_dot) else y_dot


def _filled_tangent(primal: Any, leaf_tangents: dict[Path, Any], path: Path = ()) -> Any:
    """A list or tuple like ``primal`` holding the given tangents, and zeros at its other
    entries: float and integer constants alike (``np.stack([x, 3])``'s tangent is
    ``[x_dot, 0]``)."""
    if path in leaf_tangents:
        return leaf_tangents[path]
    if isinstance(primal, tuple | list):
        return type(primal)(
            _filled_tangent(part, leaf_tangents, (*path, i)) for i, part in enumerate(primal)
        )
    if isinstance(primal, np.ndarray | np.generic | float | int | complex):
        return np.zeros_like(primal, dtype=complex if np.iscomplexobj(primal) else float)
    return replace_leaves(primal, {p[len(path) :]: t for p, t in leaf_tangents.items()
                                   if p[: len(path)] == path})  # fmt: skip
