"""Marking functions for the engine: ``primitive`` (opaque, uses its rules) and
``non_differentiable`` (computed on primal values).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..errors import TracingError
from .recording import name_of
from .registry import mark_non_differentiable
from .tracing import bind, is_traced, strip

__all__ = ["non_differentiable", "primitive"]


def primitive(fn: Any) -> Any:
    """Mark a function, or a class whose instances are called, as opaque to the engine.

    While tracing, a call goes to the rules registered for it (:func:`register_rrule`,
    :func:`register_frule`) instead of being traced through; with no rule for a mode the
    engine runs its code. Untraced calls run the function as usual, at full speed.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> @sr.primitive
    ... def square(x):
    ...     return x * x
    >>> @sr.register_rrule(square)
    ... def square_rrule(x):
    ...     return square(x), lambda y_bar: (sr.NoTangent(), 2 * x * y_bar)
    >>> float(sr.grad(square)(3.0))
    6.0

    See Also
    --------
    register_rrule, register_frule, non_differentiable
    """
    if isinstance(fn, type):
        call = fn.__call__

        @functools.wraps(call)
        def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
            if is_traced(self) or any(map(is_traced, args)):
                return bind(self, args, kwargs)
            return call(self, *args, **kwargs)

        # patch the class itself (its instances stay the user's); the original call is kept
        # for the engine, which runs it to trace through
        fn.__call__ = __call__  # type: ignore[method-assign]
        fn._symrules_call = call  # type: ignore[attr-defined]
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if any(map(is_traced, args)) or any(map(is_traced, kwargs.values())):
            if is_traced(fn):
                raise TracingError(
                    f"the primitive {name_of(fn)} closes over a traced value; pass it as an "
                    "argument, or make the primitive a callable class whose rule returns "
                    "a Tangent for it"
                )
            return bind(wrapper, args, kwargs)
        return fn(*args, **kwargs)

    # the undecorated function, for the engine to trace through and to name arguments by
    wrapper._symrules_impl = fn  # type: ignore[attr-defined]
    return wrapper


def non_differentiable(fn: Any) -> Any:
    """Mark ``fn`` as having no derivative: traced arguments are passed as plain values.

    Use it for step-size rules, argmax-style choices, bookkeeping. Returns ``fn``.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> @sr.non_differentiable
    ... def n_points(x):
    ...     return int(np.size(x))
    >>> float(sr.grad(lambda x: x * n_points(x))(2.0))
    1.0
    """
    if isinstance(fn, np.ufunc) or getattr(fn, "__module__", "").startswith("numpy"):
        mark_non_differentiable(fn)
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*map(strip, args), **{k: strip(v) for k, v in kwargs.items()})

    return wrapper
