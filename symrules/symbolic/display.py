"""How an integrand shows itself: a repr that reads back, LaTeX, partials looked up by symbol.

An :class:`~symrules.symbolic.integrand.Integrand` prints as the call that builds it
(:func:`expression_text` writes the expression so that the string parser reads back the same
expression: full-precision floats, ``c[k]`` for an array component), renders in Jupyter as
``f(x; a, b) = ...`` with its partials (:func:`latex_table`), and hands out its partials as a
:class:`Partials` dictionary that a SymPy user may index with their own symbols.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from .declaration import Declaration

__all__ = [
    "MAX_TEXT",
    "MAX_VALUES",
    "Partials",
    "expression_repr",
    "expression_text",
    "latex_table",
    "show_value",
    "shown_symbols",
]

#: Longest expression text a repr shows whole; a longer one is summarized (and does not read back).
MAX_TEXT = 400
#: Most entries of an array parameter a repr lists; a longer one is summarized.
MAX_VALUES = 6


class Partials(dict[Any, Any]):
    """``name -> partial``, also indexed by a SymPy symbol of that name.

    A dict keyed by the parameter and variable names (iteration and equality are a dict's);
    ``partials[a]`` with a ``Symbol`` (or ``IndexedBase``) named ``"a"`` is ``partials["a"]``,
    and ``partials[c[k]]`` with an ``Indexed`` is the ``k``-th entry of ``partials["c"]``.

    Examples
    --------
    >>> import sympy as sp
    >>> a, x = sp.symbols("a x")
    >>> p = Partials({"a": x, "x": a})
    >>> p[a], p["x"], a in p, p == {"a": x, "x": a}
    (x, a, True, True)
    """

    def __missing__(self, key: Any) -> Any:
        name = _name(key)
        if name is None or not dict.__contains__(self, name):
            raise KeyError(key)
        part = self[name]
        if isinstance(key, sp.Indexed):
            if not isinstance(part, sp.NDimArray) or not 0 <= int(key.indices[0]) < len(part):
                raise KeyError(key)
            return part[int(key.indices[0])]
        return part

    def __contains__(self, key: object) -> bool:
        try:
            self[key]
        except (KeyError, TypeError):
            return False
        return True

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except (KeyError, TypeError):
            return default


def _name(key: Any) -> str | None:
    if isinstance(key, sp.Symbol):
        return key.name
    if isinstance(key, sp.IndexedBase):
        return str(key.label)
    if isinstance(key, sp.Indexed) and len(key.indices) == 1 and key.indices[0].is_Integer:
        return str(key.base.label)
    return None


class _TextPrinter(StrPrinter):
    """SymPy's ``str``, with floats in full (``repr``) and array components as ``c[k]``."""

    def __init__(self, components: dict[sp.Symbol, str]) -> None:
        super().__init__()
        self.components = components

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self.components.get(expr, expr.name)

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))  # what generated code computes with, and reads back


def expression_text(expr: sp.Expr, declaration: Declaration) -> str:
    """``expr`` as a string the parser reads back: floats in full, components as ``c[k]``.

    Examples
    --------
    >>> d = Declaration("x", (("c", 2),))
    >>> c0, c1 = d.symbols("c")
    >>> expression_text(c0 + sp.Float(0.1 + 0.2) * c1 * d.x, d)
    'c[0] + 0.30000000000000004*c[1]*x'
    """
    components = {}
    for name, size in declaration.sizes:
        if size is not None:
            components.update({s: f"{name}[{k}]" for k, s in enumerate(declaration.symbols(name))})
    return _TextPrinter(components).doprint(expr)


def expression_repr(expr: sp.Expr, declaration: Declaration) -> str:
    """The repr of :func:`expression_text`, or past :data:`MAX_TEXT` characters a summary.

    Examples
    --------
    >>> d = Declaration("x", ())
    >>> expression_repr(d.x**2, d), expression_repr(sum(d.x**k for k in range(200)), d)[:22]
    ("'x**2'", '<1681 characters: x**1')
    """
    text = expression_text(expr, declaration)
    return repr(text) if len(text) <= MAX_TEXT else f"<{len(text)} characters: {text[:60]}...>"


def show_value(value: Any) -> str:
    """A parameter's value as a repr shows it: a float, a list, or ``array(<n>)`` past
    :data:`MAX_VALUES` entries.

    Examples
    --------
    >>> show_value(np.float64(0.5)), show_value(np.array([1.0, 2.0])), show_value(np.zeros(9))
    ('0.5', '[1.0, 2.0]', 'array(<9>)')
    """
    if isinstance(value, np.ndarray):
        return f"array(<{value.size}>)" if value.size > MAX_VALUES else repr(value.tolist())
    return repr(float(value)) if isinstance(value, np.floating) else repr(value)


def shown_symbols(declaration: Declaration, theirs: Any) -> dict[str, Any]:
    """The symbols :func:`latex_table` shows: the user's where ``theirs`` has them (see
    :func:`~symrules.symbolic.declaration.user_symbols`), ``None`` for an array parameter.

    Examples
    --------
    >>> d = Declaration("x", (("a", None), ("c", 2)))
    >>> shown_symbols(d, {d.x: sp.Symbol("x")})
    {'x': x, 'a': a, 'c': None}
    """
    out = {v: theirs.get(x, x) for v, x in zip(declaration.variables, declaration.xs, strict=True)}
    for name in declaration.names:
        own = declaration.symbols(name)
        out[name] = None if isinstance(own, tuple) else theirs.get(own, own)
    return out


def latex_table(head: str, symbols: dict[str, Any], expr: sp.Expr, partials: dict[str, Any],
                variables: int = 1) -> str:  # fmt: skip
    """``head(x; a, b) = expr`` and one row per partial, as Jupyter renders LaTeX.

    ``symbols`` maps the ``variables`` variables' names (first), then each parameter's, to its
    symbol, or to ``None`` for an array parameter (shown bold, ``\\mathbf{c}``); ``partials``
    maps names to partials (an array parameter's is a 1-D ``sympy.Array``, abbreviated past
    :data:`MAX_VALUES` entries).

    Examples
    --------
    >>> a, x = sp.symbols("a x")
    >>> latex = latex_table("f", {"x": x, "a": a}, a * x, {"a": x})
    >>> "f(x; a) &= a x" in latex, r"\\partial f}{\\partial a} &= x" in latex
    (True, True)
    >>> y = sp.Symbol("y")
    >>> "f(x, y; a) &=" in latex_table("f", {"x": x, "y": y, "a": a}, a * x * y, {}, variables=2)
    True
    """
    shown = {n: rf"\mathbf{{{n}}}" if s is None else sp.latex(s) for n, s in symbols.items()}
    xs, params = list(shown.values())[:variables], list(shown.values())[variables:]
    x = ", ".join(xs)
    rows = [rf"{head}({x}{'; ' + ', '.join(params) if params else ''}) &= {sp.latex(expr)}"]
    for name, part in partials.items():
        rows.append(rf"\frac{{\partial f}}{{\partial {shown[name]}}} &= {_latex_part(part)}")
    return r"$\displaystyle \begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$"


def _latex_part(part: Any) -> str:
    if not isinstance(part, sp.NDimArray):
        return sp.latex(part)
    items = [sp.latex(p) for p in part]
    if len(items) > MAX_VALUES:
        items = [*items[:3], r"\dots", items[-1]]
    return r"\left[" + ", ".join(items) + r"\right]"
