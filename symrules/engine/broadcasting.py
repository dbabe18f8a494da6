"""numpy broadcasting, in reverse: the one place cotangents are summed back to a shape.

Elementwise rules never deal with broadcasting themselves (HIPS autograd's ``unbroadcast``):
the engine hands every cotangent of a broadcasting function to :func:`unbroadcast`, and every
tangent to :func:`broadcast_tangent`. Both use numpy calls only, so they can be traced again
for higher derivatives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ShapeOnly", "broadcast_tangent", "shape_of", "sum_to", "unbroadcast"]


def shape_of(x: Any) -> tuple[int, ...]:
    """The shape of an array, scalar or traced value."""
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def unbroadcast(x_bar: Any, like: Any) -> Any:
    """Sum the cotangent ``x_bar`` down to the shape of ``like``.

    Examples
    --------
    >>> import numpy as np
    >>> unbroadcast(np.ones((3, 2)), np.zeros((1, 2))).tolist()
    [[3.0, 3.0]]
    >>> float(unbroadcast(np.ones(4), 2.0))
    4.0
    """
    return sum_to(x_bar, shape_of(like))


def sum_to(x_bar: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``x_bar`` over the axes that numpy broadcasting added or stretched to reach its shape."""
    have = shape_of(x_bar)
    if have == shape:
        return x_bar
    lead = len(have) - len(shape)
    if lead > 0:  # the method, not np.sum: it skips numpy's dispatch layers (hot path)
        x_bar = x_bar.sum(axis=tuple(range(lead)) if shape else None)
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and shape_of(x_bar)[i] != 1)
    if ones:
        x_bar = np.sum(x_bar, axis=ones, keepdims=True)
    if shape_of(x_bar) != shape:  # a scalar cotangent for an array input
        x_bar = np.broadcast_to(x_bar, shape)
    return x_bar


def broadcast_tangent(y_dot: Any, y: Any) -> Any:
    """Broadcast a tangent contribution up to the output's shape."""
    shape = shape_of(y)
    if shape_of(y_dot) == shape:
        return y_dot
    return np.broadcast_to(y_dot, shape)


class ShapeOnly:
    """Stands in for an array whose values a pullback does not need: its shape and dtype.

    The tape keeps these instead of the arrays, so intermediates are freed as soon as the
    forward pass is done with them (what JAX calls saving only the residuals).
    """

    __slots__ = ("dtype", "shape")

    def __init__(self, shape: tuple[int, ...], dtype: Any) -> None:
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def __repr__(self) -> str:
        return f"ShapeOnly({self.shape})"
