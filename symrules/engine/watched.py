"""Watched arrays: plain arrays whose meetings with traced values in a step are reported.

A rule that calls back into the engine sometimes needs to know more than derivatives: the
quadrature rule of ``integrate`` must learn when the integrand compares its *nodes* with a
traced value (``x < s``), because a jump that moves with ``s`` inside a panel contributes a
Leibniz term no tape over fixed nodes can see. :func:`watch` hands such a caller's array to
user code as a :class:`WatchedArray`: an ``ndarray`` subclass, so user code runs unchanged
(``.copy()``, assignment, ``np.asarray`` all work), that numpy itself propagates to every
array computed from it, carrying its ``watcher``.

How it works
------------
The information travels with the values, never through a context variable. The engine looks
for a watched array only where it already leaves its fast path: a non-differentiable function
(a comparison, ``heaviside``, ``floor``) called on a traced value, and a table function whose
result is not a plain float array. Both are the case exactly when a node-derived array and a
traced value meet, so the common path pays nothing; there :func:`report` calls
``watcher(fun, args, y)``, which may raise. Arithmetic on watched arrays costs numpy's
subclass bookkeeping, about a microsecond per call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["WatchedArray", "report", "watch"]

#: ``watcher(fun, args, y)``: told that ``fun(*args)`` returned the watched ``y``.
Watcher = Callable[[Any, list, Any], None]


class WatchedArray(np.ndarray):
    """An array carrying a ``watcher``, inherited by every array numpy computes from it.

    A reduction to a scalar returns a plain numpy scalar: a sum over the nodes is no longer
    node-aligned, and cotangents stay plain.
    """

    watcher: Watcher | None = None

    def __array_finalize__(self, obj: Any) -> None:
        self.watcher = getattr(obj, "watcher", None)

    def __array_wrap__(self, array: Any, context: Any = None, return_scalar: bool = False) -> Any:
        if return_scalar:
            return array[()]
        return super().__array_wrap__(array, context, return_scalar)


def watch(x: np.ndarray, watcher: Watcher) -> WatchedArray:
    """A view of ``x`` whose derived arrays report to ``watcher``.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> seen = []
    >>> x = watch(np.linspace(0.0, 1.0, 3), lambda fun, args, y: seen.append(fun.__name__))
    >>> def f(s):
    ...     return np.sum(np.where(x - 0.1 < s, s, 0.0))
    >>> float(sr.grad(f)(0.5)), seen
    (2.0, ['less'])
    """
    out = np.asarray(x).view(WatchedArray)
    out.watcher = watcher
    return out


def report(fun: Any, args: list, y: WatchedArray) -> None:
    """Tell ``y``'s watcher that ``fun(*args)`` returned it, a traced value taking part."""
    if y.watcher is not None:
        y.watcher(fun, args, y)
