"""Building arrays from traced values: :func:`array`, :func:`asarray`, :data:`r_`, :data:`c_`.

``np.array([x, 2 * x])`` with a traced ``x`` is the one kind of numpy call the engine cannot
intercept: numpy converts the list itself, asking each element for its values
(``Box.__array__``, which refuses), and offers the call to ``__array_function__`` only for the
dispatcher's own arguments -- the list, not what it holds. The functions here are numpy's on
plain input; on traced input they build the array with :func:`numpy.stack`, level by level,
which the table differentiates. :func:`accepting_lists` gives any other numpy function the
same ability, and :func:`integer_type` lets ``np.int64(x)`` make indices of a traced value;
:mod:`symrules.numpy` puts them all behind numpy's names.

How it works
------------
numpy first builds the array of the primal values, so the shape, the dtype and the errors (a
ragged list) are numpy's own; then the nested lists are stacked, and the result is cast to
that dtype (:func:`~symrules.engine.casting.astype`). An integer dtype would drop the
derivative, and is refused naming it. Any other function is called as it is; only when numpy
refuses a traced value (``Box.__array__``) and an argument is a list or tuple holding traced
values are those made traced arrays, and the call made again: a plain call costs nothing more.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..errors import TracingError, UnsupportedFunctionError
from .tracing import Box, is_traced, strip

__all__ = [
    "AxisConcatenator",
    "accepting_lists",
    "array",
    "asarray",
    "c_",
    "integer_type",
    "r_",
    "traced_array",
]


def array(obj: Any, dtype: Any = None, *, ndmin: int = 0, **keywords: Any) -> Any:
    """:func:`numpy.array`, also of (nested) lists and tuples holding traced values.

    Plain input goes to numpy as it is, with numpy's other keywords (``copy``, ``order``,
    ``subok``, ``like``); a traced result is :func:`traced_array`'s.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> float(sr.grad(lambda x: np.sum(array([x, 2.0 * x, 1.0]) ** 2))(1.5))
    15.0
    >>> array([[1, 2], [3, 4]]).dtype == np.array([[1, 2], [3, 4]]).dtype
    True
    """
    try:
        return np.array(obj, dtype, ndmin=ndmin, **keywords)
    except TracingError:
        if not is_traced(obj):
            raise
        return traced_array(obj, dtype, ndmin)


def asarray(a: Any, dtype: Any = None, *args: Any, **keywords: Any) -> Any:
    """:func:`numpy.asarray`, also of (nested) lists and tuples holding traced values.

    Plain input goes to numpy as it is, with numpy's other arguments (``order``, ``copy``,
    ...); a traced value is returned as it is (it is never written to in place).

    Examples
    --------
    >>> import symrules as sr
    >>> float(sr.grad(lambda x: asarray((x, x * x))[1])(3.0))
    6.0
    """
    try:
        return np.asarray(a, dtype, *args, **keywords)
    except TracingError:
        if not is_traced(a):
            raise
        return traced_array(a, dtype)


def traced_array(obj: Any, dtype: Any = None, ndmin: int = 0) -> Any:
    """The traced array ``np.array(obj, dtype, ndmin=ndmin)`` for ``obj`` holding traced values.

    Raises
    ------
    TracingError
        The array's dtype is not a float or complex one (the derivative would be dropped).
    ValueError
        numpy's own; for a ragged list, one that says so (numpy's is its cause).

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> def probe(x):
    ...     y = traced_array([[x, 1.0], (np.float32(2.0), x)], dtype=np.float32)
    ...     assert y.shape == (2, 2) and y.dtype == np.float32
    ...     return np.sum(y)
    >>> float(sr.grad(probe)(0.5))
    2.0
    """
    try:
        value = np.array(strip(obj), dtype)  # numpy's shape, dtype and errors
    except ValueError as err:  # numpy's words would read as ``out[i] = traced`` to the engine
        if "inhomogeneous" not in str(err):
            raise
        raise ValueError(
            "the nested sequences holding traced values are ragged: numpy's message, above, "
            "says where"
        ) from err
    if value.dtype.kind not in "fc":
        raise TracingError(
            f"an array of dtype {value.dtype} built from traced values would drop their "
            "derivative; build a float array (dtype=float)"
        )
    y = _stacked(obj, value.dtype)
    if y.dtype != value.dtype:
        y = y.astype(value.dtype)
    if ndmin > y.ndim:
        y = np.reshape(y, (1,) * (ndmin - y.ndim) + y.shape)
    return y


def _stacked(obj: Any, dtype: np.dtype) -> Any:
    """``obj``'s nested sequences stacked; its plain parts are arrays of ``dtype`` (an integer
    constant is a float one: constants, not leaves of their own)."""
    if not is_traced(obj):
        return np.asarray(obj, dtype)
    if isinstance(obj, list | tuple):
        return np.stack([_stacked(part, dtype) for part in obj])
    return obj


class AxisConcatenator:
    """``numpy.r_`` and ``numpy.c_``, also for traced items: ``r_[x, 1.0, 0:3]``.

    Items as numpy takes them: slices (``start:stop:step``, a complex step being a number of
    points), scalars, arrays, lists; a first string directive ``'axis'``,
    ``'axis,ndmin'`` or ``'axis,ndmin,trans1d'``. The matrix directives ``'r'`` and ``'c'``
    are refused for traced items (a ``numpy.matrix`` cannot be traced).

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> r_[1.0, 0:3].tolist()
    [1.0, 0.0, 1.0, 2.0]
    >>> sr.jacobian(lambda x: r_[x, 0:2])(np.ones(2)).shape
    (4, 2)
    >>> sr.jacobian(lambda x: c_[x, np.zeros(2)])(np.ones(2)).shape
    (2, 2, 2)
    """

    def __init__(self, plain: Any, axis: int = 0, ndmin: int = 1, trans1d: int = -1) -> None:
        self.plain = plain  # numpy's own, for plain items
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __len__(self) -> int:
        return 0

    def __getitem__(self, key: Any) -> Any:
        if not is_traced(key):
            return self.plain[key]
        items = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if isinstance(items[0], str):
            axis, ndmin, trans1d = _directive(items[0], axis, ndmin, trans1d)
            items = items[1:]
        objs, dtypes = [], []
        for item in items:
            if isinstance(item, str):
                raise ValueError("special directives must be the first entry.")
            scalar = type(item) in np.ScalarType
            if isinstance(item, slice):
                obj = np.array(np.r_[item], ndmin=ndmin)  # numpy's arange or linspace
                obj = obj.swapaxes(-1, trans1d) if ndmin > 1 and trans1d != -1 else obj
            elif scalar:
                obj = item
            else:
                obj = _raised(array(item, ndmin=ndmin), ndmin, trans1d, np.ndim(strip(item)))
            objs.append(obj)
            dtypes.append(item if scalar else obj.dtype)
        dtype = np.result_type(*dtypes)
        return np.concatenate([array(o, ndmin=ndmin, dtype=dtype) for o in objs], axis=axis)


def _raised(obj: Any, ndmin: int, trans1d: int, ndim: int) -> Any:
    """``obj`` (already ``ndmin``-dimensional) with its original axes moved to ``trans1d``."""
    if trans1d == -1 or ndim >= ndmin:
        return obj
    k1, k2 = trans1d if trans1d >= 0 else trans1d + ndmin - ndim + 1, ndmin - ndim
    axes = list(range(ndmin))
    return np.transpose(obj, axes[:k1] + axes[k2:] + axes[k1:k2])


def _directive(text: str, axis: int, ndmin: int, trans1d: int) -> tuple[int, int, int]:
    """``(axis, ndmin, trans1d)`` after numpy's string directive ``text``."""
    if text in ("r", "c"):
        raise UnsupportedFunctionError(
            f"numpy.r_/c_: the matrix directive {text!r} is not supported on traced values "
            "(a numpy.matrix cannot be traced); build the array, then reshape it"
        )
    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"unknown special directive {text!r}") from None
    if len(numbers) > 3:
        raise ValueError(f"unknown special directive {text!r}")
    return (*numbers, *(axis, ndmin, trans1d)[len(numbers) :])  # type: ignore[return-value]


#: ``numpy.r_``, also for traced items: concatenation along the first axis.
r_ = AxisConcatenator(np.r_)
#: ``numpy.c_``, also for traced items: 1-d items become columns, stacked side by side.
c_ = AxisConcatenator(np.c_, axis=-1, ndmin=2, trans1d=0)


# ---------------------------------------------------------------------------------------
# numpy's other functions, given lists of traced values


def accepting_lists(fn: Any) -> Any:
    """``fn``, a numpy function or ufunc, also for lists and tuples holding traced values.

    ``fn`` is called as it is; if numpy refuses a traced value it found inside a list or
    tuple argument, those arguments become traced arrays (:func:`traced_array`; a ragged
    sequence, a list of them) and ``fn`` is called again. A ufunc keeps its methods and
    attributes (``np.add.reduce``).

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> mean = accepting_lists(np.mean)
    >>> float(sr.grad(lambda x: mean([x, 3.0 * x]))(1.0))
    2.0
    """
    if isinstance(fn, np.ufunc):
        return _Ufunc(fn)

    @functools.wraps(fn)
    def accepting_lists_wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TracingError:
            out = _retried(fn, args, kwargs)
            if out is _REFUSED:
                raise
            return out

    return accepting_lists_wrapper


class _Ufunc:
    """A numpy ufunc whose call accepts lists of traced values; the rest is the ufunc's."""

    __slots__ = ("ufunc",)

    def __init__(self, ufunc: np.ufunc) -> None:
        self.ufunc = ufunc

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.ufunc(*args, **kwargs)
        except TracingError:
            out = _retried(self.ufunc, args, kwargs)
            if out is _REFUSED:
                raise
            return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ufunc, name)

    def __repr__(self) -> str:
        return repr(self.ufunc)


_REFUSED = object()


def _retried(fn: Any, args: tuple, kwargs: dict) -> Any:
    """``fn`` called again with its lists of traced values made arrays; ``_REFUSED`` if it
    was given none (numpy's refusal was about something else, and stands)."""
    if not (any(map(_is_traced_list, args)) or any(map(_is_traced_list, kwargs.values()))):
        return _REFUSED
    return fn(*map(_as_traced, args), **{k: _as_traced(v) for k, v in kwargs.items()})


def _is_traced_list(arg: Any) -> bool:
    return type(arg) in (list, tuple) and any(
        type(part) is Box or _is_traced_list(part) for part in arg
    )


def _as_traced(arg: Any) -> Any:
    """A list or tuple holding traced values as a traced array; ragged, as a list of them."""
    if not _is_traced_list(arg):
        return arg
    try:
        return traced_array(arg)
    except ValueError:  # a sequence of arrays of different shapes: np.concatenate([[x], y])
        return [_as_traced(part) for part in arg]


class _IntegerCast(type):
    """The type of the classes :func:`integer_type` makes: calling one strips traced values;
    ``isinstance`` and ``issubclass`` answer as for numpy's type."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.__mro__[1](*map(strip, args), **kwargs)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.__mro__[1])

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, cls.__mro__[1])


_INTEGER_TYPES: dict[type, type] = {}  # numpy's type -> ours (np.int_ is np.int64: one class)


def integer_type(numpy_type: type) -> type:
    """numpy's integer scalar type, whose call also casts a traced value to integers.

    ``np.int64(x)`` of a traced ``x`` makes indices: integers, which carry no derivative.
    The class is a subclass of ``numpy_type`` (so ``np.dtype`` and ``np.zeros(n, t)`` see
    numpy's type) that ``isinstance`` and ``issubclass`` take for it; a call returns
    numpy's own scalar or array.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> int64 = integer_type(np.int64)
    >>> isinstance(np.int64(1), int64), np.dtype(int64) == np.int64
    (True, True)
    >>> sr.grad(lambda w: np.sum(w[int64(w)]))(np.array([0.0, 0.0])).tolist()
    [2.0, 0.0]
    """
    if numpy_type not in _INTEGER_TYPES:
        body = {"__module__": numpy_type.__module__, "__slots__": (), "__doc__": numpy_type.__doc__}
        _INTEGER_TYPES[numpy_type] = _IntegerCast(numpy_type.__name__, (numpy_type,), body)
    return _INTEGER_TYPES[numpy_type]
