"""The numpy table, continued: ``numpy.linalg``, stacked (batched) matrices as numpy allows.

Each rule is the classical matrix-calculus one, written with numpy calls so that it is traced
again for second derivatives (Giles, "An extended collection of matrix derivative results",
2008; Murray, "Differentiation of the Cholesky decomposition", 2016):

- ``inv``: ``A_bar = -Y^T Y_bar Y^T``; ``solve(A, b)``: ``b_bar = solve(A^T, x_bar)``,
  ``A_bar = -b_bar x^T``;
- ``det``: ``A_bar = y_bar det(A) A^{-T}`` (a singular matrix raises numpy's error);
- ``cholesky``: ``sym(L^{-T} Phi(L^T L_bar) L^{-1})``, ``Phi`` the lower triangle with half
  its diagonal; ``eigvalsh``: ``V diag(w_bar) V^T`` (first order: the eigenvectors are taken
  on plain values). numpy reads one triangle of the matrix (``UPLO``, ``upper``), so these
  symmetric cotangents are folded onto that triangle: the derivative of numpy's function
  itself, which agrees with finite differences in every entry, and gives the usual
  gradient of anything built from a symmetric matrix;
- ``norm``: every order numpy has, vector and matrix, with ``axis`` and ``keepdims``; the
  spectral and nuclear norms' gradients (``u_1 v_1^T``, ``U V^T``) are first order only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedFunctionError
from .broadcasting import unbroadcast
from .table import defjvp, defvjp

__all__: list[str] = []


def _t(a: Any) -> Any:
    """The (stacked) matrix transpose."""
    return np.swapaxes(a, -1, -2)


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


# determinant


def _det_pullback(y_bar, y, a):
    scale = np.expand_dims(np.expand_dims(y_bar * y, -1), -1)
    return scale * _t(np.linalg.inv(a))


def _det_pushforward(a_dot, y, a):
    return y * np.trace(np.linalg.solve(a, a_dot), axis1=-2, axis2=-1)


defvjp(np.linalg.det, _det_pullback)
defjvp(np.linalg.det, _det_pushforward)


# Cholesky and symmetric eigenvalues: numpy reads one triangle of the matrix


def _symmetrized(a_dot: Any, lower: bool) -> Any:
    """The symmetric matrix numpy sees when it reads one triangle of ``a_dot``."""
    if lower:
        return np.tril(a_dot) + _t(np.tril(a_dot, -1))
    return np.triu(a_dot) + _t(np.triu(a_dot, 1))


def _one_triangle(g: Any, lower: bool) -> Any:
    """The transpose of :func:`_symmetrized`: a symmetric cotangent onto the triangle read."""
    both = g + _t(g)
    return (np.tril(both) if lower else np.triu(both)) - g * np.eye(np.shape(g)[-1])


def _phi(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved."""
    return np.tril(x) - 0.5 * x * np.eye(np.shape(x)[-1])


def _cholesky_pullback(y_bar, y, a, upper=False):
    lower_factor, lower_bar = (_t(y), _t(y_bar)) if upper else (y, y_bar)
    inner = _phi(np.matmul(_t(lower_factor), lower_bar))
    # L^-T P L^-1, symmetrized: the cotangent of the symmetric matrix
    s = np.linalg.solve(_t(lower_factor), _t(np.linalg.solve(_t(lower_factor), _t(inner))))
    return _one_triangle(0.5 * (s + _t(s)), lower=not upper)


def _cholesky_pushforward(a_dot, y, a, upper=False):
    lower_factor = _t(y) if upper else y
    a_dot = _symmetrized(a_dot, lower=not upper)
    inner = np.linalg.solve(lower_factor, _t(np.linalg.solve(lower_factor, _t(a_dot))))
    l_dot = np.matmul(lower_factor, _phi(inner))  # L Phi(L^-1 A_dot L^-T)
    return _t(l_dot) if upper else l_dot


defvjp(np.linalg.cholesky, _cholesky_pullback, keywords=("upper",))
defjvp(np.linalg.cholesky, _cholesky_pushforward, keywords=("upper",))


def _plain(x: Any, what: str, vectors: str) -> Any:
    """``x``, refused if traced: a rule that takes ``vectors`` on plain values has no second
    derivative."""
    if getattr(type(x), "_symrules_traced", False):
        raise UnsupportedFunctionError(
            f"{what}: second derivatives need the {vectors}' derivative, which has no rule yet"
        )
    return x


def _eigvalsh_vectors(a: Any, uplo: str) -> Any:
    plain = _plain(a, "numpy.linalg.eigvalsh", "eigenvectors")
    return np.linalg.eigh(plain, UPLO=uplo)[1]  # type: ignore[call-overload]


def _eigvalsh_pullback(y_bar, y, a, UPLO="L"):
    v = _eigvalsh_vectors(a, UPLO)
    return _one_triangle(np.matmul(v * np.expand_dims(y_bar, -2), _t(v)), UPLO in "Ll")


def _eigvalsh_pushforward(a_dot, y, a, UPLO="L"):
    v = _eigvalsh_vectors(a, UPLO)
    return np.sum(v * np.matmul(_symmetrized(a_dot, UPLO in "Ll"), v), axis=-2)


defvjp(np.linalg.eigvalsh, _eigvalsh_pullback, keywords=("UPLO",))
defjvp(np.linalg.eigvalsh, _eigvalsh_pushforward)


# norms


def _norm_axes(x: Any, ord: Any, axis: Any) -> tuple[tuple[int, ...], bool]:
    """The reduced axes, and whether numpy computes a matrix norm over them."""
    ndim = np.ndim(x)
    axes = tuple(range(ndim)) if axis is None else (axis,) if np.ndim(axis) == 0 else axis
    axes = tuple(int(a) % ndim for a in axes)
    return axes, len(axes) == 2 and (axis is not None or ord is not None)


def _singular_gradient(x: Any, ord: Any, axes: tuple[int, ...]) -> Any:
    """``d ||x|| / dx`` for the spectral (``ord=2``, ``-2``) and nuclear norms: ``u_k v_k^T``
    of the largest (smallest) singular value, or ``U V^T``; taken on plain values."""
    plain = _plain(x, f"numpy.linalg.norm(ord={ord!r})", "singular vectors")
    moved = np.moveaxis(plain, axes, (-2, -1))
    u, _, vt = np.linalg.svd(moved, full_matrices=False)
    if ord == "nuc":
        g = np.matmul(u, vt)
    else:
        k = 0 if ord == 2 else -1
        g = np.expand_dims(u[..., :, k], -1) * np.expand_dims(vt[..., k, :], -2)
    return np.moveaxis(g, (-2, -1), axes)


def _norm_gradient(x: Any, y: Any, ord: Any, axes: tuple[int, ...], matrix: bool) -> Any:
    """``d norm / d x`` with ``y`` kept over the reduced axes (shape broadcasting with x)."""
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
    return np.sum(x_dot * g, axis=axes, keepdims=keepdims)


defvjp(np.linalg.norm, _norm_pullback, keywords=("ord", "axis", "keepdims"))
defjvp(np.linalg.norm, _norm_pushforward)
