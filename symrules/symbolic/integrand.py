"""The :class:`Integrand`: an expression as a callable object whose fields are its parameters.

This module owns the user-facing symbolic objects: :class:`Integrand`, its generated reverse
and forward rules registered with the engine, the :func:`integrand` decorator that turns a
Python function into one, and :func:`symbolic_rule`, the generated pullback on its own.

How it works
------------
An Integrand holds two things: the compiled :class:`~symrules.symbolic.loader.GeneratedRules`
of its expression (shared by every Integrand with the same expression and parameter shapes,
through the cache) and the current parameter values, its *fields*. Rebuilding it with new
fields (what the engine does to unbox traced values) copies the reference to the compiled
code and nothing else. Its reverse rule calls the generated ``rrule``, whose pullback returns
one contracted cotangent per parameter, wrapped into ``Tangent(f, ...)``, and ``x_bar``.
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

from ..primitives import primitive
from ..recording import TRACED_FIELDS
from ..rules import register_frule, register_rrule
from ..tangents import Tangent, ZeroTangent, is_zero
from ..tracing import Box, is_traced
from .derive import Declaration, SymbolicError, _free_names
from .loader import GeneratedRules, generated_rules

__all__ = ["Integrand", "ParameterValueError", "integrand", "symbolic_rule"]


class ParameterValueError(SymbolicError):
    """A parameter has no value, or a value that is not a real scalar or 1-D array."""


def _parameter(name: str, value: Any) -> tuple[int | None, Any]:
    """``(size, value)``: ``None`` and a float for a scalar, the length and a float array."""
    if isinstance(value, Box):
        shape = tuple(value.shape)
    elif is_traced(value):
        raise ParameterValueError(
            f"parameter {name!r} holds traced values inside a {type(value).__name__}; "
            "make it one array (np.stack) or one scalar"
        )
    else:
        try:
            value = np.asarray(value)
        except (TypeError, ValueError) as err:
            raise ParameterValueError(f"parameter {name!r}: {err}") from None
        if value.dtype.kind not in "biuf":
            raise ParameterValueError(
                f"parameter {name!r} must be a real number or 1-D array, got dtype {value.dtype}"
            )
        shape = value.shape
        value = float(value) if value.ndim == 0 else value.astype(float)
    if len(shape) > 1:
        raise ParameterValueError(
            f"parameter {name!r} has shape {shape}; parameters are scalars or 1-D arrays"
        )
    return (shape[0] if shape else None), value


@primitive
class Integrand:
    """An expression ``f(x; params)`` as a vectorized callable whose fields are its parameters.

    Parameters
    ----------
    expr : str or sympy.Expr
        The expression. A string is parsed safely (no ``eval``): numbers, the variable and
        parameter names, ``+ - * / **``, the functions of
        :data:`~symrules.symbolic.derive.FUNCTIONS`, ``pi``, ``E``, and ``c[k]`` for an
        array parameter ``c``. A SymPy expression may use ``IndexedBase("c")[k]``.
    var : str
        Name of the variable (the node array the quadrature evaluates ``f`` on).
    **params
        The parameters and their initial values: real scalars or 1-D arrays (traced values
        too, inside :func:`symrules.grad`). These are the Integrand's differentiable fields.

    Attributes
    ----------
    expr : sympy.Expr
        The canonical expression (an array component ``c[k]`` is the symbol ``c_k``).
    partials : dict
        ``name -> d expr / d name`` for every parameter (a 1-D ``sympy.Array`` for an array
        parameter) and, last, for the variable.
    source : str
        The generated numpy code (``primal``, ``rrule``, ``frule``, ``pullback``).
    params : dict
        The current parameter values, by name.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> f = Integrand("a*exp(-b*x**2)", a=2.0, b=0.5)
    >>> float(f(0.0)), f.partials["a"]
    (2.0, exp(-b*x**2))
    >>> x = np.linspace(0.0, 1.0, 5)
    >>> g = sr.grad(lambda a: np.sum(Integrand("a*exp(-b*x**2)", a=a, b=0.5)(x)))(2.0)
    >>> bool(np.isclose(g, np.sum(np.exp(-0.5 * x**2))))
    True

    See Also
    --------
    integrand : the same from a Python function.
    symbolic_rule : the generated pullback alone.
    """

    def __init__(self, expr: Any, var: str = "x", **params: Any) -> None:
        sizes, values = {}, {}
        for name, value in params.items():
            sizes[name], values[name] = _parameter(name, value)
        self._rules: GeneratedRules = generated_rules(
            expr, Declaration(var, tuple(sizes.items()))
        )
        self._params = values

    # fields
    def __symrules_fields__(self) -> dict[str, Any]:
        return dict(self._params)

    def __symrules_replace__(self, new_fields: dict[str, Any]) -> Integrand:
        new = object.__new__(Integrand)
        new._rules = self._rules
        new._params = {**self._params, **new_fields}
        return new

    # evaluation
    def __call__(self, x: Any) -> Any:
        return self._rules.primal(_nodes(x), *self._params.values())

    # attributes
    @property
    def expr(self) -> sp.Expr:
        return self._rules.expr

    @property
    def var(self) -> str:
        return self._rules.declaration.var

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def partials(self) -> dict[str, Any]:
        return dict(self._rules.derivation.partials)

    @property
    def source(self) -> str:
        return self._rules.source

    def __repr__(self) -> str:
        params = "".join(f", {k}={_show(v)}" for k, v in self._params.items())
        return f"Integrand({str(self.expr)!r}, var={self.var!r}{params})"

    def _repr_latex_(self) -> str:
        d = self._rules.declaration
        head = ", ".join(sp.latex(d.symbols(n)) if not isinstance(d.symbols(n), tuple)
                         else rf"\mathbf{{{n}}}" for n in d.names)  # fmt: skip
        lhs = f"f({sp.latex(d.x)}{'; ' + head if head else ''})"
        rows = [f"{lhs} &= {sp.latex(self.expr)}"]
        for name, part in self._rules.derivation.partials.items():
            wrt = rf"\mathbf{{{name}}}" if isinstance(part, sp.NDimArray) else sp.latex(
                d.x if name == d.var else d.symbols(name))  # fmt: skip
            rows.append(rf"\frac{{\partial f}}{{\partial {wrt}}} &= {_latex_part(part)}")
        return r"$\displaystyle \begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$"


def _nodes(x: Any) -> Any:
    return np.asarray(x, dtype=float) if isinstance(x, list | tuple) else x


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array(<{value.size}>)" if value.size > 6 else repr(value.tolist())
    return repr(value)


def _latex_part(part: Any) -> str:
    if not isinstance(part, sp.NDimArray):
        return sp.latex(part)
    items = [sp.latex(p) for p in part]
    if len(items) > 6:
        items = [*items[:3], r"\dots", items[-1]]
    return r"\left[" + ", ".join(items) + r"\right]"


@register_rrule(Integrand)
def integrand_rrule(f: Integrand, x: Any) -> tuple[Any, Callable[[Any], tuple]]:
    """Reverse rule of an Integrand: the generated pullback, contracted over the nodes.

    ``pullback(y_bar)`` returns ``(Tangent(f, **param_bars), x_bar)``: one cotangent per
    parameter (a number, or a vector for an array parameter), never one per node. ``x_bar`` is
    skipped when the engine reports ``x`` as not traced.

    Examples
    --------
    >>> import numpy as np
    >>> f = Integrand("a*x**2", a=3.0)
    >>> y, pullback = integrand_rrule(f, np.array([1.0, 2.0]))
    >>> f_bar, x_bar = pullback(np.array([1.0, 1.0]))
    >>> float(f_bar.a), x_bar.tolist()
    (5.0, [6.0, 12.0])
    """
    x = _nodes(x)
    y, pullback = f._rules.rrule(x, *f._params.values())
    traced = TRACED_FIELDS.get()
    need_x_bar = traced is None or id(x) not in traced or bool(traced[id(x)])
    names = f._rules.declaration.names

    def integrand_pullback(y_bar: Any) -> tuple[Any, Any]:
        *param_bars, x_bar = pullback(y_bar, need_x_bar)
        f_bar = Tangent(f, **dict(zip(names, param_bars, strict=True)))
        return f_bar, ZeroTangent() if x_bar is None else x_bar

    return y, integrand_pullback


@register_frule(Integrand)
def integrand_frule(dots: tuple[Any, Any], f: Integrand, x: Any) -> tuple[Any, Any]:
    """Forward rule of an Integrand: the generated pushforward.

    ``dots = (f_dot, x_dot)`` with ``f_dot`` a ``Tangent(f, ...)`` (missing fields are zero)
    or ``ZeroTangent()``.

    Examples
    --------
    >>> import symrules as sr
    >>> f = Integrand("a*x**2", a=3.0)
    >>> y, y_dot = integrand_frule((sr.Tangent(f, a=1.0), 0.5), f, 2.0)
    >>> float(y), float(y_dot)
    (12.0, 10.0)
    """
    f_dot, x_dot = dots
    given = f_dot.fields if isinstance(f_dot, Tangent) else {}
    param_dots = [given.get(name) for name in f._rules.declaration.names]
    param_dots = [None if d is None or is_zero(d) else d for d in param_dots]
    x_dot = None if is_zero(x_dot) else x_dot
    return f._rules.frule(_nodes(x), *f._params.values(), x_dot, *param_dots)


# ---------------------------------------------------------------------------------------
# the decorator: a Python function evaluated on SymPy symbols


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
        sizes = {name: _parameter(name, value)[0] for name, value in values.items()}
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
        return Integrand(expr, var=variable, **values)

    return decorate(fn) if fn is not None else decorate


def symbolic_rule(expr: Any, wrt: str | tuple[str, ...], var: str = "x",
                  **params: Any) -> Callable[..., Any]:  # fmt: skip
    """The generated pullback of ``expr`` as a standalone function.

    Parameters
    ----------
    expr : str or sympy.Expr
        The expression, as for :class:`Integrand`.
    wrt : str or tuple of str
        The names (parameters and/or the variable) whose cotangents are returned.
    var : str
        Name of the variable.
    **params
        Example values fixing each parameter's shape (scalar or 1-D array of a length).
        Default: every free name of ``expr`` other than ``var`` is a scalar parameter.

    Returns
    -------
    callable
        ``pullback(y_bar, x, *params) -> cotangents`` (parameters positionally in
        declaration order, or by name): for a scalar parameter ``sum(y_bar * df/dp)``, for an
        array parameter the vector of those sums, for the variable ``y_bar * df/dx``. One
        value when ``wrt`` is a string, else a tuple in the order of ``wrt``.

    Examples
    --------
    >>> import numpy as np
    >>> pullback = symbolic_rule("a*sin(x)", wrt=("a", "x"))
    >>> x = np.array([0.0, 0.5])
    >>> a_bar, x_bar = pullback(np.ones(2), x, a=2.0)
    >>> bool(np.isclose(a_bar, np.sin(0.5))), bool(np.allclose(x_bar, 2 * np.cos(x)))
    (True, True)
    """
    if not params:
        params = {name: 0.0 for name in _free_names(expr, var)}
    sizes = {name: _parameter(name, value)[0] for name, value in params.items()}
    rules = generated_rules(expr, Declaration(var, tuple(sizes.items())))
    order = [*rules.declaration.names, var]
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    bad = [n for n in names if n not in order]
    if bad:
        raise SymbolicError(f"wrt={bad[0]!r} is not a parameter or the variable; have {order}")
    signature = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
         for n in ("y_bar", var, *rules.declaration.names)]
    )  # fmt: skip

    def symbolic_pullback(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs).arguments
        values = [bound[n] for n in rules.declaration.names]
        bars = rules.pullback(bound["y_bar"], _nodes(bound[var]), *values,
                              need_x_bar=var in names)  # fmt: skip
        out = tuple(bars[order.index(n)] for n in names)
        return out[0] if isinstance(wrt, str) else out

    symbolic_pullback.__signature__ = signature
    symbolic_pullback.__doc__ = f"Generated pullback of {rules.expr} with respect to {names}."
    return symbolic_pullback
