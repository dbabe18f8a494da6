"""User names never collide with generated code, and unusable names are refused by name.

A variable or parameter may be called what the generated code calls its own values (``y``,
``np``, ``pullback``, ``t0``, ``self``, ``expr``): generated code only ever sees mangled
names. Each such name goes through ``Integrand``, ``symbolic_rule``, ``integrate``,
``compare`` and the command line, checked against the closed form
``d/da, d/db of int_0^1 (a v^2 + b e^v) dv = (1/3, e - 1)``. Names that cannot work (a
keyword, an empty string, a number, a private name, two names equal after Unicode NFKC
normalization) raise ``ParameterNameError``, an ``InputError``, naming them, through the same
entry points; a break-out string never reaches ``compile``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import symrules as sr
from symrules.explore.cli import main

GRADIENT = {"a": 1 / 3, "b": math.e - 1}  # of int_0^1 (a v^2 + b e^v) dv
RTOL = 1e-12  # Gauss-Legendre with 12 nodes integrates e^v to ~1e-16 on [0, 1]
RULE = sr.GaussLegendre(12)

# (variable, name of a, name of b): each collides with a name the generated code uses.
COLLIDING = [
    ("y", "a", "b"),  # y is the generated code's output
    ("x", "y", "np"),  # and np its numpy
    ("pullback", "rrule", "primal"),
    ("t", "t0", "t1"),  # t0, t1 name the shared subexpressions
    ("v", "self", "expr"),  # the Integrand's own argument names
    ("x", "need_x", "y_"),
]


def _expr(var: str, a: str, b: str) -> str:
    return f"{a}*{var}**2 + {b}*exp({var})"


@pytest.mark.parametrize("var, a, b", COLLIDING, ids=["-".join(c) for c in COLLIDING])
def test_colliding_names_give_the_closed_form_everywhere(var, a, b, capsys):
    f = sr.Integrand(_expr(var, a, b), var=var, **{a: 1.0, b: 2.0})
    for method in ("symbolic", "ad"):
        f_bar = sr.grad(lambda f, m=method: sr.integrate(f, (0.0, 1.0), RULE, method=m))(f)
        got = [f_bar.fields[a], f_bar.fields[b]]
        np.testing.assert_allclose(got, [GRADIENT["a"], GRADIENT["b"]], rtol=RTOL)
    nodes = np.linspace(0.0, 1.0, 5)
    pullback = sr.symbolic_rule(_expr(var, a, b), wrt=(a, b, var), var=var, **{a: 1.0, b: 2.0})
    a_bar, b_bar, v_bar = pullback(np.ones(5), nodes, 1.0, 2.0)
    np.testing.assert_allclose(a_bar, np.sum(nodes**2), rtol=RTOL)
    np.testing.assert_allclose(b_bar, np.sum(np.exp(nodes)), rtol=RTOL)
    np.testing.assert_allclose(v_bar, 2 * nodes + 2 * np.exp(nodes), rtol=RTOL)
    c = sr.compare(f, (0.0, 1.0), RULE, repeat=0)
    for method in ("symbolic", "ad"):
        got = [c.gradients[method][a], c.gradients[method][b]]
        np.testing.assert_allclose(got, [GRADIENT["a"], GRADIENT["b"]], rtol=RTOL)
    argv = ["compare", _expr(var, a, b), "--var", var, "--param", f"{a}=1", "--param", f"{b}=2",
            "--domain", "0", "1", "--rule", "gauss-legendre:12", "--json"]  # fmt: skip
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    got = [data["gradients"]["symbolic"][a], data["gradients"]["symbolic"][b]]
    np.testing.assert_allclose(got, [GRADIENT["a"], GRADIENT["b"]], rtol=RTOL)


def test_the_issue_case_a_times_y():
    f = sr.Integrand("a*y", var="y", a=1.0)  # once gave dI/da = 1.0
    g = sr.grad(lambda f: sr.integrate(f, (0.0, 1.0), sr.GaussLegendre(3)))(f)
    assert g.fields["a"] == pytest.approx(0.5, rel=1e-15)
    g = sr.grad(lambda a: sr.integrate(sr.Integrand("exp(a*y)", var="y", a=a), (0.0, 1.0)))(1.0)
    assert g == pytest.approx(1.0, rel=1e-10)  # d/da (e^a - 1)/a at a = 1 is 1


BAD_VARS = [
    ("lambda", "keyword"),
    ("", "empty"),
    (123, "must be a string.*got int"),
    ("1x", "not a Python identifier"),
    ("_x", "underscore"),
    ("exp", "function or constant"),
    ('x=__import__("os").system("touch MARK"), y', "not a Python identifier"),
    ('x):\n    """\nimport os\n"""\ndef f(x', "not a Python identifier"),
]


@pytest.mark.parametrize("var, why", BAD_VARS, ids=[repr(v)[:20] for v, _ in BAD_VARS])
def test_unusable_variable_names_are_refused_everywhere(var, why, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for make in (
        lambda: sr.Integrand("a*x", var=var, a=1.0),
        lambda: sr.symbolic_rule("a*x", wrt="a", var=var, a=1.0),
        lambda: sr.integrate(sr.Integrand("a*x", var=var, a=1.0), (0.0, 1.0)),
        lambda: sr.compare(sr.Integrand("a*x", var=var, a=1.0), (0.0, 1.0)),
    ):
        with pytest.raises(sr.ParameterNameError, match=why) as err:
            make()
        assert isinstance(err.value, sr.InputError)
    if isinstance(var, str):
        with pytest.raises(SystemExit) as stop:
            main(["compare", "a*x", "--var", var, "--param", "a=1", "--domain", "0", "1"])
        assert stop.value.code == 2 and why in capsys.readouterr().err
    assert not (tmp_path / "MARK").exists()


BAD_PARAMS = [
    ({"ａ": 1.0, "a": 2.0}, "NFKC"),  # noqa: RUF001 (a full-width a, on purpose)
    ({"x": 1.0}, "variable"),
    ({"if": 1.0}, "keyword"),
    ({"a_bar": 1.0}, "_bar"),
    ({"pi": 1.0}, "function or constant"),
    ({"var": 1.0}, "cannot be named 'var'"),
]


@pytest.mark.parametrize("params, why", BAD_PARAMS, ids=[next(iter(p)) for p, _ in BAD_PARAMS])
def test_unusable_parameter_names_are_refused(params, why):
    expr = " + ".join(f"{name}*x" for name in params if name != "var") or "x"
    with pytest.raises(sr.ParameterNameError, match=why):
        sr.Integrand(expr, **params)


def test_a_fullwidth_name_alone_is_read_as_python_reads_it():
    f = sr.Integrand("\uff41*x", **{"\uff41": 2.0})  # a full-width a
    assert list(f.params) == ["a"] and float(f(3.0)) == 6.0


def test_an_empty_array_parameter_is_refused():
    with pytest.raises(sr.ParameterValueError, match="'c' has length 0"):
        sr.Integrand("x", c=np.array([]))


def test_generated_code_never_holds_a_name_as_given():
    src = sr.Integrand("np*y + pullback", var="y", np=1.0, pullback=2.0).source
    body = src.split("def primal")[1]
    assert "np_*y_ + pullback_" in body and "def primal(y_, np_, pullback_)" in src


def test_break_out_strings_in_parameter_names_never_reach_compile(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = 'a=__import__("os").system("touch MARK")'
    with pytest.raises(sr.ParameterNameError, match="not a Python identifier"):
        sr.Integrand("x", **{name: 1.0})
    assert not (tmp_path / "MARK").exists()
