"""Lifting a plain numpy integrand to SymPy: what :meth:`Integrand.from_function` does.

Most people write an integrand as numpy code, not SymPy: lifting gives it an
:class:`~symrules.symbolic.integrand.Integrand`'s generated closed-form rules.

How it works
------------
The callable's differentiable fields (:func:`~symrules.engine.fields.leaves`) become parameters
named after their paths (:func:`parameter_names`). A copy of it whose fields are
:class:`SymbolicArray` stand-ins for their symbols (``replace_leaves``) is called once on a
stand-in for ``x``; the stand-ins implement ``__array_ufunc__``, ``__array_function__`` and
Python's operators, so numpy builds SymPy, entry by entry. A stand-in of ``x`` (*nodal*) is an
array ``(n, *shape)``, one expression per entry of ``shape`` (``()``, or ``(d,)`` for points);
one of fields only is ``shape``. What mixes nodes (a sum over them, indexing across them, an
``if`` on a lifted value) raises :class:`~symrules.errors.LiftingError` naming the call. A
check at a few points against the callable keeps a wrong lifting from passing silently.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from ..engine.fields import Path, children, leaves, path_name, replace_leaves
from ..engine.tracing import is_traced
from ..errors import LiftingError, ParameterNameError, ParameterValueError
from .declaration import Declaration, check_name, declared
from .functions import SPECIAL_FUNCTIONS
from .integrand import Integrand

__all__ = ["Lifting", "SymbolicArray", "lift", "parameter_names"]

# A lifted expression and its callable compute one function in two orders: rounding apart.
AGREE = 1e-9

#: numpy ufuncs by the SymPy function each becomes, entry by entry.
_UFUNCS: dict[np.ufunc, Callable[..., Any]] = {
    np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
    np.divide: operator.truediv, np.power: operator.pow, np.float_power: operator.pow,
    np.negative: operator.neg, np.positive: operator.pos, np.absolute: sp.Abs, np.fabs: sp.Abs,
    np.sign: sp.sign, np.floor: sp.floor, np.ceil: sp.ceiling,
    np.floor_divide: lambda u, v: sp.floor(u / v), np.square: lambda u: u**2,
    np.reciprocal: lambda u: 1 / u, np.sqrt: sp.sqrt,
    np.cbrt: lambda u: sp.sign(u) * sp.Abs(u) ** sp.Rational(1, 3),
    np.exp: sp.exp, np.exp2: lambda u: 2**u, np.expm1: lambda u: sp.exp(u) - 1,
    np.log: sp.log, np.log2: lambda u: sp.log(u, 2), np.log10: lambda u: sp.log(u, 10),
    np.log1p: lambda u: sp.log(1 + u),
    np.sin: sp.sin, np.cos: sp.cos, np.tan: sp.tan, np.arcsin: sp.asin, np.arccos: sp.acos,
    np.arctan: sp.atan, np.arctan2: sp.atan2, np.hypot: lambda u, v: sp.sqrt(u**2 + v**2),
    np.sinh: sp.sinh, np.cosh: sp.cosh, np.tanh: sp.tanh, np.arcsinh: sp.asinh,
    np.arccosh: sp.acosh, np.arctanh: sp.atanh,
    np.deg2rad: lambda u: u * sp.pi / 180, np.rad2deg: lambda u: u * 180 / sp.pi,
    np.maximum: sp.Max, np.fmax: sp.Max, np.minimum: sp.Min, np.fmin: sp.Min,
    np.heaviside: sp.Heaviside,
    np.less: operator.lt, np.less_equal: operator.le, np.greater: operator.gt,
    np.greater_equal: operator.ge, np.equal: sp.Eq, np.not_equal: sp.Ne,
    np.logical_and: sp.And, np.logical_or: sp.Or, np.logical_not: sp.Not,
}  # fmt: skip


class Lifting(NamedTuple):
    """What :func:`lift` gives: ``integrand``, and ``names``, ``path -> parameter name`` for
    each field's path in the callable (as :func:`~symrules.engine.fields.leaves` gives it):
    where a parameter's cotangent goes back to in the callable.

    Examples
    --------
    >>> import numpy as np
    >>> lifting = lift((lambda p: lambda x: p[0] * np.sin(p[1] * x))((1.0, 2.0)))
    >>> lifting.names, lifting.integrand.expr
    ({('p', 0): 'p_0', ('p', 1): 'p_1'}, p_0*sin(p_1*x))
    """

    integrand: Integrand
    names: dict[Path, str]


def lift(fn: Callable[..., Any], var: Any = "x", backend: str | None = None) -> Lifting:
    """The Integrand of a plain numpy integrand ``fn``, and the parameter each field became.

    ``fn(x)`` is called once on a :class:`SymbolicArray` for ``x`` (points ``(n, d)`` for a
    tuple ``var``), its fields -- real scalars and 1-D arrays, named by
    :func:`parameter_names` -- replaced by their symbols. ``fn`` is a closure, a dataclass or
    callable object, a ``partial`` or a bound method of elementwise numpy and
    :mod:`scipy.special` calls; ``var`` and ``backend`` are :class:`Integrand`'s. A field of
    another kind raises a ``ParameterValueError`` naming its path; a call with no SymPy
    expression per node, or a lifting that disagrees with ``fn``, a :class:`LiftingError`.

    Examples
    --------
    >>> import numpy as np
    >>> from functools import partial
    >>> def bump(x, a, width):
    ...     return a * np.exp(-(x / width) ** 2)
    >>> lifting = lift(partial(bump, a=2.0, width=0.5))
    >>> lifting.integrand
    Integrand('a*exp(-x**2/width**2)', var='x', a=2.0, width=0.5)
    >>> lifting.names
    {('keywords', 'a'): 'a', ('keywords', 'width'): 'width'}

    See Also
    --------
    Integrand.from_function : the same, giving the Integrand alone.
    """
    var = tuple(var) if isinstance(var, list) else var
    found = list(leaves(fn))
    sizes = {path: _size(fn, path, value) for path, value in found}
    names = parameter_names(fn, sizes, var)
    declaration = declared(var, tuple((names[path], sizes[path]) for path, _ in found))
    symbols = {path: SymbolicArray(np.array(declaration.symbols(names[path]), dtype=object))
               for path, _ in found}  # fmt: skip
    expr = _expression(replace_leaves(fn, symbols), declaration, _called(fn))
    values = {names[path]: value for path, value in found}
    integrand = Integrand(expr, var=var, backend=backend, **values)
    if not any(is_traced(value) for value in values.values()):
        _check_values(fn, integrand)
    return Lifting(integrand, names)


def parameter_names(fn: Any, sizes: dict[Path, int | None], var: Any = "x") -> dict[Path, str]:
    """The parameter name of each field path of ``fn``: readable, distinct, usable.

    The path's steps joined by ``_`` (``p``, ``p_0`` for ``p[0]``, ``layer_w`` for
    ``layer["w"]``), without a ``partial``'s ``func`` and ``keywords`` (its keyword ``a`` is
    ``a``, its first argument ``args_0``), other characters ``_``, no leading ``_``. A name
    :class:`Integrand` refuses (``lambda``, ``exp``, ``u_bar``) or taken -- by a variable,
    another parameter, a component ``c_0`` of an array ``c`` -- gets a suffix ``_2``, ``_3``...

    Examples
    --------
    >>> parameter_names(None, {("p",): None, ("p_0",): None, ("q",): 2, ("exp",): None})
    {('p',): 'p', ('p_0',): 'p_0', ('q',): 'q', ('exp',): 'exp_2'}
    """
    variables = var if isinstance(var, tuple) else (var,)
    taken: set[str] = set(variables)
    out = {}
    for path, size in sizes.items():
        base = _readable(fn, path)
        name, k = base, 1
        while not _usable(name, size, taken):
            k += 1
            name = f"{base}_{k}"
        taken.update([name, *(f"{name}_{i}" for i in range(size or 0))])
        out[path] = name
    return out


def _readable(fn: Any, path: Path) -> str:
    parts, obj = [], fn
    for step in path:
        if not (isinstance(obj, functools.partial) and step in ("func", "keywords")):
            parts.append(str(step))
        obj = (children(obj) or {}).get(step)
    text = re.sub(r"\W", "_", "_".join(parts)).lstrip("_") or "p"
    return f"p{text}" if text[0].isdigit() else text


def _usable(name: str, size: int | None, taken: set[str]) -> bool:
    try:
        check_name(name, "a parameter name")
    except ParameterNameError:
        return False
    return not {name, *(f"{name}_{i}" for i in range(size or 0))} & taken


def _size(fn: Any, path: Path, value: Any) -> int | None:
    """The length of a field's value (``None`` for a scalar); refuses what no parameter holds."""
    shape = tuple(getattr(value, "shape", ()))
    if len(shape) > 1 or np.iscomplexobj(getattr(value, "dtype", value)):
        what = f"shape {shape}" if len(shape) > 1 else "a complex value"
        raise ParameterValueError(
            f"field {path_name(path, _called(fn))} holds {what}; a lifted integrand's fields "
            "are real scalars or 1-D arrays: hold it otherwise, or write the Integrand yourself"
        )
    return shape[0] if shape else None


def _called(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _expression(fn: Callable[..., Any], declaration: Declaration, name: str) -> sp.Expr:
    xs = declaration.xs
    x = SymbolicArray(np.array(xs if declaration.several else xs[0], dtype=object), nodal=True)
    value, _ = _entries(fn(x), "the result")
    if value.shape != ():
        raise LiftingError(f"{name} returns {value.shape} values per node, not one value")
    return value[()]


def _check_values(fn: Callable[..., Any], f: Integrand) -> None:
    """Refuse a lifted ``f`` that is not ``fn`` at a few points of the unit cube."""
    grid = np.linspace(0.13, 0.87, 7)
    d = len(f.var) if isinstance(f.var, tuple) else 0
    x = np.column_stack([np.roll(grid, k) for k in range(d)]) if d else grid
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(np.asarray(fn(x), dtype=float), grid.shape)
        got = f(x)
    bad = ~np.isclose(got, expected, rtol=AGREE, atol=AGREE, equal_nan=True)
    if bad.any():
        i = int(np.argmax(bad))
        raise LiftingError(
            f"the lifted expression {str(f.expr)[:80]} gives {got[i]} at x={x[i]} where "
            f"{_called(fn)} gives {expected[i]}: it computes something its numpy calls do not "
            "show (a branch, a global, randomness); write the Integrand yourself"
        )


def _entries(operand: Any, name: str) -> tuple[np.ndarray, bool]:
    """``(object array of SymPy entries, nodal)`` of an operand of a lifted numpy call."""
    if isinstance(operand, SymbolicArray):
        return operand.value, operand.nodal
    if isinstance(operand, sp.Basic):
        return np.array(operand, dtype=object), False
    value = np.asarray(operand)
    if value.dtype.kind not in "biuf":
        raise LiftingError(f"{name} is given {type(operand).__name__} {repr(operand)[:40]}")
    return np.array(np.frompyfunc(sp.sympify, 1, 1)(value), dtype=object), False


def _elementwise(name: str, fn: Callable[..., Any], operands: tuple[Any, ...]) -> SymbolicArray:
    """``fn`` applied entry by entry, after numpy's broadcasting (the nodes' axis leading)."""
    entries = [_entries(operand, name) for operand in operands]
    nodal = [value.ndim for value, is_nodal in entries if is_nodal]
    if nodal:  # an axis of length 1 against the nodes' axis broadcasts to it
        entries = [(v[0, ...] if not n and v.ndim == nodal[0] + 1 and len(v) == 1 else v, n)
                   for v, n in entries]  # fmt: skip
    if nodal and (len(set(nodal)) > 1 or any(v.ndim > nodal[0] for v, _ in entries)):
        shapes = ", ".join(f"{('n',) * n + v.shape}" for v, n in entries).replace("'", "")
        raise LiftingError(
            f"{name} broadcasts the nodes' axis against another axis (shapes {shapes}); "
            "index the array field (p[k]) or the points' column (x[:, k]) instead"
        )
    try:
        arrays = np.broadcast_arrays(*(value for value, _ in entries))
        out = np.empty(arrays[0].shape, dtype=object)
        for index in np.ndindex(out.shape):
            out[index] = fn(*(a[index] for a in arrays))
    except (TypeError, ValueError) as err:
        raise LiftingError(f"{name} cannot be lifted to SymPy here: {err}") from None
    return SymbolicArray(out, nodal=bool(nodal))


def _where(cond: Any, *values: Any) -> SymbolicArray:
    if len(values) != 2:
        raise LiftingError("numpy.where(condition) gives indices of nodes: write where(c, a, b)")
    return _elementwise("numpy.where", lambda c, u, v: sp.Piecewise((u, c), (v, True)),
                        (cond, *values))  # fmt: skip


def _matmul(a: Any, b: Any, name: str = "numpy.matmul") -> SymbolicArray:
    (u, u_nodal), (v, v_nodal) = _entries(a, name), _entries(b, name)
    if u.ndim == 0 or v.ndim == 0:
        return _elementwise(name, operator.mul, (a, b))
    if v_nodal or u.ndim > 2 or v.ndim > 2:
        raise LiftingError(f"{name} contracts over the nodes x: an integrand uses one node alone")
    return SymbolicArray(np.array(np.matmul(u, v), dtype=object), nodal=u_nodal)


def _reduction(function: Callable[..., Any]) -> Callable[..., SymbolicArray]:
    """A numpy reduction over the axes of each node's entries (never over the nodes)."""
    name = f"numpy.{function.__name__}"

    def reduce(a: Any, axis: Any = None, **options: Any) -> SymbolicArray:
        if any(v is not None and v is not False for v in options.values()):
            raise LiftingError(f"{name} is lifted without {', '.join(options)}")
        value, nodal = _entries(a, name)
        ndim = value.ndim + nodal
        axes = range(ndim) if axis is None else axis if isinstance(axis, tuple) else (axis,)
        axes = tuple(k % ndim for k in axes) if ndim else ()
        if nodal and 0 in axes:
            raise LiftingError(f"{name} over the nodes x (axis {axis}): nodes are used alone")
        reduced = function(value, axis=tuple(k - nodal for k in axes))
        return SymbolicArray(np.array(reduced, dtype=object), nodal=nodal)

    return reduce


_FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.where: _where, np.dot: functools.partial(_matmul, name="numpy.dot"),
    np.sum: _reduction(np.sum), np.prod: _reduction(np.prod), np.mean: _reduction(np.mean),
    np.clip: lambda a, lo, hi: _elementwise("numpy.clip", lambda u, p, q: sp.Min(sp.Max(u, p), q),
                                            (a, lo, hi)),
}  # fmt: skip


def _operator(ufunc: np.ufunc) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """A Python operator and its reflected form, by ``ufunc``."""

    def forward(self: SymbolicArray, *other: Any) -> Any:
        return ufunc(self, *other)

    def reflected(self: SymbolicArray, other: Any) -> Any:
        return ufunc(other, self)

    return forward, reflected


class SymbolicArray:
    """A stand-in for a numpy array of SymPy expressions ``value`` (an object array); if
    ``nodal``, for an array ``(n, *value.shape)``, ``value`` at each node.

    numpy's ufuncs, ``where``, ``sum``, ``prod``, ``mean``, ``dot``, ``clip`` and Python's
    operators on it build SymPy entry by entry; any other numpy function, ``bool()`` or
    ``float()`` raises :class:`~symrules.errors.LiftingError` naming it.

    Examples
    --------
    >>> import numpy as np
    >>> import sympy as sp
    >>> x = SymbolicArray(np.array(sp.Symbol("x")), nodal=True)
    >>> np.where(x < 1, np.exp(-x**2), 0).value[()]
    Piecewise((exp(-x**2), x < 1), (0, True))
    >>> np.cumsum(x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrules.errors.LiftingError: numpy.cumsum has no SymPy counterpart per node ...
    """

    __hash__ = None  # type: ignore[assignment]  # == builds an equation

    def __init__(self, value: np.ndarray, nodal: bool = False) -> None:
        self.value, self.nodal = value, nodal

    def __repr__(self) -> str:
        return f"SymbolicArray({self.value!r}, nodal={self.nodal})"

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        special = getattr(np, ufunc.__name__, None) is not ufunc  # scipy.special's (or private)
        name = f"{'scipy.special' if special else 'numpy'}.{ufunc.__name__}"
        if method != "__call__" or kwargs:
            what = f".{method}" if method != "__call__" else f" with {', '.join(kwargs)}"
            raise LiftingError(f"{name}{what} has no SymPy counterpart per node")
        if ufunc is np.matmul:
            return _matmul(*inputs)
        fn = _UFUNCS.get(ufunc)
        if fn is None and special:
            fn = SPECIAL_FUNCTIONS.get(ufunc.__name__)
        if fn is None:
            raise LiftingError(f"{name} has no SymPy counterpart: it cannot be lifted")
        return _elementwise(name, fn, inputs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        handler = _FUNCTIONS.get(func)
        if handler is None:
            shown = next((a for a in args if isinstance(a, SymbolicArray)), self)
            raise LiftingError(
                f"{func.__module__}.{func.__name__} has no SymPy counterpart per node (called on "
                f"{str(shown.value)[:60]}); an integrand is lifted from elementwise numpy"
            )
        return handler(*args, **kwargs)

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise LiftingError(f"numpy.asarray of {str(self.value)[:60]}: it is not numbers")

    def __getitem__(self, index: Any) -> SymbolicArray:
        steps = index if isinstance(index, tuple) else (index,)
        first = steps[0] if steps else None
        whole = first is Ellipsis or (isinstance(first, slice) and first == slice(None))
        if any(isinstance(s, SymbolicArray) for s in steps) or (self.nodal and not whole):
            raise LiftingError(
                f"indexing [{index!r}] of {str(self.value)[:60]} across the nodes: only a "
                "field's entries (p[k]) and the points' columns (x[:, k]) can be lifted"
            )
        if self.nodal and first is not Ellipsis:
            steps = steps[1:]
        try:
            return SymbolicArray(np.array(self.value[steps], dtype=object), self.nodal)
        except IndexError as err:
            raise LiftingError(f"indexing [{index!r}] of {self.value}: {err}") from None

    def __len__(self) -> int:
        if self.nodal:
            raise LiftingError("len() of a value per node: the number of nodes is not lifted")
        return len(self.value)

    def __iter__(self) -> Iterator[SymbolicArray]:
        return (self[k] for k in range(len(self)))

    def __bool__(self) -> bool:
        raise LiftingError(
            f"a Python if, and, or or bool() on {str(self.value)[:60]}, which depends on the "
            "variable or a field: write numpy.where(condition, a, b)"
        )

    def _scalar(self, *args: Any) -> Any:
        raise LiftingError(f"float() or int() of {str(self.value)[:60]}: it is not a number")

    __float__ = __int__ = __index__ = __complex__ = _scalar

    def sum(self, axis: Any = None) -> SymbolicArray:
        return _FUNCTIONS[np.sum](self, axis)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise LiftingError(f"the array method .{name} is not lifted to SymPy; call numpy's")

    __add__, __radd__ = _operator(np.add)
    __sub__, __rsub__ = _operator(np.subtract)
    __mul__, __rmul__ = _operator(np.multiply)
    __truediv__, __rtruediv__ = _operator(np.divide)
    __floordiv__, __rfloordiv__ = _operator(np.floor_divide)
    __mod__, __rmod__ = _operator(np.remainder)
    __pow__, __rpow__ = _operator(np.power)
    __matmul__, __rmatmul__ = _operator(np.matmul)
    __and__, __rand__ = _operator(np.logical_and)
    __or__, __ror__ = _operator(np.logical_or)
    __lt__, __gt__ = _operator(np.less)[0], _operator(np.greater)[0]
    __le__, __ge__ = _operator(np.less_equal)[0], _operator(np.greater_equal)[0]
    __eq__, __ne__ = _operator(np.equal)[0], _operator(np.not_equal)[0]
    __neg__, __pos__ = _operator(np.negative)[0], _operator(np.positive)[0]
    __abs__, __invert__ = _operator(np.absolute)[0], _operator(np.logical_not)[0]
