"""Casting a traced array to another float dtype: :func:`astype`, the table entry behind
``Box.astype``.

A cast is linear, so its pushforward casts the tangent; its pullback casts the cotangent back
to the input's dtype (a ``float32`` input gets a ``float32`` cotangent, as autograd and JAX
give). A cast to an integer dtype has no derivative and is refused where it is asked for
(``Box.astype``, :func:`symrules.numpy.array`), naming the dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .table import defjvp, defvjp, linear_jvp, shape_only

__all__ = ["astype"]


def astype(x: Any, dtype: Any) -> Any:
    """``x`` as an array of ``dtype``: ``x.astype(dtype)``, also for a Python number.

    A traced ``x`` comes back here through ``Box.astype``, so the engine records the cast.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> x = np.ones(2, dtype=np.float32)
    >>> sr.grad(lambda x: np.sum(np.sin(x.astype(np.float64))))(x).dtype
    dtype('float32')
    """
    if hasattr(x, "astype"):
        return x.astype(dtype)
    return np.asarray(x, dtype=dtype)


@shape_only
def _astype_pullback(y_bar: Any, y: Any, x: Any, dtype: Any) -> Any:
    x_dtype = x.dtype if hasattr(x, "dtype") else np.result_type(x)  # or a Python number
    if y.dtype.kind == "c" and x_dtype.kind != "c":  # a real input: the embedding's transpose
        y_bar = np.real(y_bar)
    return astype(y_bar, x_dtype)


defvjp(astype, _astype_pullback, None)
defjvp(astype, linear_jvp(astype), None)
