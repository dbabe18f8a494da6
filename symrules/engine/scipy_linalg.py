"""scipy.linalg's matrix functions, written so the engine can differentiate them.

``scipy.linalg.sqrtm``, ``solve_sylvester`` and ``solve_banded`` call ``np.asarray`` on their
arguments first, which a traced value refuses. These versions are :func:`~symrules.primitive`
functions with numpy-table entries (scipy's own function on plain values), re-exported by
:mod:`symrules.scipy.linalg`. The rules are the Sylvester-equation ones, written with these
same functions so that every order of derivative exists:

- ``solve_sylvester(A, B, Q)``: ``X`` with ``A X + X B = Q``; the pushforward solves
  ``A X_dot + X_dot B = Q_dot - A_dot X - X B_dot``, the pullback ``Lam = solve_sylvester(A^T,
  B^T, X_bar)``, then ``Q_bar = Lam``, ``A_bar = -Lam X^T``, ``B_bar = -X^T Lam``;
- ``sqrtm(A)``: ``S`` with ``S S = A``, so ``S S_dot + S_dot S = A_dot`` and ``A_bar`` solves
  ``S^T A_bar + A_bar S^T = S_bar``;
- ``solve_banded((l, u), ab, b)``: the dense matrix gathered from its bands (traced), then
  ``numpy.linalg.solve``.

Complex values follow the engine's convention (transposes, not conjugate transposes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from ..errors import UnsupportedFunctionError
from .primitives import primitive
from .table import defjvp, defvjp, set_label

__all__ = ["solve_banded", "solve_sylvester", "sqrtm"]


def _t(a: Any) -> Any:
    return np.swapaxes(a, -1, -2)


@primitive
def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """``X`` with ``A X + X B = Q`` (:func:`scipy.linalg.solve_sylvester`), differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> a, b, q = np.diag([1.0, 2.0]), np.diag([3.0, 4.0]), np.ones((2, 2))
    >>> bool(np.allclose(a @ solve_sylvester(a, b, q) + solve_sylvester(a, b, q) @ b, q))
    True
    >>> g = sr.grad(lambda s: np.sum(solve_sylvester(s * a, b, q)))(1.0)  # closed form below
    >>> bool(np.isclose(g, -sum(1.0 / (i + j) ** 2 * i for i in (1, 2) for j in (3, 4))))
    True
    """
    return sl.solve_sylvester(a, b, q)


def _adjoint(x_bar: Any, a: Any, b: Any) -> Any:
    return solve_sylvester(_t(a), _t(b), x_bar)


defvjp(
    solve_sylvester,
    lambda x_bar, x, a, b, q: -_adjoint(x_bar, a, b) @ _t(x),
    lambda x_bar, x, a, b, q: -_t(x) @ _adjoint(x_bar, a, b),
    lambda x_bar, x, a, b, q: _adjoint(x_bar, a, b),
)
defjvp(
    solve_sylvester,
    lambda a_dot, x, a, b, q: solve_sylvester(a, b, -a_dot @ x),
    lambda b_dot, x, a, b, q: solve_sylvester(a, b, -x @ b_dot),
    lambda q_dot, x, a, b, q: solve_sylvester(a, b, q_dot),
)
set_label(solve_sylvester, "scipy.linalg.solve_sylvester")


@primitive
def sqrtm(a: Any) -> Any:
    """The principal square root of a matrix (:func:`scipy.linalg.sqrtm`), differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> a = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> bool(np.allclose(sqrtm(a) @ sqrtm(a), a))
    True
    >>> g = sr.grad(lambda s: np.trace(sqrtm(s * a)))(1.0)  # d/ds sqrt(s) tr sqrtm(a)
    >>> bool(np.isclose(g, 0.5 * np.trace(sqrtm(a))))
    True
    """
    return sl.sqrtm(a)


defvjp(sqrtm, lambda s_bar, s, a: solve_sylvester(_t(s), _t(s), s_bar))
defjvp(sqrtm, lambda a_dot, s, a: solve_sylvester(s, s, a_dot))
set_label(sqrtm, "scipy.linalg.sqrtm")


def solve_banded(
    l_and_u: tuple[int, int], ab: Any, b: Any, overwrite_ab: bool = False,
    overwrite_b: bool = False, check_finite: bool = True,
) -> Any:  # fmt: skip
    """``x`` with ``A x = b`` for ``A`` given by its bands (:func:`scipy.linalg.solve_banded`).

    Differentiable in ``ab`` and ``b``: the dense matrix is gathered from the bands (entries
    outside them are zeros) and solved by :func:`numpy.linalg.solve`.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]])  # tridiagonal
    >>> b = np.array([1.0, 2.0, 3.0])
    >>> bool(np.allclose(solve_banded((1, 1), ab, b), sl.solve_banded((1, 1), ab, b)))
    True
    >>> dense = np.diag([4.0] * 3) + np.diag([1.0] * 2, 1) + np.diag([1.0] * 2, -1)
    >>> g = sr.grad(lambda b: np.sum(solve_banded((1, 1), ab, b)))(b)
    >>> bool(np.allclose(g, np.linalg.solve(dense.T, np.ones(3))))
    True
    """
    lower, upper = l_and_u
    rows, n = np.shape(ab)
    if rows != lower + upper + 1:
        raise UnsupportedFunctionError(
            f"scipy.linalg.solve_banded: ab has {rows} rows, (l, u) = {l_and_u} needs "
            f"{lower + upper + 1}"
        )
    i, j = np.indices((n, n))
    band = upper + i - j  # A[i, j] = ab[u + i - j, j] inside the bands
    inside = (band >= 0) & (band < rows)
    flat = np.where(inside, np.where(inside, band, 0) * n + j, rows * n)  # outside: a zero
    padded = np.concatenate([np.reshape(ab, -1), np.zeros(1)])
    return np.linalg.solve(padded[flat], b)
