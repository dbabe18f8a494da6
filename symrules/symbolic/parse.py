"""Reading an expression safely: declared symbols, a string parser that never evaluates.

This module owns the first step of a generated rule: a :class:`Declaration` of the symbols an
expression may use (one variable and scalar or 1-D array parameters, as real SymPy symbols),
and turning a string or a SymPy expression into a canonical expression over them
(:func:`as_expression`), with the errors bad input raises.

How it works
------------
A string is never given to ``eval``. :func:`parse_expression` reads it with :func:`ast.parse`
and walks the tree itself, building the SymPy expression node by node from a whitelist:
numbers, declared names, ``+ - * / **``, calls of the functions in :data:`FUNCTIONS` and
``c[k]`` for an array parameter ``c``. Anything else (attributes, dunder names, lambdas,
comparisons) is rejected with an error naming it. An array parameter ``c`` of length ``n``
becomes the real symbols ``c_0 ... c_{n-1}``; the generated code reads them as ``c[k]``.
"""

from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy as sp

from ..errors import (
    ComplexExpressionError,
    ExpressionSyntaxError,
    ExpressionTooLargeError,
    ParameterNameError,
    UndeclaredSymbolError,
)

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "Declaration",
    "as_expression",
    "free_names",
    "parse_expression",
]

#: Functions a string expression may call, by the name it uses.
FUNCTIONS: dict[str, Any] = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "atan2": sp.atan2,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "arctan2": sp.atan2,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "asinh": sp.asinh, "acosh": sp.acosh, "atanh": sp.atanh,
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt,
    "Abs": sp.Abs, "abs": sp.Abs, "sign": sp.sign,
    "Max": sp.Max, "Min": sp.Min, "max": sp.Max, "min": sp.Min,
    "maximum": sp.Max, "minimum": sp.Min,
}  # fmt: skip
_CONSTANTS = {"pi": sp.pi, "E": sp.E}
_RESERVED = {"np", "y", "y_bar", "y_dot", "need_x_bar", "primal", "rrule", "frule", "pullback"}

#: Longest string accepted, in characters.
MAX_LENGTH = 20_000
#: Most nodes (operations, symbols and numbers) an expression may have before differentiation.
MAX_NODES = 10_000
#: Deepest nesting accepted; deeper trees would exhaust Python's recursion limit in SymPy.
MAX_DEPTH = 150
_MAX_EXPONENT = 10_000  # of a power of two numbers: 2**10**10 would not finish


@dataclass(frozen=True)
class Declaration:
    """The symbols of an expression: one variable and named scalar or 1-D array parameters.

    Parameters
    ----------
    var : str
        Name of the variable (the quadrature node), e.g. ``"x"``.
    sizes : tuple of (str, int or None)
        Each parameter's name and length; ``None`` for a scalar.

    Examples
    --------
    >>> d = Declaration("x", (("a", None), ("c", 2)))
    >>> d.symbols("c")
    (c_0, c_1)
    >>> d.describe()
    'x (the variable), a, c[0..1]'
    """

    var: str
    sizes: tuple[tuple[str, int | None], ...]
    _table: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table: dict[str, Any] = {self.var: sp.Symbol(self.var, real=True)}
        for name, size in self.sizes:
            _check_name(name, self.var)
            if size is None:
                table[name] = sp.Symbol(name, real=True)
            else:
                table[name] = tuple(sp.Symbol(f"{name}_{k}", real=True) for k in range(size))
        seen: set[str] = set()
        for sym in _flatten(table.values()):
            if sym.name in seen:
                raise ParameterNameError(
                    f"parameter {sym.name!r} has the name of a component of an array parameter"
                )
            seen.add(sym.name)
        object.__setattr__(self, "_table", table)

    @property
    def x(self) -> sp.Symbol:
        """The variable's symbol."""
        return self._table[self.var]

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in declaration order."""
        return tuple(name for name, _ in self.sizes)

    def symbols(self, name: str) -> Any:
        """The symbol of ``name``: a ``Symbol``, or a tuple of them for an array parameter."""
        return self._table[name]

    def by_name(self) -> dict[str, sp.Symbol]:
        """Every symbol (variable, scalars, array components) by its SymPy name."""
        return {s.name: s for s in _flatten(self._table.values())}

    def describe(self) -> str:
        """The declared symbols as a message lists them."""
        out = [f"{self.var} (the variable)"]
        for name, size in self.sizes:
            out.append(name if size is None else f"{name}[0..{size - 1}]")
        return ", ".join(out)


def _flatten(values: Any) -> list[sp.Symbol]:
    out: list[sp.Symbol] = []
    for value in values:
        out.extend(value if isinstance(value, tuple) else (value,))
    return out


def _check_name(name: str, var: str) -> None:
    if name == var:
        raise ParameterNameError(
            f"parameter {name!r} has the name of the variable {var!r}; rename one of them"
        )
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ParameterNameError(f"parameter name {name!r} is not a plain Python identifier")
    if name in _RESERVED or name.endswith(("_bar", "_dot")) or name in FUNCTIONS:
        raise ParameterNameError(
            f"parameter name {name!r} is reserved (generated code uses it); rename it"
        )


def parse_expression(text: str, declaration: Declaration) -> sp.Expr:
    """Parse a string into a SymPy expression over declared symbols, without ``eval``.

    Parameters
    ----------
    text : str
        Python-syntax arithmetic: numbers, declared names, ``+ - * / **``, calls of
        :data:`FUNCTIONS`, ``c[k]`` for an array parameter ``c``, constants ``pi`` and ``E``.
    declaration : Declaration
        The variable and parameters the expression may use.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ExpressionSyntaxError, UndeclaredSymbolError, ComplexExpressionError,
    ExpressionTooLargeError

    Examples
    --------
    >>> d = Declaration("x", (("a", None),))
    >>> parse_expression("a*sin(x)**2", d)
    a*sin(x)**2
    >>> try:
    ...     parse_expression("__import__('os').system('true')", d)
    ... except ExpressionSyntaxError as err:
    ...     print(type(err).__name__)
    ExpressionSyntaxError
    """
    if not isinstance(text, str):
        raise ExpressionSyntaxError(f"expected a string, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionSyntaxError("the expression string is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionTooLargeError(
            f"the expression string has {len(text)} characters; the limit is {MAX_LENGTH}"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        if "too many nested" in err.msg:
            raise ExpressionTooLargeError(f"{_clip(text)} is nested too deeply") from None
        raise ExpressionSyntaxError(f"{_clip(text)} is not an expression: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionTooLargeError(f"{_clip(text)} is nested too deeply") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise ExpressionTooLargeError(
            f"the expression has {count} syntax nodes; the limit is {MAX_NODES}"
        )
    expr = _Builder(declaration, text).build(tree.body, 0)
    return _check_value(sp.sympify(expr), text)


def _clip(text: str, width: int = 80) -> str:
    """``repr(text)``, shortened for an error message."""
    return repr(text) if len(text) <= width else repr(text[: width - 5]) + "..."


class _Builder:
    """Builds a SymPy expression from a whitelisted Python syntax tree."""

    _BINARY: ClassVar[dict[type, Any]] = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b,
    }

    def __init__(self, declaration: Declaration, text: str) -> None:
        self.declaration, self.text = declaration, text

    def fail(self, node: ast.AST, what: str) -> ExpressionSyntaxError:
        snippet = ast.get_source_segment(self.text.strip(), node) or type(node).__name__
        where = "" if snippet == self.text.strip() else f" in {_clip(self.text)}"
        return ExpressionSyntaxError(f"{_clip(snippet)}{where}: {what}")

    def build(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ExpressionTooLargeError(f"the expression nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        raise self.fail(node, f"unsupported syntax ({type(node).__name__})")

    def binary(self, node: ast.BinOp, depth: int) -> Any:
        if isinstance(node.op, ast.BitXor):
            raise self.fail(node, "'^' is not a power, write '**'")
        left, right = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            if left.is_Number and right.is_Number and abs(right) > _MAX_EXPONENT:
                raise ExpressionTooLargeError(
                    f"the power {ast.unparse(node)!r} has an exponent above {_MAX_EXPONENT}"
                )
            return left**right
        op = self._BINARY.get(type(node.op))
        if op is None:
            raise self.fail(node, f"unsupported operator {type(node.op).__name__}")
        return op(left, right)

    def constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, complex):
            raise ComplexExpressionError(
                f"the complex number {value!r} in {_clip(self.text)}: expressions must be real"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(node, f"unsupported constant {value!r}")
        return sp.Integer(value) if isinstance(value, int) else sp.Float(value)

    def name(self, node: ast.Name) -> Any:
        d = self.declaration
        if node.id == d.var or (node.id in d.names and not isinstance(d.symbols(node.id), tuple)):
            return d.symbols(node.id)
        if node.id in d.names:
            raise self.fail(node, f"array parameter {node.id!r} must be indexed, {node.id}[k]")
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise self.fail(node, f"the function {node.id!r} is used without a call")
        raise UndeclaredSymbolError(
            f"undeclared symbol {node.id!r} in {_clip(self.text)}; declared: {d.describe()}"
        )

    def call(self, node: ast.Call, depth: int) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.fail(node, f"only {', '.join(sorted(FUNCTIONS))} may be called")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, "keyword or starred arguments are not allowed")
        args = [self.build(a, depth + 1) for a in node.args]
        try:
            return FUNCTIONS[node.func.id](*args)
        except TypeError as err:
            raise self.fail(node, f"bad arguments for {node.func.id}: {err}") from None

    def subscript(self, node: ast.Subscript) -> Any:
        d = self.declaration
        if not isinstance(node.value, ast.Name) or node.value.id not in d.names:
            raise self.fail(node, "only an array parameter can be indexed")
        components = d.symbols(node.value.id)
        if not isinstance(components, tuple):
            raise self.fail(node, f"the scalar parameter {node.value.id!r} cannot be indexed")
        index = node.slice
        if not (isinstance(index, ast.Constant) and type(index.value) is int):
            raise self.fail(node, "an array parameter takes a literal integer index")
        if not 0 <= index.value < len(components):
            span = f"{node.value.id}[0..{len(components) - 1}]"
            raise self.fail(node, f"index {index.value} out of range for {span}")
        return components[index.value]


def _check_value(expr: Any, where: Any) -> sp.Expr:
    if not isinstance(expr, sp.Expr):
        raise ExpressionSyntaxError(f"{where!r} is not a scalar expression ({type(expr).__name__})")
    if expr.has(sp.I):
        raise ComplexExpressionError(f"{where!r} is complex-valued ({expr}); it must be real")
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ComplexExpressionError(f"{where!r} is not finite ({expr})")
    return expr


def _measure(expr: sp.Basic) -> None:
    """Raise :class:`ExpressionTooLargeError` past :data:`MAX_NODES` or :data:`MAX_DEPTH`."""
    stack, count = [(expr, 0)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            what = f"{MAX_NODES} nodes" if count > MAX_NODES else f"{MAX_DEPTH} levels"
            raise ExpressionTooLargeError(f"the expression has more than {what}")
        stack.extend((arg, depth + 1) for arg in node.args)


def as_expression(expr: Any, declaration: Declaration) -> sp.Expr:
    """A string or SymPy expression as a canonical expression over the declared real symbols.

    Symbols are matched by name (``Symbol("a")`` becomes the declared real ``a``); ``c[k]`` of
    an ``IndexedBase("c")`` becomes the component ``c_k`` of the array parameter ``c``.

    Examples
    --------
    >>> import sympy as sp
    >>> d = Declaration("x", (("a", None),))
    >>> e = as_expression(sp.Symbol("a") * sp.Symbol("x"), d)
    >>> e.free_symbols == {d.x, d.symbols("a")}
    True
    """
    if isinstance(expr, str):
        return parse_expression(expr, declaration)
    try:
        expr = sp.sympify(expr, strict=True)
    except (sp.SympifyError, TypeError):
        raise ExpressionSyntaxError(
            f"expected a SymPy expression or a string, got {type(expr).__name__}"
        ) from None
    _check_value(expr, expr)
    _measure(expr)
    known = declaration.by_name()
    mapping: dict[Any, Any] = {}
    for indexed in expr.atoms(sp.Indexed):
        name = str(indexed.base.label)
        comps = declaration.symbols(name) if name in declaration.names else None
        k = indexed.indices[0] if len(indexed.indices) == 1 else None
        if not isinstance(comps, tuple) or not (k is not None and k.is_Integer):
            raise UndeclaredSymbolError(
                f"undeclared symbol {indexed} in {expr}; declared: {declaration.describe()}"
            )
        if not 0 <= int(k) < len(comps):
            last = len(comps) - 1
            raise UndeclaredSymbolError(f"{indexed} is out of range for {name}[0..{last}]")
        mapping[indexed] = comps[int(k)]
    expr = expr.xreplace(mapping)
    mapping = {}
    for sym in expr.free_symbols:
        if isinstance(sym, sp.Symbol) and sym.name in known:
            mapping[sym] = known[sym.name]
        elif isinstance(sym, sp.Symbol):
            raise UndeclaredSymbolError(
                f"undeclared symbol {sym.name!r} in {expr}; declared: {declaration.describe()}"
            )
    return expr.xreplace(mapping)


def free_names(expr: Any, var: str) -> list[str]:
    if isinstance(expr, str):
        try:
            tree = ast.parse(expr.strip(), mode="eval")
        except (SyntaxError, RecursionError, MemoryError):
            return []  # parse_expression reports it with the right error
        called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name)}  # fmt: skip
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names -= called | set(_CONSTANTS)
    else:
        names = {s.name for s in sp.sympify(expr).free_symbols if isinstance(s, sp.Symbol)}
    return sorted(names - {var})
