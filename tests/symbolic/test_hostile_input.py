"""No path from text to eval: what is not a string or a SymPy expression is refused by type.

SymPy's ``sympify`` evaluates the text of a tuple and calls an object's ``_sympy_``; symrules
never hands it anything but SymPy objects. Every public entry point that takes an expression
is fed hostile tuples, lists, dicts, objects whose ``__str__`` or ``_sympy_`` runs code, and a
``str`` subclass whose methods run code; each is refused naming the type (or, for the string,
read as its characters), and the marker file the hostile code would create never appears.
Integer constants past Python's string-conversion limit raise a named error, not a raw
``ValueError``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symrules as sr
from symrules.explore.cli import main

PAYLOAD = '__import__("pathlib").Path("MARK").touch() or x'


class EvilStr:
    def __str__(self) -> str:
        Path("MARK").touch()
        return "x"

    __repr__ = __str__


class EvilSympy:
    def _sympy_(self) -> sp.Expr:
        Path("MARK").touch()
        return sp.Symbol("x")


class EvilSubclass(str):
    def strip(self, *args):
        Path("MARK").touch()
        return "x"

    __str__ = strip


HOSTILE = {
    "tuple": (PAYLOAD,),
    "list": [PAYLOAD],
    "dict": {PAYLOAD: 1},
    "str-object": EvilStr(),
    "sympy-object": EvilSympy(),
    "bytes": PAYLOAD.encode(),
    "number-array": np.array([PAYLOAD]),
}
ENTRY_POINTS = {
    "Integrand": lambda e: sr.Integrand(e, a=1.0),
    "symbolic_rule": lambda e: sr.symbolic_rule(e, wrt="x"),
    "symbolic_rule_with_params": lambda e: sr.symbolic_rule(e, wrt="a", a=1.0),
}


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("entry", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_expressions_are_refused_by_type(entry, hostile, in_tmp):
    with pytest.raises(sr.ExpressionSyntaxError, match=type(hostile).__name__):
        entry(hostile)
    assert not (in_tmp / "MARK").exists()


def test_the_integrand_decorator_refuses_a_hostile_result(in_tmp):
    with pytest.raises(sr.SymbolicError, match="EvilSympy"):

        @sr.integrand
        def f(x, a=1.0):
            return EvilSympy()

    assert not (in_tmp / "MARK").exists()


def test_a_str_subclass_is_read_as_its_characters(in_tmp):
    f = sr.Integrand(EvilSubclass("a*x"), a=2.0)
    assert str(f.expr) == "a*x" and float(f(3.0)) == 6.0
    assert not (in_tmp / "MARK").exists()


def test_the_payload_as_a_string_is_parsed_not_run(in_tmp):
    with pytest.raises(sr.ExpressionSyntaxError, match=r"only .* may be called|unsupported"):
        sr.Integrand(PAYLOAD)
    with pytest.raises(SystemExit) as stop:
        main(["compare", PAYLOAD, "--param", "a=1", "--domain", "0", "1"])
    assert stop.value.code == 2
    assert not (in_tmp / "MARK").exists()


@pytest.mark.parametrize(
    "text, what",
    [
        ("x*3**9999", "about 4772 digits"),
        ("x*" + "9" * 5000, "integer literal too long"),
        ("x*1e400", "1e400 .* overflows float64"),
        ("x*1e308*10", "overflows float64"),
    ],
    ids=["power", "literal", "float-literal", "product"],
)
def test_constants_beyond_float64_raise_a_named_error(text, what):
    with pytest.raises(sr.ExpressionTooLargeError, match=what):
        sr.Integrand(text)


def test_a_sympy_expression_with_a_huge_integer_is_refused():
    with pytest.raises(sr.ExpressionTooLargeError, match="digits"):
        sr.Integrand(sp.Symbol("x") * sp.Integer(3) ** 9999)
