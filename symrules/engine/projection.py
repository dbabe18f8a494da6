"""A cotangent projected onto its primal's space: real for a real value, complex for a complex one.

Under JAX's convention (see :mod:`~symrules.engine.table`) a real argument of a call with a
complex output (``x * 1j``, ``np.fft.fft(x)``) receives the real part of its cotangent: the
transpose of embedding the reals in the complex plane. A complex input whose cotangent came
out real (through ``np.real``) receives it as complex, so that a complex input's gradient is
complex (:func:`~symrules.engine.sweep.assemble`). A real output's tangent is real.
ChainRules calls this ``ProjectTo``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .tangents import is_zero

__all__ = ["is_complex", "project", "projected"]


def is_complex(x: Any) -> bool:
    """Whether ``x`` (a value, a traced value, or a list of them) holds complex numbers.

    Examples
    --------
    >>> import numpy as np
    >>> is_complex(np.ones(2)), is_complex(1j), is_complex([np.ones(1), np.ones(1) * 1j])
    (False, True, True)
    """
    kind = type(x)
    if kind is np.ndarray:
        return x.dtype.kind == "c"
    if kind is np.float64 or kind is float or kind is int:
        return False
    return np.iscomplexobj(x) if not isinstance(x, tuple | list) else any(map(is_complex, x))


def project(x_bar: Any, complex_primal: bool) -> Any:
    """``x_bar`` in its primal's space: its real part for a real primal, complex otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> project(np.array([1.0 + 2.0j]), False).tolist(), project(2.0, True)
    ([1.0], (2+0j))
    """
    if is_zero(x_bar):
        return x_bar
    if isinstance(x_bar, tuple | list):  # the cotangents of a list of arrays
        return type(x_bar)(project(part, complex_primal) for part in x_bar)
    if is_complex(x_bar):
        return x_bar if complex_primal else np.real(x_bar)
    return x_bar + 0j if complex_primal else x_bar


def projected(pullback: Callable[[Any], list], complex_primals: list[bool]) -> Callable:
    """``pullback``, each of its cotangents projected onto its primal's space."""

    def projected_pullback(y_bar: Any) -> list:
        x_bars = pullback(y_bar)
        return [project(x_bar, c) for x_bar, c in zip(x_bars, complex_primals, strict=True)]

    return projected_pullback
