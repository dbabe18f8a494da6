"""Export: an Integrand's generated rules as a JAX ``custom_vjp`` or a torch ``autograd.Function``.

This module owns :func:`to_jax` and :func:`to_torch` (``Integrand.to_jax`` and
``Integrand.to_torch`` call them): the same expression and the same closed-form partials the
numpy rules are generated from, printed for another array library, so a model written in JAX
or PyTorch differentiates an Integrand with its generated pullback instead of tracing through
it. jax and torch are optional (the ``interop`` extra); they are imported on first export.

How it works
------------
:func:`export_source` writes a module from the Integrand's
:class:`~symrules.symbolic.derive.Derivation` and its shared subexpressions, as the numpy
scaffold does: ``primal`` and ``pullback(y_bar, x, *params)``, which returns one cotangent per
parameter, contracted over the nodes, and ``x_bar`` of the shape of ``x``. SymPy's
``JaxPrinter`` or ``TorchPrinter`` print it, subclassed to write the declared names mangled as
the numpy code does and to refuse by name a function with no translation. It is loaded as the
numpy module is (:func:`~symrules.symbolic.loader.load`, shown by :mod:`linecache`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from collections.abc import Callable
from typing import Any

import sympy as sp
from sympy.printing.numpy import JaxPrinter

from ..errors import InputError, NoNumpyPrinterError
from .codegen import display_title
from .declaration import Declaration
from .derive import Derivation, shared_subexpressions
from .loader import load
from .printer import NumpySourcePrinter

__all__ = ["JaxSourcePrinter", "export_source", "to_jax", "to_torch"]

# per target: the module's import line, its name in the source, and the keyword of an axis
_TARGETS = {
    "jax": ("import jax.numpy as jnp", "jnp", "axis"),
    "torch": ("import torch", "torch", "dim"),
}


def _refused(expr: Any, target: str) -> NoNumpyPrinterError:
    name = getattr(getattr(expr, "func", None), "__name__", type(expr).__name__)
    return NoNumpyPrinterError(f"the function {name} has no {target} translation (in {expr})")


class JaxSourcePrinter(JaxPrinter):
    """SymPy's ``JaxPrinter``, writing ``jnp.f`` and the mangled names of the numpy code.

    A declared symbol prints as in :class:`~symrules.symbolic.printer.NumpySourcePrinter`
    (``a`` as ``a_``, ``c_1`` as ``c_[1]``); ``Max``/``Min`` as nested ``jnp.maximum``/
    ``jnp.minimum``; a function JAX has no translation for (SymPy would print ``math.erf``)
    raises :class:`~symrules.errors.NoNumpyPrinterError` naming it.

    Examples
    --------
    >>> d = Declaration("x", (("c", 2),))
    >>> JaxSourcePrinter(d).doprint(sp.Max(d.x, 0) + d.symbols("c")[1] * sp.Abs(d.x))
    'c_[1]*jnp.abs(x_) + jnp.maximum(0, x_)'
    >>> JaxSourcePrinter(d).doprint(sp.besselj(0, d.x))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrules.errors.NoNumpyPrinterError: the function besselj has no jax translation (in ...)
    """

    def __init__(self, declaration: Declaration) -> None:
        super().__init__({"strict": True, "fully_qualified_modules": True})
        self._numpy = NumpySourcePrinter(declaration)

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._numpy.doprint(expr)

    def _module_format(self, fqn: str, register: bool = True) -> str:
        if fqn == "jax.numpy" or fqn.startswith("jax.numpy."):
            return "jnp" + fqn[len("jax.numpy") :]
        if fqn == "abs":
            return "jnp.abs"
        raise NoNumpyPrinterError(
            f"the function {fqn.rsplit('.', 1)[-1]} has no jax translation (SymPy would print "
            f"it as {fqn})"
        )

    def _print_not_supported(self, expr: Any) -> str:
        raise _refused(expr, "jax")

    def _print_Max(self, expr: sp.Max) -> str:
        return functools.reduce(lambda out, a: f"jnp.maximum({self._print(a)}, {out})",
                                reversed(expr.args[:-1]), self._print(expr.args[-1]))  # fmt: skip

    def _print_Min(self, expr: sp.Min) -> str:
        return functools.reduce(lambda out, a: f"jnp.minimum({self._print(a)}, {out})",
                                reversed(expr.args[:-1]), self._print(expr.args[-1]))  # fmt: skip


@functools.cache
def _torch_printer() -> type:
    """``TorchSourcePrinter``, defined on first use: SymPy's torch printer imports torch."""
    from sympy.printing.pytorch import TorchPrinter

    class TorchSourcePrinter(TorchPrinter):
        """SymPy's ``TorchPrinter``, writing the mangled names of the numpy code, constants as
        floats (``torch.sqrt(2)`` would refuse a number), comparisons, ``Max``/``Min``,
        ``Heaviside`` and ``Piecewise`` with Python operators and ``torch.where`` (which take
        numbers as well as tensors), and refusing by name a function it cannot translate."""

        def __init__(self, declaration: Declaration) -> None:
            super().__init__()
            self._numpy = NumpySourcePrinter(declaration)

        def _print(self, expr: Any, **settings: Any) -> str:
            if isinstance(expr, sp.Expr) and expr.is_number and not expr.is_Rational:
                value = float(expr)
                return f"({value!r})" if value < 0 else repr(value)
            return super()._print(expr, **settings)

        def _print_Symbol(self, expr: sp.Symbol) -> str:
            return self._numpy.doprint(expr)

        def _print_Function(self, expr: Any) -> str:
            if type(expr) not in self.mapping:
                raise _refused(expr, "torch")
            return super()._print_Function(expr)

        def _print_Relational(self, expr: Any) -> str:
            return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

        def _where(self, expr: Any, op: str) -> str:
            """``torch.where(a >= b, a, b)`` for ``Max(a, *rest)``, ``b`` the Max of the rest."""
            a, b = self._print(expr.args[0]), self._print(expr.func(*expr.args[1:]))
            return f"torch.where({a} {op} {b}, {a}, {b})"

        def _print_Max(self, expr: sp.Max) -> str:
            return self._where(expr, ">=")

        def _print_Min(self, expr: sp.Min) -> str:
            return self._where(expr, "<=")

        def _print_Heaviside(self, expr: sp.Heaviside) -> str:
            arg = self._print(expr.args[0])
            at_zero = expr.args[1] if len(expr.args) > 1 else sp.S.Half
            step = f"(0.5 + 0.5*torch.sign({arg}))"
            if at_zero == sp.S.Half:
                return step
            return f"torch.where({arg} == 0, {self._print(at_zero)}, {step})"

        def _print_Piecewise(self, expr: sp.Piecewise) -> str:
            out = "float('nan')"
            for value, cond in reversed(expr.args):
                printed = self._print(value)
                if cond == sp.true:
                    out = printed
                else:
                    out = f"torch.where({self._print(cond)}, {printed}, {out})"
            return out

    return TorchSourcePrinter


def _needed(replacements: list[tuple[sp.Symbol, sp.Expr]], exprs: list[Any]) -> set[sp.Symbol]:
    """The shared subexpressions ``exprs`` need, transitively."""
    needed = {s for e in exprs for s in e.free_symbols}
    for sym, value in reversed(replacements):  # a replacement uses earlier ones only
        if sym in needed:
            needed |= value.free_symbols
    return needed


def export_source(derivation: Derivation, target: str) -> str:
    """The module of ``primal`` and ``pullback`` of ``derivation`` for ``target``.

    Parameters
    ----------
    derivation : Derivation
        The expression and its partials, as the numpy rules are generated from.
    target : {"jax", "torch"}

    Returns
    -------
    str
        ``primal(x, *params) -> y`` and ``pullback(y_bar, x, *params) -> (*param_bars,
        x_bar)``: each parameter's cotangent contracted over the nodes (a vector for an array
        parameter), ``x_bar`` with the shape of ``x``.

    Examples
    --------
    >>> from symrules.symbolic.derive import derive
    >>> print(export_source(derive("a*exp(b*x)", "x", {"a": None, "b": None}), "jax"))
    # Generated by symrules.symbolic.export: jax rules for f(x; a, b) = a*exp(b*x)
    import jax.numpy as jnp
    <BLANKLINE>
    <BLANKLINE>
    def primal(x_, a_, b_):
        \"\"\"f(x; a, b) = a*exp(b*x).\"\"\"
        y = a_*jnp.exp(b_*x_)
        return y
    <BLANKLINE>
    <BLANKLINE>
    def pullback(y_bar, x_, a_, b_):
        \"\"\"(a_bar, b_bar, x_bar) for the cotangent y_bar of the values.\"\"\"
        t0 = jnp.exp(b_*x_)
        t1 = a_*t0
        a_bar_ = jnp.sum(t0*y_bar)
        b_bar_ = jnp.sum(t1*x_*y_bar)
        x_bar_ = b_*t1*y_bar
        return a_bar_, b_bar_, x_bar_
    <BLANKLINE>
    """
    d = derivation.declaration
    import_line, module, axis = _TARGETS[target]
    printer = JaxSourcePrinter(d) if target == "jax" else _torch_printer()(d)
    code = printer.doprint
    points = "nodes" if d.several else d.identifier(d.variables[0])
    args = ", ".join((points, *(d.identifier(n) for n in d.names)))
    lines = [f"# Generated by symrules.symbolic.export: {target} rules for "
             f"{display_title(derivation, short=True)}", import_line, "", ""]  # fmt: skip
    columns = ", ".join(f"nodes[:, {k}]" for k in range(len(d.variables)))
    unpack = [f"    {', '.join(d.identifier(v) for v in d.variables)} = {columns}"] * d.several

    def assignments(exprs: list[Any]) -> list[str]:
        needed = _needed(replacements, exprs)
        return [f"    {sym} = {code(value)}" for sym, value in replacements if sym in needed]

    replacements, (y,) = sp.cse([derivation.expr], sp.numbered_symbols("t", real=True))
    y_src = code(y)
    if not derivation.expr.free_symbols & set(d.xs):
        y_src = f"{module}.zeros_like({d.identifier(d.variables[0])}) + ({y_src})"
    lines += [f"def primal({args}):", f'    """{display_title(derivation, short=True)}."""',
              *unpack, *assignments([y]), f"    y = {y_src}", "    return y", "", ""]  # fmt: skip

    replacements, (_, *parts) = shared_subexpressions(derivation, "t")
    y_bar = sp.Symbol("y_bar")
    x_bar = "nodes_bar" if d.several else f"{points}bar_"
    shown = ", ".join((*(f"{n}_bar" for n in d.names), x_bar if d.several else f"{d.var}_bar"))
    lines += [f"def pullback(y_bar, {args}):",
              f'    """({shown}) for the cotangent y_bar of the values."""',
              *unpack, *assignments(parts)]  # fmt: skip
    bars: dict[str, list[str]] = {}  # by name: a parameter's contractions, a variable's column
    for (name, _, _), part in zip(derivation.flat(), parts, strict=True):
        if name in d.variables:
            bars[name] = ["0.0*y_bar" if part == 0 else code(y_bar * part)]
        else:
            total = f"{module}.sum(y_bar)" if part == 0 else f"{module}.sum({code(y_bar * part)})"
            bars.setdefault(name, []).append(f"0.0*{total}" if part == 0 else total)
    for name in d.names:
        array = isinstance(d.symbols(name), tuple)
        value = f"{module}.stack([{', '.join(bars[name])}])" if array else bars[name][0]
        lines.append(f"    {d.identifier(name)}bar_ = {value}")
    columns = ", ".join(bars[v][0] for v in d.variables)
    lines.append(f"    {x_bar} = {module}.stack([{columns}], {axis}=1)" if d.several
                 else f"    {x_bar} = {columns}")  # fmt: skip
    returned = ", ".join((*(f"{d.identifier(n)}bar_" for n in d.names), x_bar))
    return "\n".join((*lines, f"    return {returned}", ""))


def _imported(name: str) -> Any:
    """``jax`` or ``torch``, or an ImportError saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ImportError(
            f"exporting an Integrand to {name} needs {name} installed: pip install "
            "'symrules[interop]'"
        ) from None


def _loaded(derivation: Derivation, target: str) -> tuple[Callable, Callable, str]:
    """``(primal, pullback, source)`` of ``derivation`` for ``target``, compiled."""
    source = export_source(derivation, target)
    namespace = load(source, f"{target} {hashlib.sha256(source.encode()).hexdigest()[:20]}")
    return namespace["primal"], namespace["pullback"], source


def to_jax(derivation: Derivation, params: dict[str, Any]) -> Callable[..., Any]:
    """``f`` as a JAX function ``g(params, x)`` whose pullback is the generated closed form.

    What ``Integrand.to_jax()`` returns. ``g(params, x)`` computes ``f(x)`` with the
    parameter values of the dict ``params`` (by name), in ``jax.numpy``: a function of the
    parameters as JAX likes them, a pytree first, so ``jax.grad(lambda p: jnp.sum(g(p, x)))``
    gives a dict of cotangents, one per parameter (an array parameter's has its shape), and
    ``jax.grad`` in ``x`` gives ``x_bar`` of the shape of ``x`` (``(n, d)`` for an integrand in
    several variables). It is a ``jax.custom_vjp`` whose backward pass is the generated
    pullback; it runs under ``jax.jit``, but is not differentiated in forward mode (``jax.jvp``
    refuses a ``custom_vjp``).

    Parameters
    ----------
    derivation : Derivation
        The Integrand's expression and partials.
    params : dict
        Its current parameter values, kept as ``g.params``.

    Returns
    -------
    callable
        ``g(params, x)``, with attributes ``source`` (the generated JAX source, also
        registered with :mod:`linecache`) and ``params``.

    Raises
    ------
    NoNumpyPrinterError
        Naming a function of the expression that has no JAX translation.
    ImportError
        When jax is not installed (``pip install 'symrules[interop]'``).

    Notes
    -----
    JAX computes in float32 unless ``jax.config.update("jax_enable_x64", True)`` was called
    before the arrays were made; the numpy rules compute in float64.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, numpy as np
    >>> import symrules as sr
    >>> f = sr.Integrand("a*exp(-b*x**2)", a=2.0, b=0.5)
    >>> g = f.to_jax()
    >>> x = np.linspace(0.0, 1.0, 5)
    >>> bool(np.allclose(jax.jit(g)(g.params, x), f(x), rtol=1e-6))  # float32 unless x64
    True
    >>> p_bar = jax.grad(lambda p: jnp.sum(g(p, x)))(g.params)
    >>> bool(np.isclose(p_bar["a"], np.sum(np.exp(-0.5 * x**2)), rtol=1e-6)), sorted(p_bar)
    (True, ['a', 'b'])
    >>> "def pullback(y_bar, x_, a_, b_):" in g.source
    True
    """
    jax = _imported("jax")
    primal, pullback, source = _loaded(derivation, "jax")
    names = derivation.declaration.names

    @jax.custom_vjp
    def integrand_jax(params: dict[str, Any], x: Any) -> Any:
        return primal(x, *(params[n] for n in names))

    def integrand_jax_fwd(params: dict[str, Any], x: Any) -> tuple[Any, Any]:
        return integrand_jax(params, x), (params, x)

    def integrand_jax_bwd(residuals: Any, y_bar: Any) -> tuple[dict[str, Any], Any]:
        params, x = residuals
        *param_bars, x_bar = pullback(y_bar, x, *(params[n] for n in names))
        return dict(zip(names, param_bars, strict=True)), x_bar

    integrand_jax.defvjp(integrand_jax_fwd, integrand_jax_bwd)

    def exported(params: dict[str, Any], x: Any) -> Any:
        if not isinstance(params, dict) or set(params) != set(names):
            got = sorted(params) if isinstance(params, dict) else type(params).__name__
            raise InputError(f"g(params, x) takes a dict of the parameters {names}, got {got}")
        return integrand_jax(params, x)

    exported.source, exported.params = source, dict(params)  # type: ignore[attr-defined]
    return exported


def to_torch(derivation: Derivation, params: dict[str, Any]) -> type:
    """``f`` as a ``torch.autograd.Function`` whose backward is the generated pullback.

    What ``Integrand.to_torch()`` returns: a subclass ``F`` of ``torch.autograd.Function``;
    ``F.apply(x, *params)`` computes ``f(x)`` from tensors, the parameters in the order of
    ``F.names``; ``backward`` gives ``x_bar`` of the shape of ``x`` (``(n, d)`` for an
    integrand in several variables) and one cotangent per parameter, of its shape.

    Parameters
    ----------
    derivation : Derivation
        The Integrand's expression and partials.
    params : dict
        Its current parameter values, kept as float64 tensors in ``F.params``.

    Returns
    -------
    type
        ``F``, with class attributes ``source`` (the generated torch source, also
        registered with :mod:`linecache`), ``names`` and ``params``.

    Raises
    ------
    NoNumpyPrinterError
        Naming a function of the expression that has no torch translation.
    ImportError
        When torch is not installed (``pip install 'symrules[interop]'``).

    Examples
    --------
    >>> import numpy as np, torch
    >>> import symrules as sr
    >>> f = sr.Integrand("a*exp(-b*x**2)", a=2.0, b=0.5)
    >>> F = f.to_torch()
    >>> x = torch.linspace(0.0, 1.0, 5, dtype=torch.float64, requires_grad=True)
    >>> a, b = (p.requires_grad_() for p in F.params.values())
    >>> F.apply(x, a, b).sum().backward()
    >>> bool(np.isclose(a.grad, np.sum(f(np.linspace(0, 1, 5))) / 2.0)), F.names
    (True, ('a', 'b'))
    """
    torch = _imported("torch")
    primal, pullback, source = _loaded(derivation, "torch")
    names = derivation.declaration.names

    def forward(ctx: Any, x: Any, *values: Any) -> Any:
        if len(values) != len(names):
            raise InputError(f"apply takes x, then the parameters {names}: got {len(values)}")
        for name, value in (("x", x), *zip(names, values, strict=True)):
            if not isinstance(value, torch.Tensor):
                raise InputError(f"{name} must be a torch tensor, got {type(value).__name__}")
        ctx.save_for_backward(x, *values)
        return primal(x, *values)

    def backward(ctx: Any, y_bar: Any) -> tuple[Any, ...]:
        x, *values = ctx.saved_tensors
        *param_bars, x_bar = pullback(y_bar, x, *values)
        return x_bar, *param_bars

    tensors = {n: torch.as_tensor(v, dtype=torch.float64) for n, v in params.items()}
    members = {"forward": staticmethod(forward), "backward": staticmethod(backward),
               "source": source, "names": names, "params": tensors,
               "__doc__": f"{display_title(derivation)}: generated torch rules."}  # fmt: skip
    return type("IntegrandFunction", (torch.autograd.Function,), members)
