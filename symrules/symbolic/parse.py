"""Reading an expression safely: a string parser that never evaluates, and SymPy input checked.

This module turns a string or a SymPy expression into a canonical expression over the symbols of
a :class:`~symrules.symbolic.declaration.Declaration` (:func:`as_expression`), refusing bad
input with an error that names it: anything that is neither a string nor a SymPy expression, an
undeclared name, a complex or infinite value, a constant that overflows float64, an expression
too large to differentiate.

How it works
------------
A string is never given to ``eval``. :func:`parse_expression` reads it with :func:`ast.parse`
and walks the tree itself, building the SymPy expression node by node from a whitelist:
numbers, declared names, ``+ - * / **``, calls of the functions in
:data:`~symrules.symbolic.declaration.FUNCTIONS` and
:data:`~symrules.symbolic.functions.SPECIAL_FUNCTIONS`, ``c[k]`` for an array parameter ``c``,
and comparisons only as the conditions of ``Piecewise((value, condition), ...)``. Anything
else (attributes, dunder names, lambdas) is rejected with an error naming it. A chain of
sums or products is built in a loop, so a 2,000-term series is not "deep"; only genuine
nesting counts towards :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import ast
import sys
from typing import Any, ClassVar

import sympy as sp

from ..errors import (
    ComplexExpressionError,
    ExpressionSyntaxError,
    ExpressionTooLargeError,
    UndeclaredSymbolError,
)
from .declaration import CONSTANTS, FUNCTIONS, Declaration, only_calls
from .functions import SPECIAL_FUNCTIONS

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "as_expression",
    "free_names",
    "parse_expression",
    "plain_string",
    "refuse_non_expression",
]


#: Longest string accepted, in characters.
MAX_LENGTH = 200_000
#: Most nodes (operations, symbols and numbers) an expression may have before differentiation.
MAX_NODES = 100_000
#: Deepest nesting accepted; deeper trees would exhaust Python's recursion limit in SymPy.
MAX_DEPTH = 150
_CHAINED = (ast.Add, ast.Sub, ast.Mult, ast.Div)  # operators read as one n-ary chain
_MAX_EXPONENT = 10_000  # of a power of two numbers: 2**10**10 would not finish
_FLOAT_MAX = sp.Float(sys.float_info.max)
_CALLABLE = {**FUNCTIONS, **SPECIAL_FUNCTIONS}
_COMPARE = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge, ast.Eq: sp.Eq,
            ast.NotEq: sp.Ne}  # fmt: skip

def parse_expression(text: str, declaration: Declaration) -> sp.Expr:
    """Parse a string into a SymPy expression over declared symbols, without ``eval``.

    Parameters
    ----------
    text : str
        Python-syntax arithmetic: numbers, declared names, ``+ - * / **``, calls of
        :data:`FUNCTIONS` and :data:`SPECIAL_FUNCTIONS` (``Piecewise((a, x < c), (b, True))``
        with comparisons joined by ``and``, ``or``, ``not``), ``c[k]`` for an array parameter
        ``c``, constants ``pi`` and ``E``.
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
        if "Exceeds the limit" in err.msg:
            raise ExpressionTooLargeError(
                f"{_clip(text)} has an integer literal too long to read (over "
                f"{sys.get_int_max_str_digits()} digits); it would overflow float64 anyway"
            ) from None
        if "too many nested" in err.msg:
            raise ExpressionTooLargeError(f"{_clip(text)} is nested too deeply") from None
        raise ExpressionSyntaxError(f"{_clip(text)} is not an expression: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionTooLargeError(f"{_clip(text)} is nested too deeply") from None
    except ValueError as err:  # an integer literal past Python's string-conversion limit
        raise ExpressionTooLargeError(f"{_clip(text)}: {err}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise ExpressionTooLargeError(
            f"the expression has {count} syntax nodes; the limit is {MAX_NODES}"
        )
    expr = _Builder(declaration, text).build(tree.body, 0)
    return _check_value(expr, text)


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
        if isinstance(node, ast.BinOp) and isinstance(node.op, _CHAINED):
            return self.chain(node, depth)
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

    def chain(self, node: ast.BinOp, depth: int) -> Any:
        """A chain ``a + b - c + ...`` (or ``a * b / c ...``) as one n-ary SymPy node.

        Python's tree of a long sum is as deep as the sum is long; a sum is not deep, so the
        chain is walked in a loop and only its operands count towards :data:`MAX_DEPTH`.
        """
        ops = (ast.Add, ast.Sub) if isinstance(node.op, ast.Add | ast.Sub) else (ast.Mult, ast.Div)
        operands: list[tuple[ast.operator | None, ast.AST]] = []
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ops):
            operands.append((current.op, current.right))
            current = current.left
        operands.append((None, current))
        values = []
        for op, operand in reversed(operands):
            value = self.build(operand, depth + 1)
            if isinstance(op, ast.Sub):
                value = -value
            elif isinstance(op, ast.Div):
                value = sp.Pow(value, -1)
            values.append(value)
        return sp.Add(*values) if ops[0] is ast.Add else sp.Mul(*values)

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
        if value in (float("inf"), float("-inf")):  # a literal such as 1e400
            literal = ast.get_source_segment(self.text.strip(), node) or repr(value)
            raise ExpressionTooLargeError(
                f"the constant {literal} in {_clip(self.text)} overflows float64 (the largest "
                "float is 1.8e308): rescale the expression"
            )
        return sp.Integer(value) if isinstance(value, int) else sp.Float(value)

    def name(self, node: ast.Name) -> Any:
        d = self.declaration
        if node.id in (*d.variables, *d.names) and not isinstance(d.symbols(node.id), tuple):
            return d.symbols(node.id)
        if node.id in d.names:
            raise self.fail(node, f"array parameter {node.id!r} must be indexed, {node.id}[k]")
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in _CALLABLE:
            raise self.fail(node, f"the function {node.id!r} is used without a call")
        raise UndeclaredSymbolError(
            f"undeclared symbol {node.id!r} in {_clip(self.text)}; declared: {d.describe()}"
        )

    def call(self, node: ast.Call, depth: int) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in _CALLABLE:
            raise self.fail(node, only_calls(ast.unparse(node.func), _CALLABLE))
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, "keyword or starred arguments are not allowed")
        if node.func.id == "Piecewise":
            args = [self.piece(a, depth + 1) for a in node.args]
        else:
            args = [self.build(a, depth + 1) for a in node.args]
        try:
            return _CALLABLE[node.func.id](*args)
        except (TypeError, ValueError) as err:
            raise self.fail(node, f"bad arguments for {node.func.id}: {err}") from None

    def piece(self, node: ast.AST, depth: int) -> tuple[Any, Any]:
        """A ``(value, condition)`` pair of ``Piecewise``."""
        if not (isinstance(node, ast.Tuple) and len(node.elts) == 2):
            raise self.fail(node, "a piece of Piecewise is a pair (value, condition)")
        return self.build(node.elts[0], depth + 1), self.condition(node.elts[1], depth + 1)

    def condition(self, node: ast.AST, depth: int) -> Any:
        """``True``, a comparison (chained: ``a < x < b``), or conditions and/or/not."""
        if isinstance(node, ast.Constant) and type(node.value) is bool:
            return sp.true if node.value else sp.false
        if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
            sides = [self.build(n, depth + 1) for n in (node.left, *node.comparators)]
            pairs = zip(node.ops, sides, sides[1:], strict=False)
            return sp.And(*(_COMPARE[type(op)](left, right) for op, left, right in pairs))
        if isinstance(node, ast.BoolOp):
            parts = [self.condition(v, depth + 1) for v in node.values]
            return sp.And(*parts) if isinstance(node.op, ast.And) else sp.Or(*parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return sp.Not(self.condition(node.operand, depth + 1))
        raise self.fail(node, "a condition of Piecewise is True, a comparison (x < c), or "
                              "conditions joined by and, or, not")  # fmt: skip

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


def _show(expr: Any) -> str:
    """A short text of ``expr`` for a message (a huge integer has no decimal text)."""
    try:
        return _clip(expr if isinstance(expr, str) else str(expr))
    except ValueError:  # past Python's integer string-conversion limit
        return "the expression"


def _check_value(expr: Any, where: Any) -> sp.Expr:
    if not isinstance(expr, sp.Expr):
        raise ExpressionSyntaxError(
            f"{_show(where)} is not a scalar expression ({type(expr).__name__})"
        )
    for number in expr.atoms(sp.Number):
        if number.is_finite and abs(number) > _FLOAT_MAX:
            digits = int(abs(number.p).bit_length() * 0.30103) + 1 if number.is_Integer else 0
            size = f"an integer of about {digits} digits" if digits > 40 else _show(number)
            raise ExpressionTooLargeError(
                f"the constant {size} in {_show(where)} overflows float64 (the largest float "
                "is 1.8e308): rescale the expression"
            )
    if expr.has(sp.I):
        raise ComplexExpressionError(f"{_show(where)} is complex-valued; it must be real")
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ComplexExpressionError(
            f"{_show(where)} is not finite ({_show(expr)}): a division by zero or an infinite "
            "constant"
        )
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

    Only a ``str`` (read by :func:`parse_expression`, never evaluated) or a ``sympy.Basic`` is
    accepted; anything else is refused, naming its type, before any conversion (``sympify``
    would evaluate a tuple's text or call an object's ``_sympy_``). Symbols are matched by
    name (``Symbol("a")`` becomes the declared real ``a``); ``c[k]`` of an ``IndexedBase("c")``
    becomes the component ``c_k`` of the array parameter ``c``.

    Examples
    --------
    >>> import sympy as sp
    >>> d = Declaration("x", (("a", None),))
    >>> e = as_expression(sp.Symbol("a") * sp.Symbol("x"), d)
    >>> e.free_symbols == {d.x, d.symbols("a")}
    True
    """
    if isinstance(expr, str):
        return parse_expression(plain_string(expr), declaration)
    refuse_non_expression(expr)
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


def plain_string(text: str) -> str:
    """The characters of a ``str`` (or subclass such as ``numpy.str_``) as a plain ``str``.

    ``str.__str__`` copies the characters without calling anything a subclass overrides.
    """
    return str.__str__(text)


def refuse_non_expression(expr: Any) -> None:
    """Refuse, naming its type, anything that is neither a string nor a SymPy expression."""
    if not isinstance(expr, str | sp.Basic):
        raise ExpressionSyntaxError(
            f"an expression is a string or a SymPy expression, got {type(expr).__name__}; "
            "nothing else is converted (SymPy's sympify would evaluate it)"
        )


def free_names(expr: Any, var: str | tuple[str, ...]) -> list[str]:
    """The names an expression uses other than the variable(s) ``var``, sorted: its parameters.

    Examples
    --------
    >>> free_names("a*exp(-b*x) + pi", "x"), free_names("a*x*y", ("x", "y"))
    (['a', 'b'], ['a'])
    """
    refuse_non_expression(expr)
    if isinstance(expr, str):
        try:
            tree = ast.parse(plain_string(expr).strip(), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return []  # parse_expression reports it with the right error
        called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name)}  # fmt: skip
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names -= called | set(CONSTANTS)
    else:
        names = {s.name for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    return sorted(names - ({var} if isinstance(var, str) else set(var)))
