"""Tracing plain numpy code: the traced value :class:`Box` and :func:`bind`, the one dispatch.

Users write ``import numpy as np`` code. The engine hands it :class:`Box` values instead of
arrays; numpy passes every call that involves a Box back to us (``__array_ufunc__`` for ufuncs,
``__array_function__`` for the rest) and Python operators go straight to :func:`bind`.

How it works
------------
Each differentiation opens a :class:`Trace` with a level. A Box holds its primal ``value``,
its trace, and either a reverse-mode :class:`Node` or a forward-mode ``tangent``. :func:`bind`
finds the traced values among a call's arguments -- inside closures, callable objects and
containers too (see :mod:`symrules.engine.fields`) -- takes the highest trace level present,
replaces those Boxes by their values and asks :mod:`symrules.engine.recording` to apply the rule for
the function; a primitive with no rule for the mode is traced through (its own code runs on
the Boxes). Boxes of lower levels stay inside the values, so rules written with numpy are
traced again by outer traces: that is how second derivatives work. A non-differentiable
function whose result is a :class:`~symrules.engine.watched.WatchedArray` reports to its
watcher. ``bind`` runs once per numpy call in user code, so it is written for speed.
"""

from __future__ import annotations

import itertools
import operator
import types
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from ..errors import TracingError, UnsupportedFunctionError
from .broadcasting import shape_of
from .casting import astype
from .fields import Path, children, leaves, replace_leaves
from .recording import forward_rule, name_of, reverse_rule
from .registry import NON_DIFFERENTIABLE
from .table import composite, normalize_call, table_entry
from .watched import WatchedArray, report

__all__ = [
    "Box",
    "Node",
    "Trace",
    "bind",
    "is_traced",
    "staging",
    "strip",
]

_levels = itertools.count(1)
_node_numbers = itertools.count()
_PLAIN = (np.ndarray, np.generic, float, int, complex, str, bytes, slice, type(None))
_NO_KWARGS: dict[str, Any] = {}
_FUNCTION_TYPES = {np.ufunc, types.FunctionType, types.BuiltinFunctionType}


class Trace:
    """One differentiation in progress: a level (nesting order) and its mode. (A staging
    trace, :class:`~symrules.engine.staging.StageTrace`, records instead.)"""

    __slots__ = ("forward", "level")
    stage = False

    def __init__(self, forward: bool = False) -> None:
        self.level = next(_levels)
        self.forward = forward


class Node:
    """A reverse-mode tape entry: its parents, the map from its cotangent to theirs, and its
    creation number (a node is created after its parents, so decreasing numbers are a
    topological order for the backward sweep)."""

    __slots__ = ("parents", "seq", "vjp")

    def __init__(self, parents: tuple[Any, ...] = (), vjp: Callable[[Any], list] | None = None):
        self.parents = parents
        self.vjp = vjp
        self.seq = next(_node_numbers)


def _is_box(x: Any) -> bool:
    return type(x) is Box


def _has_box(x: Any, seen: set[int] | None = None) -> bool:
    if type(x) is Box:
        return True
    if isinstance(x, _PLAIN):
        return False
    kids = children(x)
    if not kids:
        return False
    if seen is None:
        seen = set()
    elif id(x) in seen:  # a cycle: the walk that got here first looks at the rest
        return False
    seen.add(id(x))
    return any(_has_box(kid, seen) for kid in kids.values())


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
    return _has_box(x)


def strip(x: Any) -> Any:
    """``x`` with every traced value, at every level, replaced by its primal value.

    A staged value (:mod:`~symrules.engine.staging`) is a value: it stays, and what is done
    with it is recorded."""
    while type(x) is Box:
        if x.trace.stage:
            return x
        x = x.value
    if isinstance(x, _PLAIN):
        return x
    boxed = {path: strip(b) for path, b in leaves(x, _is_box)}
    return replace_leaves(x, boxed) if boxed else x


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
        if self.trace.stage:  # a plain array from here on: valid while the value is the same
            return np.asarray(self.trace.guard(self, "value"), dtype=dtype)  # type: ignore[attr-defined]
        raise TracingError(
            "a traced value was converted to a plain numpy array (np.asarray, np.array, "
            "math.*, or assignment into an array), which would drop its derivative; use "
            "numpy functions on it directly (np.stack / np.concatenate to build arrays), or, "
            "for np.array([x, y]), np.mean([x, y]) and the like on lists of traced values, "
            "`import symrules.numpy as np`, numpy that builds them"
        )

    def _lost(self, *_: Any) -> Any:
        if self.trace.stage:
            return self.trace.guard(self, "value")  # type: ignore[attr-defined]
        raise TracingError(
            "a traced value was converted to a Python number (float(), int(), math.*), which "
            "would drop its derivative; use numpy functions (np.exp, ...) instead"
        )

    def __float__(self) -> float:
        return float(self._lost())

    def __int__(self) -> int:
        return int(self._lost())

    def __complex__(self) -> complex:
        return complex(self._lost())

    def __index__(self) -> int:
        return operator.index(self._lost())

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TracingError(
            "in-place assignment into a traced array is not supported; build the array with "
            "np.where, np.concatenate or np.stack instead"
        )

    def __bool__(self) -> bool:
        if self.trace.stage:  # a branch on a staged value: the program holds on this side
            return self.trace.guard(self, "bool")  # type: ignore[attr-defined]
        return bool(self.value)

    # the comparisons (attached below) are elementwise, as for arrays: a Box is unhashable.
    # typeshed types object.__hash__ as a method, so the documented None needs an ignore.
    __hash__ = None  # type: ignore[assignment]

    def __neg__(self) -> Any:
        return bind(np.negative, (self,), _NO_KWARGS)

    def __pos__(self) -> Box:
        return self

    def __abs__(self) -> Any:
        return bind(np.absolute, (self,), _NO_KWARGS)

    def __invert__(self) -> Any:
        return bind(np.invert, (self,), _NO_KWARGS)
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
    real = property(lambda self: np.real(self))
    imag = property(lambda self: np.imag(self))

    def conj(self) -> Any:
        return np.conjugate(self)

    conjugate = conj

    def __getitem__(self, index: Any) -> Any:
        return bind(operator.getitem, (self, index), _NO_KWARGS)

    def reshape(self, *shape: Any, order: Literal["A", "C", "F"] = "C") -> Any:
        return np.reshape(self, shape[0] if len(shape) == 1 else shape, order=order)

    def transpose(self, *axes: Any) -> Any:
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def ravel(self) -> Any:
        return np.reshape(self, -1)

    flatten = ravel

    def astype(self, dtype: Any, **_: Any) -> Any:
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise TracingError(
                f"astype({dtype}) on a traced value would drop its derivative; cast to a float "
                "dtype (an index: np.int64(x), through symrules.numpy, has no derivative)"
            )
        return self if dtype == self.dtype else bind(astype, (self, dtype), _NO_KWARGS)

    # the array methods that are numpy functions: x.sum(...) is np.sum(x, ...), and so on
    sum = mean = prod = max = min = cumsum = dot = squeeze = clip = all = any = None


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
    ("mod", np.remainder),
    ("matmul", np.matmul),
    ("and", np.bitwise_and),
    ("or", np.bitwise_or),
    ("xor", np.bitwise_xor),
]:
    setattr(Box, f"__{_op}__", _binary(_ufunc))
    setattr(Box, f"__r{_op}__", _binary(_ufunc, reflected=True))
def _method(function: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Box, *args: Any, **kwargs: Any) -> Any:
        return function(self, *args, **kwargs)

    method.__name__ = function.__name__
    return method


for _name in ("sum", "mean", "prod", "max", "min", "cumsum", "dot", "squeeze", "clip", "all",
              "any"):  # fmt: skip
    setattr(Box, _name, _method(getattr(np, _name)))
for _op, _ufunc in [("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                    ("ge", np.greater_equal), ("eq", np.equal), ("ne", np.not_equal)]:  # fmt: skip
    setattr(Box, f"__{_op}__", _binary(_ufunc))


# ---------------------------------------------------------------------------------------
# dispatch


def bind(fun: Any, args: tuple, kwargs: dict) -> Any:
    """Call ``fun(*args, **kwargs)``, where some arguments are traced, and record it.

    The single entry point of the engine: numpy's protocols, Box operators and primitives
    all come here.
    """
    if kwargs:
        entry = table_entry(fun)
        if entry is not None:  # numpy's keyword names: data arguments become positional
            args, kwargs = normalize_call(fun, entry, args, kwargs)
        for key, value in kwargs.items():
            if _has_box(value):
                impl = composite(fun)
                if impl is not None:  # traced through: its table calls see the keyword
                    return impl(*args, **kwargs)
                raise TracingError(
                    f"{name_of(fun)}: the keyword argument {key!r} is traced; pass traced "
                    "values positionally"
                )
    found: list[tuple[int, Path, Box]] = []
    # an instance of a primitive class holds its own traced fields (position 0)
    nested = type(fun) not in _FUNCTION_TYPES and hasattr(type(fun), "_symrules_call")
    if nested:
        found.extend((0, path, b) for path, b in leaves(fun, _is_box))
    for i, arg in enumerate(args, 1):
        if type(arg) is Box:
            found.append((i, (), arg))
        elif not isinstance(arg, _PLAIN) and _has_box(arg):
            nested = True
            found.extend((i, path, b) for path, b in leaves(arg, _is_box))
    if not found:
        return fun(*args, **kwargs)
    try:
        if fun in NON_DIFFERENTIABLE:
            plain = [strip(arg) for arg in args]
            if staging.active and any(_has_box(p) for p in plain):  # staged values remain
                staged = next(b for p in plain for _, b in leaves(p, _is_box))
                return staged.trace.record_plain(fun, plain, kwargs)
            y = fun(*plain, **kwargs)
            if type(y) is WatchedArray:  # a step where a watched array meets a traced value
                report(fun, plain, y)
            return y
    except TypeError:  # unhashable callables
        pass
    trace = found[0][2].trace
    for item in found:
        if item[2].trace.level > trace.level:
            trace = item[2].trace
    top = found if len(found) == 1 else [item for item in found if item[2].trace is trace]
    callee, uargs = fun, list(args)
    if not nested:
        for pos, _, b in top:
            uargs[pos - 1] = b.value
    else:
        callee = _unbox_nested(fun, args, uargs, top)
    if trace.stage:
        return trace.record(fun, callee, uargs, kwargs, top)  # type: ignore[attr-defined]
    if trace.forward:
        out = forward_rule(fun, callee, uargs, kwargs, top)
        if out is None:
            return _trace_through(fun, args, kwargs)
        y, y_dot = out
        return y if y_dot is None else Box(y, trace, tangent=y_dot)
    out = reverse_rule(fun, callee, uargs, kwargs, top, nested)
    if out is None:
        return _trace_through(fun, args, kwargs)
    y, vjp = out
    if vjp is None:
        return y
    return Box(y, trace, Node(tuple([item[2].node for item in top]), vjp))


class _Staging:
    """How many computations are being staged now (the fast path looks no further if 0)."""

    active = 0


staging = _Staging()


def _unbox_nested(fun: Any, args: tuple, uargs: list, top: list) -> Any:
    """Fill ``uargs`` with the arguments' primal values; return the callee's."""
    by_pos: dict[int, dict[Path, Any]] = {}
    for pos, path, b in top:
        by_pos.setdefault(pos, {})[path] = b.value
    callee = fun
    for pos, sub in by_pos.items():
        if pos == 0:
            callee = replace_leaves(fun, sub)
        else:
            uargs[pos - 1] = replace_leaves(args[pos - 1], sub)
    return callee


def _trace_through(fun: Any, args: tuple, kwargs: dict) -> Any:
    """Differentiate a primitive that has no rule for this mode by running its own code."""
    impl = getattr(fun, "_symrules_impl", None) or composite(fun)
    if impl is not None:
        return impl(*args, **kwargs)
    call = getattr(type(fun), "_symrules_call", None)
    if call is not None:
        return call(fun, *args, **kwargs)
    raise UnsupportedFunctionError(
        f"{name_of(fun)} has no differentiation rule and was called on a traced value; "
        f"register one with symrules.register_rrule / register_frule, or mark it "
        "symrules.non_differentiable"
    )
