"""The printer: one SymPy expression to numpy source, refusing what numpy cannot vectorize.

The first of code generation's three layers (printer, scaffold in
:mod:`~symrules.symbolic.codegen`, loader in :mod:`~symrules.symbolic.loader`), as in SymPy's
``lambdify``: a subclass of SymPy's ``SciPyPrinter`` that writes ``np.f`` calls, ``special.f``
calls of :mod:`scipy.special` for the special functions, and ``c[k]`` for array-parameter
components, and names any function with no vectorized translation. Where SciPy evaluates a
function only for some arguments (an integer order, a real branch), the printer writes that
form and refuses the others by name rather than print a call that returns a wrong number.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.numpy import SciPyPrinter

from ..errors import ExpressionTooLargeError, NoNumpyPrinterError
from .declaration import Declaration

__all__ = ["NumpySourcePrinter", "print_numpy"]

_SORTED_TERMS = 64  # sums of more terms print unsorted


class NumpySourcePrinter(SciPyPrinter):
    """SymPy's SciPy printer, writing ``np.f``, ``special.f`` and mangled names.

    A declared symbol prints as its mangled identifier (``a`` as ``a_``, see
    :meth:`Declaration.identifier`), an array-parameter component ``c_k`` as ``c_[k]``;
    any other symbol (a shared subexpression ``t0``) as its name. ``Max``/``Min`` print as
    nested ``np.maximum``/``np.minimum`` (elementwise, unlike SymPy's ``reduce`` form). A
    special function prints as a call of :mod:`scipy.special` (``special`` in the generated
    module's namespace): besides SymPy's own SciPy translations, ``erfi``, ``erfinv``,
    ``erfcinv``, ``jn``/``yn`` (spherical Bessel, integer order), ``expint`` (integer
    order), ``zeta``, ``polylog`` (order 0, 1, 2), ``LambertW`` (its real part),
    ``elliptic_k``, ``elliptic_e``, ``elliptic_f``. A function SymPy would print through
    ``math`` or ``mpmath``, or with an argument SciPy does not take, raises
    :class:`~symrules.errors.NoNumpyPrinterError`.

    Examples
    --------
    >>> import sympy as sp
    >>> d = Declaration("x", (("c", 2),))
    >>> p = NumpySourcePrinter(d)
    >>> p.doprint(sp.Max(d.x, 0) + d.symbols("c")[1] * sp.cos(d.x))
    'c_[1]*np.cos(x_) + np.maximum(0, x_)'
    >>> p.doprint(sp.besselj(0, d.x) + sp.erfi(d.x))
    'special.jv(0, x_) + special.erfi(x_)'
    """

    _kc: ClassVar[dict[str, str]] = {**SciPyPrinter._kc, "Pi": "numpy.pi"}  # not scipy's pi

    def __init__(self, declaration: Declaration) -> None:
        super().__init__({"strict": True, "fully_qualified_modules": True})
        self._names: dict[sp.Symbol, str] = {
            sym: declaration.identifier(name)
            for name, sym in zip(declaration.variables, declaration.xs, strict=True)
        }
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
        if fqn.startswith("scipy.special."):
            return "special." + fqn[len("scipy.special.") :]
        if fqn == "abs":  # the builtin is elementwise on arrays; say so
            return "np.abs"
        raise NoNumpyPrinterError(
            f"the function {fqn.rsplit('.', 1)[-1]!r} has no vectorized numpy translation "
            f"(SymPy would print it as {fqn})"
        )

    def _call(self, fn: str, *args: Any) -> str:
        """``special.fn(args)``, or ``np.fn(args)`` for a name starting ``numpy.``."""
        name = self._module_format(fn if fn.startswith("numpy.") else f"scipy.special.{fn}")
        return f"{name}({', '.join(self._print(a) for a in args)})"

    def _order(self, expr: sp.Function, lowest: int = 0) -> int:
        """The integer order (first argument) of ``expr``, refusing any other by name."""
        n = expr.args[0]
        if not (n.is_Integer and int(n) >= lowest):
            raise NoNumpyPrinterError(
                f"the function {expr.func.__name__} has a SciPy translation for an integer order "
                f">= {lowest} only, not {n} (in {expr})"
            )
        return int(n)

    def _print_erfi(self, expr: sp.Function) -> str:
        return self._call("erfi", *expr.args)

    def _print_erfinv(self, expr: sp.Function) -> str:
        return self._call("erfinv", *expr.args)

    def _print_erfcinv(self, expr: sp.Function) -> str:
        return self._call("erfcinv", *expr.args)

    def _print_polygamma(self, expr: sp.Function) -> str:
        return self._call("polygamma", self._order(expr), expr.args[1])

    def _print_jn(self, expr: sp.Function) -> str:
        # j_{-m-1} = (-1)**(m+1) y_m: SymPy's derivative of jn(0, z) holds jn(-1, z)
        n, z = self._order(expr, lowest=-(2**31)), expr.args[1]
        if n >= 0:
            return self._call("spherical_jn", n, z)
        return f"{'-' if n % 2 else ''}{self._call('spherical_yn', -n - 1, z)}"

    def _print_yn(self, expr: sp.Function) -> str:
        # y_{-m-1} = (-1)**m j_m
        n, z = self._order(expr, lowest=-(2**31)), expr.args[1]
        if n >= 0:
            return self._call("spherical_yn", n, z)
        return f"{'' if n % 2 else '-'}{self._call('spherical_jn', -n - 1, z)}"

    def _print_expint(self, expr: sp.Function) -> str:
        return self._call("expn", self._order(expr), expr.args[1])

    def _print_zeta(self, expr: sp.Function) -> str:
        return self._call("zeta", *expr.args)

    def _print_polylog(self, expr: sp.Function) -> str:
        n, z = self._order(expr), expr.args[1]
        if n == 1:
            return f"(-{self._call('numpy.log1p', -z)})"
        if n == 2:  # Spence's function: Li2(z) = spence(1 - z)
            return self._call("spence", 1 - z)
        if n == 0:
            return self._print(z / (1 - z))
        raise NoNumpyPrinterError(
            f"the function polylog has a SciPy translation for the orders 0, 1 and 2 only, not "
            f"{n} (in {expr})"
        )

    def _print_LambertW(self, expr: sp.Function) -> str:
        return f"np.real({self._call('lambertw', *expr.args)})"  # real branches, real values

    def _print_elliptic_k(self, expr: sp.Function) -> str:
        return self._call("ellipk", *expr.args)

    def _print_elliptic_e(self, expr: sp.Function) -> str:
        return self._call("ellipe" if len(expr.args) == 1 else "ellipeinc", *expr.args)

    def _print_elliptic_f(self, expr: sp.Function) -> str:
        return self._call("ellipkinc", *expr.args)

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
    ...     print_numpy(sp.hyper([1], [2], d.x), d)
    ... except NoNumpyPrinterError as err:
    ...     print(err)
    the function hyper has no numpy translation (in hyper((1,), (2,), x))
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
