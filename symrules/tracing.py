"""Tracing plain numpy code: the traced value :class:`Box` and :func:`bind`, the one dispatch.

Users write ``import numpy as np`` code. The engine hands it :class:`Box` values instead of
arrays; numpy passes every call that involves a Box back to us (``__array_ufunc__`` for ufuncs,
``__array_function__`` for the rest) and Python operators go straight to :func:`bind`.

How it works
------------
Each differentiation opens a :class:`Trace` with a level. A Box holds its primal ``value``,
its trace, and either a reverse-mode :class:`Node` (parents plus a vector-Jacobian product) or
a forward-mode ``tangent``. :func:`bind` finds the traced values among a call's arguments --
inside closures, callable objects and containers too (see :mod:`symrules.fields`) -- takes the
highest trace level present, replaces those Boxes by their values and calls the rule for the
function: the numpy table, a registered rule, or, for a primitive without one, its own code.
Boxes of lower levels stay inside the values, so rules written with numpy are traced again by
outer traces: that is how second derivatives work.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .broadcasting import ShapeOnly, broadcast_tangent, shape_of, unbroadcast
from .errors import MissingCotangentError, RuleError, TracingError, UnsupportedFunctionError
from .fields import Path, is_differentiable, leaves, path_name, replace_leaves
from .rules import (
    _FRULES,
    _RRULES,
    is_non_differentiable,
    lookup,
    mark_non_differentiable,
    table_entry,
)
from .tangents import NoTangent, ZeroTangent, cotangent_at, is_zero, tangent_from_leaves

__all__ = ["Box", "Node", "Trace", "bind", "is_traced", "non_differentiable", "primitive"]

_levels = itertools.count(1)
_PLAIN = (np.ndarray, np.generic, float, int, complex, str, bytes, slice, type(None))
_NO_KWARGS: dict[str, Any] = {}

# While a custom rrule runs: id(argument object) -> the paths of its fields that are traced.
# rrule_via_ad reads it to skip f_bar work for fields that carry no derivative.
TRACED_FIELDS: contextvars.ContextVar[dict[int, set[Path]] | None] = contextvars.ContextVar(
    "TRACED_FIELDS", default=None
)


class Trace:
    """One differentiation in progress: a level (nesting order) and its mode."""

    __slots__ = ("forward", "level")

    def __init__(self, forward: bool = False) -> None:
        self.level = next(_levels)
        self.forward = forward


class Node:
    """A reverse-mode tape entry: its parents and the map from its cotangent to theirs."""

    __slots__ = ("parents", "vjp")

    def __init__(self, parents: tuple[Node, ...] = (), vjp: Callable[[Any], list] | None = None):
        self.parents = parents
        self.vjp = vjp


def _name(fun: Any) -> str:
    if isinstance(fun, np.ufunc) or getattr(fun, "__module__", "").startswith("numpy"):
        return f"numpy.{fun.__name__}"
    if fun is operator.getitem:
        return "indexing"
    return getattr(fun, "__qualname__", None) or type(fun).__name__


def _is_box(x: Any) -> bool:
    return type(x) is Box


def is_traced(x: Any) -> bool:
    """Whether ``x`` holds a traced value, directly or inside its fields.

    Examples
    --------
    >>> import symrules as sr
    >>> def probe(x):
    ...     assert is_traced(x) and not is_traced(1.0)
    ...     return x * 1.0
    >>> float(sr.grad(probe)(2.0))
    1.0
    """
    if type(x) is Box:
        return True
    if isinstance(x, _PLAIN):
        return False
    return any(True for _ in leaves(x, _is_box))


class Box:
    """A traced value: a primal ``value`` recorded on a trace. Behaves like a numpy array."""

    __slots__ = ("node", "tangent", "trace", "value")
    __array_priority__ = 1000.0
    _symrules_traced = True

    def __init__(self, value: Any, trace: Trace, node: Node | None = None, tangent: Any = None):
        self.value = value
        self.trace = trace
        self.node = node
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"Traced({self.value!r})"

    # numpy protocols
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or "out" in kwargs:
            what = f"numpy.{ufunc.__name__}.{method}" if method != "__call__" else "out="
            raise UnsupportedFunctionError(
                f"{what} on a traced value is not supported: use numpy.{ufunc.__name__}(...) "
                "without out= (reductions: numpy.sum, numpy.prod, ...)"
            )
        return bind(ufunc, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        return bind(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TracingError(
            "a traced value was converted to a plain numpy array (np.asarray, np.array, "
            "math.*, or assignment into an array), which would drop its derivative; use "
            "numpy functions on it directly (np.stack / np.concatenate to build arrays)"
        )

    def _lost(self, *_: Any) -> Any:
        raise TracingError(
            "a traced value was converted to a Python number (float(), int(), math.*), which "
            "would drop its derivative; use numpy functions (np.exp, ...) instead"
        )

    __float__ = __int__ = __complex__ = __index__ = _lost

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TracingError(
            "in-place assignment into a traced array is not supported; build the array with "
            "np.where, np.concatenate or np.stack instead"
        )

    def __bool__(self) -> bool:
        return bool(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self.value)))

    # array attributes
    shape = property(lambda self: shape_of(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    size = property(lambda self: np.size(self.value))
    dtype = property(lambda self: np.result_type(self.value))
    T = property(lambda self: np.transpose(self))

    def __getitem__(self, index: Any) -> Any:
        return bind(operator.getitem, (self, index), _NO_KWARGS)

    def reshape(self, *shape: Any, order: str = "C") -> Any:
        return np.reshape(self, shape[0] if len(shape) == 1 else shape, order=order)

    def transpose(self, *axes: Any) -> Any:
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def ravel(self) -> Any:
        return np.reshape(self, -1)

    flatten = ravel

    def astype(self, dtype: Any, **_: Any) -> Any:
        if np.dtype(dtype).kind not in "fc":
            raise TracingError(f"astype({np.dtype(dtype)}) would drop the derivative")
        return self

    def sum(self, *args: Any, **kwargs: Any) -> Any:
        return np.sum(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Any:
        return np.mean(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Any:
        return np.prod(self, *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        return np.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
        return np.min(self, *args, **kwargs)

    def cumsum(self, *args: Any, **kwargs: Any) -> Any:
        return np.cumsum(self, *args, **kwargs)

    def dot(self, other: Any) -> Any:
        return np.dot(self, other)

    def squeeze(self, axis: Any = None) -> Any:
        return np.squeeze(self, axis)

    def clip(self, a_min: Any = None, a_max: Any = None) -> Any:
        return np.clip(self, a_min, a_max)


def _binary(ufunc: np.ufunc, reflected: bool = False) -> Callable[[Box, Any], Any]:
    if reflected:

        def method(self: Box, other: Any) -> Any:
            return bind(ufunc, (other, self), _NO_KWARGS)

    else:

        def method(self: Box, other: Any) -> Any:
            return bind(ufunc, (self, other), _NO_KWARGS)

    return method


for _op, _ufunc in [
    ("add", np.add),
    ("sub", np.subtract),
    ("mul", np.multiply),
    ("truediv", np.true_divide),
    ("pow", np.power),
    ("matmul", np.matmul),
]:
    setattr(Box, f"__{_op}__", _binary(_ufunc))
    setattr(Box, f"__r{_op}__", _binary(_ufunc, reflected=True))
for _op, _ufunc in [("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                    ("ge", np.greater_equal), ("eq", np.equal), ("ne", np.not_equal)]:  # fmt: skip
    setattr(Box, f"__{_op}__", _binary(_ufunc))
Box.__neg__ = lambda self: bind(np.negative, (self,), _NO_KWARGS)
Box.__pos__ = lambda self: self
Box.__abs__ = lambda self: bind(np.absolute, (self,), _NO_KWARGS)
Box.__hash__ = None


# ---------------------------------------------------------------------------------------
# dispatch


def _traced_leaves(fun: Any, args: tuple) -> list[tuple[int, Path, Box]]:
    """(position, path, Box) of every traced value; position 0 is the callee itself."""
    found: list[tuple[int, Path, Box]] = []
    if hasattr(type(fun), "_symrules_call"):  # an instance of a primitive class
        found.extend((0, path, b) for path, b in leaves(fun, _is_box))
    for i, arg in enumerate(args, 1):
        if type(arg) is Box:
            found.append((i, (), arg))
        elif not isinstance(arg, _PLAIN):
            found.extend((i, path, b) for path, b in leaves(arg, _is_box))
    return found


def _strip(x: Any) -> Any:
    """``x`` with every traced value, at every level, replaced by its primal value."""
    while type(x) is Box:
        x = x.value
    if isinstance(x, _PLAIN):
        return x
    boxed = {path: _strip(b) for path, b in leaves(x, _is_box)}
    return replace_leaves(x, boxed) if boxed else x


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


def bind(fun: Any, args: tuple, kwargs: dict) -> Any:
    """Call ``fun(*args, **kwargs)``, where some arguments are traced, and record it.

    The single entry point of the engine: numpy's protocols, Box operators and primitives
    all come here.
    """
    for key, value in kwargs.items():
        if is_traced(value):
            raise TracingError(
                f"{_name(fun)}: the keyword argument {key!r} is traced; pass traced values "
                "positionally"
            )
    found = _traced_leaves(fun, args)
    if not found:
        return fun(*args, **kwargs)
    if is_non_differentiable(fun):
        return fun(*map(_strip, args), **kwargs)
    trace = found[0][2].trace
    for _, _, b in found:
        if b.trace.level > trace.level:
            trace = b.trace
    top = [item for item in found if item[2].trace is trace]
    callee, uargs = fun, list(args)
    if all(not path for _, path, _ in top):  # the common case: plain traced arguments
        for pos, _, b in top:
            uargs[pos - 1] = b.value
    else:
        by_pos: dict[int, dict[Path, Any]] = {}
        for pos, path, b in top:
            by_pos.setdefault(pos, {})[path] = b.value
        for pos, sub in by_pos.items():
            if pos == 0:
                callee = replace_leaves(fun, sub)
            else:
                uargs[pos - 1] = replace_leaves(args[pos - 1], sub)
    if not _has_rule(fun, trace):
        return _trace_through(fun, args, kwargs)
    mode = _forward if trace.forward else _reverse
    return mode(trace, fun, callee, uargs, kwargs, top)


def _has_rule(fun: Any, trace: Trace) -> bool:
    entry = table_entry(fun)
    if entry is not None and (entry.jvps if trace.forward else entry.vjps):
        return True
    return lookup(_FRULES if trace.forward else _RRULES, fun) is not None


def _trace_through(fun: Any, args: tuple, kwargs: dict) -> Any:
    """Differentiate a primitive that has no rule for this mode by running its own code."""
    impl = getattr(fun, "_symrules_impl", None)
    if impl is not None:
        return impl(*args, **kwargs)
    call = getattr(type(fun), "_symrules_call", None)
    if call is not None:
        return call(fun, *args, **kwargs)
    raise UnsupportedFunctionError(
        f"{_name(fun)} has no differentiation rule and was called on a traced value; "
        f"register one with symrules.register_rrule / register_frule, or mark it "
        "symrules.non_differentiable"
    )


def _reverse(trace: Trace, fun: Any, callee: Any, uargs: list, kwargs: dict, top: list) -> Any:
    parents = tuple(b.node for _, _, b in top)
    entry = table_entry(fun)
    if entry is not None and entry.vjps:
        vjps = entry.vjps
        for pos, _, _ in top:
            if pos - 1 >= len(vjps) or vjps[pos - 1] is None:
                raise UnsupportedFunctionError(
                    f"{_name(fun)} is not differentiable in its argument {pos - 1}"
                )
        y = fun(*uargs, **kwargs)
        if not is_differentiable(y):
            return y
        return Box(y, trace, Node(parents, _table_vjp(fun, entry, y, uargs, kwargs, top)))
    rule, is_instance = lookup(_RRULES, fun)
    token = TRACED_FIELDS.set(_traced_fields(callee, uargs, top))
    try:
        out = rule(callee, *uargs, **kwargs) if is_instance else rule(*uargs, **kwargs)
    finally:
        TRACED_FIELDS.reset(token)
    if not (isinstance(out, tuple) and len(out) == 2 and callable(out[1])):
        raise RuleError(f"the rrule {_name(rule)} for {_name(fun)} must return (y, pullback)")
    y, pullback = out
    return Box(y, trace, Node(parents, _rule_vjp(fun, rule, pullback, len(uargs), top)))


def _traced_fields(callee: Any, uargs: list, top: list) -> dict[int, set[Path]]:
    traced: dict[int, set[Path]] = {}
    for pos, obj in enumerate([callee, *uargs]):
        if not isinstance(obj, _PLAIN):
            traced[id(obj)] = {path for p, path, _ in top if p == pos}
    return traced


def _shapes(x: Any) -> Any:
    """``x`` with its float arrays replaced by their shapes (see :class:`ShapeOnly`)."""
    if is_differentiable(x):
        return ShapeOnly(x)
    if isinstance(x, tuple | list):
        return type(x)(map(_shapes, x))
    return x


def _residuals(vjps: list, y: Any, uargs: list) -> tuple[Any, list]:
    """What the pullbacks read of ``(*uargs, y)``; the rest is kept as shapes only."""
    reads: set[int] = set()
    for vjp in vjps:
        r = getattr(vjp, "reads", None)
        if r is None:
            return y, uargs
        reads |= r
    n = len(uargs)
    return (
        y if n in reads else ShapeOnly(y),
        [a if i in reads else _shapes(a) for i, a in enumerate(uargs)],
    )


def _table_vjp(fun, entry, y, uargs, kwargs, top) -> Callable[[Any], list]:
    positions = sorted({pos for pos, _, _ in top})
    vjps = [(pos, entry.vjps[pos - 1]) for pos in positions]
    y, uargs = _residuals([v for _, v in vjps], y, uargs)
    paths = [(pos, path) for pos, path, _ in top]
    broadcast = entry.broadcast

    def table_vjp(y_bar: Any) -> list:
        by_pos = {}
        for pos, vjp in vjps:
            x_bar = vjp(y_bar, y, *uargs, **kwargs)
            by_pos[pos] = unbroadcast(x_bar, uargs[pos - 1]) if broadcast else x_bar
        return [by_pos[pos] if not path else cotangent_at(by_pos[pos], path)
                for pos, path in paths]  # fmt: skip

    table_vjp.__qualname__ = f"{_name(fun)}_pullback"
    return table_vjp


def _rule_vjp(fun, rule, pullback, nargs: int, top) -> Callable[[Any], list]:
    expected = [(pos, path, shape_of(box.value)) for pos, path, box in top]

    def rule_vjp(y_bar: Any) -> list:
        result = pullback(y_bar)
        if not isinstance(result, tuple | list) or len(result) != 1 + nargs:
            got = len(result) if isinstance(result, tuple | list) else type(result).__name__
            raise RuleError(
                f"the pullback of {_name(rule)} for {_name(fun)} returned {got} cotangents; "
                f"it must return {1 + nargs}: (f_bar, *arg_bars), f_bar first"
            )
        out = []
        for pos, path, shape in expected:
            at_pos = result[pos]
            if path and is_zero(at_pos):
                where = _position(fun, pos, path)
                raise MissingCotangentError(
                    f"the pullback of {_name(rule)} returned {at_pos!r} for "
                    f"{'the callee' if pos == 0 else f'argument {pos - 1}'}, but its "
                    f"{where} holds a traced value: return a Tangent with that field "
                    "(a silent zero gradient otherwise)"
                )
            x_bar = cotangent_at(at_pos, path) if path else at_pos
            if x_bar is None or isinstance(x_bar, NoTangent):
                raise MissingCotangentError(
                    f"the pullback of {_name(rule)} returned no cotangent for "
                    f"{_position(fun, pos, path)}, which "
                    "holds a traced value (a silent zero gradient otherwise)"
                )
            if not is_zero(x_bar) and shape_of(x_bar) != shape:
                raise RuleError(
                    f"the pullback of {_name(rule)} returned a cotangent of shape "
                    f"{shape_of(x_bar)} for {_position(fun, pos, path)}, whose shape is {shape}"
                )
            out.append(x_bar)
        return out

    rule_vjp.__qualname__ = f"{_name(rule)}_checked"
    return rule_vjp


def _forward(trace: Trace, fun: Any, callee: Any, uargs: list, kwargs: dict, top: list) -> Any:
    dots_by_pos: dict[int, dict[Path, Any]] = {}
    for pos, path, b in top:
        dots_by_pos.setdefault(pos, {})[path] = b.tangent
    entry = table_entry(fun)
    if entry is not None and entry.jvps:
        y = fun(*uargs, **kwargs)
        if not is_differentiable(y):
            return y
        y_dot: Any = ZeroTangent()
        for pos, sub in dots_by_pos.items():
            jvp = entry.jvps[pos - 1] if pos - 1 < len(entry.jvps) else None
            if jvp is None:
                raise UnsupportedFunctionError(
                    f"{_name(fun)} is not differentiable in its argument {pos - 1}"
                )
            x_dot = sub[()] if () in sub else _filled_tangent(uargs[pos - 1], sub)
            y_dot = y_dot + jvp(x_dot, y, *uargs, **kwargs)
        if entry.broadcast and not is_zero(y_dot):
            y_dot = broadcast_tangent(y_dot, y)
    else:
        rule, is_instance = lookup(_FRULES, fun)
        objs = [callee, *uargs]
        dots = tuple(
            tangent_from_leaves(objs[pos], dots_by_pos[pos]) if pos in dots_by_pos
            else ZeroTangent()
            for pos in range(len(objs))
        )  # fmt: skip
        y, y_dot = rule(dots, callee, *uargs, **kwargs) if is_instance else rule(dots, *uargs,
                                                                                  **kwargs)
        if not is_zero(y_dot) and shape_of(y_dot) != shape_of(y):
            raise RuleError(
                f"the frule {_name(rule)} for {_name(fun)} returned a tangent of shape "
                f"{shape_of(y_dot)} for an output of shape {shape_of(y)}"
            )
    if is_zero(y_dot):
        return y
    return Box(y, trace, tangent=y_dot)


def _filled_tangent(primal: Any, leaf_tangents: dict[Path, Any]) -> Any:
    """A container like ``primal`` holding the given tangents and zeros at its other leaves."""
    zeros = {path: np.zeros_like(leaf) for path, leaf in leaves(primal)}
    return replace_leaves(primal, {**zeros, **leaf_tangents})


# ---------------------------------------------------------------------------------------
# marking functions


def primitive(fn: Any) -> Any:
    """Mark a function, or a class whose instances are called, as opaque to the engine.

    While tracing, a call goes to the rules registered for it (:func:`register_rrule`,
    :func:`register_frule`) instead of being traced through; with no rule for a mode the
    engine runs its code. Untraced calls run the function as usual, at full speed.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> @sr.primitive
    ... def square(x):
    ...     return x * x
    >>> @sr.register_rrule(square)
    ... def square_rrule(x):
    ...     return square(x), lambda y_bar: (sr.NoTangent(), 2 * x * y_bar)
    >>> float(sr.grad(square)(3.0))
    6.0

    See Also
    --------
    register_rrule, register_frule, non_differentiable
    """
    if isinstance(fn, type):
        call = fn.__call__

        @functools.wraps(call)
        def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
            if is_traced(self) or any(map(is_traced, args)):
                return bind(self, args, kwargs)
            return call(self, *args, **kwargs)

        fn.__call__ = __call__
        fn._symrules_call = call
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if any(map(is_traced, args)) or any(map(is_traced, kwargs.values())):
            if is_traced(fn):
                raise TracingError(
                    f"the primitive {_name(fn)} closes over a traced value; pass it as an "
                    "argument, or make the primitive a callable class whose rule returns "
                    "a Tangent for it"
                )
            return bind(wrapper, args, kwargs)
        return fn(*args, **kwargs)

    wrapper._symrules_impl = fn
    return wrapper


def non_differentiable(fn: Any) -> Any:
    """Mark ``fn`` as having no derivative: traced arguments are passed as plain values.

    Use it for step-size rules, argmax-style choices, bookkeeping. Returns ``fn``.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> @sr.non_differentiable
    ... def n_points(x):
    ...     return int(np.size(x))
    >>> float(sr.grad(lambda x: x * n_points(x))(2.0))
    1.0
    """
    if isinstance(fn, np.ufunc) or getattr(fn, "__module__", "").startswith("numpy"):
        mark_non_differentiable(fn)
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*map(_strip, args), **{k: _strip(v) for k, v in kwargs.items()})

    return wrapper
