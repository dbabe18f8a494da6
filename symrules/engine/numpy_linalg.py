"""The numpy table, continued: ``numpy.linalg``, stacked (batched) matrices as numpy allows.

Each rule is the classical matrix-calculus one, written with numpy calls so that it is traced
again for second derivatives (Giles, "An extended collection of matrix derivative results",
2008; Murray, "Differentiation of the Cholesky decomposition", 2016), and for complex input
under JAX's convention (a pullback is the transpose under ``Re(a b)``, no conjugation):

- ``inv``: ``A_bar = -Y^T Y_bar Y^T``; ``solve(A, b)``: ``b_bar = solve(A^T, x_bar)``,
  ``A_bar = -b_bar x^T``; ``pinv`` at constant rank (Golub and Pereyra, 1973);
- ``det``: ``A_bar = y_bar det(A) A^{-T}`` (a singular matrix raises numpy's error);
  ``slogdet``: ``d log|det A| = Re tr(A^-1 dA)``, and a real matrix's sign is piecewise
  constant (a complex one's phase moves by ``i Im tr(A^-1 dA)``);
- ``cholesky``: ``L^{-T} Phi(L^T L_bar) conj(L^{-1})``, ``Phi`` the lower triangle with half
  its diagonal; ``eigvalsh`` is ``eigh``'s first output
  (:mod:`~symrules.engine.numpy_decompositions`). numpy reads one triangle of the matrix
  (``UPLO``, ``upper``), so these cotangents are folded onto that triangle
  (:func:`onto_triangle`): the derivative of numpy's function itself, which agrees with
  finite differences in every entry, and gives the usual gradient of anything built from a
  Hermitian matrix;
- ``norm``: every order numpy has, vector and matrix, with ``axis`` and ``keepdims``; the
  spectral and nuclear norms' gradients (``u_1 v_1^H``, ``U V^H``, conjugated) come from the
  traced ``svd``, so they have second derivatives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcasting import unbroadcast
from .table import defcomposite, defjvp, defvjp
from .tracing import bind, strip

__all__ = [
    "adjoint",
    "hermitian_from_triangle",
    "logabsdet",
    "onto_triangle",
    "real_part",
    "slogdet_sign",
]

_SLOGDET = type(np.linalg.slogdet(np.eye(1)))  # numpy's result type (a named tuple)


def _t(a: Any) -> Any:
    """The (stacked) matrix transpose."""
    return np.swapaxes(a, -1, -2)


def adjoint(a: Any) -> Any:
    """The (stacked) conjugate transpose ``A^H``; the transpose of a real matrix.

    Examples
    --------
    >>> import numpy as np
    >>> adjoint(np.array([[1j, 2.0]])).tolist()
    [[-1j], [(2-0j)]]
    """
    t = _t(a)
    return np.conjugate(t) if np.iscomplexobj(t) else t


def real_part(x: Any) -> Any:
    """``np.real(x)``, and a real ``x`` itself (no ``np.real`` call traced for it).

    Examples
    --------
    >>> float(real_part(2.0 + 1j))
    2.0
    """
    return np.real(x) if np.iscomplexobj(x) else x


def hermitian_from_triangle(a: Any, lower: bool) -> Any:
    """The Hermitian matrix numpy sees when it reads one triangle of ``a`` (and the real part of
    its diagonal): how ``cholesky``, ``eigh`` and ``eigvalsh`` read a tangent.

    Examples
    --------
    >>> import numpy as np
    >>> hermitian_from_triangle(np.array([[1.0, 5.0], [2.0, 3.0]]), lower=True).tolist()
    [[1.0, 2.0], [2.0, 3.0]]
    """
    part, k = (np.tril, -1) if lower else (np.triu, 1)
    return part(a, k) + adjoint(part(a, k)) + real_part(a) * np.eye(np.shape(a)[-1])


def onto_triangle(g: Any, lower: bool) -> Any:
    """The transpose of :func:`hermitian_from_triangle`: a cotangent onto the triangle read.

    Examples
    --------
    >>> import numpy as np
    >>> onto_triangle(np.array([[1.0, 5.0], [2.0, 3.0]]), lower=True).tolist()
    [[1.0, 0.0], [7.0, 3.0]]
    """
    part, k = (np.tril, -1) if lower else (np.triu, 1)
    return part(g, k) + part(adjoint(g), k) + real_part(g) * np.eye(np.shape(g)[-1])


# inverse and solve


defvjp(np.linalg.inv, lambda y_bar, y, a: -np.matmul(_t(y), np.matmul(y_bar, _t(y))))
defjvp(np.linalg.inv, lambda a_dot, y, a: -np.matmul(y, np.matmul(a_dot, y)))


def _is_vector_rhs(b: Any) -> bool:
    """numpy 2's rule: ``b`` is a vector (for every matrix of a stack) only if it is 1-D."""
    return np.ndim(b) == 1


def _solve_vectors(a: Any, v: Any) -> Any:
    """``solve`` with ``v`` a (stack of) vector(s) of any batch shape."""
    return np.linalg.solve(a, np.expand_dims(v, -1))[..., 0]


def _solve_pullback_b(y_bar, y, a, b):
    if _is_vector_rhs(b):  # b was the same vector for every matrix: its cotangents add up
        return unbroadcast(_solve_vectors(_t(a), y_bar), b)
    return unbroadcast(np.linalg.solve(_t(a), y_bar), b)


def _solve_pullback_a(y_bar, y, a, b):
    if _is_vector_rhs(b):
        b_bar = _solve_vectors(_t(a), y_bar)
        return unbroadcast(-np.expand_dims(b_bar, -1) * np.expand_dims(y, -2), a)
    return unbroadcast(-np.matmul(np.linalg.solve(_t(a), y_bar), _t(y)), a)


def _solve_pushforward_a(a_dot, y, a, b):
    if _is_vector_rhs(b):
        return -_solve_vectors(a, np.matmul(a_dot, np.expand_dims(y, -1))[..., 0])
    return -np.linalg.solve(a, np.matmul(a_dot, y))


defvjp(np.linalg.solve, _solve_pullback_a, _solve_pullback_b)
defjvp(np.linalg.solve, _solve_pushforward_a, lambda b_dot, y, a, b: np.linalg.solve(a, b_dot))


# pseudo-inverse, at constant rank: P_dot = -P A_dot P + P P^H A_dot^H (I - A P)
# + (I - P A) A_dot^H P^H P


def _pinv_parts(y: Any, a: Any) -> tuple[Any, Any, Any, Any]:
    """``P P^H``, ``P^H P`` and the projectors ``I - A P``, ``I - P A``."""
    m, n = np.shape(a)[-2:]
    p_h = adjoint(y)
    left = np.eye(m) - np.matmul(a, y)
    right = np.eye(n) - np.matmul(y, a)
    return np.matmul(y, p_h), np.matmul(p_h, y), left, right


def _pinv_pullback(y_bar, y, a, rcond=None, rtol=None):
    pph, php, left, right = _pinv_parts(y, a)
    first = -np.matmul(_t(y), np.matmul(y_bar, _t(y)))
    second = np.matmul(_t(pph), np.matmul(y_bar, _t(left)))
    third = np.matmul(_t(right), np.matmul(y_bar, _t(php)))
    return first + adjoint(second + third)


def _pinv_pushforward(a_dot, y, a, rcond=None, rtol=None):
    pph, php, left, right = _pinv_parts(y, a)
    a_dot_h = adjoint(a_dot)
    return (
        -np.matmul(y, np.matmul(a_dot, y))
        + np.matmul(pph, np.matmul(a_dot_h, left))
        + np.matmul(right, np.matmul(a_dot_h, php))
    )


defvjp(np.linalg.pinv, _pinv_pullback, keywords=("rcond", "rtol"))
defjvp(np.linalg.pinv, _pinv_pushforward, keywords=("rcond", "rtol"))


# determinant


def _det_pullback(y_bar, y, a):
    scale = np.expand_dims(np.expand_dims(y_bar * y, -1), -1)
    return scale * _t(np.linalg.inv(a))


def _det_pushforward(a_dot, y, a):
    return y * np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)


defvjp(np.linalg.det, _det_pullback)
defjvp(np.linalg.det, _det_pushforward)


# slogdet: d log|det A| = Re tr(A^-1 A_dot); the sign of a real matrix is piecewise constant,
# a complex one's moves by i sign Im tr(A^-1 A_dot)


def logabsdet(a: Any) -> Any:
    """``log|det a|`` (stacked): ``numpy.linalg.slogdet``'s second output, as a table function.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(logabsdet(np.diag([-2.0, 3.0])), np.log(6.0)))
    True
    """
    return np.linalg.slogdet(a)[1]


def slogdet_sign(a: Any) -> Any:
    """The sign (phase) ``det a / |det a|`` of a complex matrix, as a table function.

    Examples
    --------
    >>> import numpy as np
    >>> complex(slogdet_sign(np.diag([1j, 2.0])))
    1j
    """
    return np.linalg.slogdet(a)[0]


def _trace_of_solve(a: Any, a_dot: Any) -> Any:
    return np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)


def _logabsdet_pullback(y_bar, y, a):
    return np.expand_dims(real_part(y_bar), (-2, -1)) * _t(np.linalg.inv(a))


def _sign_pullback(y_bar, y, a):
    moved = np.real(1j * y * y_bar)  # the cotangent of Im tr(A^-1 A_dot)
    return np.expand_dims(-1j * moved, (-2, -1)) * _t(np.linalg.inv(a))


defvjp(logabsdet, _logabsdet_pullback)
defjvp(logabsdet, lambda a_dot, y, a: real_part(_trace_of_solve(a, a_dot)))
defvjp(slogdet_sign, _sign_pullback)
defjvp(slogdet_sign, lambda a_dot, y, a: 1j * y * np.imag(_trace_of_solve(a, a_dot)))


def _slogdet(a: Any) -> Any:
    if np.iscomplexobj(a):
        return _SLOGDET(bind(slogdet_sign, (a,), {}), bind(logabsdet, (a,), {}))
    return _SLOGDET(np.linalg.slogdet(strip(a))[0], bind(logabsdet, (a,), {}))


defcomposite(np.linalg.slogdet, _slogdet)


# Cholesky and symmetric eigenvalues: numpy reads one triangle of the matrix


def _phi(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved."""
    return np.tril(x) - 0.5 * x * np.eye(np.shape(x)[-1])


def _cholesky_pullback(y_bar, y, a, upper=False):
    lower_factor, lower_bar = (adjoint(y), adjoint(y_bar)) if upper else (y, y_bar)
    inner = _phi(np.matmul(_t(lower_factor), lower_bar))
    # L^-T P conj(L^-1): the cotangent of the Hermitian matrix
    s = np.linalg.solve(_t(lower_factor), _t(np.linalg.solve(adjoint(lower_factor), _t(inner))))
    return onto_triangle(s, lower=not upper)


def _cholesky_pushforward(a_dot, y, a, upper=False):
    lower_factor = adjoint(y) if upper else y
    a_dot = hermitian_from_triangle(a_dot, lower=not upper)
    inner = np.linalg.solve(lower_factor, adjoint(np.linalg.solve(lower_factor, adjoint(a_dot))))
    l_dot = np.matmul(lower_factor, _phi(inner))  # L Phi(L^-1 A_dot L^-H)
    return adjoint(l_dot) if upper else l_dot


defvjp(np.linalg.cholesky, _cholesky_pullback, keywords=("upper",))
defjvp(np.linalg.cholesky, _cholesky_pushforward, keywords=("upper",))


def _eigvalsh(a: Any, UPLO: str = "L") -> Any:
    return np.linalg.eigh(a, UPLO=UPLO)[0]  # type: ignore[call-overload]


defcomposite(np.linalg.eigvalsh, _eigvalsh)


# norms


def _norm_axes(x: Any, ord: Any, axis: Any) -> tuple[tuple[int, ...], bool]:
    """The reduced axes, and whether numpy computes a matrix norm over them."""
    ndim = np.ndim(x)
    axes = tuple(range(ndim)) if axis is None else (axis,) if np.ndim(axis) == 0 else axis
    axes = tuple(int(a) % ndim for a in axes)
    return axes, len(axes) == 2 and (axis is not None or ord is not None)


def _singular_gradient(x: Any, ord: Any, axes: tuple[int, ...]) -> Any:
    """The conjugate of ``d ||x|| / dx`` for the spectral (``ord=2``, ``-2``) and nuclear norms:
    ``u_k v_k^H`` of the largest (smallest) singular value, or ``U V^H`` (the traced svd's)."""
    moved = np.moveaxis(x, axes, (-2, -1))
    u, _, vt = np.linalg.svd(moved, full_matrices=False)
    if ord == "nuc":
        g = np.matmul(u, vt)
    else:
        k = 0 if ord == 2 else -1
        g = np.expand_dims(u[..., :, k], -1) * np.expand_dims(vt[..., k, :], -2)
    return np.moveaxis(g, (-2, -1), axes)


def _norm_gradient(x: Any, y: Any, ord: Any, axes: tuple[int, ...], matrix: bool) -> Any:
    """``g`` with ``norm_dot = Re(sum(g x_dot))``; ``y`` kept over the reduced axes."""
    g = _conjugate_gradient(x, y, ord, axes, matrix)
    return np.conjugate(g) if np.iscomplexobj(g) else g


def _conjugate_gradient(x: Any, y: Any, ord: Any, axes: tuple[int, ...], matrix: bool) -> Any:
    """The conjugate of ``d norm / d x`` (the gradient itself for real ``x``)."""
    if ord in (None, "fro") or (ord == 2 and not matrix):
        return np.divide(x, y)
    if matrix and ord in (2, -2, "nuc"):
        return _singular_gradient(x, ord, axes)
    if matrix:  # 1, -1: the extreme column sum; inf, -inf: the extreme row sum
        summed, spread = (axes[0], axes[1]) if ord in (1, -1) else (axes[1], axes[0])
        hit = np.sum(np.abs(x), axis=summed, keepdims=True) == y
        return np.sign(x) * hit / np.sum(hit, axis=spread, keepdims=True)
    if ord == np.inf or ord == -np.inf:
        hit = np.abs(x) == y
        return np.sign(x) * hit / np.sum(hit, axis=axes, keepdims=True)
    if ord == 1:
        return np.sign(x)
    if ord == 0:
        return np.zeros_like(x)
    p = float(ord)
    return np.sign(x) * np.divide(np.abs(x), y) ** (p - 1.0)


def _kept(v: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    return v if keepdims else np.expand_dims(v, axes)


def _norm_pullback(y_bar, y, x, ord=None, axis=None, keepdims=False):
    axes, matrix = _norm_axes(x, ord, axis)
    g = _norm_gradient(x, _kept(y, axes, keepdims), ord, axes, matrix)
    return _kept(y_bar, axes, keepdims) * g


def _norm_pushforward(x_dot, y, x, ord=None, axis=None, keepdims=False):
    axes, matrix = _norm_axes(x, ord, axis)
    g = _norm_gradient(x, _kept(y, axes, keepdims), ord, axes, matrix)
    y_dot = np.sum(x_dot * g, axis=axes, keepdims=keepdims)
    return np.real(y_dot) if np.iscomplexobj(y_dot) else y_dot


defvjp(np.linalg.norm, _norm_pullback, keywords=("ord", "axis", "keepdims"))
defjvp(np.linalg.norm, _norm_pushforward)
