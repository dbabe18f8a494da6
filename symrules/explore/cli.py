"""The ``symrules`` command line: ``symrules demo`` and ``symrules compare EXPR ...``.

This module owns the shell interface: the demo (the seed problem, then a harder integrand, every
gradient method side by side) and ``compare``, which builds an
:class:`~symrules.symbolic.integrand.Integrand` from an expression string (parsed safely, never
evaluated), integrates it over a domain and prints a
:class:`~symrules.explore.comparison.Comparison` as a table or as JSON. Bad input ends in
argparse's style: a message saying what to fix, exit 2; a parameter the expression does not use
is a :class:`~symrules.errors.UnusedParameterWarning`. The values of an option that takes
numbers may start with "-" (``--domain -inf 0``): they are attached to their option
(``--domain=-inf,0``) before argparse, which would read ``-inf`` as an option, sees them.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..engine.reverse import value_and_grad
from ..errors import RuleSpecError, SymrulesError, UnusedParameterWarning
from ..quadrature import METHODS, GaussKronrod, GaussLegendre
from .compare import compare
from .comparison import Comparison
from .rule_specs import RULES, rule_from_spec

__all__ = ["HARDER", "NUMERIC_OPTIONS", "attach_numbers", "main", "seed_problem"]

#: The demo's harder integrand: ``(expression, params, domain)``, with a closed-form integral
#: ``a/2 sqrt(pi/b) exp(-c**2/(4b))`` over the half line.
HARDER = ("a*exp(-b*x**2)*cos(c*x)", {"a": 1.3, "b": 0.7, "c": 2.0}, (0.0, math.inf))

EPILOG = """\
EXPR is an expression in the variable (--var, default x) and the parameters; it is parsed
safely, never evaluated: numbers, + - * / **, pi, E, c[k] for an array parameter c, and calls
of the functions
{functions}

Rules (--rule NAME or NAME:COUNT):
{rules}

Methods: symbolic (the generated rule of the expression), ad (the engine's tape over all
nodes), fd (finite differences of the quadrature sum); the errors are measured against
symbolic (or ad when symbolic is not asked for).

Examples:
  symrules compare "a*exp(-b*x**2)" --param a=1.3 --param b=0.7 --domain 0 1
  symrules compare "a*exp(-b*x**2)" --param a=1.3 --param b=0.7 --domain 0 inf --rule tanh-sinh:6
  symrules compare "c[0] + c[1]*t**2" --var t --param c=1,2 --domain 0 0.5 1 --methods ad fd
  symrules compare "a*exp(-b*x**2)" --param a=1 --param b=1 --domain -inf inf --json
Interior points are breakpoints: --domain 0 0.5 1; --domain=-inf,0 is --domain -inf 0.
"""

#: The options that take numbers, and how many (``None``: one or more). Their values may start
#: with "-" (-1, -inf, -1e-3), which argparse would read as an option.
NUMERIC_OPTIONS: dict[str, int | None] = {"--domain": None, "--fd-step": 1, "--repeat": 1, "-n": 1}


def seed_problem(n: int = 100) -> tuple[float, np.ndarray]:
    """The seed: a right Riemann sum of ``p[0]*x + p[1]`` on (0, 1], differentiated in ``p``.

    Returns the value and the gradient at ``p = [2, 1]``; exactly ``[(n+1)/(2n), 1]``.

    Examples
    --------
    >>> value, gradient = seed_problem()
    >>> bool(np.allclose(gradient, [0.505, 1.0]))
    True
    """
    dx = np.diff(np.linspace(0.0, 1.0, n + 1))
    x = np.cumsum(dx)

    def main(p: np.ndarray) -> float:
        def f(x: np.ndarray) -> np.ndarray:
            return p[0] * x + p[1]

        return np.sum(f(x) * dx)

    value, gradient = value_and_grad(main)(np.array([2.0, 1.0]))
    return float(value), gradient


def _line(p: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The seed's integrand as a closure over ``p``."""

    def f(x: np.ndarray) -> np.ndarray:
        return p[0] * x + p[1]

    return f


def _demo(args: argparse.Namespace) -> int:
    from ..symbolic import Integrand

    value, gradient = seed_problem(args.n)
    exact = [(args.n + 1) / (2 * args.n), 1.0]
    print("seed: integrate(f) = sum(f(x) * dx), right Riemann sum on (0, 1],")
    print(f"      f(x) = p[0]*x + p[1] captured by a closure, p = [2, 1], {args.n} steps")
    print(f"  value     {value:.12g}")
    print(f"  gradient  {_vector(gradient)}   exact {_vector(exact)}")
    print()
    print("1. the seed's closure with integrate(f, (0, 1), GaussLegendre(2)); exact [1/2, 1]")
    print("   (the closure is lifted to SymPy, so 'symbolic' applies to it too)")
    print(compare(_line(np.array([2.0, 1.0])), (0.0, 1.0), GaussLegendre(2), repeat=args.repeat))
    print()
    expr, params, domain = HARDER
    a, b, c = params["a"], params["b"], params["c"]
    j = 0.5 * math.sqrt(math.pi / b) * math.exp(-(c**2) / (4 * b))
    closed = [j, a * j * (c**2 / (4 * b**2) - 1 / (2 * b)), -a * j * c / (2 * b)]
    rule = GaussKronrod()
    fields: dict[str, Any] = dict(params)  # values only: no 'backend' among them
    comparison = compare(Integrand(expr, var="x", **fields), domain, rule, repeat=args.repeat)
    print(f"2. f(x) = {expr} on (0, inf), a = {a:g}, b = {b:g}, c = {c:g}")
    print(f"   adaptive Gauss-Kronrod (order {rule.order}, rtol {rule.rtol:g}), every method")
    print(f"   against the closed form; I = {comparison.value:.15g}")
    print()
    print(_against(comparison, dict(zip(params, closed, strict=True))))
    return 0


def _vector(values: Sequence[float] | np.ndarray) -> str:
    """``[0.505, 1]``: every entry in one format."""
    return "[" + ", ".join(f"{v:.12g}" for v in values) + "]"


def _against(comparison: Comparison, closed: dict[str, float]) -> str:
    """The gradient by each method beside the closed form, one row per parameter.

    A row per parameter keeps the table narrow (under 100 columns) however many methods
    there are; below, each method's largest relative error against the closed form and its
    time in milliseconds.
    """
    methods = list(comparison.gradients)
    scale = max(abs(v) for v in closed.values())
    table = [["", "closed form", *methods]]
    for name, exact in closed.items():
        table.append(
            [f"dI/d{name}", f"{exact:.15g}"]
            + [f"{float(comparison.gradients[m][name]):.15g}" for m in methods]
        )
    errors = [
        max(abs(float(comparison.gradients[m][k]) - v) for k, v in closed.items()) / scale
        for m in methods
    ]
    table.append(["rel err", "", *(f"{e:.1e}" for e in errors)])
    times = [comparison.times.get(m) for m in methods]
    table.append(["time", "", *("-" if t is None else f"{t * 1e3:.3g} ms" for t in times)])
    widths = [max(len(cell) for cell in column) for column in zip(*table, strict=True)]
    lines = []
    for label, *cells in table:
        right = (c.rjust(w) for c, w in zip(cells, widths[1:], strict=True))
        lines.append("  ".join([label.ljust(widths[0]), *right]))
    return "\n".join(lines)


def _param(text: str) -> tuple[str, float | np.ndarray]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r}: write a parameter as NAME=VALUE (a=1.3) or NAME=V1,V2 for an array"
        )
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the value of {name.strip()!r} must be a number or numbers like 1,2,3"
        ) from None
    return name.strip(), (numbers[0] if len(numbers) == 1 else np.array(numbers))


def _domain(tokens: list[str], parser: argparse.ArgumentParser) -> tuple[float, ...]:
    points = []
    for token in tokens:
        for piece in token.split(","):
            try:
                points.append(float(piece))
            except ValueError:
                parser.error(
                    f"argument --domain: {piece!r} is not a number; write the ends (and any "
                    "breakpoints) as numbers, inf or -inf: --domain 0 1"
                )
    if len(points) < 2:
        parser.error("argument --domain: give at least two points, the ends: --domain 0 1")
    return tuple(points)


def _compare(args: argparse.Namespace) -> int:
    from ..errors import UndeclaredSymbolError
    from ..symbolic import Integrand
    from ..symbolic.parse import free_names

    parser = args.parser
    params = dict(args.param)
    domain = _domain(args.domain, parser)
    try:
        rule = rule_from_spec(args.rule)
    except RuleSpecError as err:
        parser.error(f"argument --rule: {err}")
    try:
        f = Integrand(args.expr, var=args.var, **params)
    except UndeclaredSymbolError as err:
        parser.error(
            f"EXPR: {err}. Give every parameter a value with --param NAME=VALUE, and name "
            "the variable with --var"
        )
    except SymrulesError as err:
        parser.error(f"EXPR: {err}")
    if not params:
        parser.error("EXPR has no parameters to differentiate: give one with --param NAME=VALUE")
    used = free_names(args.expr, args.var)
    for name in sorted(params.keys() - set(used)):
        value = ",".join(f"{v:g}" for v in np.ravel(params[name]))
        warnings.warn(
            f"--param {name}={value}: {args.expr!r} does not use {name!r}, so dI/d{name} is "
            f"zero (it uses {', '.join(used) or 'no parameter'})",
            UnusedParameterWarning,
            stacklevel=2,
        )
    try:
        comparison = compare(
            f, domain, rule, args.methods, repeat=args.repeat, fd_step=args.fd_step
        )
    except SymrulesError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    print(comparison.to_json() if args.json else comparison)
    return 0


def _functions() -> str:
    """Every function EXPR may call, as the parser knows them, wrapped for the help."""
    from ..symbolic.declaration import FUNCTIONS
    from ..symbolic.functions import SPECIAL_FUNCTIONS

    names = " ".join(sorted({**FUNCTIONS, **SPECIAL_FUNCTIONS}))
    return textwrap.fill(names, width=92, initial_indent="  ", subsequent_indent="  ")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symrules",
        description="Gradients of quadrature functionals with respect to what lives inside "
        "the integrand: symbolic, AD-callback and finite-difference gradients side by side.",
        epilog="Run 'symrules demo', or 'symrules compare --help' for your own integrand.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{demo,compare}")
    demo = sub.add_parser(
        "demo",
        help="the seed problem and a harder integrand, every method in a table",
        description="The seed problem (a Riemann sum of a closure), then the same closure and "
        "a harder integrand on the half line through compare: every method, its error and "
        "its time, with the closed-form gradients to check them against.",
    )
    demo.add_argument("-n", type=int, default=100, help="number of Riemann steps (default 100)")
    demo.add_argument("--repeat", type=int, default=3, help="timing repeats (0: no timing)")
    demo.set_defaults(run=_demo)

    rules = "\n".join(
        f"  {name:<16} COUNT = {what} (default {default})"
        for name, (_, default, what) in RULES.items()
    )
    cmp = sub.add_parser(
        "compare",
        help="gradients of the integral of EXPR by every method, side by side",
        description="Integrate EXPR over --domain and print its value and its gradient with "
        "respect to\nevery --param by each method, with errors and times.",
        epilog=EPILOG.format(rules=rules, functions=_functions()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmp.add_argument("expr", metavar="EXPR", help="the integrand, e.g. 'a*exp(-b*x**2)'")
    cmp.add_argument("--var", default="x", help="name of the integration variable (default x)")
    cmp.add_argument(
        "--param",
        type=_param,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter and its value (repeat for each; NAME=1,2,3 for an array)",
    )
    cmp.add_argument(
        "--domain",
        nargs="+",
        required=True,
        metavar="POINT",
        help="the ends and any breakpoints: --domain 0 1, --domain -inf 0, --domain -1 0 1",
    )
    cmp.add_argument(
        "--rule",
        default="gauss-kronrod",
        metavar="NAME[:COUNT]",
        help="quadrature rule (default gauss-kronrod, adaptive; see below)",
    )
    cmp.add_argument(
        "--methods",
        nargs="+",
        default=["symbolic", "ad", "fd"],
        choices=[m for m in METHODS if m != "auto"],
        help="methods to compare (default: symbolic ad fd)",
    )
    cmp.add_argument(
        "--fd-step",
        type=float,
        default=None,
        metavar="H",
        help="a fixed step for fd (default: a step search with an error estimate)",
    )
    cmp.add_argument("--repeat", type=int, default=3, help="timing repeats (0: no timing)")
    cmp.add_argument("--json", action="store_true", help="print the comparison as JSON")
    cmp.set_defaults(run=_compare, parser=cmp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``symrules`` command; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``symrules`` (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when the computation fails; bad arguments exit with status 2.

    Examples
    --------
    >>> main(["compare", "a*x", "--param", "a=2", "--domain", "0", "1", "--rule",
    ...       "gauss-legendre:2", "--methods", "ad", "--repeat", "0"])
    integral over (0, 1) by GaussLegendre(n=2)
    at a = 2
    I = 1
    <BLANKLINE>
    method  dI/da  abs err vs ad  rel err  time
    ad        0.5    (reference)              -
    0
    """
    args = _parser().parse_args(attach_numbers(sys.argv[1:] if argv is None else argv))
    show = warnings.formatwarning
    warnings.formatwarning = _format_warning  # "symrules: UnusedParameterWarning: ...", no source
    try:
        return int(args.run(args))
    finally:
        warnings.formatwarning = show


def _format_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    """A warning as one line, without the file and the source line it came from."""
    return f"symrules: {category.__name__}: {message}\n"


def _is_number(token: str) -> bool:
    """Whether ``token`` is a number or comma-separated numbers: -1, -inf, -1e-3, 0,1."""
    try:
        [float(piece) for piece in token.split(",")]
    except ValueError:
        return False
    return True


def attach_numbers(argv: Sequence[str]) -> list[str]:
    """``argv`` with the values of each option of :data:`NUMERIC_OPTIONS` attached to it.

    argparse reads a token that starts with "-" as an option unless it looks like a plain
    negative number, so ``--domain -inf 0`` and ``--fd-step -1e-3`` would fail; attached
    (``--domain=-inf,0``), they are values. An option takes the tokens after it while they are
    numbers or do not start with "-" (so ``--domain 0 one`` still reaches the check that
    names ``'one'``), up to its count; everything after ``--`` is left as it is.

    Examples
    --------
    >>> attach_numbers(["compare", "a*x", "--domain", "-inf", "0", "--fd-step", "-1e-3"])
    ['compare', 'a*x', '--domain=-inf,0', '--fd-step=-1e-3']
    >>> attach_numbers(["compare", "--domain=-1", "1", "--json", "--", "-x"])
    ['compare', '--domain=-1,1', '--json', '--', '-x']
    """
    out: list[str] = []
    tokens = list(argv)
    while tokens:
        token = tokens.pop(0)
        if token == "--":
            return [*out, token, *tokens]
        option, sep, first = token.partition("=")
        if option not in NUMERIC_OPTIONS:
            out.append(token)
            continue
        count = NUMERIC_OPTIONS[option]
        values = [first] if sep else []
        while tokens and (count is None or len(values) < count):
            if tokens[0].startswith("-") and not _is_number(tokens[0]):
                break
            values.append(tokens.pop(0))
        out.append(f"{option}={','.join(values)}" if values else token)
    return out


if __name__ == "__main__":
    sys.exit(main())
