"""The :func:`integrand` decorator: a Python function of SymPy-compatible math as an Integrand.

The function is called on SymPy symbols, with ``numpy`` and ``math`` (and their math
functions) swapped for SymPy's in a copy of the function, so ``np.exp(-b * x**2)`` yields
``exp(-b*x**2)``; the user's function and modules are not changed. The expression becomes an
:class:`~symrules.symbolic.integrand.Integrand` with the function's other parameters as fields;
a function some of whose parameters have no value becomes an :class:`IntegrandFamily`, which
gives an Integrand once called with the values.
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

from ..errors import ParameterValueError, SymbolicError, SymrulesError
from .arguments import parameter_value
from .declaration import Declaration, declared
from .display import latex_table, shown_symbols
from .integrand import Integrand

__all__ = ["IntegrandFamily", "integrand"]




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
    fn: Callable[..., Any] | None = None,
    /,
    *,
    var: str | tuple[str, ...] | list[str] | None = None,
    **params: Any,
) -> Any:
    """Decorator: a Python function ``f(x, a, b, ...)`` becomes an :class:`Integrand`, or a family.

    The function is called on SymPy symbols to obtain its expression, so it must be written
    with math SymPy understands: arithmetic, ``np.exp``, ``np.sin``, ``math.log``,
    ``np.maximum``... (numpy and math calls are mapped to SymPy for that call; the user's
    function and module are not changed). An array parameter arrives as an object array of
    symbols, so ``c[k]``, ``np.sum(c * np.cos(k * x))`` and ``c @ v`` work.

    The variable is the parameter named ``var`` (default: the first parameter), or the
    variables are those named in a tuple ``var`` (an Integrand in several variables, called on
    points of shape ``(n, d)``, see :class:`Integrand`). Every other
    parameter is a field of the Integrand; its initial value is the keyword given to the
    decorator, else its default value. When every parameter has a value, the result is an
    :class:`Integrand`; otherwise an :class:`IntegrandFamily`, which gives one when called
    with the missing values by keyword. Its symbols are the Integrand's own (real, named as
    the function's parameters).

    Parameters
    ----------
    fn : callable, optional
        The function, when used as ``@integrand`` without parentheses.
    var : str or tuple of str, optional
        Name of the variable, or names of the variables.
    **params
        Initial values overriding (or supplying) the defaults.

    Returns
    -------
    Integrand or IntegrandFamily, or a decorator returning one.

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
    >>> @integrand(var="x")
    ... def peak(x, a, b):
    ...     return a * np.exp(-b * x**2)
    >>> peak
    <integrand family peak(x; a, b) = a*exp(-b*x**2)>
    >>> peak(a=1.5, b=0.25)
    Integrand('a*exp(-b*x**2)', var='x', a=1.5, b=0.25)
    >>> @integrand(var=("x", "y"))
    ... def gauss(x, y, a=1.0):
    ...     return np.exp(-a * (x**2 + y**2))
    >>> gauss.var, bool(np.isclose(gauss(np.array([[1.0, 2.0]]))[0], np.exp(-5.0)))
    (('x', 'y'), True)
    """

    def decorate(f: Callable[..., Any]) -> Integrand | IntegrandFamily:
        if not isinstance(f, types.FunctionType):
            raise SymbolicError(f"@integrand takes a Python function, got {type(f).__name__}")
        names = list(inspect.signature(f).parameters)
        if not names:
            raise SymbolicError(f"{f.__qualname__} takes no arguments; it needs a variable")
        variable = names[0] if var is None else tuple(var) if isinstance(var, list) else var
        variables = variable if isinstance(variable, tuple) else (variable,)
        for v in variables:
            if v not in names:
                raise SymbolicError(f"{f.__qualname__} has no parameter named {v!r} (var)")
        unknown = [k for k in params if k not in names or k in variables]
        if unknown:
            raise ParameterValueError(f"{f.__qualname__} has no parameter {unknown[0]!r}")
        family = IntegrandFamily(f, variable, **params)
        return family if family.missing else family()

    return decorate(fn) if fn is not None else decorate


class IntegrandFamily:
    """The Integrands of one Python function: one per set of parameter values.

    What :func:`integrand` returns for a function some of whose parameters have no value.
    Calling it with keyword values gives an :class:`Integrand`; a missing or unknown
    parameter is refused by name. It shows its expression (every parameter without a value
    taken as a scalar). The expression is computed once per set of parameter shapes.

    Parameters
    ----------
    function : function
        ``function(x, a, b, ...)``, written with SymPy-compatible math (see :func:`integrand`).
    var : str or tuple of str
        Name of the variable, one of the function's parameters, or a tuple of such names.
    **values
        Parameter values known in advance; the function's defaults complete them.

    Attributes
    ----------
    function : function
    var : str or tuple of str
    parameters : tuple of str
        The parameters other than the variable, in the function's order.
    values : dict
        The known values, by name.
    missing : tuple of str
        The parameters without a value.

    Examples
    --------
    >>> import numpy as np
    >>> def bump(x, a, b=0.5):
    ...     return a * np.exp(-b * x**2)
    >>> family = IntegrandFamily(bump, "x")
    >>> family.missing, float(family(a=2.0)(0.0)), family(a=2.0, b=1.0).params
    (('a',), 2.0, {'a': 2.0, 'b': 1.0})
    >>> family(b=1.0)
    Traceback (most recent call last):
    ...
    symrules.errors.ParameterValueError: parameter 'a' of bump has no value: write bump(a=...)
    """

    def __init__(
        self, function: types.FunctionType, var: str | tuple[str, ...], **values: Any
    ) -> None:
        signature = inspect.signature(function).parameters
        self.function, self.var = function, var
        variables = var if isinstance(var, tuple) else (var,)
        self.parameters = tuple(name for name in signature if name not in variables)
        defaults = {n: p.default for n, p in signature.items()
                    if n not in variables and p.default is not inspect.Parameter.empty}  # fmt: skip
        self.values = {**defaults, **values}
        self.missing = tuple(name for name in self.parameters if name not in self.values)
        self._symbolic = _symbolic_copy(function)
        self._expressions: dict[tuple[tuple[str, int | None], ...], sp.Expr] = {}

    def __call__(self, *args: Any, **values: Any) -> Integrand:
        name = self.function.__qualname__
        if args:
            raise ParameterValueError(
                f"{name} is an integrand family: give its parameters by keyword, "
                f"{name}({', '.join(f'{p}=...' for p in self.parameters)}), for an Integrand"
            )
        unknown = [k for k in values if k not in self.parameters]
        if unknown:
            raise ParameterValueError(
                f"{name} has no parameter {unknown[0]!r}; its parameters: "
                f"{', '.join(self.parameters) or 'none'} (and the variable {self.var!r})"
            )
        values = {**self.values, **values}
        missing = [p for p in self.parameters if p not in values]
        if missing:
            which = ", ".join(repr(p) for p in missing)
            raise ParameterValueError(
                f"parameter{'s' * (len(missing) > 1)} {which} of {name} "
                f"{'have' if len(missing) > 1 else 'has'} no value: "
                f"write {name}({', '.join(f'{p}=...' for p in missing)})"
            )
        values = {p: values[p] for p in self.parameters}
        sizes = tuple((p, parameter_value(p, v)[0]) for p, v in values.items())
        return Integrand(self._expression(sizes), var=self.var, **values)

    @property
    def expr(self) -> sp.Expr:
        """The expression, each parameter without a value taken as a scalar."""
        return self._expression(self._sizes())

    def _sizes(self) -> tuple[tuple[str, int | None], ...]:
        return tuple((p, parameter_value(p, self.values[p])[0] if p in self.values else None)
                     for p in self.parameters)  # fmt: skip

    def _expression(self, sizes: tuple[tuple[str, int | None], ...]) -> sp.Expr:
        expr = self._expressions.get(sizes)
        if expr is None:
            expr = _evaluate(self._symbolic, self.function.__qualname__, declared(self.var, sizes))
            self._expressions[sizes] = expr
        return expr

    def _head(self) -> str:
        variables = ", ".join(self.var if isinstance(self.var, tuple) else (self.var,))
        return f"{self.function.__name__}({variables}; {', '.join(self.parameters)})"

    def __repr__(self) -> str:
        try:
            shown = f" = {self.expr}"
        except SymrulesError:  # an array parameter without a value: its length is unknown
            shown = ""
        return f"<integrand family {self._head()}{shown}>"

    def _repr_latex_(self) -> str | None:
        try:
            expr = self.expr
        except SymrulesError:
            return None  # Jupyter shows the repr
        declaration = declared(self.var, self._sizes())
        symbols = shown_symbols(declaration, {})
        head = rf"\operatorname{{{self.function.__name__}}}".replace("_", r"\_")
        return latex_table(head, symbols, expr, {}, len(declaration.variables))


def _evaluate(symbolic: types.FunctionType, name: str, declaration: Declaration) -> sp.Expr:
    """The expression of the function ``name`` (its SymPy copy ``symbolic``) on the symbols."""
    args: dict[str, Any] = dict(zip(declaration.variables, declaration.xs, strict=True))
    for param, size in declaration.sizes:
        syms = declaration.symbols(param)
        args[param] = syms if size is None else np.array(syms, dtype=object)
    try:
        expr = symbolic(**args)
    except (TypeError, AttributeError, ValueError, IndexError) as err:
        raise SymbolicError(f"{name} could not be evaluated on SymPy symbols: {err}") from None
    if isinstance(expr, np.ndarray) and expr.shape == ():
        expr = expr.item()
    if isinstance(expr, int | float) and not isinstance(expr, bool):
        expr = sp.Integer(expr) if isinstance(expr, int) else sp.Float(expr)  # a constant
    if not isinstance(expr, sp.Basic):
        raise SymbolicError(
            f"{name} returned {type(expr).__name__} on SymPy symbols, not an expression; "
            "write it with arithmetic and numpy/math functions"
        )
    return expr
