"""Tangent types and the one routine that accumulates cotangents.

Two different zeros, as in ChainRulesCore: :class:`ZeroTangent` says the derivative is zero,
:class:`NoTangent` says none exists (an integer index, a string). :class:`Tangent` is the
structural (co)tangent of a closure, dataclass, callable object or ``functools.partial``: one
entry per field, missing fields zero. :func:`accumulate` adds any two cotangents (arrays,
scalars, structural ones, tuples, dicts and the zeros); every sum in the engine goes through it.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from ..errors import FieldsError, RuleError
from .fields import Path, children, field_names

__all__ = [
    "NoTangent",
    "SkippedTangent",
    "ZeroTangent",
    "Tangent",
    "accumulate",
    "cotangent_at",
    "is_zero",
    "tangent_from_leaves",
]


class _AbstractZero:
    """Shared behaviour of the two zeros: adding them is the identity; they scale to self."""

    _instance: _AbstractZero | None = None

    def __new__(cls) -> Self:
        instance: Self | None = cls.__dict__.get("_instance")
        if instance is None:
            instance = super().__new__(cls)
            cls._instance = instance
        return instance

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __add__(self, other: Any) -> Any:
        return other

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return _negate(other)

    def __rsub__(self, other: Any) -> Any:
        return other

    def __mul__(self, other: Any) -> _AbstractZero:
        return self

    __rmul__ = __mul__

    def __neg__(self) -> _AbstractZero:
        return self

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> tuple[type, tuple[()]]:
        return (type(self), ())


class ZeroTangent(_AbstractZero):
    """The derivative exists and is zero.

    ``ZeroTangent()`` is a singleton; it is the additive identity of :func:`accumulate`.

    Examples
    --------
    >>> import numpy as np
    >>> ZeroTangent() is ZeroTangent(), ZeroTangent() + 2.0
    (True, 2.0)

    See Also
    --------
    NoTangent : no derivative exists.
    """


class NoTangent(_AbstractZero):
    """No derivative exists: the value is an integer, a string, a flag.

    Never the same as :class:`ZeroTangent`; a rule returns it as ``f_bar`` for a plain
    function with no fields.

    Examples
    --------
    >>> NoTangent() is NoTangent(), NoTangent() == ZeroTangent()
    (True, False)
    """


class SkippedTangent:
    """A cotangent that was not computed, because the caller said it does not need it.

    Neither a zero nor "no derivative": it is not a value at all, and adding or scaling it
    raises. A pullback may return it at a position its :class:`~symrules.engine.needs.Needs`
    marks as not needed; the engine never reads those positions.

    Examples
    --------
    >>> SkippedTangent() is SkippedTangent(), is_zero(SkippedTangent())
    (True, False)
    """

    _instance: SkippedTangent | None = None
    __array_ufunc__ = None  # numpy defers to the operators below, which refuse

    def __new__(cls) -> SkippedTangent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SkippedTangent()"

    def __reduce__(self) -> tuple[type, tuple[()]]:
        return (SkippedTangent, ())

    def _refuse(self, *_: Any) -> Any:
        raise RuleError(
            "a SkippedTangent (a cotangent its caller said it does not need) was used as a "
            "value: pass needs that include it, or do not read it"
        )

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __neg__ = _refuse


def is_zero(t: Any) -> bool:
    """Whether ``t`` is one of the two structural zeros."""
    return isinstance(t, _AbstractZero)


class Tangent:
    """Structural (co)tangent of an object with fields.

    Parameters
    ----------
    primal : object
        The closure, dataclass, callable object or ``functools.partial`` it belongs to.
    **fields
        One cotangent per field, by field name; a missing field is zero. For a partial, the
        fields are ``args`` (a tuple) and ``keywords`` (a dict).

    Attributes
    ----------
    primal : object
    fields : dict
        The stored entries, a plain dict.

    Examples
    --------
    >>> import numpy as np
    >>> def line(p):
    ...     return lambda x: p[0] * x + p[1]
    >>> f = line(np.array([2.0, 1.0]))
    >>> t = Tangent(f, p=np.array([0.5, 1.0]))
    >>> (2 * t - t).fields["p"].tolist()
    [0.5, 1.0]
    >>> t.p is t.fields["p"]
    True

    See Also
    --------
    symrules.engine.fields.fields : what the fields of an object are.
    """

    __slots__ = ("fields", "primal")

    def __init__(self, primal: Any, /, **fields: Any) -> None:
        names = field_names(primal)
        unknown = [k for k in fields if k not in names]
        if unknown:
            raise FieldsError(
                f"Tangent for {_describe(primal)}: no field {unknown[0]!r}; "
                f"its fields are {list(names)}"
            )
        self.primal = primal
        self.fields = fields

    def __getattr__(self, name: str) -> Any:
        try:
            return self.fields[name]
        except KeyError:
            if name in field_names(self.primal):
                return ZeroTangent()
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"Tangent({_describe(self.primal)}{', ' if inner else ''}{inner})"

    def __add__(self, other: Any) -> Any:
        return accumulate(self, other)

    __radd__ = __add__

    def __neg__(self) -> Tangent:
        return _scale(self, -1.0)

    def __sub__(self, other: Any) -> Any:
        return accumulate(self, _negate(other))

    def __rsub__(self, other: Any) -> Any:
        return accumulate(other, _negate(self))

    def __mul__(self, c: Any) -> Tangent:
        return _scale(self, c)

    __rmul__ = __mul__


def _describe(primal: Any) -> str:
    return getattr(primal, "__qualname__", None) or type(primal).__name__


def _negate(t: Any) -> Any:
    return _scale(t, -1.0)


def _scale(t: Any, c: Any) -> Any:
    if is_zero(t):
        return t
    if isinstance(t, Tangent):
        out = object.__new__(Tangent)
        out.primal, out.fields = t.primal, {k: _scale(v, c) for k, v in t.fields.items()}
        return out
    if isinstance(t, tuple | list):
        return type(t)(_scale(v, c) for v in t)
    if isinstance(t, dict):
        return {k: _scale(v, c) for k, v in t.items()}
    return t * c


def accumulate(a: Any, b: Any) -> Any:
    """The sum of two cotangents of the same primal.

    Arrays and scalars add; either zero is the identity; :class:`Tangent`, tuples, lists and
    dicts add field by field.

    Examples
    --------
    >>> import numpy as np
    >>> accumulate(ZeroTangent(), np.ones(2)).tolist()
    [1.0, 1.0]
    >>> accumulate((1.0, NoTangent()), (2.0, 3.0))
    (3.0, 3.0)
    """
    if is_zero(a):
        return b
    if is_zero(b):
        return a
    if isinstance(a, Tangent) and isinstance(b, Tangent):
        merged = dict(a.fields)
        for k, v in b.fields.items():
            merged[k] = accumulate(merged[k], v) if k in merged else v
        out = object.__new__(Tangent)
        out.primal, out.fields = a.primal, merged
        return out
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return type(a)(accumulate(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        merged = dict(a)
        for k, v in b.items():
            merged[k] = accumulate(merged[k], v) if k in merged else v
        return merged
    return a + b


def cotangent_at(t: Any, path: Path) -> Any:
    """The entry of a structural cotangent at ``path``; a zero below a zero, ``None`` if absent.

    ``None`` means the rule left a field out entirely (as opposed to an explicit zero).
    """
    for step in path:
        if is_zero(t):
            return t
        if isinstance(t, Tangent):
            t = t.fields.get(step)
        elif isinstance(t, tuple | list):
            t = t[step] if isinstance(step, int) and step < len(t) else None
        elif isinstance(t, dict):
            t = t.get(step)
        elif isinstance(step, int) and (isinstance(t, np.ndarray) or hasattr(t, "trace")):
            t = t[step]  # an array's cotangent for a list of values (np.append([a, b], c))
        else:
            return None
        if t is None:
            return None
    return t


def tangent_from_leaves(primal: Any, leaf_tangents: dict[Path, Any]) -> Any:
    """The structural tangent of ``primal`` whose leaf at each path is given.

    Objects with fields get a :class:`Tangent`, tuples and lists a tuple or list (with
    ``ZeroTangent()`` where nothing was given), dicts a dict; a leaf gets its entry.

    Examples
    --------
    >>> def line(p, q):
    ...     return lambda x: p * x + q[0]
    >>> t = tangent_from_leaves(line(2.0, (1.0, 5.0)), {("p",): 0.5, ("q", 0): 1.0})
    >>> t.fields["p"], t.fields["q"]
    (0.5, (1.0, ZeroTangent()))
    """
    if () in leaf_tangents:
        return leaf_tangents[()]
    grouped: dict[Any, dict[Path, Any]] = {}
    for path, value in leaf_tangents.items():
        grouped.setdefault(path[0], {})[path[1:]] = value
    kids = children(primal) or {}
    sub = {k: tangent_from_leaves(kids[k], g) for k, g in grouped.items()}
    if isinstance(primal, tuple | list):
        items = [sub.get(i, ZeroTangent()) for i in range(len(primal))]
        return type(primal)(*items) if hasattr(primal, "_fields") else type(primal)(items)
    if isinstance(primal, dict):
        return sub
    out = object.__new__(Tangent)
    out.primal, out.fields = primal, sub
    return out
