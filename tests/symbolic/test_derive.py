"""Derivation pins down: a string becomes the SymPy expression its text means, without eval;
the partials are SymPy's own derivatives; every bad input raises a named SymrulesError whose
message names the culprit, never a RecursionError or a silently wrong expression.
"""

import numpy as np
import pytest
import sympy as sp
from integrand_catalogue import CATALOGUE, IDS, Case

from symrules.errors import (
    ComplexExpressionError,
    ExpressionSyntaxError,
    ExpressionTooLargeError,
    ParameterNameError,
    SymrulesError,
    UndeclaredSymbolError,
)
from symrules.symbolic.declaration import Declaration
from symrules.symbolic.derive import derive, shared_subexpressions
from symrules.symbolic.parse import as_expression, parse_expression

SCALARS = Declaration("x", (("a", None), ("b", None)))


@pytest.mark.parametrize("case", CATALOGUE, ids=IDS)
def test_partials_are_sympy_diff(case: Case) -> None:
    sizes = {n: (len(v) if np.ndim(v) else None) for n, v in case.params.items()}
    d = derive(case.expr, "x", sizes)
    for name, size in sizes.items():
        wrt = d.declaration.symbols(name)
        if size is None:
            assert sp.simplify(d.partials[name] - sp.diff(d.expr, wrt)) == 0
        else:
            assert list(d.partials[name]) == [sp.diff(d.expr, w) for w in wrt]
    assert sp.simplify(d.partials["x"] - sp.diff(d.expr, d.declaration.x)) == 0
    assert list(d.partials)[-1] == "x"


def test_parse_matches_sympy_parser() -> None:
    x, a, b = sp.symbols("x a b", real=True)
    text = "a*exp(-b*x**2)/(1 + x**2) - sqrt(Abs(x))*log(b) + pi*Max(a, x)**3"
    expected = (
        a * sp.exp(-b * x**2) / (1 + x**2) - sp.sqrt(sp.Abs(x)) * sp.log(b)
        + sp.pi * sp.Max(a, x) ** 3
    )  # fmt: skip
    assert parse_expression(text, SCALARS) == expected


def test_array_parameter_components() -> None:
    d = Declaration("x", (("c", 3),))
    expr = parse_expression("c[0] + c[2]*x", d)
    c0, _, c2 = d.symbols("c")
    assert expr == c0 + c2 * d.x
    sympy_form = as_expression(sp.IndexedBase("c")[0] + sp.IndexedBase("c")[2] * sp.Symbol("x"), d)
    assert sympy_form == expr


def test_sympy_symbols_match_by_name() -> None:
    a, x = sp.symbols("a x")  # no assumptions: replaced by the declared real symbols
    expr = as_expression(sp.Abs(a * x), Declaration("x", (("a", None),)))
    assert sp.diff(expr, Declaration("x", (("a", None),)).symbols("a")).has(sp.sign)


def test_second_partials() -> None:
    d = derive("a*sin(b*x)", "x", {"a": None, "b": None})
    x, b = d.declaration.x, d.declaration.symbols("b")
    assert sp.simplify(d.second("b", "x") - sp.diff(d.expr, b, x)) == 0
    assert d.second("a", "a") == 0


def test_cse_shares_across_primal_and_partials() -> None:
    d = derive("exp(a*x)*sin(b*x)", "x", {"a": None, "b": None})
    replacements, reduced = shared_subexpressions(d)
    inlined = [e.subs(list(reversed(replacements))) for e in reduced]
    assert inlined[0] == d.expr
    partials = [p for _, _, p in d.flat()]
    assert [sp.simplify(i - p) for i, p in zip(inlined[1:], partials, strict=True)] == [0] * 3
    exp_ax = sp.exp(d.declaration.symbols("a") * d.declaration.x)
    assert exp_ax in [e for _, e in replacements]  # computed once, shared


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo pwned')",
        "x.__class__",
        "(lambda: 1)()",
        "[x for x in ()]",
        "open('f')",
        "x if a else b",
        "a < x",
        "eval('1')",
    ],
)
def test_arbitrary_python_is_rejected(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        parse_expression(text, SCALARS)


def test_undeclared_symbol_is_named_with_the_declared_ones() -> None:
    with pytest.raises(UndeclaredSymbolError, match=r"'q'.*x \(the variable\), a, b"):
        parse_expression("a*x + q", SCALARS)
    with pytest.raises(UndeclaredSymbolError, match="'q'"):
        as_expression(sp.Symbol("q") * sp.Symbol("x"), SCALARS)


def test_parameter_named_like_the_variable() -> None:
    with pytest.raises(ParameterNameError, match=r"'x'.*variable"):
        Declaration("x", (("x", None),))


@pytest.mark.parametrize("name", ["y_bar", "a_bar", "sin", "pi", "I", "_a", "lambda", "1a", ""])
def test_unusable_parameter_names(name: str) -> None:
    with pytest.raises(ParameterNameError, match=repr(name)):
        Declaration("x", ((name, None),))


def test_array_component_name_clash() -> None:
    with pytest.raises(ParameterNameError, match="c_0"):
        Declaration("x", (("c", 2), ("c_0", None)))


@pytest.mark.parametrize("text", ["sqrt(-1)*x", "1j*x", "log(-1)*a"])
def test_complex_valued_strings(text: str) -> None:
    with pytest.raises(ComplexExpressionError):
        parse_expression(text, SCALARS)


def test_complex_valued_sympy_expression() -> None:
    with pytest.raises(ComplexExpressionError, match="complex"):
        as_expression(sp.I * sp.Symbol("x"), SCALARS)


@pytest.mark.parametrize("text", ["", "   ", "x +", "a = 1", "x; a", "'x'"])
def test_empty_or_not_an_expression(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        parse_expression(text, SCALARS)


def test_power_is_not_xor() -> None:
    with pytest.raises(ExpressionSyntaxError, match=r"\*\*"):
        parse_expression("x^2", SCALARS)


def test_index_out_of_range_is_named() -> None:
    with pytest.raises(ExpressionSyntaxError, match=r"index 3.*c\[0\.\.2\]"):
        parse_expression("c[3]*x", Declaration("x", (("c", 3),)))


@pytest.mark.parametrize(
    "text",
    [
        "x" + " + x" * 30_000,  # too long
        "(" * 5000 + "x" + ")" * 5000,  # nested beyond the parser
        "sin(" * 400 + "x" + ")" * 400,  # nested beyond MAX_DEPTH
        "2**10**10*x",  # a number that would never finish
    ],
    ids=["long", "parens", "deep-calls", "huge-power"],
)
def test_huge_expressions_fail_cleanly(text: str) -> None:
    with pytest.raises(ExpressionTooLargeError):
        parse_expression(text, SCALARS)


def test_huge_sympy_expression_fails_cleanly() -> None:
    x = sp.Symbol("x")
    deep = x
    for _ in range(400):
        deep = sp.sin(deep, evaluate=False)
    with pytest.raises(ExpressionTooLargeError):
        as_expression(deep, SCALARS)


def test_errors_are_symrules_errors() -> None:
    for cls in (ComplexExpressionError, ExpressionSyntaxError, ExpressionTooLargeError,
                ParameterNameError, UndeclaredSymbolError):  # fmt: skip
        assert issubclass(cls, SymrulesError) and issubclass(cls, ValueError)


def test_default_parameters_are_the_free_names() -> None:
    d = derive("k*x + m")
    assert d.declaration.names == ("k", "m")
