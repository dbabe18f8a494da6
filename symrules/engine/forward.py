"""Forward mode: ``jvp`` pushes tangents through frules (the numpy table and registered ones).

A primitive with no frule is traced through, so forward mode works wherever its code is numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .assignments import assignment_refused
from .broadcasting import shape_of
from .fields import children, is_differentiable, leaves, replace_leaves
from .tracing import Box, Trace

__all__ = ["jvp"]


def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple:
    """Evaluate ``fun(*primals)`` and its directional derivative along ``tangents``.

    Returns ``(y, y_dot)``; each tangent has its primal's shape. An output that is a tuple,
    list or dict of values gives ``y_dot`` of the same structure.

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
        if np.iscomplexobj(x_dot) and not np.iscomplexobj(x):
            raise InputError(
                f"the tangent of argument {i} is complex, the argument real: a real value's "
                "tangent is real"
            )
        if shape_of(x_dot) != shape_of(x):
            raise InputError(
                f"the tangent of argument {i} has shape {shape_of(x_dot)}, the argument "
                f"{shape_of(x)}"
            )
        boxed.append(Box(x, trace, tangent=x_dot))
    with assignment_refused:
        out = fun(*boxed)
    if is_differentiable(out) or not children(out):
        return _primal_and_tangent(out, trace)
    # a tuple, list or dict of outputs: the same structure of values and of tangents
    pairs = {path: _primal_and_tangent(leaf, trace) for path, leaf in leaves(out)}
    y = replace_leaves(out, {path: value for path, (value, _) in pairs.items()})
    return y, replace_leaves(y, {path: y_dot for path, (_, y_dot) in pairs.items()})


def _primal_and_tangent(out: Any, trace: Trace) -> tuple[Any, Any]:
    if type(out) is Box and out.trace is trace:
        return out.value, out.tangent
    if np.ndim(out):
        return out, np.zeros_like(out, dtype=complex if np.iscomplexobj(out) else float)
    return out, 0.0
