"""Breakpoints found symbolically: the points in the variable where an integrand's pieces meet.

This module owns :func:`find_breakpoints`, which reads an expression's ``Piecewise``,
``Heaviside``, ``sign``, ``Abs``, ``Max``, ``Min``, ``floor`` and ``ceiling`` and returns the
points where their pieces meet, as expressions in the parameters, compiled to numpy.

Why it exists
-------------
A quadrature rule on fixed nodes cannot see a jump move: each node's value is locally
constant in the parameter that moves it, so every quadrature-based gradient misses the jump's
Leibniz term (for a step, the whole answer, silently). SymPy knows where the jumps are; the
quadrature splits its domain there (:func:`~symrules.quadrature.integration.integrate`), and a
point computed from traced parameters is a traced domain point, whose Leibniz term
``f(c^-) - f(c^+)`` the quadrature's rule supplies.

How it works
------------
Each Piecewise condition's relations, each Heaviside/sign/Abs argument and each pair of
Max/Min arguments gives an equation in ``x``; ``solveset`` over the reals finds its roots in
closed form. A candidate that is no jump (a root where ``f`` happens to be continuous, or
outside the domain) costs one panel and nothing else: splitting where ``f`` is continuous
changes neither the value nor the gradient (its Leibniz term is zero). Missing a point is what
would be wrong, so an equation without closed-form roots is named in a
:class:`~symrules.errors.BreakpointWarning`. ``floor``/``ceiling`` of an argument linear in
``x`` give its integer crossings inside the domain. The points are printed as numpy source
(:mod:`~symrules.symbolic.printer`) and compiled (:mod:`~symrules.symbolic.loader`), so called
with traced parameters they return traced points.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np
import sympy as sp

from ..engine.tracing import Box, strip
from ..errors import BreakpointWarning, SymbolicError
from .declaration import Declaration
from .loader import load
from .printer import print_numpy

__all__ = ["MAX_CROSSINGS", "Breakpoints", "find_breakpoints", "found_in", "moving_jumps"]

#: More integer crossings of one ``floor``/``ceiling`` than this inside a domain are not split.
MAX_CROSSINGS = 256
# the integer a floor/ceiling argument crosses; prints as ``n`` (never a mangled user name,
# which ends in an underscore)
_N = sp.Symbol("n", integer=True)
_KINKS = (sp.Heaviside, sp.sign, sp.Abs)


@dataclass(frozen=True)
class Breakpoints:
    """The points where an expression's pieces meet, closed-form and compiled.

    Attributes
    ----------
    points : tuple of sympy.Expr
        The points in the variable, as expressions in the parameters.
    crossings : tuple of (sympy.Expr, sympy.Expr)
        For each ``floor``/``ceiling`` with an argument linear in the variable: the argument,
        and the point where it equals the integer ``n`` (a symbol of the expression).
    unsolved : tuple of str
        The conditions whose points have no closed form (or no numpy translation).
    source : str
        The generated numpy code: ``points``, ``crossing_args`` and ``crossings``.
    """

    points: tuple[sp.Expr, ...]
    crossings: tuple[tuple[sp.Expr, sp.Expr], ...]
    unsolved: tuple[str, ...]
    source: str
    _code: dict[str, Any] = field(repr=False, compare=False)

    def between(self, a: Any, b: Any, args: list[Any]) -> list[Any]:
        """The points in the closed interval between ``a`` and ``b``, sorted from ``a`` to ``b``.

        ``args`` are the parameter values as generated code receives them; a traced parameter
        gives traced points. Non-finite points (``sqrt(c)`` at ``c < 0``) are left out, and one
        point is kept of several with the same value (a traced one if there is one). Warns
        (:class:`~symrules.errors.BreakpointWarning`) naming each condition in :attr:`unsolved`.

        Examples
        --------
        >>> import sympy as sp
        >>> from symrules.symbolic.declaration import declared
        >>> d = declared("x", (("c", None),))
        >>> x, c = d.x, d.symbols("c")
        >>> found = find_breakpoints(sp.Abs(x - c) + sp.Heaviside(x - 2 * c), d)
        >>> found.points, found.between(1.0, 0.0, [0.3])
        ((c, 2*c), [0.6, 0.3])
        """
        lo, hi = sorted((float(strip(a)), float(strip(b))))
        for condition in self.unsolved:
            warnings.warn(
                f"symrules: the points where {condition} changes have no closed form; "
                "integrate does not split its domain there: declare them, "
                "integrate(f, (a, c1, ..., b))",
                BreakpointWarning,
                stacklevel=3,
            )
        with np.errstate(all="ignore"):
            found = [*self._code["points"](*args), *self._crossings(lo, hi, args)]
        kept: dict[float, Any] = {}
        for p in found:
            value = float(strip(p))
            if lo <= value <= hi and (value not in kept or type(p) is Box):
                kept[value] = p if type(p) is Box else value
        return [kept[v] for v in sorted(kept, reverse=float(strip(a)) > float(strip(b)))]

    def _crossings(self, lo: float, hi: float, args: list[Any]) -> list[Any]:
        if not self.crossings:
            return []
        if not (math.isfinite(lo) and math.isfinite(hi)):
            warnings.warn(
                "symrules: floor/ceiling crosses infinitely many integers on an infinite "
                "domain; integrate does not split there: declare the points you need",
                BreakpointWarning,
                stacklevel=4,
            )
            return []
        ends = self._code["crossing_args"](np.array([lo, hi]), *strip(args))
        out: list[Any] = []
        for k, (arg, _) in enumerate(self.crossings):
            first, last = math.ceil(np.min(ends[k])), math.floor(np.max(ends[k]))
            if last - first + 1 > MAX_CROSSINGS:
                warnings.warn(
                    f"symrules: {arg} crosses {last - first + 1} integers in the domain, more "
                    f"than MAX_CROSSINGS = {MAX_CROSSINGS}; integrate does not split there",
                    BreakpointWarning,
                    stacklevel=4,
                )
                continue
            out.extend(self._code["crossings"](float(n), *args)[k] for n in range(first, last + 1))
        return out


def _equations(expr: sp.Expr, x: sp.Symbol) -> Iterator[tuple[Any, sp.Expr]]:
    """``(condition, lhs)``: the pieces of ``expr`` meet where ``lhs`` is 0 (floor/ceiling
    excepted: they are yielded with their argument)."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Piecewise):
            for _, condition in node.args:
                if condition is not sp.true:
                    for rel in condition.atoms(sp.core.relational.Relational):
                        yield rel, rel.lhs - rel.rhs
        elif isinstance(node, _KINKS):
            yield node, node.args[0]
        elif isinstance(node, sp.Max | sp.Min):
            for u, v in combinations(node.args, 2):
                yield node, u - v
        elif isinstance(node, sp.floor | sp.ceiling):
            yield node, node.args[0]


def _roots(lhs: sp.Expr, x: sp.Symbol) -> list[sp.Expr] | None:
    """Candidate real roots of ``lhs`` in ``x`` (a superset is harmless), or ``None``."""
    try:
        found = sp.solveset(lhs, x, sp.S.Reals)
    except (NotImplementedError, ValueError, TypeError):
        return None
    parts = found.args if isinstance(found, sp.Union) else (found,)
    roots: list[sp.Expr] = []
    for part in parts:
        if isinstance(part, sp.Intersection | sp.Complement | sp.ConditionSet):
            part = next((s for s in part.args if isinstance(s, sp.FiniteSet)), part)
        if part is sp.S.EmptySet:
            continue
        if not isinstance(part, sp.FiniteSet) or any(r.has(sp.I, x) for r in part):
            return None
        roots.extend(part)
    return roots


def _function(name: str, first: list[str], exprs: list[sp.Expr], d: Declaration) -> str:
    """``def name(*first, *params): return (exprs...)`` as numpy source."""
    args = ", ".join([*first, *(d.identifier(p) for p in d.names)])
    items = [print_numpy(e, d) for e in exprs]
    value = f"({', '.join(items)},)" if items else "()"
    return f"def {name}({args}):\n    return {value}\n"


def _printed(expr: sp.Expr, declaration: Declaration) -> str | None:
    try:
        return print_numpy(expr, declaration)
    except SymbolicError:
        return None


def find_breakpoints(expr: sp.Expr, declaration: Declaration) -> Breakpoints:
    """Where the pieces of ``expr`` meet, as points in ``declaration``'s variable.

    Solving can take SymPy a moment: an Integrand's are found once per expression
    (:func:`found_in`).

    Parameters
    ----------
    expr : sympy.Expr
        The canonical expression, over ``declaration``'s symbols.
    declaration : Declaration

    Returns
    -------
    Breakpoints

    Examples
    --------
    >>> import sympy as sp
    >>> from symrules.symbolic.declaration import declared
    >>> d = declared("x", (("a", None), ("c", None)))
    >>> x, a, c = d.x, d.symbols("a"), d.symbols("c")
    >>> sorted(find_breakpoints(sp.Piecewise((a, x**2 < c), (0, True)), d).points, key=str)
    [-sqrt(c), sqrt(c)]
    >>> find_breakpoints(sp.Max(0, x - c) ** 2 + sp.floor(2 * x), d).crossings
    ((2*x, n/2),)
    """
    x = declaration.x
    points: list[sp.Expr] = []
    crossings: list[tuple[sp.Expr, sp.Expr]] = []
    unsolved: list[str] = []
    for condition, lhs in _equations(expr, x):
        if not lhs.has(x):
            continue
        if isinstance(condition, sp.floor | sp.ceiling):
            linear = lhs.is_polynomial(x) and sp.degree(lhs, x) == 1
            root = sp.solve(lhs - _N, x)[0] if linear else None
            if root is not None and _printed(root, declaration) is not None:
                crossings.append((lhs, root))
            else:
                unsolved.append(f"{condition} (an argument not linear in {x})")
            continue
        roots = _roots(lhs, x)
        if roots is None or any(_printed(r, declaration) is None for r in roots):
            unsolved.append(str(condition))
        else:
            points.extend(r for r in roots if r not in points)
    d = declaration
    source = "\n".join([
        f"# where the pieces of {expr} meet",
        _function("points", [], points, d),
        _function("crossing_args", [d.identifier(d.variables[0])], [u for u, _ in crossings], d),
        _function("crossings", ["n"], [p for _, p in crossings], d),
    ])  # fmt: skip
    key = f"breakpoints\n{declaration.var}\n{declaration.sizes}\n{sp.srepr(expr)}"
    code = load(source, "breakpoints " + hashlib.sha256(key.encode()).hexdigest()[:20])
    return Breakpoints(tuple(points), tuple(crossings), tuple(unsolved), source, code)


def found_in(rules: Any) -> Breakpoints:
    """The breakpoints of a :class:`~symrules.symbolic.loader.GeneratedRules`' expression,
    found once and kept on it (every Integrand of that expression shares them)."""
    if rules.breakpoints is None:
        rules.breakpoints = find_breakpoints(rules.expr, rules.declaration)
    return rules.breakpoints


@lru_cache(maxsize=256)
def moving_jumps(rules: Any) -> tuple[str, ...]:
    """The parameters of a :class:`~symrules.symbolic.loader.GeneratedRules`' expression that
    move one of its jumps across its variables, in declaration order (kinks, ``Abs``, ``Max``
    and ``Min``, are continuous and do not count)."""
    d = rules.declaration
    variables = {d.symbols(v) for v in d.variables}
    moved: set[sp.Symbol] = set()
    for node, lhs in _equations(rules.expr, next(iter(variables))):
        if isinstance(node, sp.Abs | sp.Max | sp.Min) or not lhs.free_symbols & variables:
            continue
        moved |= lhs.free_symbols - variables
    def symbols_of(name: str) -> tuple[sp.Symbol, ...]:
        found = d.symbols(name)
        return found if isinstance(found, tuple) else (found,)

    return tuple(n for n in d.names if moved.intersection(symbols_of(n)))
