"""The :func:`integrand` decorator: a Python function of SymPy-compatible math as an Integrand.

The function is called once on SymPy symbols, with ``numpy`` and ``math`` (and their math
functions) swapped for SymPy's in a copy of the function, so ``np.exp(-b * x**2)`` yields
``exp(-b*x**2)``; the user's function and modules are not changed. The expression becomes an
:class:`~symrules.symbolic.integrand.Integrand` with the function's other parameters as fields.
"""

from __future__ import annotations

import builtins
import inspect
import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ParameterValueError, SymbolicError
from .declaration import Declaration
from .integrand import Integrand, parameter_value

__all__ = ["integrand"]




def _elementwise(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` applied to SymPy objects, elementwise on object arrays of them."""

    def lifted(*args: Any) -> Any:
        if any(isinstance(a, np.ndarray) for a in args):
            return np.vectorize(fn, otypes=[object])(*args)
        return fn(*args)

    lifted.__name__ = getattr(fn, "__name__", "lifted")
    return lifted


_SYMPY_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos,
    "tan": sp.tan, "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan,
    "arctan2": sp.atan2, "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "atan2": sp.atan2,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "arcsinh": sp.asinh,
    "arccosh": sp.acosh, "arctanh": sp.atanh, "asinh": sp.asinh, "acosh": sp.acosh,
    "atanh": sp.atanh, "abs": sp.Abs, "absolute": sp.Abs, "fabs": sp.Abs, "sign": sp.sign,
    "maximum": sp.Max, "minimum": sp.Min, "fmax": sp.Max, "fmin": sp.Min,
    "power": sp.Pow, "pow": sp.Pow, "square": lambda u: u**2, "reciprocal": lambda u: 1 / u,
    "log10": lambda u: sp.log(u, 10), "log2": lambda u: sp.log(u, 2),
    "log1p": lambda u: sp.log(1 + u), "expm1": lambda u: sp.exp(u) - 1,
    "hypot": lambda u, v: sp.sqrt(u**2 + v**2),
}  # fmt: skip
_SYMPY_CONSTANTS = {"pi": sp.pi, "e": sp.E}


class _SympyModule(types.ModuleType):
    """Stands in for ``numpy`` or ``math``: math functions become SymPy's, the rest stays."""

    def __init__(self, real: types.ModuleType) -> None:
        super().__init__(real.__name__)
        self._real = real

    def __getattr__(self, name: str) -> Any:
        if name in _SYMPY_FUNCTIONS:
            return _elementwise(_SYMPY_FUNCTIONS[name])
        if name in _SYMPY_CONSTANTS:
            return _SYMPY_CONSTANTS[name]
        return getattr(self._real, name)


def _symbolic_copy(fn: types.FunctionType) -> types.FunctionType:
    """A copy of ``fn`` whose numpy, math and their math functions are SymPy's.

    Globals and closure cells referring to them are replaced in the copy only.
    """
    shims: dict[int, Any] = {id(np): _SympyModule(np), id(math): _SympyModule(math)}
    for module in (np, math, builtins):
        for name, sym_fn in _SYMPY_FUNCTIONS.items():
            value = getattr(module, name, None)
            if callable(value):
                shims[id(value)] = _elementwise(sym_fn)
    new_globals = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        value = new_globals.get(name, getattr(builtins, name, None))
        if id(value) in shims:
            new_globals[name] = shims[id(value)]
    cells = tuple(
        types.CellType(shims[id(c.cell_contents)]) if id(c.cell_contents) in shims else c
        for c in (fn.__closure__ or ())
    )
    return types.FunctionType(fn.__code__, new_globals, fn.__name__, None, cells or None)


def integrand(
    fn: Callable[..., Any] | None = None, /, *, var: str | None = None, **params: Any
) -> Any:
    """Decorator: a Python function ``f(x, a, b, ...)`` becomes an :class:`Integrand`.

    The function is called once on SymPy symbols to obtain its expression, so it must be
    written with math SymPy understands: arithmetic, ``np.exp``, ``np.sin``, ``math.log``,
    ``np.maximum``... (numpy and math calls are mapped to SymPy for that one call; the user's
    function and module are not changed). An array parameter arrives as an object array of
    symbols, so ``c[k]``, ``np.sum(c * np.cos(k * x))`` and ``c @ v`` work.

    The variable is the parameter named ``var`` (default: the first parameter). Every other
    parameter is a field of the Integrand; its initial value is the keyword given to the
    decorator, else its default value. A parameter with neither is an error.

    Parameters
    ----------
    fn : callable, optional
        The function, when used as ``@integrand`` without parentheses.
    var : str, optional
        Name of the variable.
    **params
        Initial values overriding (or supplying) the defaults.

    Returns
    -------
    Integrand, or a decorator returning one.

    Examples
    --------
    >>> import numpy as np
    >>> @integrand
    ... def bump(x, a=1.0, b=2.0):
    ...     return a * np.exp(-b * x**2)
    >>> bump.expr, bool(np.isclose(bump(0.5), np.exp(-0.5)))
    (a*exp(-b*x**2), True)
    >>> @integrand(c=np.array([1.0, 0.5]))
    ... def series(x, c):
    ...     return np.sum(c * np.cos(np.arange(2) * x))
    >>> float(series(0.0))
    1.5
    """

    def decorate(f: Callable[..., Any]) -> Integrand:
        if not isinstance(f, types.FunctionType):
            raise SymbolicError(f"@integrand takes a Python function, got {type(f).__name__}")
        signature = inspect.signature(f)
        names = list(signature.parameters)
        if not names:
            raise SymbolicError(f"{f.__qualname__} takes no arguments; it needs a variable")
        variable = names[0] if var is None else var
        if variable not in names:
            raise SymbolicError(f"{f.__qualname__} has no parameter named {variable!r} (var)")
        unknown = [k for k in params if k not in names or k == variable]
        if unknown:
            raise ParameterValueError(f"{f.__qualname__} has no parameter {unknown[0]!r}")
        values = {}
        for name in names:
            if name == variable:
                continue
            default = signature.parameters[name].default
            if name not in params and default is inspect.Parameter.empty:
                raise ParameterValueError(
                    f"parameter {name!r} of {f.__qualname__} has no value: give it a default "
                    f"or write @integrand({name}=...)"
                )
            values[name] = params.get(name, default)
        sizes = {name: parameter_value(name, value)[0] for name, value in values.items()}
        declaration = Declaration(variable, tuple(sizes.items()))
        symbolic = _symbolic_copy(f)
        args = {variable: declaration.x}
        for name, size in sizes.items():
            syms = declaration.symbols(name)
            args[name] = syms if size is None else np.array(syms, dtype=object)
        try:
            expr = symbolic(**args)
        except (TypeError, AttributeError, ValueError) as err:
            raise SymbolicError(
                f"{f.__qualname__} could not be evaluated on SymPy symbols: {err}"
            ) from None
        if isinstance(expr, np.ndarray) and expr.shape == ():
            expr = expr.item()
        if isinstance(expr, int | float) and not isinstance(expr, bool):
            expr = sp.Integer(expr) if isinstance(expr, int) else sp.Float(expr)  # a constant
        if not isinstance(expr, sp.Basic):
            raise SymbolicError(
                f"{f.__qualname__} returned {type(expr).__name__} on SymPy symbols, not an "
                "expression; write it with arithmetic and numpy/math functions"
            )
        return Integrand(expr, var=variable, **values)

    return decorate(fn) if fn is not None else decorate
