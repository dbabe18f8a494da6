"""The scaffold: numpy source for the primal, the pullback and the pushforward of an expression.

The middle of code generation's three layers, as in SymPy's ``lambdify``: the *printer*
(:mod:`~symrules.symbolic.printer`) turns one expression into numpy source; this *scaffold*
(:func:`generate_source`) writes a module from a :class:`~symrules.symbolic.derive.Derivation`;
the *loader* (:mod:`~symrules.symbolic.loader`) compiles and caches it.

How it works
------------
The module has a header naming the expression, then ``primal``, ``rrule`` (value and
pullback), ``frule`` (value and tangent) and a standalone ``pullback``, with the
subexpressions shared by the primal and all partials (``sympy.cse``) computed once. In
``rrule`` the subexpressions the value needs are computed before the pullback is returned;
the ones only partials need are computed inside the pullback, and the ones only ``x_bar``
needs only when it is asked for. The pullback takes the cotangent ``y_bar`` of the whole node
array and contracts it: one number per scalar parameter, one vector per array parameter, plus
``x_bar`` per node. Every declared name appears mangled (:meth:`Declaration.identifier`:
``a`` as ``a_``, its cotangent as ``a_bar_``), so no user name can collide with the code's own
names (``y``, ``y_bar``, ``np``, ``pullback``, the shared ``t0, t1, ...``).

An integrand in several variables (``var=("x", "y")``) takes its points as one array
``nodes`` of shape ``(n, d)``, as ``scipy.integrate.cubature`` does; each function starts by
naming its columns (``x_, y_ = nodes[:, 0], nodes[:, 1]``), and the cotangent and tangent of
the points are ``(n, d)`` arrays too, ``nodes_bar`` and ``nodes_dot``, one column a variable.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError

from .declaration import Declaration
from .derive import Derivation, shared_subexpressions
from .printer import NumpySourcePrinter, print_numpy

__all__ = ["display_title", "generate_source"]

_WIDTH = 96
_POINTS = "nodes"  # the (n, d) array of points of an integrand in several variables


class _Writer:
    """Accumulates indented lines; long assignments wrap inside parentheses."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, indent: int, text: str = "") -> None:
        self.lines.append(" " * indent + text if text else "")

    def assign(self, indent: int, name: str, rhs: str) -> None:
        pad = " " * indent
        if len(pad) + len(name) + 3 + len(rhs) <= _WIDTH:
            self.lines.append(f"{pad}{name} = {rhs}")
            return
        self.lines.append(f"{pad}{name} = (")
        self.lines.extend(
            textwrap.wrap(rhs, _WIDTH, initial_indent=pad + "    ", subsequent_indent=pad + "    ",
                          break_long_words=False, break_on_hyphens=False)
        )  # fmt: skip
        self.lines.append(f"{pad})")


@dataclass
class _Plan:
    """cse output with dependency bookkeeping: which replacements each expression needs."""

    replacements: list[tuple[sp.Symbol, sp.Expr]]
    reduced: list[sp.Expr]
    xs: tuple[sp.Symbol, ...]
    order: dict[sp.Symbol, int] = field(init=False)
    uses_x: dict[sp.Symbol, bool] = field(init=False)

    def __post_init__(self) -> None:
        self.order = {sym: i for i, (sym, _) in enumerate(self.replacements)}
        self.uses_x = {}
        for sym, expr in self.replacements:
            self.uses_x[sym] = self.depends_on_x(expr)

    def depends_on_x(self, expr: sp.Expr) -> bool:
        return any(s in self.xs or self.uses_x.get(s, False) for s in expr.free_symbols)

    def needed(self, exprs: list[sp.Expr]) -> list[sp.Symbol]:
        """Replacement symbols ``exprs`` need, transitively, in computation order."""
        seen: set[sp.Symbol] = set()
        stack = [s for e in exprs for s in e.free_symbols if s in self.order]
        while stack:
            sym = stack.pop()
            if sym not in seen:
                seen.add(sym)
                stack.extend(s for s in self.replacements[self.order[sym]][1].free_symbols
                             if s in self.order)  # fmt: skip
        return sorted(seen, key=self.order.__getitem__)


def _signature(declaration: Declaration) -> str:
    params = ", ".join(n if s is None else f"{n}[{s}]" for n, s in declaration.sizes)
    variables = ", ".join(declaration.variables)
    return f"f({variables}; {params})" if params else f"f({variables})"


def _points(declaration: Declaration, suffix: str = "") -> str:
    """The name of the nodes (``x_``), or of their cotangent or tangent (``x_bar_``): for
    several variables, of the ``(n, d)`` array of points (``nodes``, ``nodes_bar``)."""
    if declaration.several:
        return f"{_POINTS}_{suffix}" if suffix else _POINTS
    name = declaration.identifier(declaration.variables[0])
    return f"{name}{suffix}_" if suffix else name


def _unpack(w: _Writer, indent: int, d: Declaration) -> None:
    """For several variables: name the columns of the points (``x_, y_ = nodes[:, 0], ...``)."""
    if d.several:
        columns = ", ".join(f"{_POINTS}[:, {k}]" for k in range(len(d.variables)))
        w.assign(indent, ", ".join(d.identifier(v) for v in d.variables), columns)


def _display_symbols(declaration: Declaration) -> dict[sp.Symbol, sp.Symbol]:
    """Array components ``c_k`` shown as ``c[k]``, as the generated code reads them."""
    return {
        sym: sp.Symbol(f"{name}[{k}]")
        for name in declaration.names
        if isinstance(declaration.symbols(name), tuple)
        for k, sym in enumerate(declaration.symbols(name))
    }


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def display_title(derivation: Derivation, short: bool = False) -> str:
    """``f(x; a, c[2]) = a*x + c[0]``: the expression in the user's names, for headers.

    Examples
    --------
    >>> from symrules.symbolic.derive import derive
    >>> display_title(derive("c[0]*x", "x", {"c": 2})), display_title(derive("x*y", ("x", "y")))
    ('f(x; c[2]) = c[0]*x', 'f(x, y) = x*y')
    """
    d = derivation.declaration
    shown = str(derivation.expr.xreplace(_display_symbols(d)))
    return f"{_signature(d)} = {_short(shown) if short else shown}"


def generate_source(derivation: Derivation) -> str:
    """The module text of the generated ``primal``, ``rrule``, ``frule`` and ``pullback``.

    Parameters
    ----------
    derivation : Derivation
        The expression and its partials (see :func:`~symrules.symbolic.derive.derive`).

    Returns
    -------
    str
        Python source; it expects ``np`` (numpy) in its namespace.

    Examples
    --------
    >>> from symrules.symbolic.derive import derive
    >>> src = generate_source(derive("a*x + b", "x", {"a": None, "b": None}))
    >>> print(src.split("def rrule")[1].split("return y, pullback")[0].strip())
    (x_, a_, b_):
        \"\"\"Value of f(x; a, b) and its pullback, contracted over the nodes.\"\"\"
        y = a_*x_ + b_
    <BLANKLINE>
        def pullback(y_bar, need_x_bar=True):
            \"\"\"(a_bar, b_bar, x_bar) for the cotangent y_bar of the values.\"\"\"
            a_bar_ = np.vdot(y_bar, x_)
            b_bar_ = np.sum(y_bar)
            x_bar_ = None
            if need_x_bar:
                x_bar_ = y_bar*a_
            return a_bar_, b_bar_, x_bar_

    In several variables the points are one ``(n, d)`` array, named column by column:

    >>> src = generate_source(derive("a*x*y", ("x", "y"), {"a": None}))
    >>> print(src.split("def primal")[1].split("return")[0].strip())
    (nodes, a_):
        \"\"\"f(x, y; a) = a*x*y.\"\"\"
        x_, y_ = nodes[:, 0], nodes[:, 1]
        y = a_*x_*y_
    """
    d = derivation.declaration
    printer = NumpySourcePrinter(d)
    code = _Printing(printer, d)
    replacements, reduced = shared_subexpressions(derivation, "t")
    plan = _Plan(replacements, reduced, d.xs)
    flat = derivation.flat()
    args = ", ".join((_points(d), *(d.identifier(n) for n in d.names)))
    title = display_title(derivation)
    doc_title = display_title(derivation, short=True)
    w = _Writer()
    w.line(0, "# Generated by symrules.symbolic.codegen: numpy rules for")
    w.line(0, "#")
    w.lines.extend(
        textwrap.wrap(title, _WIDTH, initial_indent="#     ", subsequent_indent="#         ",
                      break_long_words=False)
    )  # fmt: skip
    w.line(0, "#")
    w.line(0, "# primal: the value; rrule: the value and its pullback; frule: value and tangent;")
    w.line(0, "# pullback: the cotangents alone, at given nodes.")
    w.line(0, "# Subexpressions shared by the value and partials (sympy.cse) are computed once.")
    w.line(0)
    w.line(0)
    _write_primal(w, code, derivation, args, doc_title)
    w.line(0)
    w.line(0)
    _write_rrule(w, code, plan, flat, args, d)
    w.line(0)
    w.line(0)
    _write_frule(w, code, plan, flat, args, d)
    w.line(0)
    w.line(0)
    _write_pullback(w, code, plan, flat, args, d)
    return "\n".join(w.lines) + "\n"


class _Printing:
    """Prints expressions, wrapping printer errors in symrules errors."""

    def __init__(self, printer: NumpySourcePrinter, declaration: Declaration) -> None:
        self.printer, self.declaration = printer, declaration

    def __call__(self, expr: sp.Expr) -> str:
        try:
            return self.printer.doprint(expr)
        except (PrintMethodNotImplementedError, RecursionError):
            return print_numpy(expr, self.declaration)


def _shaped(code: _Printing, plan: _Plan, expr: sp.Expr, d: Declaration) -> str:
    """Source of ``expr`` with the shape of the node array even when it does not use x."""
    if plan.depends_on_x(expr):
        return code(expr)
    return f"np.zeros(np.shape({d.identifier(d.variables[0])})) + {_paren(code(expr))}"


def _paren(src: str) -> str:
    return src if src.replace("_", "").replace(".", "").isalnum() else f"({src})"


def _write_primal(w: _Writer, code: _Printing, derivation: Derivation, args: str,
                  doc_title: str) -> None:  # fmt: skip
    replacements, (reduced,) = sp.cse([derivation.expr], symbols=_fresh(derivation),
                                      order="none")  # fmt: skip
    plan = _Plan(replacements, [reduced], derivation.declaration.xs)
    w.line(0, f"def primal({args}):")
    w.line(4, f'"""{doc_title}."""')
    _unpack(w, 4, derivation.declaration)
    for sym, expr in replacements:
        w.assign(4, sym.name, code(expr))
    w.assign(4, "y", _shaped(code, plan, reduced, derivation.declaration))
    w.line(4, "return y")


def _fresh(derivation: Derivation) -> Any:
    # never a declared symbol: sympy.cse skips symbols the expressions already hold, and a
    # declared name prints mangled anyway
    return sp.numbered_symbols("t", real=True)


def _times(name: str, factor: sp.Expr, code: _Printing) -> str:
    """Source of ``name * factor``, simplified for the factors 0 and 1."""
    if factor == 0:
        return f"0.0*{name}"
    return name if factor == 1 else f"{name}*{_paren(code(factor))}"


def _contraction(code: _Printing, plan: _Plan, part: sp.Expr) -> str:
    """Source of ``sum(y_bar * part)`` over the nodes."""
    if part == 0:
        return "0.0"
    if plan.depends_on_x(part):
        return f"np.vdot(y_bar, {code(part)})"
    if part == 1:
        return "np.sum(y_bar)"
    return f"np.sum(y_bar)*{_paren(code(part))}"


def _write_rrule(w: _Writer, code: _Printing, plan: _Plan, flat: list, args: str,
                 d: Declaration) -> None:  # fmt: skip
    forward = plan.needed([plan.reduced[0]])
    w.line(0, f"def rrule({args}):")
    w.line(4, f'"""Value of {_signature(d)} and its pullback, contracted over the nodes."""')
    _unpack(w, 4, d)
    for sym in forward:
        w.assign(4, sym.name, code(plan.replacements[plan.order[sym]][1]))
    w.assign(4, "y", _shaped(code, plan, plan.reduced[0], d))
    w.line(0)
    w.line(4, "def pullback(y_bar, need_x_bar=True):")
    _write_cotangents(w, 8, code, plan, flat, d, forward)
    w.line(0)
    w.line(4, "return y, pullback")


def _write_pullback(w: _Writer, code: _Printing, plan: _Plan, flat: list, args: str,
                    d: Declaration) -> None:  # fmt: skip
    w.line(0, f"def pullback(y_bar, {args}, need_x_bar=True):")
    _write_cotangents(w, 4, code, plan, flat, d, [], unpack=True)


def _write_cotangents(w: _Writer, indent: int, code: _Printing, plan: _Plan, flat: list,
                      d: Declaration, computed: list[sp.Symbol], unpack: bool = False,
                      ) -> None:  # fmt: skip
    """The body of a pullback: contracted cotangents of the parameters, then ``x_bar``
    (``unpack``: first name the columns of the points, for a pullback that is no closure)."""
    names = d.names
    parts = plan.reduced[1:]
    by_name: dict[str, list[sp.Expr]] = {}
    for (name, _, _), part in zip(flat, parts, strict=True):
        by_name.setdefault(name, []).append(part)
    param_parts = [p for name in names for p in by_name[name]]
    x_parts = [by_name[v][0] for v in d.variables]
    done = set(computed)
    for_params = [s for s in plan.needed(param_parts) if s not in done]
    done.update(for_params)
    for_x = [s for s in plan.needed(x_parts) if s not in done]
    x_bar = _points(d, "bar")
    shown = ", ".join((*(f"{n}_bar" for n in names), x_bar if d.several else f"{d.var}_bar"))
    bars = ", ".join((*(f"{d.identifier(n)}bar_" for n in names), x_bar))
    columns = f"; {x_bar} has one column per variable, {', '.join(d.variables)}"
    w.line(indent, f'"""({shown}) for the cotangent y_bar of the values{columns * d.several}."""')
    if unpack:
        _unpack(w, indent, d)
    for sym in for_params:
        w.assign(indent, sym.name, code(plan.replacements[plan.order[sym]][1]))
    for name in names:
        sums = [_contraction(code, plan, p) for p in by_name[name]]
        if not isinstance(d.symbols(name), tuple):
            w.assign(indent, f"{d.identifier(name)}bar_", sums[0])
        else:
            w.line(indent, f"{d.identifier(name)}bar_ = np.stack([")
            w.lines.extend(f"{' ' * (indent + 4)}{s}," for s in sums)
            w.line(indent, "])")
    w.line(indent, f"{x_bar} = None")
    w.line(indent, "if need_x_bar:")
    for sym in for_x:
        w.assign(indent + 4, sym.name, code(plan.replacements[plan.order[sym]][1]))
    if not d.several:
        w.assign(indent + 4, x_bar, _times("y_bar", x_parts[0], code))
    else:
        w.line(indent + 4, f"{x_bar} = np.stack([")
        w.lines.extend(f"{' ' * (indent + 8)}{_times('y_bar', p, code)}," for p in x_parts)
        w.line(indent + 4, "], axis=1)")
    w.line(indent, f"return {bars}")


def _write_frule(w: _Writer, code: _Printing, plan: _Plan, flat: list, args: str,
                 d: Declaration) -> None:  # fmt: skip
    names = d.names
    y_expr, parts = plan.reduced[0], plan.reduced[1:]
    x_dot = _points(d, "dot")
    dots = ", ".join((x_dot, *(f"{d.identifier(n)}dot_" for n in names)))
    forward = plan.needed([y_expr])
    computed = set(forward)
    w.line(0, f"def frule({args}, {dots}):")
    w.line(4, f'"""Value of {_signature(d)} and its tangent; a dot of None is zero."""')
    _unpack(w, 4, d)
    for sym in forward:
        w.assign(4, sym.name, code(plan.replacements[plan.order[sym]][1]))
    w.assign(4, "y", _shaped(code, plan, y_expr, d))
    w.line(4, "y_dot = np.zeros(np.shape(y))")
    groups: dict[str, list[tuple[int | None, sp.Expr]]] = {}
    for (name, k, _), part in zip(flat, parts, strict=True):
        groups.setdefault(name, []).append((k, part))
    # (the dot's name, [(the source of one of its entries, the partial it multiplies)])
    blocks = [(f"{d.identifier(n)}dot_",
               [(f"{d.identifier(n)}dot_{'' if k is None else f'[{k}]'}", p) for k, p in groups[n]])
              for n in names]  # fmt: skip
    columns = [f"{x_dot}[:, {k}]" if d.several else x_dot for k in range(len(d.variables))]
    x_parts = [groups[v][0][1] for v in d.variables]
    blocks.append((x_dot, list(zip(columns, x_parts, strict=True))))
    for dot, entries in blocks:
        terms = [(entry, p) for entry, p in entries if p != 0]
        if not terms:
            continue
        w.line(4, f"if {dot} is not None:")
        for sym in plan.needed([p for _, p in terms]):
            if sym not in computed:
                w.assign(8, sym.name, code(plan.replacements[plan.order[sym]][1]))
        rhs = " + ".join(_times(entry, p, code) for entry, p in terms)
        w.assign(8, "y_dot", f"y_dot + {_paren(rhs) if len(terms) > 1 else rhs}")
    w.line(4, "return y, y_dot")
