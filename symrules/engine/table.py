"""The numpy table's API, and the one way a table function's call is differentiated.

A numpy function is described by one vector-Jacobian product per data argument
(:func:`defvjp`) and one Jacobian-vector product per data argument (:func:`defjvp`), so only
the traced arguments' cotangents are ever computed; :mod:`~symrules.engine.numpy_table` holds
the entries. Both the engine (:mod:`~symrules.engine.recording`) and the public
:func:`symrules.rrule` / :func:`symrules.frule` differentiate a table call through
:func:`table_pullback` and :func:`table_pushforward`, so a rule check tests what ``grad``
runs.

How it works
------------
:func:`normalize_call` first puts a call in one form: the *data* arguments (those with a
derivative slot, in numpy's order) positional, every other argument a keyword under numpy's own
name (``np.sum(x, 0)`` and ``np.sum(x, axis=0)`` alike become ``(x,), {"axis": 0}``), and a
keyword the entry does not declare raises, naming it, instead of being silently ignored. A
pullback declares ``reads`` (the data positions it reads, ``len(args)`` standing for ``y``)
and ``shapes`` (whether it needs the other arrays' shapes); the tape keeps only those values,
its *residuals*, so intermediates are freed early. With ``broadcast`` each cotangent is summed
back to its argument's shape (:func:`~symrules.engine.broadcasting.sum_to`).

Complex values follow JAX's convention: a pullback is the transpose of the real-linear
pushforward under ``Re(a * b)``, no conjugation, so a holomorphic function's rule is its real
rule. A complex output's cotangents are projected onto their arguments' spaces
(:mod:`~symrules.engine.projection`); a real output's rule keeps real cotangents real.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import UnsupportedFunctionError
from .broadcasting import ShapeOnly, broadcast_tangent, shape_of, sum_to
from .projection import is_complex, projected
from .tangents import ZeroTangent, is_zero

__all__ = [
    "TableEntry",
    "composite",
    "declare_residuals",
    "defcomposite",
    "defjvp",
    "defvjp",
    "label",
    "linear_jvp",
    "normalize_call",
    "set_label",
    "shape_only",
    "table_entry",
    "table_functions",
    "table_pullback",
    "table_pushforward",
]


@dataclass
class TableEntry:
    """Per-argument derivative functions of one numpy function.

    ``vjps[i](y_bar, y, *args, **keywords)`` is data argument ``i``'s cotangent and
    ``jvps[i](x_dot_i, y, *args, **keywords)`` its contribution to ``y_dot``; ``None`` marks a
    data argument with no derivative (a condition, an index). ``keywords`` are the numpy
    keyword names the derivatives understand (``axis``, ``keepdims``, ...); ``aliases`` maps
    other accepted names onto them (numpy 2's ``np.clip(x, min=..)``).
    """

    vjps: tuple[Callable[..., Any] | None, ...] = ()
    jvps: tuple[Callable[..., Any] | None, ...] = ()
    broadcast: bool = False
    keywords: frozenset[str] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)
    plans: dict[tuple[int, ...], Any] = field(default_factory=dict, repr=False)
    signature: inspect.Signature | None = field(default=None, repr=False)
    ndata: int = 0  # how many leading arguments are data (have a derivative slot)


_TABLE: dict[Any, TableEntry] = {}
# What each pullback reads: its data positions (``len(args)`` for ``y``) and whether it needs
# the other arrays' shapes. A pullback not listed here keeps every argument.
_RESIDUALS: dict[Callable[..., Any], tuple[frozenset[int], bool]] = {}


def declare_residuals(
    vjp: Callable[..., Any], reads: Any = (), shapes: bool = False
) -> Callable[..., Any]:
    """Declare what a table pullback reads, so the tape keeps only that; returns ``vjp``.

    ``reads`` are data positions (``len(args)`` standing for the output ``y``); ``shapes``
    says that it needs the shapes of the other float arrays (kept as
    :class:`~symrules.engine.broadcasting.ShapeOnly`).
    """
    _RESIDUALS[vjp] = (frozenset(reads), shapes)
    return vjp


def shape_only(vjp: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a pullback that reads only the shapes of the float arrays it is given."""
    return declare_residuals(vjp, (), shapes=True)


def linear_jvp(fn: Any) -> Callable[..., Any]:
    """The pushforward of a function linear in its data: the function itself on the tangent.

    Examples
    --------
    >>> import numpy as np
    >>> float(linear_jvp(np.sum)(np.ones(3), None, np.zeros(3)))
    3.0
    """

    def jvp(x_dot: Any, y: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(x_dot, *args, **kwargs)

    jvp.__qualname__ = f"{getattr(fn, '__name__', 'linear')}_pushforward"
    return jvp


def _entry(fn: Any, broadcast: bool, keywords: tuple[str, ...], aliases: dict | None):
    entry = _TABLE.setdefault(fn, TableEntry())
    entry.broadcast = broadcast
    entry.keywords = entry.keywords | frozenset(keywords)
    entry.aliases = {**entry.aliases, **(aliases or {})}
    entry.plans.clear()
    return entry


def defvjp(
    fn: Any,
    *vjps: Callable[..., Any] | None,
    broadcast: bool = False,
    keywords: tuple[str, ...] = (),
    aliases: dict[str, str] | None = None,
) -> None:
    """Table entry: one vector-Jacobian product per data argument of ``fn`` (``None``: none).

    Examples
    --------
    >>> import numpy as np
    >>> from symrules.engine.table import table_entry
    >>> table_entry(np.sum).keywords >= {"axis", "keepdims"}
    True
    """
    entry = _entry(fn, broadcast, keywords, aliases)
    entry.vjps, entry.ndata = vjps, max(len(vjps), len(entry.jvps))


def defjvp(
    fn: Any,
    *jvps: Callable[..., Any] | None,
    broadcast: bool = False,
    keywords: tuple[str, ...] = (),
    aliases: dict[str, str] | None = None,
) -> None:
    """Table entry: one Jacobian-vector product per data argument of ``fn`` (``None``: none)."""
    entry = _entry(fn, broadcast, keywords, aliases)
    entry.jvps, entry.ndata = jvps, max(len(entry.vjps), len(jvps))


def table_entry(fn: Any) -> TableEntry | None:
    """The numpy-table entry of ``fn``, if any."""
    try:
        return _TABLE.get(fn)
    except TypeError:  # unhashable callables
        return None


def table_functions() -> list[Any]:
    """Every function with a table entry or a composite (the tests check each one)."""
    return [*_TABLE, *_COMPOSITES]


_COMPOSITES: dict[Any, Callable[..., Any]] = {}


def defcomposite(fn: Any, impl: Callable[..., Any]) -> None:
    """``fn`` is differentiated by tracing ``impl``: the same function written in table calls.

    For a function with no derivative of its own: several outputs (``np.split``, a
    decomposition returning a tuple), or a composition (``np.pad``, ``np.select``). ``impl``
    takes ``fn``'s arguments, traced values included, and returns what ``fn`` returns.

    Examples
    --------
    >>> import numpy as np
    >>> composite(np.split) is not None
    True
    """
    _COMPOSITES[fn] = impl


def composite(fn: Any) -> Callable[..., Any] | None:
    """The implementation ``fn`` is traced through (:func:`defcomposite`), if any."""
    try:
        return _COMPOSITES.get(fn)
    except TypeError:  # unhashable callables
        return None


# ---------------------------------------------------------------------------------------
# one form for every call


_LABELS: dict[Any, str] = {}  # fn -> how messages name it, where not ``numpy.<name>``


def label(fn: Any) -> str:
    """How messages name a table function: ``numpy.sin``, or the name it was registered under.

    Examples
    --------
    >>> import numpy as np
    >>> label(np.sin)
    'numpy.sin'
    """
    return _LABELS.get(fn) or f"numpy.{getattr(fn, '__name__', fn)}"


def set_label(fn: Any, name: str) -> None:
    """Name ``fn`` so in messages (``scipy.special.erf``: scipy's ufuncs say nothing of it)."""
    _LABELS[fn] = name


_ABSENT = object()


def normalize_call(fn: Any, entry: TableEntry, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """``(data, keywords)``: data arguments positional, the rest keywords by numpy's name.

    Raises
    ------
    UnsupportedFunctionError
        A keyword (or a positional argument in its place) the table entry does not declare.

    Examples
    --------
    >>> import numpy as np
    >>> entry = table_entry(np.clip)
    >>> normalize_call(np.clip, entry, (1.5,), {"a_max": 1.0})
    ((1.5, None, 1.0), {})
    >>> normalize_call(np.sum, table_entry(np.sum), (np.ones(2), 0), {})
    ((array([1., 1.]),), {'axis': 0})
    """
    n = entry.ndata
    if not kwargs and len(args) <= n:
        return args, kwargs
    if entry.signature is None:
        try:
            entry.signature = inspect.signature(fn)
        except (TypeError, ValueError):  # no signature to read: positional data only
            raise UnsupportedFunctionError(
                f"{label(fn)}: keyword or extra arguments are not supported while "
                f"differentiating; got {sorted(kwargs) or len(args)}"
            ) from None
    if entry.aliases:
        kwargs = {entry.aliases.get(k, k): v for k, v in kwargs.items()}
    params = entry.signature.parameters
    first = next(iter(params.values()), None)
    if first is not None and first.kind is first.VAR_POSITIONAL:  # np.einsum(*operands, ...)
        given = {k: v for k, v in kwargs.items() if k not in params or v is not params[k].default}
        return args, _declared(fn, entry, given)
    try:
        bound = entry.signature.bind(*args, **kwargs).arguments
    except TypeError as err:
        raise TypeError(f"{label(fn)}: {err}") from None
    data = [bound.pop(name, _ABSENT) for name in list(params)[:n]]
    data = [  # an optional data argument not given is None (np.clip(x, max=1.0))
        None if d is _ABSENT and params[name].default is not params[name].empty else d
        for d, name in zip(data, params, strict=False)
    ]
    missing = [name for d, name in zip(data, params, strict=False) if d is _ABSENT]
    if missing:
        raise TypeError(f"{label(fn)}() missing the argument {missing[0]!r}")
    keywords: dict[str, Any] = {}
    for name, value in bound.items():
        if params[name].kind is inspect.Parameter.VAR_KEYWORD:
            keywords.update(value)
        elif value is not params[name].default:  # ``out=None`` given explicitly is no keyword
            keywords[name] = value
    return tuple(data), _declared(fn, entry, keywords)


def _declared(fn: Any, entry: TableEntry, keywords: dict[str, Any]) -> dict[str, Any]:
    """``keywords``, each checked to be one the table entry declares."""
    for name, value in keywords.items():
        if name not in entry.keywords:
            raise UnsupportedFunctionError(
                f"{label(fn)}: the argument {name}={value!r} is not supported while "
                f"differentiating (supported: {', '.join(sorted(entry.keywords)) or 'none'})"
            )
    return keywords


# ---------------------------------------------------------------------------------------
# reverse: the pullback of a table call


def _shapes(x: Any) -> Any:
    """``x`` with its float arrays replaced by their shapes (see :class:`ShapeOnly`)."""
    if type(x) is np.ndarray:
        return ShapeOnly(x.shape, x.dtype) if x.dtype.kind in "fc" else x
    if getattr(type(x), "_symrules_traced", False) and x.dtype.kind in "fc":
        return ShapeOnly(x.shape, x.dtype)  # an integer index is kept (a staged one, by jit)
    if isinstance(x, tuple | list):
        return type(x)(map(_shapes, x))
    return x


def _plan(fn: Any, entry: TableEntry, positions: tuple[int, ...]) -> tuple[list, Any, bool]:
    """For the traced data ``positions`` (1-based) of ``fn``: the pullbacks, what they read.

    A pullback without declared residuals keeps everything. Cached on the entry: a function
    is called the same way often.
    """
    plan = entry.plans.get(positions)
    if plan is None:
        vjps: list[Callable[..., Any]] = []
        for pos in positions:
            vjp = entry.vjps[pos - 1] if pos <= len(entry.vjps) else None
            if vjp is None:
                raise UnsupportedFunctionError(
                    f"{label(fn)} is not differentiable in its argument {pos - 1}"
                )
            vjps.append(vjp)
        declared = [_RESIDUALS.get(vjp) for vjp in vjps]
        reads: frozenset[int] | None = None
        shapes = False
        if all(d is not None for d in declared):
            reads = frozenset().union(*(d[0] for d in declared if d is not None))
            shapes = any(d[1] for d in declared if d is not None)
        plan = entry.plans[positions] = (vjps, reads, shapes)
    return plan


def _residuals(reads: frozenset | None, shapes: bool, y: Any, args: list) -> tuple[Any, list]:
    """The values a pullback keeps: what it reads; the rest dropped, or kept as a shape."""
    if reads is None:
        return y, args
    n = len(args)
    if shapes:
        return (
            y if n in reads else _shapes(y),
            [a if i in reads else _shapes(a) for i, a in enumerate(args)],
        )
    return y if n in reads else None, [a if i in reads else None for i, a in enumerate(args)]


def table_pullback(
    fn: Any,
    entry: TableEntry,
    y: Any,
    args: list,
    kwargs: dict,
    positions: tuple[int, ...],
    real: bool = False,
) -> Callable[[Any], list]:
    """``y_bar -> [x_bar for each data position]`` of the call ``y = fn(*args, **kwargs)``.

    ``positions`` are 1-based (position 0 is the function itself), sorted; each cotangent has
    its argument's shape (or structure, for a list of arrays). ``real`` says that ``y`` is
    known to be real (the engine's fast path); a complex ``y`` has its cotangents projected.
    """
    vjps, reads, keep_shapes = _plan(fn, entry, positions)
    complex_args = None
    if not real and is_complex(y):
        complex_args = [is_complex(args[pos - 1]) for pos in positions]
    sizes = None
    if entry.broadcast:  # an argument smaller than the output gets its cotangent summed down
        y_shape = shape_of(y)
        sizes = [shape_of(args[pos - 1]) for pos in positions]
        if all(size == y_shape for size in sizes):
            sizes = None
    y, args = _residuals(reads, keep_shapes, y, args)
    if sizes is None and len(vjps) == 1:  # the common case, spelled out for speed
        (vjp,) = vjps

        def table_vjp(y_bar: Any) -> list:
            return [vjp(y_bar, y, *args, **kwargs)]

    elif sizes is None:

        def table_vjp(y_bar: Any) -> list:
            return [vjp(y_bar, y, *args, **kwargs) for vjp in vjps]

    else:

        def table_vjp(y_bar: Any) -> list:
            return [sum_to(vjp(y_bar, y, *args, **kwargs), shape)
                    for vjp, shape in zip(vjps, sizes, strict=True)]  # fmt: skip

    return table_vjp if complex_args is None else projected(table_vjp, complex_args)


# ---------------------------------------------------------------------------------------
# forward: the pushforward of a table call


def table_pushforward(fn: Any, entry: TableEntry, dots: tuple, args: tuple, kwargs: dict):
    """``(y, y_dot)`` of a table call: the sum of its data arguments' pushforwards.

    ``dots`` holds one tangent per data argument (``ZeroTangent()`` for a constant one).
    """
    y = fn(*args, **kwargs)
    y_dot: Any = ZeroTangent()
    for i, x_dot in enumerate(dots):
        if is_zero(x_dot):
            continue
        jvp = entry.jvps[i] if i < len(entry.jvps) else None
        if jvp is None:
            raise UnsupportedFunctionError(f"{label(fn)} is not differentiable in its argument {i}")
        y_dot = y_dot + jvp(x_dot, y, *args, **kwargs)
    if entry.broadcast and not is_zero(y_dot):
        y_dot = broadcast_tangent(y_dot, y)
    if not is_zero(y_dot) and is_complex(y_dot) and not is_complex(y):
        y_dot = np.real(y_dot)  # a real output's tangent
    return y, y_dot
