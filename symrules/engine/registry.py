"""The rule registry: reverse rules (rrules) and forward rules (frules), and how to call them.

A rule is registered for a *key*: a primitive function (see :func:`symrules.primitive`), a
numpy function or ufunc, or a class whose instances are called. :func:`rrule` and
:func:`frule` look rules up -- numpy's table (:mod:`~symrules.engine.table`) first, then the
registered rules -- and return ``None`` where no rule exists; the engine then traces through
the function's code, as ChainRules does. A reverse rule that declares a ``needs`` keyword
learns which cotangents its caller needs (:class:`~symrules.engine.needs.Needs`); the engine
and :func:`rrule` call it through the same :func:`call_rrule`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import UnsupportedFunctionError
from .fields import children, is_differentiable, leaves
from .needs import EVERYTHING, Needs
from .table import normalize_call, table_entry, table_pullback, table_pushforward
from .tangents import NoTangent, SkippedTangent, ZeroTangent, is_zero, tangent_from_leaves

__all__ = [
    "NON_DIFFERENTIABLE",
    "call_frule",
    "call_rrule",
    "find_frule",
    "find_rrule",
    "frule",
    "has_frule",
    "has_rrule",
    "is_non_differentiable",
    "mark_non_differentiable",
    "register_frule",
    "register_rrule",
    "rrule",
]

_RRULES: dict[Any, Callable[..., Any]] = {}
_FRULES: dict[Any, Callable[..., Any]] = {}


#: The functions marked as having no derivative (the engine's dispatch reads it directly).
NON_DIFFERENTIABLE: set[Any] = set()
_TAKES_NEEDS: set[Callable[..., Any]] = set()  # rules that declare a ``needs`` keyword


def mark_non_differentiable(fn: Any) -> None:
    """Record that the numpy function ``fn`` has no derivative (it is computed on values)."""
    NON_DIFFERENTIABLE.add(fn)


def is_non_differentiable(fn: Any) -> bool:
    """Whether ``fn`` was marked as having no derivative."""
    try:
        return fn in NON_DIFFERENTIABLE
    except TypeError:  # unhashable callables
        return False


def _lookup(registry: dict[Any, Any], f: Any) -> tuple[Any, bool] | None:
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
    return _lookup(_RRULES, f)


def find_frule(f: Any) -> tuple[Any, bool] | None:
    """``(rule, is_instance_rule)``: the forward rule registered for ``f`` or its class."""
    return _lookup(_FRULES, f)


def has_rrule(f: Any) -> bool:
    """Whether a reverse rule is registered for ``f`` or its class (the numpy table aside)."""
    return _lookup(_RRULES, f) is not None


def has_frule(f: Any) -> bool:
    """Whether a forward rule is registered for ``f`` or its class (the numpy table aside)."""
    return _lookup(_FRULES, f) is not None


def _takes_needs(rule: Callable[..., Any]) -> bool:
    try:
        param = inspect.signature(rule).parameters.get("needs")
    except (TypeError, ValueError):
        return False
    return param is not None and param.kind in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD)


def _register(registry: dict[Any, Any], kind: str, fn: Any) -> Callable[[Any], Any]:
    def decorator(rule: Callable[..., Any]) -> Callable[..., Any]:
        registry[fn] = rule
        if _takes_needs(rule):
            _TAKES_NEEDS.add(rule)
        return rule

    decorator.__doc__ = f"Register ``rule`` as the {kind} of {fn!r}."
    return decorator


def register_rrule(fn: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering the reverse rule of a primitive, numpy function or class.

    For a function the rule is called as ``rule(*args, **kw)``; for a class, as
    ``rule(instance, *args, **kw)``. It returns ``(y, pullback)`` and ``pullback(y_bar)``
    returns ``(f_bar, *arg_bars)``: ``f_bar`` first, always, a :class:`~symrules.Tangent`
    for an instance or closure, ``NoTangent()`` for a plain function.

    A rule with a keyword parameter ``needs`` receives a :class:`~symrules.Needs` saying
    which cotangents are wanted (``needs[1]`` for the first argument, ``needs.paths(0)`` for
    the fields of an instance); it may skip the rest, returning
    :class:`~symrules.SkippedTangent` for them. A rule without it computes everything.

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
    >>> @sr.primitive
    ... def scale(c, x):
    ...     return c * x
    >>> @sr.register_rrule(scale)
    ... def scale_rrule(c, x, *, needs):
    ...     def scale_pullback(y_bar):
    ...         c_bar = np.sum(y_bar * x) if needs[1] else sr.SkippedTangent()
    ...         return sr.NoTangent(), c_bar, y_bar * c if needs[2] else sr.SkippedTangent()
    ...     return scale(c, x), scale_pullback
    >>> float(sr.grad(lambda c: np.sum(scale(c, np.arange(3.0))))(2.0))
    3.0

    See Also
    --------
    register_frule, rrule, symrules.primitive, symrules.Needs
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


def call_rrule(
    found: tuple[Any, bool], f: Any, args: tuple | list, kwargs: dict, needs: Needs
) -> Any:
    """Call the registered reverse rule ``found = (rule, is_instance)`` of ``f``.

    The one place a registered rule is called, by the engine and by :func:`rrule`: ``needs``
    is passed to a rule that declares it.
    """
    rule, is_instance = found
    if rule in _TAKES_NEEDS:
        kwargs = {**kwargs, "needs": needs}
    return rule(f, *args, **kwargs) if is_instance else rule(*args, **kwargs)


def call_frule(found: tuple[Any, bool], f: Any, args: tuple | list, kwargs: dict, dots: tuple):
    """Call the registered forward rule ``found = (rule, is_instance)`` of ``f``.

    The one place a registered frule is called, by the engine and by :func:`frule`. A zero
    tangent of an object with fields arrives as an empty :class:`~symrules.Tangent`, so
    ``f_dot.a`` is zero for a field ``a`` and an unknown name raises.
    """
    rule, is_instance = found
    dots = tuple(_structural(dot, obj) for dot, obj in zip(dots, (f, *args), strict=False))
    return rule(dots, f, *args, **kwargs) if is_instance else rule(dots, *args, **kwargs)


def _structural(dot: Any, obj: Any) -> Any:
    if is_zero(dot) and not isinstance(obj, tuple | list | dict) and children(obj):
        return tangent_from_leaves(obj, {})
    return dot


def rrule(
    f: Any, *args: Any, needs: Needs | None = None, **kwargs: Any
) -> tuple[Any, Callable[[Any], tuple]] | None:
    """The reverse rule of ``f`` at ``args``: ``(y, pullback)``, or ``None`` if there is none.

    ``pullback(y_bar)`` returns ``(f_bar, *arg_bars)``. ``needs`` (default: everything) says
    which of them are wanted; the others may come back as :class:`~symrules.SkippedTangent`.
    A numpy function goes through the same table code the engine runs.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> y, pullback = sr.rrule(np.sin, 0.5)
    >>> f_bar, x_bar = pullback(1.0)
    >>> f_bar, bool(np.isclose(x_bar, np.cos(0.5)))
    (NoTangent(), True)
    >>> y, pullback = sr.rrule(np.multiply, 2.0, 3.0, needs=sr.Needs(False, False, True))
    >>> pullback(1.0)
    (NoTangent(), SkippedTangent(), 2.0)
    """
    needs = EVERYTHING if needs is None else needs
    if is_non_differentiable(f):
        y = f(*args, **kwargs)
        zeros = tuple(ZeroTangent() if is_differentiable(a) else NoTangent() for a in args)
        return y, lambda y_bar: (NoTangent(), *zeros)
    entry = table_entry(f)
    if entry is not None and entry.vjps:
        return _table_rrule(f, entry, args, kwargs, needs)
    found = find_rrule(f)
    return None if found is None else call_rrule(found, f, args, kwargs, needs)


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
        args, kwargs = normalize_call(f, entry, args, kwargs)
        arg_dots = tuple(dots[1:]) + (ZeroTangent(),) * (len(args) + 1 - len(dots))
        return table_pushforward(f, entry, arg_dots, args, kwargs)
    found = find_frule(f)
    return None if found is None else call_frule(found, f, args, kwargs, dots)


def _has_floats(x: Any) -> bool:
    return is_differentiable(x) or any(True for _ in leaves(x))


def _table_rrule(f: Any, entry: Any, args: tuple, kwargs: dict, needs: Needs):
    """``(y, pullback)`` of a numpy-table call, through :func:`~.table.table_pullback`.

    The pullback has one cotangent per argument given (``NoTangent()`` for an axis); a data
    argument given by keyword has no slot in it.
    """
    nargs = len(args)
    args, kwargs = normalize_call(f, entry, args, kwargs)
    y = f(*args, **kwargs)
    if isinstance(y, tuple | list):
        raise UnsupportedFunctionError(
            f"numpy.{f.__name__} returned several outputs; differentiating that form is not "
            "supported"
        )
    positions = tuple(
        pos for pos, a in enumerate(args[:nargs], 1) if needs[pos] and _has_floats(a)
    )
    vjp = table_pullback(f, entry, y, list(args), kwargs, positions) if positions else None

    def table_rrule_pullback(y_bar: Any) -> tuple:
        cts = dict(zip(positions, vjp(y_bar), strict=True)) if vjp is not None else {}
        return (NoTangent(), *(
            cts[pos] if pos in cts
            else SkippedTangent() if pos <= len(args) and not needs[pos] else NoTangent()
            for pos in range(1, nargs + 1)
        ))  # fmt: skip

    return y, table_rrule_pullback
