"""scipy.signal's ``convolve``, written so the engine can differentiate it.

``scipy.signal.convolve`` calls ``np.asarray`` on its arguments first, which a traced value
refuses. This version writes the N-dimensional convolution ``y[n] = sum_k a[k] b[n - k]`` as
a gather and a product: the entries of ``b`` each output needs are gathered (a zero outside
``b``) into a matrix, which multiplies ``a`` flattened; ``valid`` and ``same`` crop the full
result as scipy does. Every step is a table call, so it differentiates in both arguments, to
every order. Its memory is the output's size times ``a``'s: for large arrays convolve with
``numpy.fft`` instead (also differentiable).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedFunctionError

__all__ = ["convolve"]

_MODES = ("full", "valid", "same")


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """The N-dimensional convolution of ``in1`` and ``in2`` (:func:`scipy.signal.convolve`).

    ``method`` is accepted and ignored: the result is the direct sum, differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.signal
    >>> import symrules as sr
    >>> a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0])
    >>> [bool(np.allclose(convolve(a, b, m), scipy.signal.convolve(a, b, m)))
    ...  for m in ("full", "valid", "same")]
    [True, True, True]
    >>> sr.grad(lambda b: np.sum(convolve(a, b)))(b).tolist()  # each b[k] meets all of a
    [6.0, 6.0]
    """
    if mode not in _MODES:
        raise UnsupportedFunctionError(
            f"scipy.signal.convolve: mode={mode!r} is not one of {', '.join(_MODES)}"
        )
    shape1, shape2 = np.shape(in1), np.shape(in2)
    if len(shape1) != len(shape2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    full = tuple(s1 + s2 - 1 for s1, s2 in zip(shape1, shape2, strict=True))
    n = np.indices(full).reshape(len(full), -1, 1)  # output index, one row per output
    k = np.indices(shape1).reshape(len(full), 1, -1)  # in1 index, one column per entry
    m = n - k  # the in2 index each pair needs
    inside = np.all((m >= 0) & (m < np.reshape(shape2, (-1, 1, 1))), axis=0)
    flat = np.ravel_multi_index(tuple(np.where(inside, m, 0)), shape2) if shape2 else m[0]
    size2 = int(np.prod(shape2))
    padded = np.concatenate([np.reshape(in2, -1), np.zeros(1)])
    y = np.reshape(padded[np.where(inside, flat, size2)] @ np.reshape(in1, -1), full)
    if mode == "full":
        return y
    if mode == "same":
        out = shape1
    else:
        if not (all(s1 >= s2 for s1, s2 in zip(shape1, shape2, strict=True))
                or all(s2 >= s1 for s1, s2 in zip(shape1, shape2, strict=True))):  # fmt: skip
            raise ValueError("For 'valid' mode, one must be at least as large as the other in "
                             "every dimension")  # fmt: skip
        out = tuple(abs(s1 - s2) + 1 for s1, s2 in zip(shape1, shape2, strict=True))
    start = [(f - o) // 2 for f, o in zip(full, out, strict=True)]
    return y[tuple(slice(s, s + o) for s, o in zip(start, out, strict=True))]
