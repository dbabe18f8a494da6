"""The compiled backend's code: one fused numba kernel per expression, from the same derivation.

Where the numpy rules (:mod:`~symrules.symbolic.codegen`) make one pass over the nodes per
array operation, the kernel makes *one* pass in all: at each node it computes the shared
subexpressions once and adds ``w_i f(x_i)`` and ``w_i df/dp(x_i)`` for every parameter entry
into scalar accumulators, with no array the size of the node set. The loop body is printed
from the same ``sympy.cse`` as the numpy source, by the same printer, so both backends come
from one derivation.

How it works
------------
The nodes are summed in blocks of :data:`BLOCK`: within a block plainly, over views of the
arrays, with reassociation allowed so that LLVM vectorizes the loop; the block sums are added
into the totals with Neumaier's compensated summation in a helper compiled without fast-math
(its instructions keep their strict order where it is inlined), so the sum of a million terms
agrees with numpy's pairwise sum to about ``1e-15`` relative. ``x_bar`` is not the kernel's
business: a quadrature's nodes are constants, and where it is wanted the numpy rules compute
it. In several variables the points are an ``(n, d)`` array whose row ``i`` the loop reads
variable by variable (``x_ = block_x[i, 0]``). The printer is the numpy one but for a step
(``Heaviside``, from the derivative of ``Max`` or ``Min``): numba has no ``np.heaviside``, so
the kernel carries its own; a ``Piecewise`` prints as conditional expressions; and the special
functions numba can call (:data:`KERNEL_CALLS`: ``math.erf``, ``math.gamma``...) print as
those calls. An expression with any other special function, or whose partial in a parameter
needs one (the partial of ``gamma(a*x)`` in ``a`` holds ``digamma``), gets no kernel:
:func:`kernel_refusal` names the function, and the Integrand runs on the numpy backend.
Kernels divide as numpy does (``error_model="numpy"``: ``1/0`` is ``inf``, not an exception).
"""

from __future__ import annotations

import textwrap

import sympy as sp

from ..errors import ExpressionTooLargeError, NoNumpyPrinterError
from .codegen import display_title
from .declaration import Declaration
from .derive import Derivation, partial
from .printer import NumpySourcePrinter

__all__ = ["BLOCK", "KERNEL_CALLS", "MAX_ENTRIES", "generate_kernel", "kernel_refusal"]

#: Nodes summed plainly before their sum is added, compensated, into the total.
BLOCK = 256
#: Most parameter entries a kernel accumulates: each is a scalar in the loop, and numba's
#: compile time grows faster than linearly with them (64 entries: about 3 s).
MAX_ENTRIES = 128
_WIDTH = 96


#: The :mod:`scipy.special` functions a kernel calls, and what it calls instead (numba
#: compiles these functions of :mod:`math`; it has no other special function).
KERNEL_CALLS = {
    "scipy.special.erf": "math.erf",
    "scipy.special.erfc": "math.erfc",
    "scipy.special.gamma": "math.gamma",
    "scipy.special.gammaln": "math.lgamma",  # log|gamma(x)|, as gammaln
}


class _ScalarPrinter(NumpySourcePrinter):
    """The numpy printer for one node at a time: numba has no ``np.heaviside``, so a step
    prints as a call of the kernel's own ``_heaviside`` (numpy's, for a scalar); a
    ``Piecewise`` as conditional expressions, its conditions with Python's ``<``, ``and``,
    ``or``, ``not`` on scalars; a special function as its
    :data:`KERNEL_CALLS` entry, or not at all (:class:`NoNumpyPrinterError` naming it)."""

    def _module_format(self, fqn: str, register: bool = True) -> str:
        if fqn.startswith("scipy."):
            if fqn not in KERNEL_CALLS:
                raise NoNumpyPrinterError(f"numba cannot call {fqn}")
            return KERNEL_CALLS[fqn]
        return super()._module_format(fqn, register)

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        at_zero = expr.args[1] if len(expr.args) > 1 else sp.S.Half
        return f"_heaviside({self._print(expr.args[0])}, {self._print(at_zero)})"

    def _print_Relational(self, expr: sp.core.relational.Relational) -> str:
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_And(self, expr: sp.And) -> str:
        return "(" + " and ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr: sp.Or) -> str:
        return "(" + " or ".join(self._print(a) for a in expr.args) + ")"

    def _print_Not(self, expr: sp.Not) -> str:
        return f"(not {self._print(expr.args[0])})"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        out = "np.nan"  # as numpy.select's default: no condition holds
        for value, condition in reversed(expr.args):
            if condition == sp.true:
                out = self._print(value)
            else:
                out = f"({self._print(value)} if {self._print(condition)} else {out})"
        return out


def kernel_refusal(declaration: Declaration, expr: sp.Expr, numba: bool) -> str | None:
    """Why ``expr`` over ``declaration`` gets no kernel, or ``None`` if it gets one.

    The kernel computes the value and the partials in the parameters: each function in
    ``expr``, and its partial in each parameter it holds, must print as numba code.

    Examples
    --------
    >>> import sympy as sp
    >>> from symrules.symbolic.declaration import Declaration
    >>> d = Declaration("x", (("a", None),))
    >>> a = d.symbols("a")
    >>> kernel_refusal(Declaration("x", (("c", 2000),)), d.x, numba=True)
    'its 2000 parameter entries exceed the 128 a kernel accumulates'
    >>> kernel_refusal(d, sp.erf(a * d.x), numba=True) is None
    True
    >>> kernel_refusal(d, sp.besselj(0, a * d.x), numba=True)
    'numba cannot call scipy.special.jv, for besselj(0, a*x)'
    >>> kernel_refusal(d, sp.gamma(a * d.x), numba=True)
    'numba cannot call scipy.special.polygamma, for the partial in a of gamma(a*x)'
    """
    if not numba:
        return "numba is not installed"
    entries = sum(1 if size is None else size for _, size in declaration.sizes)
    if entries > MAX_ENTRIES:
        return f"its {entries} parameter entries exceed the {MAX_ENTRIES} a kernel accumulates"
    printer = _ScalarPrinter(declaration)
    for fn in sorted(expr.atoms(sp.Function), key=sp.default_sort_key):
        params = sorted(fn.free_symbols - set(declaration.xs), key=sp.default_sort_key)
        checks = [(fn, "")] + [(partial(fn, p), f"the partial in {p} of ") for p in params]
        for part, what in checks:
            try:
                printer.doprint(part)
            except NoNumpyPrinterError as err:
                return f"{err}, for {what}{fn}"
    return None


def _accumulators(derivation: Derivation) -> list[str]:
    """One accumulator name per quantity: the value, then every scalar partial (not x)."""
    d = derivation.declaration
    names = ["value"]
    for name, k, _ in derivation.flat():
        if name in d.variables:
            continue
        names.append(f"{d.identifier(name)}bar" + ("" if k is None else f"_{k}"))
    return names


def generate_kernel(derivation: Derivation, cache: bool) -> str:
    """The module text of ``fused(w, xs, *params) -> (sum w f, *param_bars)``, for numba.

    ``xs`` holds the nodes, or for several variables the ``(n, d)`` array of points; ``cache``
    is numba's on-disk cache (a module loaded from a file can use it).

    Examples
    --------
    >>> from symrules.symbolic.derive import derive
    >>> src = generate_kernel(derive("a*exp(-b*x)", "x", {"a": None, "b": None}), cache=False)
    >>> [line.split("+=")[0].strip() for line in src.splitlines() if " s_" in line and "+=" in line]
    ['s_value', 's_a_bar', 's_b_bar']
    >>> print(src.splitlines()[-1])
        return value + value_c, a_bar + a_bar_c, b_bar + b_bar_c
    >>> src = generate_kernel(derive("a*x*y", ("x", "y"), {"a": None}), cache=False)
    >>> [line.strip() for line in src.splitlines() if "block_x[i" in line]
    ['x_ = block_x[i, 0]', 'y_ = block_x[i, 1]']
    """
    d = derivation.declaration
    printer = _ScalarPrinter(d)
    w_i = sp.Symbol("w_i", real=True)
    parts = [derivation.expr] + [p for name, _, p in derivation.flat() if name not in d.variables]
    try:  # t0, t1, ... never clash with a declared name: those print mangled
        replacements, reduced = sp.cse(
            [w_i * p for p in parts], symbols=sp.numbered_symbols("t", real=True), order="none"
        )
    except RecursionError:
        raise ExpressionTooLargeError("sharing subexpressions recursed too deeply") from None
    accumulators = _accumulators(derivation)
    params = ", ".join(d.identifier(n) for n in d.names)
    lines = [
        "# Generated by symrules.symbolic.kernels: a fused numba kernel for",
        "#",
        *textwrap.wrap(display_title(derivation), _WIDTH, initial_indent="#     ",
                       subsequent_indent="#         ", break_long_words=False),
        "#",
        "# One pass over the nodes: the weighted sums of f and of its partials in every",
        f"# parameter entry, in blocks of {BLOCK} nodes added with Neumaier's compensation.",
        "",
        "import math",
        "",
        "import numpy as np",
        "from numba import njit",
        "",
        "",
        f'@njit(cache={cache}, error_model="numpy", inline="always")',
        "def _heaviside(a, at_zero):",
        '    """numpy.heaviside for one number."""',
        "    if np.isnan(a):",
        "        return a",
        "    return 1.0 if a > 0 else 0.0 if a < 0 else at_zero",
        "",
        "",
        f'@njit(cache={cache}, error_model="numpy")',
        "def _add(total, compensation, term):",
        '    """Neumaier\'s compensated ``total + term`` (compiled without fast-math)."""',
        "    s = total + term",
        "    if abs(total) >= abs(term):",
        "        compensation += (total - s) + term",
        "    else:",
        "        compensation += (term - s) + total",
        "    return s, compensation",
        "",
        "",
        f'@njit(cache={cache}, error_model="numpy", fastmath={{"reassoc", "contract"}})',
        f"def fused(w, xs{', ' if params else ''}{params}):",
        '    """sum_i w_i f(x_i) and sum_i w_i df/dp(x_i) for each parameter entry."""',
        "    n = xs.shape[0]",
    ]  # fmt: skip
    for acc in accumulators:
        lines.append(f"    {acc}, {acc}_c = 0.0, 0.0")
    lines += [
        f"    for start in range(0, n, {BLOCK}):",
        f"        block_w = w[start : start + {BLOCK}]  # a view per block: the loop vectorizes",
        f"        block_x = xs[start : start + {BLOCK}]",
    ]
    for acc in accumulators:
        lines.append(f"        s_{acc} = 0.0")
    lines.append("        for i in range(block_x.shape[0]):")
    if d.several:
        lines += [f"            {d.identifier(v)} = block_x[i, {k}]"
                  for k, v in enumerate(d.variables)]  # fmt: skip
    else:
        lines.append(f"            {d.identifier(d.variables[0])} = block_x[i]")
    lines.append("            w_i = block_w[i]")
    for sym, expr in replacements:
        lines.append(f"            {sym.name} = {printer.doprint(expr)}")
    for acc, expr in zip(accumulators, reduced, strict=True):
        lines.append(f"            s_{acc} += {printer.doprint(expr)}")
    for acc in accumulators:
        lines.append(f"        {acc}, {acc}_c = _add({acc}, {acc}_c, s_{acc})")
    outputs = ["value + value_c"]
    for name in d.names:
        size = d.sizes[d.names.index(name)][1]
        stem = f"{d.identifier(name)}bar"
        if size is None:
            outputs.append(f"{stem} + {stem}_c")
        else:
            entries = ", ".join(f"{stem}_{k} + {stem}_{k}_c" for k in range(size))
            outputs.append(f"np.array([{entries}])")
    lines.append(f"    return {', '.join(outputs)}")
    return "\n".join(lines) + "\n"
