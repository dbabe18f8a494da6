"""The differentiable internal fields of a callable, and rebuilding it with new ones.

A closure's captured variables, a dataclass's or callable object's attributes, the arguments
frozen into a ``functools.partial`` and a bound method's object are all *fields*: values the
function's output depends on that are not its arguments. Reverse rules return a cotangent for
them (``f_bar``); finite differences and the rule checker perturb them.

How it works
------------
An object is taken apart one level at a time by :func:`children`, which returns an ordered
dict ``name -> value`` for a structured object and ``None`` for a leaf. Tuples, lists and dicts
are walked too, so a field may hold nested containers. A *path* is the tuple of names and
indices from the object down to one leaf; :func:`leaves` lists them, :func:`get_path` follows
one, and :func:`replace_leaves` rebuilds a copy with new leaves, never mutating the original.
A class can take part by defining ``__symrules_fields__(self) -> dict`` and
``__symrules_replace__(self, new_fields: dict)``.
"""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..errors import FieldsError

__all__ = [
    "Path",
    "children",
    "fields",
    "field_names",
    "get_path",
    "is_differentiable",
    "leaves",
    "path_name",
    "replace_leaves",
    "with_fields",
]

Path = tuple[Any, ...]


def is_differentiable(value: Any) -> bool:
    """Whether a leaf value can carry a derivative: a float or complex scalar or array.

    Traced values of the engine count too. Integers, booleans and strings do not.

    Examples
    --------
    >>> import numpy as np
    >>> is_differentiable(1.5), is_differentiable(np.arange(3)), is_differentiable("a")
    (True, False, False)
    """
    if isinstance(value, (float, complex)):
        return True
    if isinstance(value, np.ndarray | np.inexact):
        return value.dtype.kind in "fc"
    return getattr(type(value), "_symrules_traced", False)


def children(obj: Any) -> dict[Any, Any] | None:
    """Take ``obj`` apart one level: ``name -> value`` for a structured object, else ``None``.

    Closures give their captured variables by free-variable name, ``functools.partial`` gives
    ``func``, ``args`` and ``keywords``, a bound method gives its object's fields, a dataclass
    or callable object its attributes; tuples and lists give their items by index and dicts by
    key. Numbers, arrays, strings and opaque objects are leaves (``None``). How a type is taken
    apart is decided once per type (:func:`_plan`) and reused.

    Examples
    --------
    >>> def make(p):
    ...     return lambda x: p * x
    >>> children(make(2.0))
    {'p': 2.0}
    """
    plan = _PLANS.get(type(obj))
    if plan is None:
        plan = _PLANS.setdefault(type(obj), _plan(type(obj)))
    return plan(obj)


#: ``type -> how to take its instances apart``, filled on first sight of each type.
_PLANS: dict[type, Callable[[Any], dict[Any, Any] | None]] = {}
_LEAF_TYPES = (type, types.ModuleType, types.BuiltinFunctionType, np.ufunc, np.ndarray,
               np.generic, float, int, complex, str, bytes)  # fmt: skip


def _plan(kind: type) -> Callable[[Any], dict[Any, Any] | None]:
    """How to take an instance of ``kind`` apart (see :func:`children`)."""
    if issubclass(kind, tuple | list):
        return lambda obj: dict(enumerate(obj))
    if issubclass(kind, dict):
        return dict
    if issubclass(kind, types.FunctionType):
        return _closure_children
    if issubclass(kind, functools.partial):
        return _partial_children
    if issubclass(kind, types.MethodType):
        return lambda obj: children(obj.__self__)
    if issubclass(kind, _LEAF_TYPES):
        return _leaf
    if hasattr(kind, "__symrules_fields__"):
        return lambda obj: dict(obj.__symrules_fields__())
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        return lambda obj: {name: getattr(obj, name) for name in names}
    called = any("__call__" in vars(base) for base in kind.__mro__)
    if issubclass(kind, types.SimpleNamespace) or called:  # a callable object: its attributes
        return lambda obj: dict(vars(obj)) if hasattr(obj, "__dict__") else None
    return _leaf


def _leaf(obj: Any) -> None:
    return None


def _closure_children(obj: types.FunctionType) -> dict[str, Any]:
    if obj.__closure__ is None:
        return {}
    out = {}
    for name, cell in zip(obj.__code__.co_freevars, obj.__closure__, strict=True):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # an empty cell: a variable not yet assigned
            continue
    return out


def field_names(obj: Any) -> tuple[Any, ...]:
    """All structural field names of ``obj``, differentiable or not (empty for a leaf)."""
    kids = children(obj)
    return () if kids is None else tuple(kids)


def leaves(
    obj: Any, select: Callable[[Any], bool] = is_differentiable, path: Path = ()
) -> Iterator[tuple[Path, Any]]:
    """Yield ``(path, leaf)`` for every leaf below ``obj`` for which ``select(leaf)`` holds.

    Examples
    --------
    >>> import numpy as np
    >>> list(leaves({"a": 1.0, "b": (2.0, "s")}))
    [(('a',), 1.0), (('b', 0), 2.0)]
    """
    yield from _leaves(obj, select, path, set())


def _leaves(obj: Any, select: Callable[[Any], bool], path: Path, seen: set[int]):
    if select(obj):
        yield path, obj
        return
    kids = children(obj)
    if not kids or id(obj) in seen:
        return
    seen.add(id(obj))
    for name, child in kids.items():
        yield from _leaves(child, select, (*path, name), seen)
    seen.discard(id(obj))


def get_path(obj: Any, path: Path) -> Any:
    """The value found by following ``path`` down from ``obj``."""
    for step in path:
        kids = children(obj)
        if kids is None or step not in kids:
            raise FieldsError(f"{type(obj).__name__} has no field {step!r}")
        obj = kids[step]
    return obj


def path_name(path: Path, root: str = "f") -> str:
    """Readable name of a path: ``('p', 0)`` under ``f`` is ``'f.p[0]'``."""
    out = root
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out


def replace_leaves(obj: Any, new: dict[Path, Any]) -> Any:
    """A copy of ``obj`` with the leaf at each path of ``new`` replaced; ``obj`` is untouched.

    Examples
    --------
    >>> import numpy as np
    >>> def line(p):
    ...     return lambda x: p[0] * x + p[1]
    >>> f = line(np.array([2.0, 1.0]))
    >>> g = replace_leaves(f, {("p",): np.array([3.0, 0.0])})
    >>> float(f(1.0)), float(g(1.0))
    (3.0, 3.0)
    """
    if () in new:
        return new[()]
    if not new:
        return obj
    grouped: dict[Any, dict[Path, Any]] = {}
    for path, value in new.items():
        grouped.setdefault(path[0], {})[path[1:]] = value
    kids = children(obj)
    if kids is None:
        raise FieldsError(f"cannot replace fields {sorted(map(str, grouped))} of a leaf {obj!r}")
    unknown = [k for k in grouped if k not in kids]
    if unknown:
        raise FieldsError(
            f"{getattr(obj, '__qualname__', None) or type(obj).__name__} has no field "
            f"{unknown[0]!r}; its fields are {list(kids)}"
        )
    updated = {k: replace_leaves(kids[k], sub) for k, sub in grouped.items()}
    return _rebuild(obj, updated)


def _partial_children(obj: functools.partial[Any]) -> dict[str, Any]:
    """The children of a ``functools.partial``: its ``func``, ``args`` and ``keywords``."""
    return {"func": obj.func, "args": obj.args, "keywords": dict(obj.keywords)}


def _rebuild(obj: Any, updated: dict[Any, Any]) -> Any:
    """A copy of the structured ``obj`` with the direct children in ``updated`` replaced."""
    if isinstance(obj, tuple | list):
        items = [updated.get(i, v) for i, v in enumerate(obj)]
        if hasattr(obj, "_fields"):  # a namedtuple
            return type(obj)(*items)
        return type(obj)(items)
    if isinstance(obj, dict):
        out = type(obj)(obj) if type(obj) is not dict else dict(obj)
        out.update(updated)
        return out
    if isinstance(obj, types.FunctionType):
        return _rebuild_closure(obj, updated)
    if isinstance(obj, functools.partial):
        kids = {**_partial_children(obj), **updated}
        return functools.partial(kids["func"], *kids["args"], **kids["keywords"])
    if isinstance(obj, types.MethodType):
        return types.MethodType(obj.__func__, _rebuild(obj.__self__, updated))
    if hasattr(type(obj), "__symrules_replace__"):
        return obj.__symrules_replace__(updated)
    new = object.__new__(type(obj))
    state = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
    state.update(updated)
    if dataclasses.is_dataclass(obj) and not hasattr(obj, "__dict__"):  # slots dataclass
        for f in dataclasses.fields(obj):
            object.__setattr__(new, f.name, updated.get(f.name, getattr(obj, f.name)))
        return new
    new.__dict__.update(state)
    return new


def _rebuild_closure(f: types.FunctionType, updated: dict[Any, Any]) -> types.FunctionType:
    cells = tuple(
        types.CellType(updated[name]) if name in updated else cell
        for name, cell in zip(f.__code__.co_freevars, f.__closure__ or (), strict=True)
    )
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, cells)
    g.__kwdefaults__ = f.__kwdefaults__
    g.__qualname__ = f.__qualname__
    g.__module__ = f.__module__
    g.__doc__ = f.__doc__
    g.__dict__.update(f.__dict__)
    return g


def fields(f: Any) -> dict[Any, Any]:
    """The differentiable internal fields of a callable, by name.

    Closure cells by their free-variable name, dataclass and ``__dict__`` attributes,
    ``functools.partial`` arguments (``args``, ``keywords``) and a bound method's object's
    fields. A field is kept when some leaf below it is a float or complex scalar or array.

    Parameters
    ----------
    f : callable
        A closure, a dataclass or callable object, a ``functools.partial`` or a bound method.

    Returns
    -------
    dict
        ``name -> value``; values may be nested tuples, lists, dicts or objects.

    Raises
    ------
    FieldsError
        When ``f`` has no differentiable field at all.

    Examples
    --------
    >>> import numpy as np
    >>> def line(p, n):
    ...     return lambda x: n * (p[0] * x + p[1])
    >>> f = line(np.array([2.0, 1.0]), 3)
    >>> list(fields(f))
    ['p']

    See Also
    --------
    with_fields : rebuild a callable with new field values.
    """
    kids = children(f)
    if kids is None:
        raise FieldsError(
            f"{f!r} of type {type(f).__name__} has no fields: fields() takes a closure, a "
            "dataclass or callable object, a functools.partial or a bound method"
        )
    out = {name: value for name, value in kids.items() if any(True for _ in leaves(value))}
    if not out:
        what = ", ".join(f"{k}: {type(v).__name__}" for k, v in kids.items()) or "nothing"
        raise FieldsError(
            f"{getattr(f, '__qualname__', type(f).__name__)} has no differentiable fields "
            f"(it holds {what}); only float scalars and arrays carry derivatives"
        )
    return out


def with_fields(f: Any, /, **new_fields: Any) -> Any:
    """A copy of ``f`` whose named fields hold new values; ``f`` itself is not changed.

    Examples
    --------
    >>> def scale(p):
    ...     return lambda x: p * x
    >>> f = scale(2.0)
    >>> g = with_fields(f, p=5.0)
    >>> f(1.0), g(1.0)
    (2.0, 5.0)
    """
    return replace_leaves(f, {(name,): value for name, value in new_fields.items()})
