"""The printer: one SymPy expression to numpy source, refusing what numpy cannot vectorize.

The first of code generation's three layers (printer, scaffold in
:mod:`~symrules.symbolic.codegen`, loader in :mod:`~symrules.symbolic.loader`), as in SymPy's
``lambdify``: a subclass of SymPy's ``NumPyPrinter`` that writes ``np.f`` calls and ``c[k]``
for array-parameter components, and names any function with no numpy translation.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.numpy import NumPyPrinter

from ..errors import ExpressionTooLargeError, NoNumpyPrinterError
from .declaration import Declaration

__all__ = ["NumpySourcePrinter", "print_numpy"]

_SORTED_TERMS = 64  # sums of more terms print unsorted


class NumpySourcePrinter(NumPyPrinter):
    """SymPy's numpy printer, writing ``np.f`` and mangled names, refusing non-numpy functions.

    A declared symbol prints as its mangled identifier (``a`` as ``a_``, see
    :meth:`Declaration.identifier`), an array-parameter component ``c_k`` as ``c_[k]``;
    any other symbol (a shared subexpression ``t0``) as its name. ``Max``/``Min`` print as
    nested ``np.maximum``/``np.minimum`` (elementwise, unlike SymPy's ``reduce`` form);
    a function SymPy would print through ``math``, ``scipy`` or ``mpmath`` raises
    :class:`~symrules.errors.NoNumpyPrinterError`.

    Examples
    --------
    >>> import sympy as sp
    >>> d = Declaration("x", (("c", 2),))
    >>> p = NumpySourcePrinter(d)
    >>> p.doprint(sp.Max(d.x, 0) + d.symbols("c")[1] * sp.cos(d.x))
    'c_[1]*np.cos(x_) + np.maximum(0, x_)'
    """

    def __init__(self, declaration: Declaration) -> None:
        super().__init__({"strict": True, "fully_qualified_modules": True})
        self._names: dict[sp.Symbol, str] = {declaration.x: declaration.identifier(declaration.var)}
        for name in declaration.names:
            symbols = declaration.symbols(name)
            if isinstance(symbols, tuple):
                ident = declaration.identifier(name)
                self._names.update({sym: f"{ident}[{k}]" for k, sym in enumerate(symbols)})
            else:
                self._names[symbols] = declaration.identifier(name)

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        # a long sum prints in SymPy's own (deterministic) order: sorting its terms for
        # display costs more than generating the rest of the code
        return super()._print_Add(expr, order="none" if len(expr.args) > _SORTED_TERMS else order)

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._names.get(expr) or super()._print_Symbol(expr)

    def _module_format(self, fqn: str, register: bool = True) -> str:
        if fqn.startswith("numpy."):
            return "np." + fqn[len("numpy.") :]
        if fqn == "abs":  # the builtin is elementwise on arrays; say so
            return "np.abs"
        raise NoNumpyPrinterError(
            f"the function {fqn.rsplit('.', 1)[-1]!r} has no vectorized numpy translation "
            f"(SymPy would print it as {fqn})"
        )

    def _nested(self, fn: str, args: tuple) -> str:
        out = self._print(args[-1])
        for arg in reversed(args[:-1]):
            out = f"np.{fn}({self._print(arg)}, {out})"
        return out

    def _print_Max(self, expr: sp.Max) -> str:
        return self._nested("maximum", expr.args)

    def _print_Min(self, expr: sp.Min) -> str:
        return self._nested("minimum", expr.args)

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        at_zero = expr.args[1] if len(expr.args) > 1 else sp.S.Half
        return f"np.heaviside({self._print(expr.args[0])}, {self._print(at_zero)})"


def print_numpy(expr: sp.Expr, declaration: Declaration) -> str:
    """Numpy source for one expression over the declared symbols.

    Raises
    ------
    NoNumpyPrinterError
        Naming the first function with no numpy translation.

    Examples
    --------
    >>> import sympy as sp
    >>> d = Declaration("x", (("a", None),))
    >>> print_numpy(d.symbols("a") * sp.exp(-d.x**2), d)
    'a_*np.exp(-x_**2)'
    >>> try:
    ...     print_numpy(sp.besselj(0, d.x), d)
    ... except NoNumpyPrinterError as err:
    ...     print(err)
    the function besselj has no numpy translation (in besselj(0, x))
    """
    for fn in sorted(expr.atoms(sp.Function), key=str):
        if isinstance(fn, sp.core.function.AppliedUndef):
            raise NoNumpyPrinterError(f"the function {fn.func.__name__!r} is undefined: {fn}")
    printer = NumpySourcePrinter(declaration)
    try:
        return printer.doprint(expr)
    except PrintMethodNotImplementedError:
        for fn in sorted(expr.atoms(sp.Function), key=sp.count_ops):  # innermost first
            try:
                printer.doprint(fn)
            except PrintMethodNotImplementedError:
                raise NoNumpyPrinterError(
                    f"the function {fn.func.__name__} has no numpy translation (in {fn})"
                ) from None
        raise NoNumpyPrinterError(f"no numpy translation for {expr}") from None
    except RecursionError:
        raise ExpressionTooLargeError("printing the expression recursed too deeply") from None
