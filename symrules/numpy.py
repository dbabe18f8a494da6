"""numpy, for code that builds arrays from traced values: ``import symrules.numpy as np``.

Why it exists: symrules differentiates plain numpy code because numpy hands every call on a
traced value to the engine (``__array_function__``, ``__array_ufunc__``). One kind of call
never reaches it: a traced value *inside a list or tuple* -- ``np.array([x, 2 * x])``,
``np.mean([x, y])``, ``np.linalg.norm((x, y))``, ``np.r_[x, 1.0]``. numpy converts the list
itself, asking each element for its numbers (which a traced value refuses, naming this
module), and asks only the dispatcher's own arguments, the list, whether they handle the
call. jax.numpy and autograd.numpy have their own numpy namespace for this; this is ours.

It is numpy, except that:

- ``array`` and ``asarray`` build a traced array from (nested) lists and tuples holding
  traced values, and ``r_`` and ``c_`` accept traced items
  (:mod:`symrules.engine.construction`); on plain input they are numpy's;
- every other function of numpy, ``numpy.linalg``, ``numpy.fft`` and ``numpy.random`` is
  numpy's, retried once with those lists made traced arrays when numpy refused them
  (a ufunc keeps its methods, ``np.add.reduce``, but is not an ``np.ufunc`` instance);
- the integer scalar types (``np.int64(x)``, for an index) cast a traced value to
  integers, which carry no derivative; ``isinstance`` and dtypes see numpy's types.

Classes (``ndarray``, ``float64``, ``dtype``), constants (``pi``, ``newaxis``) and other
submodules are numpy's own objects. A plain call costs one Python call more than numpy's.

Examples
--------
>>> import symrules as sr
>>> import symrules.numpy as snp
>>> float(sr.grad(lambda x: snp.linalg.norm([x, 4.0]))(3.0))
0.6
>>> snp.ndarray is np.ndarray and snp.pi == np.pi
True
"""

from __future__ import annotations

import sys as _sys
import types as _types
from typing import Any as _Any

import numpy as np

from .engine.construction import accepting_lists as _accepting_lists
from .engine.construction import array as array  # numpy's names, re-exported
from .engine.construction import asarray as asarray
from .engine.construction import c_ as c_
from .engine.construction import integer_type as _integer_type
from .engine.construction import r_ as r_

__all__ = list(np.__all__)


_INTEGERS = {t for t in np.sctypeDict.values() if np.dtype(t).kind in "iu"}  # concrete types


def _wrap(obj: _Any) -> _Any:
    if isinstance(obj, type):
        return _integer_type(obj) if obj in _INTEGERS else obj
    if isinstance(obj, _types.ModuleType):
        return _NAMESPACES.get(obj.__name__, obj)
    return _accepting_lists(obj) if callable(obj) else obj


def _attribute(namespace: _types.ModuleType, module: _types.ModuleType, name: str) -> _Any:
    """``module.name`` wrapped, and kept on ``namespace``: the next look-up is a plain one."""
    try:
        obj = getattr(module, name)
    except AttributeError:
        raise AttributeError(f"module {namespace.__name__!r} has no attribute {name!r}") from None
    wrapped = _wrap(obj)
    setattr(namespace, name, wrapped)
    return wrapped


def _namespace(module: _types.ModuleType) -> _types.ModuleType:
    """``symrules.numpy.linalg`` and the like: ``module`` wrapped, importable by name."""
    namespace = _types.ModuleType(f"{__name__}.{module.__name__.split('.')[-1]}", module.__doc__)

    def __getattr__(name: str) -> _Any:
        return _attribute(namespace, module, name)

    def __dir__() -> list[str]:
        return dir(module)

    namespace.__getattr__ = __getattr__  # type: ignore[method-assign]
    namespace.__dir__ = __dir__  # type: ignore[method-assign]
    namespace.__all__ = list(getattr(module, "__all__", ()))  # type: ignore[attr-defined]
    _sys.modules[namespace.__name__] = namespace
    return namespace


_NAMESPACES = {m.__name__: _namespace(m) for m in (np.linalg, np.fft, np.random)}


def __getattr__(name: str) -> _Any:
    return _attribute(_sys.modules[__name__], np, name)


def __dir__() -> list[str]:
    return sorted({*dir(np), "array", "asarray", "c_", "r_"})
