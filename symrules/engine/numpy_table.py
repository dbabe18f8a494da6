"""The numpy table: derivatives of numpy's functions, one entry per function.

Elementwise functions are given by their partial derivatives ``d y / d x_i`` as functions of
``(y, *args)``; the table turns each into a vector-Jacobian product (``y_bar * d``) and a
Jacobian-vector product (``x_dot * d``), and the engine unbroadcasts. Linear functions (sums,
reshapes, indexing, stacking and tiling, flips, rolls, rotations, triangles, diagonals and
traces) push a tangent through themselves and pull a cotangent back through their transpose.
Every entry is written with numpy calls, so it can be traced again for higher derivatives.
Functions whose derivative is zero or undefined everywhere it exists (comparisons, ``floor``,
``sign``, ``argmax``) are computed on plain values.
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import UnsupportedFunctionError
from .broadcasting import ShapeOnly, shape_of, unbroadcast
from .primitives import primitive
from .registry import mark_non_differentiable
from .table import declare_residuals, defjvp, defvjp, linear_jvp, shape_only

__all__ = ["defelementwise", "divide_or_zero", "scatter_add"]

_LOG2, _LOG10 = np.log(2.0), np.log(10.0)
_RADIANS_PER_DEGREE = np.pi / 180.0


def _safe_log(x: Any) -> Any:
    """log(x) where x > 0 (x != 0 if complex), and 0 elsewhere (the exponent's derivative of
    0**b is 0)."""
    if np.iscomplexobj(x):
        return np.log(np.where(x == 0, 1.0, x))
    return np.log(np.where(x > 0, x, 1.0))


def _power_base(a: Any, b: Any) -> Any:
    """``d(a**b)/da = b a**(b-1)``, and exactly 0 where ``b == 0`` (not ``0 * 0**-1 = nan``)."""
    if isinstance(b, int | float):  # the common case, a constant exponent
        return b * np.power(a, b - 1) if b != 0 else np.zeros_like(a, dtype=float)
    return b * np.power(a, np.where(b == 0, 1.0, b - 1))


# Partial derivatives of elementwise functions, dy/dx_i, one per argument; +1/-1 are
# constants. A partial names what it reads: y (the output), x (a unary function's argument),
# a and b (a binary function's). The tape keeps only those values (its residuals). Divisions
# go through np.divide: a Python float argument (a literal 0.0) then follows numpy's
# semantics, inf and a warning, instead of raising ZeroDivisionError.
_ELEMENTWISE: dict[Any, tuple[Any, ...]] = {
    np.add: (1, 1),
    np.subtract: (1, -1),
    np.multiply: (lambda b: b, lambda a: a),
    np.true_divide: (lambda b: np.divide(1.0, b), lambda y, b: np.divide(-y, b)),
    np.negative: (-1,),
    np.positive: (1,),
    np.power: (_power_base, lambda y, a: y * _safe_log(a)),
    np.square: (lambda x: 2.0 * x,),
    np.reciprocal: (lambda y: -y * y,),
    np.sqrt: (lambda y: 0.5 / y,),
    np.cbrt: (lambda y: 1.0 / (3.0 * y * y),),
    np.exp: (lambda y: y,),
    np.exp2: (lambda y: y * _LOG2,),
    np.expm1: (lambda y: y + 1.0,),
    np.log: (lambda x: np.divide(1.0, x),),
    np.log2: (lambda x: 1.0 / (x * _LOG2),),
    np.log10: (lambda x: 1.0 / (x * _LOG10),),
    np.log1p: (lambda x: np.divide(1.0, 1.0 + x),),
    np.sin: (lambda x: np.cos(x),),
    np.cos: (lambda x: -np.sin(x),),
    np.tan: (lambda y: 1.0 + y * y,),
    np.arcsin: (lambda x: 1.0 / np.sqrt(1.0 - x * x),),
    np.arccos: (lambda x: -1.0 / np.sqrt(1.0 - x * x),),
    np.arctan: (lambda x: np.divide(1.0, 1.0 + x * x),),
    np.arctan2: (
        lambda a, b: np.divide(b, a * a + b * b),
        lambda a, b: np.divide(-a, a * a + b * b),
    ),
    np.hypot: (lambda y, a: a / y, lambda y, b: b / y),
    np.sinh: (lambda x: np.cosh(x),),
    np.cosh: (lambda x: np.sinh(x),),
    np.tanh: (lambda y: 1.0 - y * y,),
    np.arcsinh: (lambda x: 1.0 / np.sqrt(x * x + 1.0),),
    np.arccosh: (lambda x: 1.0 / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0)),),  # complex branches
    np.arctanh: (lambda x: np.divide(1.0, 1.0 - x * x),),
    np.fabs: (lambda x: np.sign(x),),
    # ties share the derivative equally, as in JAX
    np.maximum: (lambda a, b: (a > b) + 0.5 * (a == b), lambda a, b: (a < b) + 0.5 * (a == b)),
    np.minimum: (lambda a, b: (a < b) + 0.5 * (a == b), lambda a, b: (a > b) + 0.5 * (a == b)),
}
_ELEMENTWISE[np.fmax] = _ELEMENTWISE[np.maximum]
_ELEMENTWISE[np.fmin] = _ELEMENTWISE[np.minimum]
_ELEMENTWISE.update({
    np.logaddexp: (lambda y, a: np.exp(a - y), lambda y, b: np.exp(b - y)),
    np.logaddexp2: (lambda y, a: np.exp2(a - y), lambda y, b: np.exp2(b - y)),
    # a - b * floor(a / b) and a - b * trunc(a / b): the quotient's steps have no derivative
    np.remainder: (1, lambda a, b: -np.floor_divide(a, b)),
    np.fmod: (1, lambda a, b: -np.trunc(np.divide(a, b))),
    np.deg2rad: (lambda x: _RADIANS_PER_DEGREE,),
    np.rad2deg: (lambda x: 1.0 / _RADIANS_PER_DEGREE,),
})  # fmt: skip
_ELEMENTWISE[np.radians] = _ELEMENTWISE[np.deg2rad]
_ELEMENTWISE[np.degrees] = _ELEMENTWISE[np.rad2deg]


def _reads(d: Any, nargs: int) -> tuple[int, ...]:
    """Positions in ``(*args, y)`` that partial ``d`` reads, from its parameter names."""
    names = ("x",) if nargs == 1 else ("a", "b")
    position = {name: i for i, name in enumerate(names)} | {"y": nargs}
    return tuple(position[p] for p in inspect.signature(d).parameters)


def _elementwise_vjp(fn: Any, i: int, d: Any) -> Callable[..., Any]:
    if d == 1:

        def vjp(y_bar: Any, y: Any, *args: Any) -> Any:
            return y_bar

    elif d == -1:

        def vjp(y_bar: Any, y: Any, *args: Any) -> Any:
            return -y_bar

    else:
        reads = _reads(d, fn.nin)
        if len(reads) == 1:  # the common case, spelled out for speed
            (k,) = reads

            def vjp(y_bar: Any, y: Any, *args: Any) -> Any:
                return y_bar * d(args[k] if k < len(args) else y)

        else:

            def vjp(y_bar: Any, y: Any, *args: Any) -> Any:
                values = (*args, y)
                return y_bar * d(*[values[k] for k in reads])

    vjp.__qualname__ = f"{fn.__name__}_pullback_{i}"
    # the engine unbroadcasts, so the pullback needs no shapes
    return declare_residuals(vjp, () if d in (1, -1) else _reads(d, fn.nin))


def _elementwise_jvp(fn: Any, i: int, d: Any) -> Callable[..., Any]:
    if d in (1, -1):

        def jvp(x_dot: Any, y: Any, *args: Any) -> Any:
            return x_dot if d == 1 else -x_dot

    else:
        reads = _reads(d, fn.nin)

        def jvp(x_dot: Any, y: Any, *args: Any) -> Any:
            values = (*args, y)
            return x_dot * d(*[values[k] for k in reads])

    jvp.__qualname__ = f"{fn.__name__}_pushforward_{i}"
    return jvp


def defelementwise(fn: np.ufunc, *partials: Any) -> None:
    """Table entry of a ufunc from its partial derivatives, one per argument.

    Each partial is ``1``, ``-1``, a function of ``x`` (a unary function's argument), ``a`` and
    ``b`` (a binary one's) and ``y`` (the output), named so that the tape keeps only what it
    reads, or ``None``: no derivative in that argument (an integer order), refused by name if
    the argument is traced.

    Examples
    --------
    >>> import symrules as sr
    >>> float(sr.grad(np.arcsinh)(0.0))  # registered as defelementwise(np.arcsinh, ...)
    1.0
    """
    defvjp(fn, *(None if d is None else _elementwise_vjp(fn, i, d)
                 for i, d in enumerate(partials)), broadcast=True)  # fmt: skip
    defjvp(fn, *(None if d is None else _elementwise_jvp(fn, i, d)
                 for i, d in enumerate(partials)), broadcast=True)  # fmt: skip


for _fn, _partials in _ELEMENTWISE.items():
    defelementwise(_fn, *_partials)

for _fn in (
    # comparisons, predicates and integer-valued functions: derivative zero where it exists
    np.heaviside, np.floor, np.ceil, np.rint, np.trunc, np.isfinite, np.isnan, np.isinf,
    np.signbit, np.greater, np.greater_equal, np.less, np.less_equal, np.equal,
    np.not_equal, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.floor_divide, np.round, np.around, np.argmax, np.argmin, np.argsort, np.nonzero,
    np.isclose, np.allclose, np.array_equal, np.any, np.all, np.count_nonzero, np.searchsorted,
    # bookkeeping: shapes and fresh arrays
    np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
    np.zeros_like, np.ones_like, np.empty_like, np.full_like,
):  # fmt: skip
    mark_non_differentiable(_fn)


# ---------------------------------------------------------------------------------------
# linear functions: the tangent goes through the function itself


def _reduced_axes(ndim: int, axis: Any) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    return tuple(int(a) % ndim for a in axes)


def _expand(y_bar: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Broadcast the cotangent of a reduction back over the reduced axes of ``x``."""
    shape = shape_of(x)
    if not keepdims:
        axes = _reduced_axes(len(shape), axis)
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
        y_bar = np.reshape(y_bar, kept)
    return np.broadcast_to(y_bar, shape)


@shape_only
def _sum_pullback(y_bar, y, x, axis=None, dtype=None, keepdims=False):
    return _expand(y_bar, x, axis, keepdims)


@shape_only
def _mean_pullback(y_bar, y, x, axis=None, dtype=None, keepdims=False):
    count = np.size(x) // max(np.size(y), 1)
    return _expand(y_bar, x, axis, keepdims) / count


def _prod_pullback(y_bar, y, x, axis=None, dtype=None, keepdims=False):
    y_bar = _expand(y_bar, x, axis, keepdims)
    if not np.any(x == 0) or isinstance(axis, tuple):
        return y_bar * _expand(y, x, axis, keepdims) / x
    return y_bar * _product_of_others(x, axis)


def _product_of_others(x: Any, axis: Any) -> Any:
    """For each element, the product of the others along ``axis``: exact at zeros."""
    if axis is None:
        return np.reshape(_product_of_others(np.reshape(x, -1), 0), shape_of(x))
    moved = np.moveaxis(x, axis, -1)
    ones = np.ones((*shape_of(moved)[:-1], 1))
    left = np.cumprod(np.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
    shifted = np.concatenate([moved[..., 1:], ones], axis=-1)
    right = np.flip(np.cumprod(np.flip(shifted, -1), axis=-1), -1)
    return np.moveaxis(left * right, -1, axis)


def _prod_pushforward(x_dot, y, x, axis=None, dtype=None, keepdims=False):
    return y * np.sum(x_dot / x, axis=axis, keepdims=keepdims)


def _extremum_mask(y: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    hit = x == _expand(y, x, axis, keepdims)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def _extremum_pullback(y_bar, y, x, axis=None, keepdims=False):
    return _expand(y_bar, x, axis, keepdims) * _extremum_mask(y, x, axis, keepdims)


def _extremum_pushforward(x_dot, y, x, axis=None, keepdims=False):
    return np.sum(x_dot * _extremum_mask(y, x, axis, keepdims), axis=axis, keepdims=keepdims)


_REDUCTION = ("axis", "dtype", "keepdims")
defvjp(np.sum, _sum_pullback, keywords=_REDUCTION)
defjvp(np.sum, linear_jvp(np.sum))
defvjp(np.mean, _mean_pullback, keywords=_REDUCTION)
defjvp(np.mean, linear_jvp(np.mean))
defvjp(np.prod, _prod_pullback, keywords=_REDUCTION)
defjvp(np.prod, _prod_pushforward)
for _fn in (np.max, np.min, np.amax, np.amin):
    defvjp(_fn, _extremum_pullback, keywords=("axis", "keepdims"))
    defjvp(_fn, _extremum_pushforward)


def _var_derivative(x: Any, y: Any, axis: Any, ddof: int) -> Any:
    """``d var / d x = 2 (x - mean) / (N - ddof)`` (the mean's own change sums to zero)."""
    count = np.size(x) // max(np.size(y), 1)
    return 2.0 * (x - np.mean(x, axis=axis, keepdims=True)) / (count - ddof)


def _var_pullback(y_bar, y, x, axis=None, dtype=None, ddof=0, keepdims=False):
    derivative = _var_derivative(x, y, axis, ddof)  # of var = mean |x - mean|^2: conj if complex
    if np.iscomplexobj(derivative):
        derivative = np.conjugate(derivative)
    return _expand(y_bar, x, axis, keepdims) * derivative


def _var_pushforward(x_dot, y, x, axis=None, dtype=None, ddof=0, keepdims=False):
    derivative = _var_derivative(x, y, axis, ddof)
    if np.iscomplexobj(derivative) or np.iscomplexobj(x_dot):
        return np.real(np.sum(x_dot * np.conjugate(derivative), axis=axis, keepdims=keepdims))
    return np.sum(x_dot * derivative, axis=axis, keepdims=keepdims)


def divide_or_zero(numerator: Any, denominator: Any) -> Any:
    """``numerator / denominator``, and 0 where the denominator is 0: the zero subgradient at
    a kink (``abs``, ``std`` of equal values, ``angle`` at 0), never ``0/0 = nan``.

    Examples
    --------
    >>> divide_or_zero(np.array([1.0, 0.0]), np.array([2.0, 0.0])).tolist()
    [0.5, 0.0]
    """
    zero = denominator == 0
    return np.where(zero, 0.0, numerator / np.where(zero, 1.0, denominator))


def _over_twice(numerator: Any, std: Any) -> Any:
    """``numerator / (2 std)``, and 0 where ``std`` is 0: there every ``x`` equals the mean,
    so the numerator is 0 too (one element: std is constant, its derivative 0; equal elements:
    the kink's zero subgradient, as ``abs`` has at 0)."""
    return divide_or_zero(numerator, 2.0 * std)


def _std_pullback(y_bar, y, x, axis=None, dtype=None, ddof=0, keepdims=False):
    kept = _expand(y, x, axis, keepdims)
    return _over_twice(_var_pullback(y_bar, y, x, axis, dtype, ddof, keepdims), kept)


def _std_pushforward(x_dot, y, x, axis=None, dtype=None, ddof=0, keepdims=False):
    return _over_twice(_var_pushforward(x_dot, y, x, axis, dtype, ddof, keepdims), y)


_SPREAD = (*_REDUCTION, "ddof")
defvjp(np.var, _var_pullback, keywords=_SPREAD, aliases={"correction": "ddof"})
defjvp(np.var, _var_pushforward)
defvjp(np.std, _std_pullback, keywords=_SPREAD, aliases={"correction": "ddof"})
defjvp(np.std, _std_pushforward)
_NAN_TO_NUM = ("copy", "nan", "posinf", "neginf")
defvjp(np.nan_to_num, lambda y_bar, y, x, copy=True, nan=0.0, posinf=None, neginf=None:
       y_bar * np.isfinite(x), keywords=_NAN_TO_NUM)  # fmt: skip
defjvp(np.nan_to_num, lambda x_dot, y, x, copy=True, nan=0.0, posinf=None, neginf=None:
       x_dot * np.isfinite(x), keywords=_NAN_TO_NUM)  # fmt: skip


@shape_only
def _cumsum_pullback(y_bar, y, x, axis=None, dtype=None):
    if axis is None:
        return np.reshape(np.flip(np.cumsum(np.flip(np.reshape(y_bar, -1)))), shape_of(x))
    return np.flip(np.cumsum(np.flip(y_bar, axis), axis), axis)


defvjp(np.cumsum, _cumsum_pullback, keywords=("axis", "dtype"))
defjvp(np.cumsum, linear_jvp(np.cumsum))
defvjp(np.flip, lambda y_bar, y, x, axis=None: np.flip(y_bar, axis), keywords=("axis",))
defjvp(np.flip, linear_jvp(np.flip))


@shape_only
def _diff_pullback(y_bar, y, x, n=1, axis=-1):
    ax = axis % len(shape_of(x))
    for _ in range(n):
        pad = list(shape_of(y_bar))
        pad[ax] = 1
        zeros = np.zeros(pad)
        y_bar = -np.diff(np.concatenate([zeros, y_bar, zeros], axis=ax), axis=ax)
    return y_bar


defvjp(np.diff, _diff_pullback, keywords=("n", "axis"))
defjvp(np.diff, linear_jvp(np.diff))


@shape_only
def _reshape_back(y_bar: Any, y: Any, x: Any, **kwargs: Any) -> Any:
    return np.reshape(y_bar, shape_of(x), order=kwargs.get("order", "C"))


for _fn, _keywords in [
    (np.reshape, ("shape", "order")),
    (np.ravel, ("order",)),
    (np.squeeze, ("axis",)),
    (np.expand_dims, ("axis",)),
    (np.atleast_1d, ()),
    (np.atleast_2d, ()),
    (np.atleast_3d, ()),
]:
    defvjp(_fn, _reshape_back, keywords=_keywords)
    defjvp(_fn, linear_jvp(_fn))


@shape_only
def _transpose_pullback(y_bar, y, x, axes=None):
    return np.transpose(y_bar, None if axes is None else np.argsort(axes))


@shape_only
def _broadcast_to_pullback(y_bar, y, x, shape):
    return unbroadcast(y_bar, x)


defvjp(np.transpose, _transpose_pullback, keywords=("axes",))
defjvp(np.transpose, linear_jvp(np.transpose))
defvjp(np.swapaxes, lambda y_bar, y, x, axis1, axis2: np.swapaxes(y_bar, axis1, axis2),
       keywords=("axis1", "axis2"))  # fmt: skip
defjvp(np.swapaxes, linear_jvp(np.swapaxes))
defvjp(np.moveaxis, lambda y_bar, y, x, source, destination: np.moveaxis(
    y_bar, destination, source), keywords=("source", "destination"))  # fmt: skip
defjvp(np.moveaxis, linear_jvp(np.moveaxis))
defvjp(np.broadcast_to, _broadcast_to_pullback, keywords=("shape",))
defjvp(np.broadcast_to, linear_jvp(np.broadcast_to))
defvjp(np.copy, lambda y_bar, y, x, order="K": y_bar, keywords=("order",))
defjvp(np.copy, linear_jvp(np.copy))


@shape_only
def _concatenate_pullback(y_bar, y, arrays, axis=0):
    if not isinstance(arrays, tuple | list):  # one array: numpy concatenates its rows
        shape = shape_of(arrays)
        rows = [ShapeOnly(shape[1:], float)] * shape[0]
        return np.stack(_concatenate_pullback(y_bar, y, rows, axis))
    if axis is None:
        flat = [np.size(a) for a in arrays]
        stops = np.cumsum(flat)
        pieces = zip(arrays, flat, stops, strict=True)
        return [np.reshape(y_bar[s - n : s], shape_of(a)) for a, n, s in pieces]
    ax = axis % len(shape_of(y))
    sizes = [shape_of(a)[ax] for a in arrays]
    stops = np.cumsum(sizes)
    lead = (slice(None),) * ax
    return [y_bar[(*lead, slice(s - n, s))] for n, s in zip(sizes, stops, strict=False)]


@shape_only
def _stack_pullback(y_bar, y, arrays, axis=0):
    ax = axis % len(shape_of(y))
    lead = (slice(None),) * ax
    return [y_bar[(*lead, i)] for i in range(len(arrays))]


defvjp(np.concatenate, _concatenate_pullback, keywords=("axis",))
defjvp(np.concatenate, linear_jvp(np.concatenate))
defvjp(np.stack, _stack_pullback, keywords=("axis",))
defjvp(np.stack, linear_jvp(np.stack))


def _where_pullback_x(y_bar, y, condition, x, other):
    return np.where(condition, y_bar, 0.0)


def _where_pullback_other(y_bar, y, condition, x, other):
    return np.where(condition, 0.0, y_bar)


defvjp(np.where, None, _where_pullback_x, _where_pullback_other, broadcast=True)
defjvp(
    np.where,
    None,
    lambda x_dot, y, condition, x, other: np.where(condition, x_dot, 0.0),
    lambda x_dot, y, condition, x, other: np.where(condition, 0.0, x_dot),
    broadcast=True,
)


def _inside(x: Any, lo: Any, hi: Any) -> Any:
    inside = np.ones(shape_of(x), dtype=bool)
    if lo is not None:
        inside = inside & (x >= lo)
    if hi is not None:
        inside = inside & (x <= hi)
    return inside


defvjp(
    np.clip,
    lambda y_bar, y, x, lo=None, hi=None: y_bar * _inside(x, lo, hi),
    lambda y_bar, y, x, lo=None, hi=None: y_bar * (x < lo),
    lambda y_bar, y, x, lo=None, hi=None: y_bar * (x > hi),
    broadcast=True,
    aliases={"min": "a_min", "max": "a_max"},  # numpy 2's names
)
defjvp(
    np.clip,
    lambda x_dot, y, x, lo=None, hi=None: x_dot * _inside(x, lo, hi),
    lambda x_dot, y, x, lo=None, hi=None: x_dot * (x < lo),
    lambda x_dot, y, x, lo=None, hi=None: x_dot * (x > hi),
    broadcast=True,
)


def _sinc_derivative(x: Any) -> Any:
    """``d sinc(x) / dx = (cos(pi x) - sinc(x)) / x``; near 0 (where that cancels, and is 0/0
    at 0) its Taylor series to ``x**7``, whose next term is below ``1e-12`` relative for
    ``|x| < 0.05``: differentiable again, so second derivatives at 0 are right too."""
    near = np.abs(x) < 0.05
    far = np.where(near, 1.0, x)
    p2 = (np.pi * np.where(near, x, 0.0)) ** 2
    series = np.where(near, x, 0.0) * np.pi**2 * (
        -1.0 / 3.0 + p2 * (1.0 / 30.0 + p2 * (-1.0 / 840.0 + p2 / 45360.0))
    )
    return np.where(near, series, (np.cos(np.pi * far) - np.sinc(far)) / far)


defvjp(np.sinc, lambda y_bar, y, x: y_bar * _sinc_derivative(x))
defjvp(np.sinc, lambda x_dot, y, x: x_dot * _sinc_derivative(x))


def _linspace_weights(y: Any, start: Any, num: int, endpoint: bool, axis: int) -> Any:
    """``t`` with ``y = start + (stop - start) * t``, shaped to broadcast against ``y``."""
    if axis != 0:
        raise UnsupportedFunctionError("numpy.linspace is differentiable along axis=0 only")
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    return np.reshape(t, (num,) + (1,) * len(shape_of(start)))


@shape_only
def _linspace_pullback_start(y_bar, y, start, stop, num=50, endpoint=True, retstep=False,
                             dtype=None, axis=0):  # fmt: skip
    return np.sum(y_bar * (1.0 - _linspace_weights(y, start, num, endpoint, axis)), axis=0)


@shape_only
def _linspace_pullback_stop(y_bar, y, start, stop, num=50, endpoint=True, retstep=False,
                            dtype=None, axis=0):  # fmt: skip
    return np.sum(y_bar * _linspace_weights(y, stop, num, endpoint, axis), axis=0)


def _linspace_pushforward_start(start_dot, y, start, stop, num=50, endpoint=True,
                                retstep=False, dtype=None, axis=0):  # fmt: skip
    return start_dot * (1.0 - _linspace_weights(y, start, num, endpoint, axis))


def _linspace_pushforward_stop(stop_dot, y, start, stop, num=50, endpoint=True,
                               retstep=False, dtype=None, axis=0):  # fmt: skip
    return stop_dot * _linspace_weights(y, stop, num, endpoint, axis)


defvjp(np.linspace, _linspace_pullback_start, _linspace_pullback_stop,
       keywords=("num", "endpoint", "retstep", "dtype", "axis"))  # fmt: skip
defjvp(np.linspace, _linspace_pushforward_start, _linspace_pushforward_stop)


# ---------------------------------------------------------------------------------------
# indexing


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, ...) and masks never select an element twice."""
    if type(index) is int or type(index) is slice:
        return True
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, int | np.integer | slice | type(None) | type(Ellipsis))
        or (isinstance(i, np.ndarray) and i.dtype == bool)
        for i in items
    )


@primitive
def scatter_add(values: Any, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` added at ``index``: the transpose of indexing.

    Repeated indices accumulate (``np.add.at``).

    Examples
    --------
    >>> import numpy as np
    >>> scatter_add(np.array([1.0, 2.0]), np.array([0, 0]), (3,)).tolist()
    [3.0, 0.0, 0.0]
    """
    dtype = getattr(values, "dtype", None)
    out = np.zeros(shape, dtype=dtype if dtype is not None and dtype.kind in "fc" else float)
    if _is_basic(index):
        out[index] = values
    else:
        np.add.at(out, index, values)
    return out


@shape_only
def _getitem_pullback(y_bar: Any, y: Any, x: Any, index: Any) -> Any:
    return scatter_add(y_bar, index, shape_of(x))


defvjp(operator.getitem, _getitem_pullback, None)
defjvp(operator.getitem, lambda x_dot, y, x, index: x_dot[index], None)
defvjp(scatter_add, lambda y_bar, y, values, index, shape: y_bar[index], None, None)
defjvp(scatter_add, linear_jvp(scatter_add), None, None)


# ---------------------------------------------------------------------------------------
# products


def _matmul_pullback_a(y_bar, y, a, b):
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return unbroadcast(y_bar * b, a)
    if na == 1 and nb == 1:
        return y_bar * b
    if nb == 1:
        return unbroadcast(np.expand_dims(y_bar, -1) * b, a)
    if na == 1:
        return unbroadcast(np.sum(np.expand_dims(y_bar, -2) * b, axis=-1), a)
    return unbroadcast(np.matmul(y_bar, np.swapaxes(b, -1, -2)), a)


def _matmul_pullback_b(y_bar, y, a, b):
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return unbroadcast(y_bar * a, b)
    if na == 1 and nb == 1:
        return y_bar * a
    if na == 1:
        return unbroadcast(np.expand_dims(a, -1) * np.expand_dims(y_bar, -2), b)
    if nb == 1:
        return unbroadcast(np.expand_dims(y_bar, -1) * a, b)
    return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), y_bar), b)


defvjp(np.matmul, _matmul_pullback_a, _matmul_pullback_b)
defjvp(np.matmul, lambda a_dot, y, a, b: np.matmul(a_dot, b),
       lambda b_dot, y, a, b: np.matmul(a, b_dot))  # fmt: skip
defvjp(
    np.vdot,
    lambda y_bar, y, a, b: np.reshape(y_bar * b, shape_of(a)),
    lambda y_bar, y, a, b: np.reshape(y_bar * a, shape_of(b)),
)
defjvp(np.vdot, lambda a_dot, y, a, b: np.vdot(a_dot, b), lambda b_dot, y, a, b: np.vdot(a, b_dot))
