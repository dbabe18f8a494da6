"""The rule registry: reverse rules (rrules), forward rules (frules) and the numpy table.

A rule is registered for a *key*: a primitive function (see :func:`symrules.primitive`), a
numpy function or ufunc, or a class whose instances are called. :func:`rrule` and
:func:`frule` look rules up; they return ``None`` where no rule exists, and the engine then
traces through the function's code, as ChainRules does.

Numpy functions are described compactly by the table API: :func:`defvjp` gives one
vector-Jacobian product per argument and :func:`defjvp` one Jacobian-vector product per
argument, so the engine computes cotangents only for the arguments that are traced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .broadcasting import broadcast_tangent, unbroadcast
from .fields import is_differentiable
from .tangents import NoTangent, ZeroTangent, is_zero

__all__ = [
    "TableEntry",
    "defjvp",
    "defvjp",
    "frule",
    "has_frule",
    "has_rrule",
    "is_non_differentiable",
    "find_frule",
    "find_rrule",
    "lookup",
    "mark_non_differentiable",
    "register_frule",
    "register_rrule",
    "rrule",
    "table_frule",
]

_RRULES: dict[Any, Callable[..., Any]] = {}
_FRULES: dict[Any, Callable[..., Any]] = {}


@dataclass
class TableEntry:
    """Per-argument derivative functions of one numpy function.

    ``vjps[i](y_bar, y, *args, **kwargs)`` is argument ``i``'s cotangent and
    ``jvps[i](x_dot_i, y, *args, **kwargs)`` its contribution to ``y_dot``; ``None`` marks an
    argument with no derivative (an axis, an index, a condition). With ``broadcast`` the
    engine sums each cotangent back to its argument's shape (numpy broadcasting).
    """

    vjps: tuple[Callable[..., Any] | None, ...] = ()
    jvps: tuple[Callable[..., Any] | None, ...] = ()
    broadcast: bool = False
    plans: dict[tuple[int, ...], Any] = field(default_factory=dict, repr=False)


_TABLE: dict[Any, TableEntry] = {}
_NON_DIFFERENTIABLE: set[Any] = set()


def mark_non_differentiable(fn: Any) -> None:
    """Record that the numpy function ``fn`` has no derivative (it is computed on values)."""
    _NON_DIFFERENTIABLE.add(fn)


def is_non_differentiable(fn: Any) -> bool:
    """Whether ``fn`` was marked as having no derivative."""
    try:
        return fn in _NON_DIFFERENTIABLE
    except TypeError:  # unhashable callables
        return False


def defvjp(fn: Any, *vjps: Callable[..., Any] | None, broadcast: bool = False) -> None:
    """Table entry: one vector-Jacobian product per argument of ``fn`` (``None``: none)."""
    entry = _TABLE.setdefault(fn, TableEntry())
    entry.vjps, entry.broadcast = vjps, broadcast
    entry.plans.clear()


def defjvp(fn: Any, *jvps: Callable[..., Any] | None, broadcast: bool = False) -> None:
    """Table entry: one Jacobian-vector product per argument of ``fn`` (``None``: none)."""
    entry = _TABLE.setdefault(fn, TableEntry())
    entry.jvps, entry.broadcast = jvps, broadcast


def table_entry(fn: Any) -> TableEntry | None:
    """The numpy-table entry of ``fn``, if any."""
    try:
        return _TABLE.get(fn)
    except TypeError:  # unhashable callables
        return None


def lookup(registry: dict[Any, Any], f: Any) -> tuple[Any, bool] | None:
    """``(rule, is_instance_rule)`` registered for ``f`` or for the class of ``f``."""
    try:
        if f in registry:
            return registry[f], False
    except TypeError:
        pass
    for cls in type(f).__mro__:
        if cls in registry:
            return registry[cls], True
    return None


def find_rrule(f: Any) -> tuple[Any, bool] | None:
    """``(rule, is_instance_rule)``: the reverse rule registered for ``f`` or its class."""
    return lookup(_RRULES, f)


def find_frule(f: Any) -> tuple[Any, bool] | None:
    """``(rule, is_instance_rule)``: the forward rule registered for ``f`` or its class."""
    return lookup(_FRULES, f)


def has_rrule(f: Any) -> bool:
    """Whether a reverse rule is registered for ``f`` or its class (the numpy table aside)."""
    return lookup(_RRULES, f) is not None


def has_frule(f: Any) -> bool:
    """Whether a forward rule is registered for ``f`` or its class (the numpy table aside)."""
    return lookup(_FRULES, f) is not None


def _register(registry: dict[Any, Any], kind: str, fn: Any) -> Callable[[Any], Any]:
    def decorator(rule: Callable[..., Any]) -> Callable[..., Any]:
        registry[fn] = rule
        rule.__symrules_rule_for__ = fn
        return rule

    decorator.__doc__ = f"Register ``rule`` as the {kind} of {fn!r}."
    return decorator


def register_rrule(fn: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering the reverse rule of a primitive, numpy function or class.

    For a function the rule is called as ``rule(*args, **kw)``; for a class, as
    ``rule(instance, *args, **kw)``. It returns ``(y, pullback)`` and ``pullback(y_bar)``
    returns ``(f_bar, *arg_bars)``: ``f_bar`` first, always, a :class:`~symrules.Tangent`
    for an instance or closure, ``NoTangent()`` for a plain function.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> @sr.primitive
    ... def cube(x):
    ...     return x**3
    >>> @sr.register_rrule(cube)
    ... def cube_rrule(x):
    ...     def cube_pullback(y_bar):
    ...         return sr.NoTangent(), 3 * x**2 * y_bar
    ...     return cube(x), cube_pullback
    >>> float(sr.grad(cube)(2.0))
    12.0

    See Also
    --------
    register_frule, rrule, symrules.primitive
    """
    return _register(_RRULES, "reverse rule", fn)


def register_frule(fn: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering the forward rule of a primitive, numpy function or class.

    The rule is called as ``rule((f_dot, *arg_dots), *args, **kw)`` (with the instance
    before ``args`` for a class) and returns ``(y, y_dot)``. Untraced inputs have dots
    ``ZeroTangent()``.

    Examples
    --------
    >>> import symrules as sr
    >>> @sr.primitive
    ... def cube(x):
    ...     return x**3
    >>> @sr.register_frule(cube)
    ... def cube_frule(dots, x):
    ...     _, x_dot = dots
    ...     return cube(x), 3 * x**2 * x_dot
    >>> sr.jvp(cube, (2.0,), (1.0,))
    (8.0, 12.0)
    """
    return _register(_FRULES, "forward rule", fn)


def rrule(f: Any, *args: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple]] | None:
    """The reverse rule of ``f`` at ``args``: ``(y, pullback)``, or ``None`` if there is none.

    ``pullback(y_bar)`` returns ``(f_bar, *arg_bars)``.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> y, pullback = sr.rrule(np.sin, 0.5)
    >>> f_bar, x_bar = pullback(1.0)
    >>> f_bar, bool(np.isclose(x_bar, np.cos(0.5)))
    (NoTangent(), True)
    """
    if is_non_differentiable(f):
        y = f(*args, **kwargs)
        zeros = tuple(ZeroTangent() if is_differentiable(a) else NoTangent() for a in args)
        return y, lambda y_bar: (NoTangent(), *zeros)
    entry = table_entry(f)
    if entry is not None and entry.vjps:
        return _table_rrule(f, entry, args, kwargs)
    found = lookup(_RRULES, f)
    if found is None:
        return None
    rule, is_instance = found
    return rule(f, *args, **kwargs) if is_instance else rule(*args, **kwargs)


def frule(dots: tuple, f: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any] | None:
    """The forward rule of ``f``: ``(y, y_dot)`` given ``dots = (f_dot, *arg_dots)``, or None.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> y, y_dot = sr.frule((sr.NoTangent(), 2.0), np.exp, 0.0)
    >>> float(y), float(y_dot)
    (1.0, 2.0)
    """
    if is_non_differentiable(f):
        return f(*args, **kwargs), ZeroTangent()
    entry = table_entry(f)
    if entry is not None and entry.jvps:
        return table_frule(f, entry, dots, args, kwargs)
    found = lookup(_FRULES, f)
    if found is None:
        return None
    rule, is_instance = found
    return rule(dots, f, *args, **kwargs) if is_instance else rule(dots, *args, **kwargs)


def _table_rrule(f: Any, entry: TableEntry, args: tuple, kwargs: dict) -> tuple[Any, Any]:
    y = f(*args, **kwargs)

    def table_pullback(y_bar: Any) -> tuple:
        out: list[Any] = [NoTangent()]
        for i, arg in enumerate(args):
            vjp = entry.vjps[i] if i < len(entry.vjps) else None
            if vjp is None or not is_differentiable(arg):
                out.append(NoTangent())
                continue
            x_bar = vjp(y_bar, y, *args, **kwargs)
            out.append(unbroadcast(x_bar, arg) if entry.broadcast else x_bar)
        return tuple(out)

    return y, table_pullback


def table_frule(f: Any, entry: TableEntry, dots: tuple, args: tuple, kwargs: dict):
    """``(y, y_dot)`` of a numpy-table function: the sum of its arguments' pushforwards."""
    y = f(*args, **kwargs)
    y_dot: Any = ZeroTangent()
    for i, x_dot in enumerate(dots[1:]):
        jvp = entry.jvps[i] if i < len(entry.jvps) else None
        if jvp is None or is_zero(x_dot):
            continue
        y_dot = y_dot + jvp(x_dot, y, *args, **kwargs)
    return y, broadcast_tangent(y_dot, y) if entry.broadcast and not is_zero(y_dot) else y_dot
