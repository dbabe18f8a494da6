"""The numpy table, continued: functions written as compositions of table calls.

``np.split`` and its kin return lists of arrays, ``np.pad``, ``np.select`` and
``np.gradient`` are compositions; none needs a derivative of its own. Each is registered with
:func:`~symrules.engine.table.defcomposite` and traced through a re-implementation in table
calls, so its derivatives of every order come from theirs: a split is a list of slices, a
padding concatenates constant slabs or gathers (edge, reflect, symmetric, wrap: numpy's own
``pad`` of ``arange(n)`` says which element each padded position copies), a selection is a
chain of ``np.where``, and a numerical gradient is a weighted sum of shifted slices. Where
these take numpy's checks on the shapes, they reuse numpy's own function on positions, so
an invalid call fails as numpy's does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..errors import UnsupportedFunctionError
from .broadcasting import shape_of
from .table import defcomposite
from .tracing import is_traced

__all__: list[str] = []


# ---------------------------------------------------------------------------------------
# splits: a list of slices


def _span(positions: np.ndarray) -> slice:
    """The slice a run of consecutive positions is (numpy's pieces are such runs)."""
    return slice(positions[0], positions[-1] + 1) if len(positions) else slice(0, 0)


def _split(ary: Any, indices_or_sections: Any, axis: int, fn: Any = np.split) -> list:
    """``ary`` cut along ``axis`` where ``fn`` (``np.split``/``np.array_split``) cuts it."""
    shape = shape_of(ary)
    axis = normalize_axis_index(axis, len(shape))
    lead = (slice(None),) * axis
    return [ary[(*lead, _span(p))] for p in fn(np.arange(shape[axis]), indices_or_sections)]


def _split_impl(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis)


def _array_split_impl(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, np.array_split)


def _fixed_axis(name: str, least: int, axis_of: Any) -> Any:
    """``np.hsplit``, ``vsplit`` or ``dsplit``: a split along an axis set by the dimensions."""

    def impl(ary: Any, indices_or_sections: Any) -> list:
        ndim = len(shape_of(ary))
        if ndim < least:
            raise ValueError(f"{name} only works on arrays of {least} or more dimensions")
        return _split(ary, indices_or_sections, axis_of(ndim))

    return impl


defcomposite(np.split, _split_impl)
defcomposite(np.array_split, _array_split_impl)
defcomposite(np.hsplit, _fixed_axis("hsplit", 1, lambda ndim: 1 if ndim > 1 else 0))
defcomposite(np.vsplit, _fixed_axis("vsplit", 2, lambda ndim: 0))
defcomposite(np.dsplit, _fixed_axis("dsplit", 3, lambda ndim: 2))


# ---------------------------------------------------------------------------------------
# pad: constant slabs concatenated, or a gather along each axis

_GATHERS = ("edge", "reflect", "symmetric", "wrap")  # each padded entry copies an entry


def _widths(pad_width: Any, ndim: int) -> np.ndarray:
    """numpy's ``pad_width`` (an int, ``(n,)``, ``(before, after)``, per-axis pairs, a dict
    by axis) as an ``(ndim, 2)`` array of integers."""
    if isinstance(pad_width, dict):
        pairs = np.zeros((ndim, 2), dtype=np.intp)
        for axis, width in pad_width.items():
            pairs[axis] = width
        return pairs
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError("`pad_width` must be of integral type.")
    if widths.size and widths.min() < 0:
        raise ValueError("index can't contain negative values")
    if widths.size == 1 or (widths.size == 2 and widths.shape != (2, 1)):
        widths = np.reshape(widths, -1)  # one width for all, or one (before, after) for all
    elif widths.shape == (2, 1):  # one width per axis, for both of its sides
        widths = np.repeat(widths, 2, axis=1)
    return np.broadcast_to(widths, (ndim, 2))


def _refuse(mode: str, kwargs: dict, accepted: tuple[str, ...]) -> None:
    """Refuse, by name, a keyword the mode has no derivative for."""
    for name, value in kwargs.items():
        if name not in accepted or (name == "reflect_type" and value != "even"):
            raise UnsupportedFunctionError(
                f"numpy.pad: the argument {name}={value!r} is not supported with "
                f"mode={mode!r} while differentiating"
            )


def _pad_impl(array, pad_width, mode="constant", **kwargs):
    shape = shape_of(array)
    widths = _widths(pad_width, len(shape))
    if mode == "constant":
        _refuse(mode, kwargs, ("constant_values",))
        constant = kwargs.get("constant_values", 0)
        traced = is_traced(constant)  # one traced value, added to zeros
        if traced and np.ndim(constant) != 0:
            raise UnsupportedFunctionError(
                "numpy.pad: a traced constant_values must be one value, not per axis"
            )
        values = np.broadcast_to(np.asarray(0.0 if traced else constant), widths.shape)
        dtype = np.result_type(array)
        for axis in range(len(shape)):  # as numpy: the last axis's values fill the corners
            if widths[axis].any():
                now = shape_of(array)
                pairs = zip(widths[axis], values[axis], strict=True)
                before, after = (np.full((*now[:axis], n, *now[axis + 1 :]), v, dtype=dtype)
                                 + (constant if traced else 0) for n, v in pairs)  # fmt: skip
                array = np.concatenate([before, array, after], axis=axis)
        return array
    if mode not in _GATHERS:
        raise UnsupportedFunctionError(
            f"numpy.pad: mode={mode!r} is not supported while differentiating (supported: "
            f"'constant', {', '.join(map(repr, _GATHERS))})"
        )
    _refuse(mode, kwargs, ("reflect_type",))
    for axis, n in enumerate(shape):
        if widths[axis].any():
            where_from = np.pad(np.arange(n), tuple(widths[axis]), mode=mode)
            array = array[(slice(None),) * axis + (where_from,)]
    return array


defcomposite(np.pad, _pad_impl)


# ---------------------------------------------------------------------------------------
# select: the first choice whose condition holds, as a chain of np.where


def _select_impl(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    result = default
    for condition, choice in reversed(list(zip(condlist, choicelist, strict=True))):
        result = np.where(condition, choice, result)
    return result


defcomposite(np.select, _select_impl)


# ---------------------------------------------------------------------------------------
# gradient: second-order differences inside, first or second order at the ends


def _three_point(dx1: Any, dx2: Any, at: str) -> tuple[Any, Any, Any]:
    """Weights of the three-point derivative on spacings ``dx1``, ``dx2`` (numpy's), taken
    at the ``"first"``, ``"middle"`` or ``"last"`` of the three points."""
    both = dx1 + dx2
    if at == "first":
        return -(2.0 * dx1 + dx2) / (dx1 * both), both / (dx1 * dx2), -dx1 / (dx2 * both)
    if at == "middle":
        return -dx2 / (dx1 * both), (dx2 - dx1) / (dx1 * dx2), dx1 / (dx2 * both)
    return dx2 / (dx1 * both), -both / (dx1 * dx2), (2.0 * dx2 + dx1) / (dx2 * both)


def _derivative(f: Any, spacing: Any, axis: int, edge_order: int) -> Any:
    """``np.gradient`` of ``f`` along one axis; ``spacing`` a step or the coordinates."""
    shape = shape_of(f)
    n = shape[axis]
    if n < edge_order + 1:
        raise ValueError(
            "Shape of array too small to calculate a numerical gradient, at least "
            "(edge_order + 1) elements are required."
        )
    if np.ndim(spacing) == 0:
        dx = spacing * np.ones(n - 1)
    elif shape_of(spacing) == (n,):
        dx = np.diff(spacing)
    else:
        raise ValueError("when 1d, distances must match the length of the corresponding dimension")

    def at(start: int | None, stop: int | None) -> Any:
        return f[(slice(None),) * axis + (slice(start, stop),)]

    def along(w: Any) -> Any:  # weights varying along ``axis``
        return np.reshape(w, (-1,) + (1,) * (len(shape) - axis - 1))

    a, b, c = map(along, _three_point(dx[:-1], dx[1:], "middle"))
    inside = a * at(None, -2) + b * at(1, -1) + c * at(2, None)
    if edge_order == 1:
        first = (at(1, 2) - at(0, 1)) / dx[0]
        last = (at(-1, None) - at(-2, -1)) / dx[-1]
    else:
        a, b, c = _three_point(dx[0], dx[1], "first")
        first = a * at(0, 1) + b * at(1, 2) + c * at(2, 3)
        a, b, c = _three_point(dx[-2], dx[-1], "last")
        last = a * at(-3, -2) + b * at(-2, -1) + c * at(-1, None)
    return np.concatenate([first, inside, last], axis=axis)


def _gradient_impl(f, *varargs, axis=None, edge_order=1):
    ndim = len(shape_of(f))
    axes = tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    spacings = varargs
    if not varargs or (len(varargs) == 1 and np.ndim(varargs[0]) == 0):  # one for every axis
        spacings = (varargs or (1.0,)) * len(axes)
    if len(spacings) != len(axes):
        raise TypeError("invalid number of arguments")
    out = tuple(_derivative(f, h, ax, edge_order) for h, ax in zip(spacings, axes, strict=True))
    return out[0] if len(out) == 1 else out


defcomposite(np.gradient, _gradient_impl)
