"""A plain numpy integrand used with ``method="symbolic"``: lifted to SymPy behind the scenes.

This module owns :class:`Lifted`, what :func:`~symrules.quadrature.integration.integrate`
hands its rules when asked for ``method="symbolic"`` with a callable that has no generated
rule: the callable's only field is the user's integrand ``fn``, so the engine routes every
cotangent to ``fn``'s own fields. Its reverse and forward rules, and the fused kernel pass,
are those of the :class:`~symrules.symbolic.integrand.Integrand` that
:func:`~symrules.symbolic.lifting.lift` makes of ``fn``, with the cotangent of each parameter
put back at the field it came from.

How it works: lifting runs SymPy, so it is done once per signature of ``fn`` (its code, the
structure and shapes of its fields and the values of its non-float ones,
:func:`~symrules.engine.jit.signature`) and the expression kept; each call makes the
Integrand of that expression at ``fn``'s current values (a cached expression costs a few
microseconds).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..engine.fields import Path, leaves
from ..engine.jit import signature
from ..engine.needs import Needs
from ..engine.primitives import primitive
from ..engine.registry import frule, register_frule, register_rrule, rrule
from ..engine.tangents import Tangent, cotangent_at, is_zero, tangent_from_leaves
from .integrand import Integrand
from .lifting import lift

__all__ = ["Lifted", "lifted_integrand"]


@primitive
@dataclass(frozen=True)
class Lifted:
    """``fn``, differentiated through the Integrand it lifts to (see the module doc).

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> def loss(a):
    ...     return sr.integrate(lambda x: a * np.exp(-x), (0.0, 1.0), sr.GaussLegendre(5),
    ...                         method="symbolic")
    >>> bool(np.isclose(sr.grad(loss)(2.0), 1 - np.exp(-1)))
    True
    """

    fn: Any
    var: Any = "x"

    def __call__(self, x: Any) -> Any:
        return self.fn(x)

    def breakpoints_in(self, a: Any, b: Any) -> list[Any]:
        """Where the lifted expression's pieces meet between ``a`` and ``b`` (see
        :meth:`Integrand.breakpoints_in`): ``integrate`` splits there, as for an Integrand."""
        return lifted_integrand(self.fn, self.var)[0].breakpoints_in(a, b)

    def moving_jumps(self) -> list[Path]:
        """The paths (below this object) of the fields that move a jump across the
        variables (see :meth:`Integrand.moving_jumps`)."""
        g, names = lifted_integrand(self.fn, self.var)
        moving = set(g.moving_jumps())
        return [("fn", *path) for path, name in names.items() if name in moving]

    def __symrules_fused__(self, x: Any, w: Any) -> tuple[Any, Tangent] | None:
        g, names = lifted_integrand(self.fn, self.var)
        out = g.__symrules_fused__(x, w)
        return None if out is None else (out[0], _back(self, out[1], names))


#: ``signature -> (expr, var, names)``: the expressions lifted so far (least recent dropped).
_LIFTED: OrderedDict[Any, tuple[Any, Any, dict[Path, str]]] = OrderedDict()
_MAX_LIFTED = 128


def lifted_integrand(fn: Callable[..., Any], var: Any = "x") -> tuple[Integrand, dict[Path, str]]:
    """The Integrand ``fn`` lifts to, at its current field values, and ``path -> name``.

    Raises :class:`~symrules.errors.LiftingError` (a numpy call with no SymPy counterpart)."""
    key = (signature(fn, identity=False), var)
    found = _LIFTED.get(key)
    if found is None:
        lifting = lift(fn, var)
        found = _LIFTED[key] = (lifting.integrand.expr, var, lifting.names)
        if len(_LIFTED) > _MAX_LIFTED:
            _LIFTED.popitem(last=False)
    expr, var, names = found
    values = {names[path]: value for path, value in leaves(fn)}
    return Integrand(expr, var=var, **values), names


def _back(w: Lifted, g_bar: Any, names: dict[Path, str]) -> Tangent:
    """The Integrand's parameter cotangents put back at the fields of ``w.fn``."""
    found = {path: cotangent_at(g_bar, (name,)) for path, name in names.items()}
    fn_bar = tangent_from_leaves(w.fn, {p: v for p, v in found.items() if v is not None})
    return Tangent(w, fn=fn_bar)


@register_rrule(Lifted)
def lifted_rrule(w: Lifted, x: Any, *, needs: Needs) -> tuple[Any, Callable[[Any], tuple]]:
    """The lifted Integrand's reverse rule, its ``f_bar`` routed back to ``w.fn``'s fields."""
    g, names = lifted_integrand(w.fn, w.var)
    out = rrule(g, x, needs=Needs.of_paths([True, needs[1]]))
    assert out is not None  # an Integrand always has its generated rule
    y, pullback = out

    def lifted_pullback(y_bar: Any) -> tuple[Any, Any]:
        g_bar, x_bar = pullback(y_bar)
        return _back(w, g_bar, names), x_bar

    return y, lifted_pullback


@register_frule(Lifted)
def lifted_frule(dots: tuple[Any, Any], w: Lifted, x: Any) -> tuple[Any, Any]:
    """The lifted Integrand's forward rule, fed the tangents of ``w.fn``'s fields."""
    g, names = lifted_integrand(w.fn, w.var)
    w_dot, x_dot = dots
    fn_dot = cotangent_at(w_dot, ("fn",)) if not is_zero(w_dot) else None
    given = {} if fn_dot is None else {
        names[path]: d for path in names
        if (d := cotangent_at(fn_dot, path)) is not None and not is_zero(d)
    }  # fmt: skip
    out = frule((Tangent(g, **given), x_dot), g, x)
    assert out is not None  # an Integrand always has its generated rule
    return out
