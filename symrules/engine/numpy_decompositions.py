"""The numpy table, continued: ``numpy.linalg``'s decompositions, stacked matrices as numpy allows.

A decomposition returns several arrays; the engine differentiates single outputs. So each is a
composite (:func:`~symrules.engine.table.defcomposite`): a table function (``eigh_packed``,
...) computes the decomposition once and returns its parts side by side in one array (per
matrix of a stack), with one joint pushforward and pullback, and the composite slices the
parts apart. The rules are the classical ones, written with numpy calls on the traced values
so that they are traced again for second derivatives, and for complex input under JAX's
convention (a pullback is the transpose under ``Re(a b)``, no conjugation):

- ``eigh`` (Giles 2008): ``dw = diag(V^H dA V)``, ``dV = V (F o V^H dA V)`` with
  ``F_ij = 1 / (w_j - w_i)``; numpy reads one triangle of ``A`` (``UPLO``), so this is the
  derivative of the Hermitian matrix built from that triangle, folded back onto it
  (:func:`~symrules.engine.numpy_linalg.onto_triangle`);
- ``svd`` (Townsend 2016, as JAX writes it): reduced, or full for a square matrix; the extra
  columns of a non-square matrix's full ``U`` (rows of ``Vt``) are any basis of a complement
  and have no derivative: a cotangent reaching them is refused by name, and so is forward
  mode through them;
- ``qr``: ``mode='reduced'``, ``'r'``, and ``'complete'`` where it is the reduced one (Walter
  and Lehmann 2018; a wide matrix ``[X | Y]`` has ``R = [R_X | Q^H Y]``);
- ``eig``: ``A = V diag(w) V^-1`` with numpy's unit-norm eigenvectors; for complex ones only
  functions that do not depend on their phase (``abs``) are defined, as numpy fixes the phase
  by a rule of its own.

``eigvals`` and ``svdvals`` are ``eig``'s and ``svd``'s values; ``eigvalsh`` and the spectral
and nuclear norms (:mod:`~symrules.engine.numpy_linalg`) are built on the traced ``eigh`` and
``svd``, so they have second derivatives too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedFunctionError
from .numpy_linalg import adjoint, hermitian_from_triangle, onto_triangle, real_part
from .table import defcomposite, defjvp, defvjp
from .tracing import bind, strip

__all__ = ["eig_packed", "eigh_packed", "qr_packed", "svd_complement", "svd_packed"]

_EIGH = type(np.linalg.eigh(np.eye(1)))  # numpy's result types (named tuples)
_EIG = type(np.linalg.eig(np.eye(1)))
_SVD = type(np.linalg.svd(np.eye(1)))
_QR = type(np.linalg.qr(np.eye(1)))


def _t(a: Any) -> Any:
    """The (stacked) matrix transpose."""
    return np.swapaxes(a, -1, -2)


def _conj(x: Any) -> Any:
    return np.conjugate(x) if np.iscomplexobj(x) else x


def _diag(v: Any) -> Any:
    """The (stacked) diagonal matrix with ``v`` on its diagonal."""
    return np.expand_dims(v, -2) * np.eye(np.shape(v)[-1])


def _diagonal(m: Any) -> Any:
    return np.diagonal(m, axis1=-2, axis2=-1)


def _gaps(w: Any) -> Any:
    """``F_ij = 1 / (w_j - w_i)`` off the diagonal, 0 on it (stacked)."""
    eye = np.eye(np.shape(w)[-1])
    return (1.0 - eye) / (np.expand_dims(w, -2) - np.expand_dims(w, -1) + eye)


# ---------------------------------------------------------------------------------------
# several outputs packed in one array: the last axis holds each matrix's parts, flattened


def _pack(a: Any, *parts: Any) -> Any:
    batch = np.shape(a)[:-2]
    return np.concatenate([np.reshape(p, (*batch, -1)) for p in parts], axis=-1)


def _unpack(packed: Any, a: Any, shapes: list[tuple[int, ...]]) -> list[Any]:
    batch, parts, start = np.shape(a)[:-2], [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(np.reshape(packed[..., start : start + size], (*batch, *shape)))
        start += size
    return parts


def _packed_call(packed: Any, a: Any, shapes: list[tuple[int, ...]], **kwargs: Any) -> list:
    """The parts of ``packed(a)``, recorded as one traced call."""
    return _unpack(bind(packed, (a,), kwargs), a, shapes)


# ---------------------------------------------------------------------------------------
# eigh (and eigvalsh, built on it in numpy_linalg)


def _eigh_shapes(a: Any) -> list[tuple[int, ...]]:
    n = np.shape(a)[-1]
    return [(n,), (n, n)]


def eigh_packed(a: Any, UPLO: str = "L") -> Any:
    """``numpy.linalg.eigh(a)``'s ``w`` and ``V`` side by side (flattened) in one array.

    Examples
    --------
    >>> import numpy as np
    >>> np.abs(eigh_packed(np.diag([2.0, 1.0]))).tolist()
    [1.0, 2.0, 0.0, 1.0, 1.0, 0.0]
    """
    return _pack(a, *np.linalg.eigh(a, UPLO=UPLO))  # type: ignore[call-overload]


def _eigh_pullback(y_bar, y, a, UPLO="L"):
    w, v = _unpack(y, a, _eigh_shapes(a))
    w_bar, v_bar = _unpack(y_bar, a, _eigh_shapes(a))
    inner = _diag(real_part(w_bar)) + _gaps(real_part(w)) * np.matmul(_t(v), v_bar)
    return onto_triangle(np.matmul(_conj(v), np.matmul(inner, _t(v))), UPLO in "Ll")


def _eigh_pushforward(a_dot, y, a, UPLO="L"):
    w, v = _unpack(y, a, _eigh_shapes(a))
    m = np.matmul(adjoint(v), np.matmul(hermitian_from_triangle(a_dot, UPLO in "Ll"), v))
    return _pack(a, real_part(_diagonal(m)), np.matmul(v, _gaps(real_part(w)) * m))


defvjp(eigh_packed, _eigh_pullback, keywords=("UPLO",))
defjvp(eigh_packed, _eigh_pushforward, keywords=("UPLO",))


def _eigh(a: Any, UPLO: str = "L") -> Any:
    w, v = _packed_call(eigh_packed, a, _eigh_shapes(a), UPLO=UPLO)
    return _EIGH(real_part(w), v)


defcomposite(np.linalg.eigh, _eigh)


# ---------------------------------------------------------------------------------------
# svd


def _svd_shapes(a: Any) -> list[tuple[int, ...]]:
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    return [(m, k), (k,), (k, n)]


def svd_packed(a: Any) -> Any:
    """The reduced ``numpy.linalg.svd(a)``'s ``U``, ``s``, ``Vt`` side by side in one array.

    Examples
    --------
    >>> import numpy as np
    >>> np.abs(svd_packed(np.array([[0.0, 2.0]]))).tolist()
    [1.0, 2.0, 0.0, 1.0]
    """
    return _pack(a, *np.linalg.svd(a, full_matrices=False))


def _svd_pushforward(a_dot, y, a):
    u, s, vt = _unpack(y, a, _svd_shapes(a))
    s = real_part(s)
    v, row = adjoint(vt), np.expand_dims(s, -2)
    ds = np.matmul(adjoint(u), np.matmul(a_dot, v))
    f = _gaps(s * s)
    dss, sds = ds * row, _t(row) * ds
    du = np.matmul(u, f * (dss + adjoint(dss)))
    dv = np.matmul(v, f * (sds + adjoint(sds)))
    if np.iscomplexobj(ds):  # the phase: U and V turn together
        du = du + np.matmul(u, 0.5 * (ds - adjoint(ds)) * np.eye(np.shape(s)[-1]) / row)
    m, n = np.shape(a)[-2:]
    if m > n:
        dav = np.matmul(a_dot, v)
        du = du + (dav - np.matmul(u, np.matmul(adjoint(u), dav))) / row
    if n > m:
        dahu = np.matmul(adjoint(a_dot), u)
        dv = dv + (dahu - np.matmul(v, np.matmul(adjoint(v), dahu))) / row
    return _pack(a, du, real_part(_diagonal(ds)), adjoint(dv))


def _svd_pullback(y_bar, y, a):
    u, s, vt = _unpack(y, a, _svd_shapes(a))
    u_bar, s_bar, vt_bar = _unpack(y_bar, a, _svd_shapes(a))
    s = real_part(s)
    v, v_bar, row = adjoint(vt), adjoint(vt_bar), np.expand_dims(s, -2)
    f = _gaps(s * s)
    ut_u_bar = np.matmul(_t(u), u_bar)
    y1, y2 = f * ut_u_bar, f * np.matmul(_t(v), v_bar)
    ds_bar = _diag(real_part(s_bar)) + (y1 + adjoint(y1)) * row + _t(row) * (y2 + adjoint(y2))
    if np.iscomplexobj(ut_u_bar):
        z = ut_u_bar * np.eye(np.shape(s)[-1]) / row
        ds_bar = ds_bar + 0.5 * (z - adjoint(z))
    a_bar = np.matmul(_conj(u), np.matmul(ds_bar, _t(v)))
    m, n = np.shape(a)[-2:]
    if m > n:  # (I - conj(U) U^T) U_bar S^-1 V^T
        scaled = u_bar / row
        rest = scaled - np.matmul(_conj(u), np.matmul(_t(u), scaled))
        a_bar = a_bar + np.matmul(rest, _t(v))
    if n > m:
        scaled = v_bar / row
        rest = scaled - np.matmul(_conj(v), np.matmul(_t(v), scaled))
        a_bar = a_bar + adjoint(np.matmul(rest, _t(u)))
    return a_bar


defvjp(svd_packed, _svd_pullback)
defjvp(svd_packed, _svd_pushforward)

_NO_EXTRA = (
    "numpy.linalg.svd(full_matrices=True) of a non-square matrix: the extra columns of U (rows "
    "of Vt) are any orthonormal basis of a complement and have no derivative; use "
    "full_matrices=False"
)


def svd_complement(a: Any) -> Any:
    """The columns of a tall matrix's full ``U`` (the rows of a wide one's ``Vt``) past
    ``min(m, n)``: a basis of a complement, with no derivative.

    Examples
    --------
    >>> import numpy as np
    >>> np.abs(svd_complement(np.array([[0.0, 2.0]]))).tolist()
    [[1.0, 0.0]]
    """
    u, _, vt = np.linalg.svd(a, full_matrices=True)
    m, n = np.shape(a)[-2:]
    return u[..., :, n:] if m > n else vt[..., m:, :]


def svd_complement_pullback(y_bar, y, a):
    if np.any(strip(y_bar) != 0):
        raise UnsupportedFunctionError(_NO_EXTRA)
    return 0.0 * a  # unused: no cotangent reaches it


def svd_complement_pushforward(a_dot, y, a):
    raise UnsupportedFunctionError(_NO_EXTRA + " (forward mode)")


defvjp(svd_complement, svd_complement_pullback)
defjvp(svd_complement, svd_complement_pushforward)


def _svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False):
    if hermitian:
        raise UnsupportedFunctionError(
            "numpy.linalg.svd: hermitian=True reads one triangle and is not supported while "
            "differentiating; use hermitian=False"
        )
    u, s, vt = _packed_call(svd_packed, a, _svd_shapes(a))
    s = real_part(s)
    if not compute_uv:
        return s
    m, n = np.shape(a)[-2:]
    if full_matrices and m > n:
        u = np.concatenate([u, bind(svd_complement, (a,), {})], axis=-1)
    elif full_matrices and n > m:
        vt = np.concatenate([vt, bind(svd_complement, (a,), {})], axis=-2)
    return _SVD(u, s, vt)


defcomposite(np.linalg.svd, _svd)


# ---------------------------------------------------------------------------------------
# qr: a tall (or square) matrix X = QR; a wide one [X | Y] has R = [R_X | Q^H Y]


def _qr_shapes(a: Any) -> list[tuple[int, ...]]:
    m, n = np.shape(a)[-2:]
    return [(m, min(m, n)), (min(m, n), n)]


def qr_packed(a: Any) -> Any:
    """The reduced ``numpy.linalg.qr(a)``'s ``Q`` and ``R`` side by side in one array.

    Examples
    --------
    >>> import numpy as np
    >>> np.abs(qr_packed(np.array([[3.0], [4.0]]))).tolist()
    [0.6, 0.8, 5.0]
    """
    return _pack(a, *np.linalg.qr(a))


def _qr_square_pushforward(x_dot: Any, q: Any, r: Any) -> tuple[Any, Any]:
    b = _t(np.linalg.solve(_t(r), _t(x_dot)))  # X_dot R^-1
    c = np.matmul(adjoint(q), b)
    low = np.tril(c, -1)
    turn = low - adjoint(low)  # Q^H Q_dot: skew-Hermitian, with R's diagonal kept real
    if np.iscomplexobj(c):
        turn = turn + (c - real_part(c)) * np.eye(np.shape(c)[-1])
    return np.matmul(q, turn - c) + b, np.matmul(c - turn, r)


def _qr_square_pullback(q_bar: Any, r_bar: Any, q: Any, r: Any) -> Any:
    turn_bar = np.matmul(_t(q), q_bar) - np.matmul(r_bar, _t(r))
    c_bar = np.tril(turn_bar, -1) - np.tril(adjoint(turn_bar), -1) - turn_bar
    if np.iscomplexobj(turn_bar):
        c_bar = c_bar + (turn_bar - real_part(turn_bar)) * np.eye(np.shape(c_bar)[-1])
    b_bar = q_bar + np.matmul(_conj(q), c_bar)
    return _t(np.linalg.solve(r, _t(b_bar)))  # B_bar R^-T


def _qr_pushforward(a_dot, y, a):
    q, r = _unpack(y, a, _qr_shapes(a))
    m = np.shape(q)[-1]
    dq, dr = _qr_square_pushforward(a_dot[..., :, :m], q, r[..., :, :m])
    if np.shape(a)[-1] > m:  # R_Y = Q^H Y
        rest = np.matmul(adjoint(dq), a[..., :, m:]) + np.matmul(adjoint(q), a_dot[..., :, m:])
        dr = np.concatenate([dr, rest], axis=-1)
    return _pack(a, dq, dr)


def _qr_pullback(y_bar, y, a):
    q, r = _unpack(y, a, _qr_shapes(a))
    q_bar, r_bar = _unpack(y_bar, a, _qr_shapes(a))
    m = np.shape(q)[-1]
    if np.shape(a)[-1] == m:
        return _qr_square_pullback(q_bar, r_bar, q, r)
    rest_bar = r_bar[..., :, m:]
    q_bar = q_bar + adjoint(np.matmul(rest_bar, _t(a[..., :, m:])))
    x_bar = _qr_square_pullback(q_bar, r_bar[..., :, :m], q, r[..., :, :m])
    return np.concatenate([x_bar, np.matmul(_conj(q), rest_bar)], axis=-1)


defvjp(qr_packed, _qr_pullback)
defjvp(qr_packed, _qr_pushforward)


def _qr(a: Any, mode: str = "reduced") -> Any:
    m, n = np.shape(a)[-2:]
    if mode not in ("reduced", "r") and not (mode == "complete" and m <= n):
        raise UnsupportedFunctionError(
            f"numpy.linalg.qr(mode={mode!r}) is not supported while differentiating "
            "(supported: 'reduced', 'r', and 'complete' for a matrix no taller than wide)"
        )
    q, r = _packed_call(qr_packed, a, _qr_shapes(a))
    return r if mode == "r" else _QR(q, r)


defcomposite(np.linalg.qr, _qr)


# ---------------------------------------------------------------------------------------
# eig: A = V diag(w) V^-1, numpy's eigenvectors of unit norm


def eig_packed(a: Any) -> Any:
    """``numpy.linalg.eig(a)``'s ``w`` and ``V`` side by side (flattened) in one array.

    Examples
    --------
    >>> import numpy as np
    >>> np.abs(eig_packed(np.diag([2.0, 1.0]))).tolist()
    [2.0, 1.0, 1.0, 0.0, 0.0, 1.0]
    """
    return _pack(a, *np.linalg.eig(a))


def _eig_pushforward(a_dot, y, a):
    w, v = _unpack(y, a, _eigh_shapes(a))
    m = np.linalg.solve(v, np.matmul(a_dot, v))
    dv = np.matmul(v, _gaps(w) * m)
    dv = dv - v * real_part(np.sum(_conj(v) * dv, axis=-2, keepdims=True))  # the norm stays 1
    return _pack(a, _diagonal(m), dv)


def _eig_pullback(y_bar, y, a):
    w, v = _unpack(y, a, _eigh_shapes(a))
    w_bar, v_bar = _unpack(y_bar, a, _eigh_shapes(a))
    v_bar = v_bar - _conj(v) * real_part(np.sum(v_bar * v, axis=-2, keepdims=True))
    m_bar = _diag(w_bar) + _gaps(w) * np.matmul(_t(v), v_bar)
    return np.linalg.solve(_t(v), np.matmul(m_bar, _t(v)))  # V^-T M_bar V^T


defvjp(eig_packed, _eig_pullback)
defjvp(eig_packed, _eig_pushforward)


def _eig(a: Any) -> Any:
    return _EIG(*_packed_call(eig_packed, a, _eigh_shapes(a)))


defcomposite(np.linalg.eig, _eig)
defcomposite(np.linalg.eigvals, lambda a: _eig(a)[0])
defcomposite(np.linalg.svdvals, lambda x: _svd(x, compute_uv=False))
