"""The reverse and forward rules of an :class:`~symrules.symbolic.integrand.Integrand`.

This module registers, with the engine, the rules an Integrand's generated code provides:
``rrule`` calls the generated reverse rule, whose pullback returns one contracted cotangent per
parameter (wrapped into ``Tangent(f, ...)``) and ``x_bar``; ``frule`` the generated
pushforward. Importing :mod:`symrules.symbolic` registers them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..engine.needs import Needs
from ..engine.registry import register_frule, register_rrule
from ..engine.tangents import SkippedTangent, Tangent, is_zero
from .integrand import Integrand, generated_call

__all__ = ["integrand_frule", "integrand_rrule"]


@register_rrule(Integrand)
def integrand_rrule(f: Integrand, x: Any, *, needs: Needs) -> tuple[Any, Callable[[Any], tuple]]:
    """Reverse rule of an Integrand: the generated pullback, contracted over the nodes.

    ``pullback(y_bar)`` returns ``(Tangent(f, **param_bars), x_bar)``: one cotangent per
    parameter (a number, or a vector for an array parameter), never one per node; ``x_bar``
    has the shape of ``x`` (``(n, d)`` in several variables: column ``k`` is ``y_bar *
    df/dvar[k]``). ``x_bar`` is not computed (:class:`~symrules.SkippedTangent`) when
    ``needs`` does not ask for it, as for a quadrature's nodes.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> f = Integrand("a*x**2", a=3.0)
    >>> y, pullback = integrand_rrule(f, np.array([1.0, 2.0]), needs=sr.Needs())
    >>> f_bar, x_bar = pullback(np.array([1.0, 1.0]))
    >>> float(f_bar.a), x_bar.tolist()
    (5.0, [6.0, 12.0])
    """
    rules, x, params = generated_call(f, x)
    y, pullback = rules.rrule(x, *params)
    need_x_bar = needs[1]
    names = rules.declaration.names

    def integrand_pullback(y_bar: Any) -> tuple[Any, Any]:
        *param_bars, x_bar = pullback(y_bar, need_x_bar)
        f_bar = Tangent(f, **dict(zip(names, param_bars, strict=True)))
        return f_bar, SkippedTangent() if x_bar is None else x_bar

    return y, integrand_pullback


@register_frule(Integrand)
def integrand_frule(dots: tuple[Any, Any], f: Integrand, x: Any) -> tuple[Any, Any]:
    """Forward rule of an Integrand: the generated pushforward.

    ``dots = (f_dot, x_dot)`` with ``f_dot`` a ``Tangent(f, ...)`` (missing fields are zero)
    or ``ZeroTangent()``; in several variables ``x_dot`` has the shape ``(n, d)`` of ``x`` and
    contributes ``sum_k df/dvar[k] * x_dot[:, k]``.

    Examples
    --------
    >>> import symrules as sr
    >>> f = Integrand("a*x**2", a=3.0)
    >>> y, y_dot = integrand_frule((sr.Tangent(f, a=1.0), 0.5), f, 2.0)
    >>> float(y), float(y_dot)
    (12.0, 10.0)
    """
    f_dot, x_dot = dots
    given = f_dot.fields if isinstance(f_dot, Tangent) else {}
    rules, x, params = generated_call(f, x)
    param_dots = [given.get(name) for name in rules.declaration.names]
    param_dots = [None if d is None or is_zero(d) else d for d in param_dots]
    x_dot = None if is_zero(x_dot) else x_dot
    return rules.frule(x, *params, x_dot, *param_dots)
