"""Forward mode: ``jvp`` pushes tangents through frules (the numpy table and registered ones).

A primitive with no frule is traced through, so forward mode works wherever its code is numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .broadcasting import shape_of
from .fields import is_differentiable
from .tracing import Box, Trace

__all__ = ["jvp"]


def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple:
    """Evaluate ``fun(*primals)`` and its directional derivative along ``tangents``.

    Returns ``(y, y_dot)``; each tangent has its primal's shape.

    Examples
    --------
    >>> import numpy as np
    >>> y, y_dot = jvp(lambda x: np.sin(x) * x, (0.5,), (1.0,))
    >>> bool(np.isclose(y_dot, np.cos(0.5) * 0.5 + np.sin(0.5)))
    True
    """
    if len(primals) != len(tangents):
        raise InputError(f"jvp got {len(primals)} primals but {len(tangents)} tangents")
    trace = Trace(forward=True)
    boxed = []
    for i, (x, x_dot) in enumerate(zip(primals, tangents, strict=True)):
        if not is_differentiable(x):
            raise InputError(
                f"argument {i} ({type(x).__name__}) is not a float scalar or array; jvp "
                "differentiates floats"
            )
        if shape_of(x_dot) != shape_of(x):
            raise InputError(
                f"the tangent of argument {i} has shape {shape_of(x_dot)}, the argument "
                f"{shape_of(x)}"
            )
        boxed.append(Box(x, trace, tangent=x_dot))
    out = fun(*boxed)
    if type(out) is Box and out.trace is trace:
        return out.value, out.tangent
    return out, np.zeros_like(out, dtype=float) if np.ndim(out) else 0.0
