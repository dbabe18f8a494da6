"""The ``symrules`` command prints the right numbers and says what to fix when misused.

``symrules demo`` and ``symrules compare`` outputs are parsed and checked against closed-form
gradients; ``--json`` carries the same numbers; a malformed expression, an unknown rule, a
missing or malformed parameter, a bad domain each exit with status 2 and a message naming
the fix; ``python -m symrules demo`` runs as a real process.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pytest
from browser.problems import (
    DAMPED_COSINE,
    GAUSSIAN,
    damped_cosine_gradient,
    gaussian_gradient,
    polynomial_gradient,
)

from symrules.errors import ExpressionSyntaxError, UnusedParameterWarning
from symrules.explore.cli import NUMERIC_OPTIONS, main, seed_problem
from symrules.symbolic.declaration import FUNCTIONS, Declaration
from symrules.symbolic.functions import SPECIAL_FUNCTIONS
from symrules.symbolic.parse import parse_expression

EXACT = 1e-12  # relative: symbolic / AD with a converged rule, as printed with 15 digits
ADAPTIVE = 1e-10  # relative: the adaptive rule's default tolerance
FD = 1e-8  # relative: finite differences at the default step
NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


def rows(text: str) -> dict[str, list[float]]:
    """The method rows of the first table in ``text``: ``method -> [gradient entries]``."""
    out = {}
    for line in text.splitlines():
        words = line.split()
        method = words[0] if len(words) > 1 and words[1] != "skipped:" else None
        if method in ("symbolic", "ad", "fd") and method not in out:
            numbers = re.findall(NUMBER, line[len(method) :].split("(reference)")[0])
            out[method] = [float(n) for n in numbers]
    return out


def run(capsys: pytest.CaptureFixture, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_compare_prints_the_closed_form_gradient(capsys: pytest.CaptureFixture) -> None:
    out = run(
        capsys,
        "compare",
        GAUSSIAN,
        "--param",
        "a=1.3",
        "--param",
        "b=0.7",
        "--domain",
        "0",
        "1",
        "--rule",
        "gauss-legendre:50",
        "--repeat",
        "1",
    )
    exact = list(gaussian_gradient(1.3, 0.7).values())
    table = rows(out)
    assert list(table) == ["symbolic", "ad", "fd"]
    assert table["symbolic"][:2] == pytest.approx(exact, rel=EXACT)
    assert table["ad"][:2] == pytest.approx(exact, rel=EXACT)
    assert table["fd"][:2] == pytest.approx(exact, rel=FD)
    assert "by GaussLegendre(n=50)" in out and "at a = 1.3, b = 0.7" in out
    assert re.search(r"dI/da\s+dI/db\s+abs err vs symbolic\s+rel err\s+time", out)


def test_compare_json_infinite_domain(capsys: pytest.CaptureFixture) -> None:
    out = run(
        capsys,
        "compare",
        DAMPED_COSINE,
        "--param",
        "a=1.3",
        "--param",
        "b=0.7",
        "--param",
        "c=2",
        "--domain",
        "0",
        "inf",
        "--json",
        "--repeat",
        "0",
    )
    data = json.loads(out)
    exact = damped_cosine_gradient(1.3, 0.7, 2.0)
    for m in ("symbolic", "ad", "fd"):
        assert data["gradients"][m] == pytest.approx(exact, rel=ADAPTIVE)
    assert data["domain"] == [0.0, "inf"] and data["reference"] == "symbolic"
    assert data["abs_errors"]["fd"]["symbolic"] == pytest.approx(
        max(abs(data["gradients"]["fd"][k] - data["gradients"]["symbolic"][k]) for k in exact)
    )


def test_compare_array_parameter_breakpoints_and_methods(capsys: pytest.CaptureFixture) -> None:
    out = run(
        capsys,
        "compare",
        "c[0] + c[1]*t + c[2]*t**2",
        "--var",
        "t",
        "--param",
        "c=1,-2,0.5",
        "--domain",
        "-0.5",
        "0.5",
        "2",
        "--rule",
        "gauss-legendre:2",
        "--methods",
        "ad",
        "fd",
        "--repeat",
        "0",
    )
    table = rows(out)
    assert list(table) == ["ad", "fd"]
    assert table["ad"] == pytest.approx(polynomial_gradient(-0.5, 2.0), rel=EXACT)
    assert table["fd"][:3] == pytest.approx(polynomial_gradient(-0.5, 2.0), rel=FD)
    assert "symbolic" not in out and "(-0.5, 0.5, 2)" in out


def test_negative_infinite_end(capsys: pytest.CaptureFixture) -> None:
    out = run(
        capsys,
        "compare",
        "a*exp(-x**2)",
        "--param",
        "a=2",
        "--domain=-inf,inf",
        "--methods",
        "symbolic",
        "--repeat",
        "0",
        "--json",
    )
    assert json.loads(out)["gradients"]["symbolic"]["a"] == pytest.approx(
        math.sqrt(math.pi), rel=ADAPTIVE
    )


def against(text: str) -> dict[str, dict[str, float]]:
    """The demo's second table, one row per parameter: ``column -> parameter -> dI/dp``."""
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.split()[:2] == ["closed", "form"])
    columns = ["closed form", *lines[start].split()[2:]]
    out: dict[str, dict[str, float]] = {c: {} for c in columns}
    for line in lines[start + 1 :]:
        if line.startswith("dI/d"):
            name, *values = line.split()
            for column, value in zip(columns, values, strict=True):
                out[column][name[4:]] = float(value)
    return out


def test_demo(capsys: pytest.CaptureFixture) -> None:
    out = run(capsys, "demo", "--repeat", "0")
    seed, harder = out.split("\n2. ")
    assert "gradient  [0.505, 1]   exact [0.505, 1]" in seed  # one format on the line
    table = rows(seed.split("\n1. ")[1])
    assert table["symbolic"][:2] == pytest.approx([0.5, 1.0], rel=EXACT)  # the closure, lifted
    assert table["ad"][:2] == pytest.approx([0.5, 1.0], rel=EXACT)
    assert table["fd"][:2] == pytest.approx([0.5, 1.0], rel=FD)
    assert "skipped" not in seed
    exact = damped_cosine_gradient(1.3, 0.7, 2.0)
    table = against(harder)
    assert list(table) == ["closed form", "symbolic", "ad", "fd"]
    assert table["closed form"] == pytest.approx(exact, rel=EXACT)
    for m, rtol in (("symbolic", ADAPTIVE), ("ad", ADAPTIVE), ("fd", FD)):
        assert table[m] == pytest.approx(exact, rel=rtol), m
    cells = [v for line in harder.splitlines() if line.startswith("dI/d") for v in line.split()[1:]]
    assert len(cells) == 12 and all(v == f"{float(v):.15g}" for v in cells)  # one format
    assert max(len(line) for line in out.splitlines()) <= 100


def test_seed_problem() -> None:
    value, gradient = seed_problem(10)
    assert value == pytest.approx(2 * 0.55 + 1) and gradient.tolist() == pytest.approx([0.55, 1])


def test_demo_as_a_process() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "symrules", "demo", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    exact = damped_cosine_gradient(1.3, 0.7, 2.0)
    table = against(out.stdout.split("\n2. ")[1])
    for m in ("symbolic", "ad"):
        assert table[m] == pytest.approx(exact, rel=ADAPTIVE), m
    width = max(len(line) for line in out.stdout.splitlines())
    assert width <= 100, f"a line of {width} characters"


def test_help_teaches(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "Examples:" in out and "--domain=-inf,0" in out
    for name in ("gauss-legendre", "tanh-sinh", "gauss-kronrod"):
        assert name in out


@pytest.mark.parametrize(
    ("argv", "fix"),
    [
        (["a*exp(-b*x**", "--param", "a=1", "--domain", "0", "1"], "is not an expression"),
        (
            ["a*exp(-b*x**2)", "--param", "a=1", "--domain", "0", "1"],
            "undeclared symbol 'b'.*--param NAME=VALUE",
        ),
        (["__import__('os')", "--param", "a=1", "--domain", "0", "1"], "may be called"),
        (
            ["a*x", "--param", "a=1", "--domain", "0", "1", "--rule", "gauss:3"],
            "unknown rule 'gauss': choose gauss-legendre",
        ),
        (["a*x", "--param", "a=1", "--domain", "0", "1", "--rule", "simpson:3"], "even"),
        (["a*x", "--param", "a", "--domain", "0", "1"], "write a parameter as NAME=VALUE"),
        (["a*x", "--param", "a=one", "--domain", "0", "1"], "must be a number"),
        (["a*x", "--param", "a=1", "--domain", "0"], "at least two points"),
        (["a*x", "--param", "a=1", "--domain", "0", "one"], "'one' is not a number"),
        (["a*x", "--param", "a=1"], "--domain"),
        (["x**2", "--domain", "0", "1"], "no parameters to differentiate"),
        (
            ["a*x", "--param", "a=1", "--domain", "0", "1", "--methods", "exact"],
            "invalid choice: 'exact'",
        ),
    ],
    ids=[
        "syntax",
        "missing-param",
        "unsafe",
        "unknown-rule",
        "bad-count",
        "param-no-value",
        "param-not-number",
        "one-point",
        "domain-not-number",
        "no-domain",
        "no-params",
        "bad-method",
    ],
)
def test_bad_invocations_exit_2_and_say_what_to_fix(
    capsys: pytest.CaptureFixture, argv: list[str], fix: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["compare", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: symrules compare")
    assert re.search(fix, err), err


def test_failed_computation_exits_1(capsys: pytest.CaptureFixture) -> None:
    code = main(["compare", "a/x", "--param", "a=1", "--domain", "0", "1"])  # diverges
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("symrules compare: error:") and "did not converge" in err


def symrules_process(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "symrules", *argv], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("domain", "lo", "hi"),
    [(["-inf", "0"], -math.inf, 0.0), (["0", "-inf"], 0.0, -math.inf), (["-1", "1"], -1.0, 1.0)],
    ids=["-inf 0", "0 -inf", "-1 1"],
)
def test_negative_domain_points_in_a_process(domain: list[str], lo: float, hi: float) -> None:
    out = symrules_process(
        "compare",
        "a*exp(x)",
        "--param",
        "a=2",
        "--domain",
        *domain,
        "--methods",
        "ad",
        "--repeat",
        "0",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    exact = math.exp(hi) - math.exp(lo)  # dI/da, oriented from the first point to the last
    assert json.loads(out.stdout)["gradients"]["ad"]["a"] == pytest.approx(exact, rel=ADAPTIVE)


@pytest.mark.parametrize(
    ("domain", "lo"),
    [
        (["--domain", "-1e-3", "1"], -1e-3),
        (["--domain=-1e-3", "1"], -1e-3),
        (["--domain", "-1e-3,1"], -1e-3),
        (["--domain", "-inf", "-1e-3", "1"], -math.inf),
    ],
    ids=["exponent", "attached-then-spaced", "comma", "breakpoint"],
)
def test_every_negative_number_form_is_a_value(
    capsys: pytest.CaptureFixture, domain: list[str], lo: float
) -> None:
    out = run(
        capsys,
        "compare",
        "a*exp(x)",
        "--param",
        "a=1",
        *domain,
        "--methods",
        "ad",
        "--repeat",
        "0",
        "--json",
    )
    gradient = json.loads(out)["gradients"]["ad"]["a"]
    assert gradient == pytest.approx(math.e - math.exp(lo), rel=ADAPTIVE)  # exp(1) - exp(lo)


def test_a_negative_step_reaches_compare(capsys: pytest.CaptureFixture) -> None:
    code = main(
        [
            "compare",
            "a*x",
            "--param",
            "a=1",
            "--domain",
            "0",
            "1",
            "--methods",
            "fd",
            "--fd-step",
            "-1e-3",
            "--repeat",
            "0",
        ]
    )
    assert code == 1  # parsed as a number; compare refuses it, naming it
    assert "the step must be positive, got -0.001" in capsys.readouterr().err
    assert set(NUMERIC_OPTIONS) == {"--domain", "--fd-step", "--repeat", "-n"}


def test_an_unused_parameter_warns_naming_it() -> None:
    out = symrules_process(
        "compare",
        "a*x",
        "--param",
        "a=1",
        "--param",
        "d=2",
        "--domain",
        "0",
        "1",
        "--methods",
        "ad",
        "--repeat",
        "0",
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == (
        "symrules: UnusedParameterWarning: --param d=2: 'a*x' does not use 'd', so dI/dd is "
        "zero (it uses a)\n"
    )
    assert rows(out.stdout)["ad"][:2] == [0.5, 0.0]  # still computed: dI/da = 1/2, dI/dd = 0


def test_only_the_unused_array_parameter_warns(capsys: pytest.CaptureFixture) -> None:
    with pytest.warns(
        UnusedParameterWarning, match=r"--param e=1,2: .* does not use 'e'"
    ) as caught:
        out = run(
            capsys,
            "compare",
            "c[0]*x",
            "--param",
            "c=1,3",
            "--param",
            "e=1,2",
            "--domain",
            "0",
            "1",
            "--methods",
            "ad",
            "--repeat",
            "0",
            "--json",
        )
    assert len(caught) == 1  # c is used, though only c[0]
    assert json.loads(out)["gradients"]["ad"]["c"] == pytest.approx([0.5, 0.0], abs=EXACT)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("epx", "exp"), ("sine", "sin"), ("ERF", "erf"), ("np.exp", "exp"), ("besslj", "besselj")],
)
def test_a_misspelt_function_gets_a_suggestion(
    capsys: pytest.CaptureFixture, typo: str, meant: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["compare", f"a*{typo}(x)", "--param", "a=1", "--domain", "0", "1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert re.search(rf"'{re.escape(typo)}' cannot be called \(did you mean [^)]*\b{meant}\b", err)
    with pytest.raises(ExpressionSyntaxError, match=rf"did you mean [^)]*\b{meant}\b"):
        parse_expression(f"{typo}(x)", Declaration("x", ()))


def test_help_lists_the_functions_the_parser_knows(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    help_ = capsys.readouterr().out
    block = help_.split("of the functions\n")[1].split("\n\n")[0]
    listed = block.split()
    assert listed == sorted(listed) and set(listed) == set(FUNCTIONS) | set(SPECIAL_FUNCTIONS)
    d = Declaration("x", ())
    for name in listed:  # the parser calls each (its arguments may be wrong for it)
        try:
            parse_expression(f"{name}(x)", d)
        except ExpressionSyntaxError as err:
            assert "cannot be called" not in str(err), name
    with pytest.raises(ExpressionSyntaxError, match="cannot be called"):
        parse_expression("sinc(x)", d)  # not listed: not callable
    assert max(len(line) for line in help_.splitlines()) <= 100
