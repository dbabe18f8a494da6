"""Symbolic derivation: the partials of an expression, and the subexpressions they share.

This module owns the SymPy half of a generated rule after parsing: the first partials of a
canonical expression (:mod:`symrules.symbolic.parse`) with respect to every parameter and the
variable, second partials on demand, and the common subexpressions of the primal and all
partials that the generated code computes once.

A partial is the derivative *away from jumps*: a step (``Heaviside``, ``sign``, ``floor``,
``ceiling``) has derivative zero there, so SymPy's ``DiracDelta`` and its unevaluated
derivatives of ``floor`` and ``ceiling`` become zero (the jumps themselves are quadrature's
business, as breakpoints). A partial SymPy leaves unevaluated (``Derivative``, ``Subs``) or
gives only as a Meijer G or hypergeometric function -- the derivative of ``besselj(nu, x)``
in its order ``nu``, of ``zeta(s)`` in ``s``, of ``lowergamma(s, x)`` in ``s`` -- has no
numeric translation: it is refused with an error naming the function and the symbol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ..errors import ExpressionTooLargeError, NoNumpyPrinterError
from .declaration import Declaration
from .parse import as_expression, free_names

__all__ = ["Derivation", "derive", "partial", "shared_subexpressions"]

_STEPS = (sp.Heaviside, sp.sign, sp.floor, sp.ceiling)  # piecewise constant: derivative 0
_NOT_CLOSED = (sp.Derivative, sp.Subs, sp.Integral, sp.meijerg, sp.hyper)


@dataclass(frozen=True)
class Derivation:
    """An expression and its first partials with respect to every parameter and the variable.

    Attributes
    ----------
    expr : sympy.Expr
        The canonical expression.
    declaration : Declaration
    partials : dict
        ``name -> d expr / d name``: a SymPy expression for a scalar parameter and for each
        variable (their entries come last), a 1-D ``sympy.Array`` for an array parameter.

    Examples
    --------
    >>> d = derive("a*x**2 + c[0]*x + c[1]", "x", {"a": None, "c": 2})
    >>> d.partials["a"], d.partials["c"], d.partials["x"]
    (x**2, [x, 1], 2*a*x + c_0)
    """

    expr: sp.Expr
    declaration: Declaration
    partials: dict[str, Any]

    def flat(self) -> list[tuple[str, int | None, sp.Expr]]:
        """``(name, component or None, partial)`` for every scalar direction, variables last."""
        out: list[tuple[str, int | None, sp.Expr]] = []
        for name, value in self.partials.items():
            if isinstance(value, sp.NDimArray):
                out.extend((name, k, part) for k, part in enumerate(value))
            else:
                out.append((name, None, value))
        return out

    def second(self, a: str, b: str) -> Any:
        """Second partial ``d^2 expr / (d a d b)`` (an Array when either name is an array).

        Examples
        --------
        >>> derive("a*sin(b*x)", "x", {"a": None, "b": None}).second("a", "b")
        x*cos(b*x)
        """
        first = self.partials[a]
        return _partial(first, self.declaration.symbols(b))


def derive(expr: Any, var: str | tuple[str, ...] = "x",
           sizes: dict[str, int | None] | None = None) -> Derivation:  # fmt: skip
    """Derive the partials of ``expr`` with respect to every parameter and the variables.

    Parameters
    ----------
    expr : str or sympy.Expr
        The expression, parsed safely when a string.
    var : str or tuple of str
        The variable's name, or the names of several variables.
    sizes : dict, optional
        Parameter name -> ``None`` (scalar) or length (1-D array). Default: every free
        name of ``expr`` other than ``var`` is a scalar parameter.

    Returns
    -------
    Derivation

    Examples
    --------
    >>> d = derive("a*exp(-b*x)", "x", {"a": None, "b": None})
    >>> d.partials
    {'a': exp(-b*x), 'b': -a*x*exp(-b*x), 'x': -a*b*exp(-b*x)}
    >>> derive("a*x*y**2", ("x", "y"), {"a": None}).partials
    {'a': x*y**2, 'x': a*y**2, 'y': 2*a*x*y}
    """
    if sizes is None:
        sizes = {name: None for name in free_names(expr, var)}
    declaration = Declaration(var, tuple(sizes.items()))
    canonical = as_expression(expr, declaration)
    partials: dict[str, Any] = {}
    try:
        terms = _terms_by_symbol(canonical)
        for name in declaration.names:
            partials[name] = _partial(canonical, declaration.symbols(name), terms)
        for name, symbol in zip(declaration.variables, declaration.xs, strict=True):
            partials[name] = _diff(canonical, symbol, terms)
    except RecursionError:
        raise ExpressionTooLargeError(
            f"differentiating {str(expr)[:60]!r}... recursed too deeply"
        ) from None
    return Derivation(canonical, declaration, partials)


def _terms_by_symbol(expr: Any) -> dict[sp.Symbol, list[sp.Expr]] | None:
    """For a sum: the terms holding each symbol (``None`` for anything else)."""
    if not isinstance(expr, sp.Add):
        return None
    terms: dict[sp.Symbol, list[sp.Expr]] = {}
    for term in expr.args:
        for symbol in term.free_symbols:
            terms.setdefault(symbol, []).append(term)
    return terms


def _partial(expr: Any, wrt: Any, terms: dict | None = None) -> Any:
    """``d expr / d wrt``: an expression, or a 1-D ``sympy.Array`` for a tuple of symbols."""
    if isinstance(wrt, tuple):
        return sp.Array([_diff(expr, s, terms) for s in wrt])
    return _diff(expr, wrt, terms)


def _diff(expr: Any, symbol: sp.Symbol, terms: dict | None = None) -> Any:
    """``sympy.diff``, differentiating only the terms of a sum that hold ``symbol``.

    A series of ``n`` terms with ``n`` coefficients would otherwise differentiate every term
    for every coefficient: ``n**2`` derivatives for ``n`` that are not zero.
    """
    if terms is not None:
        part = sp.Add(*[sp.diff(t, symbol) for t in terms.get(symbol, ())])
    else:
        part = sp.diff(expr, symbol)
    return _away_from_jumps(part, expr, symbol)


def partial(expr: Any, symbol: sp.Symbol) -> Any:
    """``d expr / d symbol`` away from jumps, refusing one in no evaluable closed form.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> partial(sp.Heaviside(x - 1) * x, x)
    Heaviside(x - 1)
    """
    return _diff(expr, symbol)


def _is_step_derivative(node: Any) -> bool:
    """A ``DiracDelta``, or an unevaluated derivative of a step (inside a ``Subs``, or zero)."""
    if isinstance(node, sp.Subs):
        return node.expr == 0 or _is_step_derivative(node.expr)
    return isinstance(node, sp.DiracDelta) or (
        isinstance(node, sp.Derivative) and isinstance(node.expr, _STEPS)
    )


def _away_from_jumps(part: Any, expr: Any, symbol: sp.Symbol) -> Any:
    """``part`` with the derivatives of steps zero, refusing a partial in no closed form."""
    if not part.has(sp.DiracDelta, *_NOT_CLOSED):
        return part
    part = part.replace(_is_step_derivative, lambda _: sp.S.Zero)
    offenders = sorted(part.atoms(*_NOT_CLOSED), key=sp.default_sort_key)
    if not offenders:
        return part
    offender = offenders[0]
    functions = sorted(expr.atoms(sp.Function), key=sp.count_ops)
    culprits = [fn for fn in functions if symbol in fn.free_symbols
                and sp.diff(fn, symbol).has(offender.func)]  # fmt: skip
    fn = culprits[0] if culprits else offender
    shown = str(offender) if len(str(offender)) <= 80 else f"{str(offender)[:77]}..."
    raise NoNumpyPrinterError(
        f"the partial in {symbol} of {fn.func.__name__} (in {fn}) has no closed form that numpy "
        f"or SciPy evaluates: SymPy gives {shown}. {symbol} cannot be differentiated there; "
        "make that argument a number"
    )


def shared_subexpressions(
    derivation: Derivation, prefix: str = "t"
) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]:
    """Common subexpressions of the primal and all partials, via ``sympy.cse``.

    Returns ``(replacements, reduced)`` with ``reduced = [expr, *partials]`` in the order of
    :meth:`Derivation.flat`. The new symbols are named ``{prefix}0, {prefix}1, ...``; the
    prefix must not be the start of a declared name followed by digits.

    Examples
    --------
    >>> d = derive("exp(a*x)", "x", {"a": None})
    >>> shared_subexpressions(d)
    ([(t0, exp(a*x))], [t0, t0*x, a*t0])
    """
    exprs = [derivation.expr, *(part for _, _, part in derivation.flat())]
    try:
        return sp.cse(exprs, symbols=sp.numbered_symbols(prefix, real=True), order="none")
    except RecursionError:
        raise ExpressionTooLargeError("sharing subexpressions recursed too deeply") from None
