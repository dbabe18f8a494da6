"""The :class:`Integrand`: an expression as a callable object whose fields are its parameters.

This module owns the user-facing symbolic object :class:`Integrand` and its generated reverse
and forward rules registered with the engine (:func:`~symrules.symbolic.pullback.symbolic_rule`
is the generated pullback on its own; the :func:`~symrules.symbolic.decorator.integrand`
decorator builds Integrands from Python functions).

How it works
------------
An Integrand holds two things: the compiled :class:`~symrules.symbolic.loader.GeneratedRules`
of its expression (shared by every Integrand with the same expression and parameter shapes,
through the cache) and the current parameter values, its *fields*. Rebuilding it with new
fields (what the engine does to unbox traced values) copies the reference to the compiled
code and nothing else. Its reverse rule calls the generated ``rrule``, whose pullback returns
one contracted cotangent per parameter, wrapped into ``Tangent(f, ...)``, and ``x_bar``.
An Integrand in several variables (``var=("x", "y")``) is called on points of shape ``(n, d)``
(:func:`~symrules.symbolic.arguments.as_points`); its ``x_bar`` and ``x_dot`` have that shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp

from ..engine.primitives import primitive
from ..engine.staging import differentiated, unstaged
from ..engine.tangents import Tangent
from ..engine.tracing import bind, is_traced
from ..errors import InputError, ParameterNameError
from .arguments import (
    as_nodes,
    as_points,
    check_backend,
    chosen_backend,
    numpy_args,
    parameter_value,
)
from .breakpoints import found_in, moving_jumps
from .compiled import Kernel
from .declaration import declared, user_symbols
from .display import Partials, expression_repr, latex_table, show_value, shown_symbols
from .export import to_jax, to_torch
from .loader import JIT_FUSED_NODES, GeneratedRules, fused_step, generated_rules

__all__ = ["Integrand", "generated_call"]


@primitive
class Integrand:
    """An expression ``f(x; params)`` as a vectorized callable whose fields are its parameters.

    Parameters
    ----------
    expr : str or sympy.Expr
        The expression. A string is parsed safely (no ``eval``): numbers, the variable and
        parameter names, ``+ - * / **``, the functions of
        :data:`~symrules.symbolic.declaration.FUNCTIONS` and
        :data:`~symrules.symbolic.functions.SPECIAL_FUNCTIONS`, ``pi``, ``E``, and ``c[k]``
        for an array parameter ``c``. A SymPy expression may use ``IndexedBase("c")[k]``.
    var : str or tuple of str
        Name of the variable (the node array the quadrature evaluates ``f`` on, of any
        shape); or a tuple (or list) of distinct names for an integrand in several variables,
        called as ``scipy.integrate.cubature`` calls one: on points ``x`` of shape ``(n, d)``,
        column ``k`` the variable ``var[k]``, giving ``n`` values (any other shape is an
        :class:`~symrules.errors.InputError`). Its ``x_bar`` (and ``x_dot``) have the shape of
        ``x``, column ``k`` the partial in ``var[k]``.
    backend : {"numba", "numpy"}, optional
        What computes a quadrature's value and gradient under ``method="symbolic"``: the
        fused numba kernel (one pass over the nodes, compiled on first use and cached on
        disk) or the numpy rules. Default: ``"numba"`` where numba is installed. Calls on
        nodes, forward mode and higher derivatives always use the numpy rules.
    **params
        The parameters and their initial values: real scalars or 1-D arrays (traced values
        too, inside :func:`symrules.grad`). These are the Integrand's differentiable fields.

    Attributes
    ----------
    expr : sympy.Expr
        The canonical expression, derived over real symbols (``sqrt(x**2)`` is ``Abs(x)``),
        in your symbols if you gave SymPy's, else in real ones named as in the string
        (``sympy.Symbol("a", real=True)``; an array component ``c[k]`` is ``c_k``).
    partials : dict
        ``name -> d expr / d name`` for every parameter (a 1-D ``sympy.Array`` for an array
        parameter) and, last, for the variables, in the symbols of ``expr``; also indexed by a
        symbol of that name, ``f.partials[a]`` (:class:`~symrules.symbolic.display.Partials`).
    var : str or tuple of str
        The variable's name, or the tuple of the variables' names.
    source : str
        The generated numpy code (``primal``, ``rrule``, ``frule``, ``pullback``), then, for
        the numba backend, the kernel's.
    backend : str
        ``"numba"`` or ``"numpy"``: which computes the symbolic quadrature.
    kernel : Kernel or None
        The fused numba kernel on the numba backend (its ``source``, the cache file ``path``
        and, after the first quadrature, ``compile_seconds``), else ``None``.
    no_kernel : str or None
        Why the backend is numpy (``"numba cannot call scipy.special.jv, for besselj(0, x)"``).
    params : dict
        The current parameter values, by name.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> f = Integrand("a*exp(-b*x**2)", a=2.0, b=0.5)
    >>> float(f(0.0)), f.partials["a"]
    (2.0, exp(-b*x**2))
    >>> x = np.linspace(0.0, 1.0, 5)
    >>> g = sr.grad(lambda a: np.sum(Integrand("a*exp(-b*x**2)", a=a, b=0.5)(x)))(2.0)
    >>> bool(np.isclose(g, np.sum(np.exp(-0.5 * x**2))))
    True

    Your symbols stay yours; the repr rebuilds the Integrand (in its own real symbols):

    >>> import sympy as sp
    >>> a, b, t = sp.symbols("a b t")
    >>> f = Integrand(a * sp.exp(-b * t), var="t", a=2.0, b=0.1 + 0.2)
    >>> f.partials[a] - sp.diff(a * sp.exp(-b * t), a), f
    (0, Integrand('a*exp(-b*t)', var='t', a=2.0, b=0.30000000000000004))

    In several variables, ``f`` takes points of shape ``(n, d)``, one column a variable:

    >>> g = Integrand("exp(-a*(x**2 + y**2))", var=("x", "y"), a=1.0)
    >>> points = np.array([[0.0, 0.0], [1.0, 0.5]])
    >>> bool(np.allclose(g(points), np.exp(-(points**2).sum(axis=1)))), g.var, g.partials["y"]
    (True, ('x', 'y'), -2*a*y*exp(-a*(x**2 + y**2)))
    >>> w = np.array([0.5, 0.5])
    >>> a_bar = sr.grad(lambda a: np.sum(w * Integrand(g.expr, var=("x", "y"), a=a)(points)))(1.0)
    >>> bool(np.isclose(a_bar, -w @ ((points**2).sum(axis=1) * g(points))))
    True
    >>> eval(repr(g)).var == g.var, repr(g)
    (True, "Integrand('exp(-a*(x**2 + y**2))', var=('x', 'y'), a=1.0)")

    See Also
    --------
    integrand : the same from a Python function.
    symbolic_rule : the generated pullback alone.
    """

    def __init__(
        self,
        expr: Any,
        /,
        var: str | tuple[str, ...] | list[str] = "x",
        backend: str | None = None,
        **params: Any,
    ) -> None:
        if type(var) is list:
            var = tuple(var)
        if not isinstance(var, str | tuple):
            raise ParameterNameError(
                f"var must be a string naming the variable (or a tuple of names), got "
                f"{type(var).__name__} {repr(var)[:40]}; a parameter cannot be named 'var' or "
                "'backend' (keywords of Integrand): rename it"
            )
        check_backend(backend)
        sizes, values = [], []
        for name, value in params.items():
            size, value = parameter_value(name, value)
            sizes.append((name, size))
            values.append(value)
        self._rules: GeneratedRules = generated_rules(expr, declared(var, tuple(sizes)))
        # a SymPy user's own symbols, by the declared real symbol each stands for
        theirs = user_symbols(expr, self._rules.declaration) if isinstance(expr, sp.Basic) else {}
        self._theirs: Mapping[sp.Basic, sp.Basic] = theirs
        self._backend = chosen_backend(backend, self._rules)
        # by the declared names: Unicode NFKC form, as in expressions
        self._params = dict(zip(self._rules.declaration.names, values, strict=True))

    # fields
    def __symrules_fields__(self) -> dict[str, Any]:
        return dict(self._params)

    def __symrules_replace__(self, new_fields: dict[str, Any]) -> Integrand:
        new = object.__new__(Integrand)
        new._rules, new._backend = self._rules, self._backend
        new._theirs = self._theirs
        new._params = {**self._params, **new_fields}
        return new

    def __reduce__(self) -> tuple[Any, tuple]:
        # pickled as its expression, re-created (its code generated) where it is unpickled: a
        # process pool's or a Dask cluster's worker runs no code string sent to it
        return _unpickled, (self.expr, self.var, self._backend, self._params)

    def __symrules_fused__(self, x: Any, w: Any) -> tuple[float, Tangent] | None:
        """``(sum_i w_i f(x_i), Tangent(f, p=sum_i w_i df/dp(x_i), ...))`` in one pass of the
        compiled kernel; ``None`` for the numpy backend, for traced nodes, weights or fields
        (an outer differentiation: the numpy rules trace through) and where a sum is not
        finite (the numpy rules then name the node and the field).

        Examples
        --------
        >>> import numpy as np
        >>> f = Integrand("a*x**2", a=3.0, backend="numba")
        >>> value, f_bar = f.__symrules_fused__(np.array([1.0, 2.0]), np.array([0.5, 0.5]))
        >>> float(value), float(f_bar.a)
        (7.5, 2.5)
        """
        args = (x, w, list(self._params.values()))
        if self.kernel is None or differentiated(args):
            return None
        if is_traced(args) and np.shape(x)[0] < JIT_FUSED_NODES:  # staged by jit, few nodes
            return None
        out = self._rules.fused(*unstaged(args))
        if out is not None and is_traced(args):  # staged by jit: the kernel's pass is one step
            value, *bars = bind(fused_step, (self._rules, *args), {})
            out = value, bars
        if out is None:
            return None
        bars = dict(zip(self._rules.declaration.names, out[1], strict=True))
        return out[0], Tangent(self, **bars)

    # evaluation
    def __call__(self, x: Any) -> Any:
        return self._rules.primal(_points(self, x), *numpy_args(self._params.values()))

    # attributes
    @property
    def expr(self) -> sp.Expr:
        return self._rules.expr.xreplace(self._theirs) if self._theirs else self._rules.expr

    @property
    def var(self) -> str | tuple[str, ...]:
        return self._rules.declaration.var

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def partials(self) -> Partials:
        partials = self._rules.derivation.partials
        if self._theirs:
            partials = {name: part.xreplace(self._theirs) for name, part in partials.items()}
        return Partials(partials)

    @property
    def breakpoints(self) -> tuple[sp.Expr, ...]:
        """The points in the variable where the pieces of ``expr`` meet, in the parameters.

        From ``Piecewise`` conditions, the zeros of ``Heaviside``/``sign``/``Abs`` arguments,
        the equalities of ``Max``/``Min`` arguments and, for ``floor``/``ceiling`` of an
        argument linear in the variable, its crossing of the integer ``n``. :func:`integrate
        <symrules.quadrature.integration.integrate>` splits its domain there
        (:meth:`breakpoints_in`).

        Examples
        --------
        >>> import sympy as sp
        >>> x, a, b, c = sp.symbols("x a b c")
        >>> Integrand(sp.Piecewise((a, x < c), (b, True)), a=1.0, b=2.0, c=0.3).breakpoints
        (c,)

        Breakpoints are points on a line: an Integrand in several variables has none to give.

        >>> Integrand("Abs(x - y)", var=("x", "y")).breakpoints  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        symrules.errors.InputError: breakpoints are points of one variable; ...
        """
        _one_variable(self)
        points = (*found_in(self._rules).points, *(p for _, p in found_in(self._rules).crossings))
        return tuple(p.xreplace(self._theirs) for p in points) if self._theirs else points

    def breakpoints_in(self, a: Any, b: Any) -> list[Any]:
        """The :attr:`breakpoints` between ``a`` and ``b`` (ends included), at the current
        parameter values, sorted from ``a`` to ``b``.

        Traced parameters give traced points. A point with no closed form is named in a
        :class:`~symrules.errors.BreakpointWarning`.

        Examples
        --------
        >>> import sympy as sp
        >>> x, c = sp.symbols("x c")
        >>> f = Integrand(sp.Abs(x - c) + sp.Max(x, 2 * c), c=0.3)
        >>> f.breakpoints_in(1.0, 0.0)
        [0.6, 0.3]
        """
        _one_variable(self)
        found = found_in(self._rules)
        if not (found.points or found.crossings or found.unsolved):
            return []  # the common case, a smooth integrand: nothing to evaluate
        return found.between(a, b, numpy_args(self._params.values()))

    def moving_jumps(self) -> tuple[str, ...]:
        """The parameters that move a jump of ``expr`` across its variables (through a
        ``Piecewise`` condition, ``Heaviside``, ``sign``, ``floor`` or ``ceiling`` whose
        argument holds a variable): over a box, no quadrature on fixed points sees such a jump
        move, so ``integrate`` refuses to differentiate in them.

        Examples
        --------
        >>> f = Integrand("Heaviside(s - x)*y + a*Abs(y - a)", var=("x", "y"), s=0.5, a=1.0)
        >>> f.moving_jumps()  # the step moves with s; the kink of Abs is continuous
        ('s',)
        """
        return moving_jumps(self._rules)

    @classmethod
    def from_function(cls, fn: Any, var: Any = "x", backend: str | None = None) -> Integrand:
        """A plain numpy integrand lifted to SymPy: its fields become the parameters.

        ``fn`` is a closure, a callable object, a ``functools.partial`` or a bound method;
        its differentiable fields (real scalars and 1-D arrays) become parameters named after
        their paths (``p``, ``p_0``, ``layer_w``), and calling it once on a SymPy stand-in for
        ``x`` gives the expression. See :func:`~symrules.symbolic.lifting.lift`, which also
        returns the map from field paths to parameter names.

        Raises
        ------
        LiftingError
            ``fn`` calls numpy in a way with no SymPy counterpart per node (a sum over the
            nodes, a sort, a Python ``if`` on a value); the message names the call.

        Examples
        --------
        >>> import numpy as np
        >>> def line(p):
        ...     return lambda x: p[0] * x + p[1]
        >>> Integrand.from_function(line(np.array([2.0, 1.0])))
        Integrand('p[0]*x + p[1]', var='x', p=[2.0, 1.0])
        """
        from .lifting import lift  # lifting builds on Integrand: imported on first use

        return lift(fn, var, backend).integrand

    @property
    def source(self) -> str:
        kernel = self.kernel
        return self._rules.source if kernel is None else f"{self._rules.source}\n\n{kernel.source}"

    def to_jax(self) -> Callable[..., Any]:
        """``g(params, x)``: this integrand in JAX, a ``jax.custom_vjp`` whose backward is the
        generated closed-form pullback (see :func:`~symrules.symbolic.export.to_jax`; its
        ``g.source`` is the generated JAX code, ``g.params`` the current values).

        Examples
        --------
        >>> import jax
        >>> import numpy as np
        >>> f = Integrand("a*exp(-b*x**2)", a=2.0, b=0.5)
        >>> g, x = f.to_jax(), np.linspace(0.0, 1.0, 5)
        >>> grads = jax.grad(lambda p: g(p, x).sum())(g.params)
        >>> bool(np.isclose(grads["a"], np.sum(f(x)) / 2.0, rtol=1e-6))  # float32 unless x64
        True
        """
        return to_jax(self._rules.derivation, self._params)

    def to_torch(self) -> type:
        """``F``: this integrand as a ``torch.autograd.Function``, ``F.apply(x, *params)`` in
        the order of ``F.names``, whose backward is the generated pullback (see
        :func:`~symrules.symbolic.export.to_torch`).

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> f = Integrand("a*exp(-b*x**2)", a=2.0, b=0.5)
        >>> F = f.to_torch()
        >>> a, b = (p.requires_grad_() for p in F.params.values())
        >>> x = torch.linspace(0.0, 1.0, 5, dtype=torch.float64)
        >>> F.apply(x, a, b).sum().backward()
        >>> bool(np.isclose(a.grad, np.sum(f(x.numpy())) / 2.0)), F.names
        (True, ('a', 'b'))
        """
        return to_torch(self._rules.derivation, self._params)

    @property
    def backend(self) -> str:
        return "numpy" if self.kernel is None else "numba"

    @property
    def kernel(self) -> Kernel | None:
        # None on the numpy backend, or once the expression's kernel failed to compile
        return self._rules.kernel if self._backend == "numba" else None

    @property
    def no_kernel(self) -> str | None:  # why the backend is numpy; None on numba
        kernel, why = self.kernel, self._rules.no_kernel
        return None if kernel is not None else why or "backend='numpy' was asked for"

    def __repr__(self) -> str:
        text = expression_repr(self._rules.expr, self._rules.declaration)
        params = "".join(f", {k}={show_value(v)}" for k, v in self._params.items())
        default = chosen_backend(None, self._rules)
        chosen = "" if self._backend == default else f", backend={self._backend!r}"
        return f"Integrand({text}, var={self.var!r}{params}{chosen})"

    def _repr_latex_(self) -> str:
        d = self._rules.declaration
        symbols = shown_symbols(d, self._theirs)
        return latex_table("f", symbols, self.expr, self.partials, len(d.variables))


def _unpickled(expr: Any, var: Any, backend: str, params: dict[str, Any]) -> Integrand:
    return Integrand(expr, var=var, backend=backend, **params)


def generated_call(f: Integrand, x: Any) -> tuple[GeneratedRules, Any, list[Any]]:
    """What ``f``'s generated code is called with: its rules, ``x`` checked, its parameters."""
    return f._rules, _points(f, x), numpy_args(f._params.values())


def _points(f: Integrand, x: Any) -> Any:
    """``x`` checked: nodes of any shape, or for several variables points of shape (n, d)."""
    d = f._rules.declaration
    return as_points(x, d.variables) if d.several else as_nodes(x)


def _one_variable(f: Integrand) -> None:
    if f._rules.declaration.several:
        raise InputError(
            f"breakpoints are points of one variable; {f.expr} is in the variables "
            f"{f.var}: split its domain yourself where its pieces meet"
        )
