"""numpy.linalg's decompositions pin down: each output's derivative agrees with finite
differences of numpy's own function (one triangle read by ``eigh``, LAPACK's signs), in
reverse and forward mode and at second order, for tall, wide, square and stacked matrices;
closed forms (``d s_k = u_k v_k^T``, ``d w_k = v_k v_k^T``, ``d log|det A| = A^-T``); complex
input equals JAX's gradients; and where no derivative exists an error names it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import symrules as sr
from symrules.engine.numpy_decompositions import (
    eig_packed,
    eigh_packed,
    qr_packed,
    svd_complement,
    svd_packed,
)
from symrules.engine.numpy_linalg import logabsdet
from symrules.testing import check_frule, check_grad, check_rrule

EXACT = 1e-12  # closed forms in floating point, well-conditioned small matrices
AGREE = 1e-10  # forward against reverse mode: the same derivative by two routes
JAX_AGREE = 1e-9  # against jax.grad: the same formulas, rounded differently

_rng = np.random.default_rng(20261207)
SQUARE = _rng.uniform(-1.0, 1.0, (4, 4)) + 3.0 * np.eye(4)
TALL = _rng.uniform(-1.0, 1.0, (5, 3))
WIDE = _rng.uniform(-1.0, 1.0, (3, 5))
STACK = _rng.uniform(-1.0, 1.0, (2, 4, 3))
NONSYMMETRIC = _rng.uniform(-1.0, 1.0, (4, 4)) + np.diag([0.0, 2.0, 4.0, 6.0])  # real w apart


def _parts(out):
    return out if isinstance(out, tuple | list) else (out,)


def _scalar(fn, **kwargs):
    """``sum(sin(part))`` over every output part: a scalar that sees every entry."""
    return lambda x: sum(np.sum(np.sin(p)) for p in _parts(fn(x, **kwargs)))


CASES = {  # name -> (numpy function, argument, keywords)
    "slogdet": (np.linalg.slogdet, SQUARE, {}),
    "slogdet_negative": (np.linalg.slogdet, -SQUARE[:3, :3], {}),
    "slogdet_stacked": (np.linalg.slogdet, np.stack([SQUARE, SQUARE.T]), {}),
    "eigh_lower": (np.linalg.eigh, NONSYMMETRIC, {}),  # reads the lower triangle only
    "eigh_upper": (np.linalg.eigh, NONSYMMETRIC, {"UPLO": "U"}),
    "eigh_stacked": (np.linalg.eigh, np.stack([NONSYMMETRIC, SQUARE]), {}),
    "eigvalsh": (np.linalg.eigvalsh, NONSYMMETRIC, {"UPLO": "U"}),
    "svd_tall": (np.linalg.svd, TALL, {"full_matrices": False}),
    "svd_wide": (np.linalg.svd, WIDE, {"full_matrices": False}),
    "svd_square_full": (np.linalg.svd, SQUARE, {}),
    "svd_stacked": (np.linalg.svd, STACK, {"full_matrices": False}),
    "svd_values": (np.linalg.svd, WIDE, {"compute_uv": False}),
    "pinv_tall": (np.linalg.pinv, TALL, {}),
    "pinv_stacked_wide": (
        np.linalg.pinv,
        np.swapaxes(STACK, -1, -2),
        {"rtol": 0},
    ),  # an int: a float would be a field
    "qr_tall": (np.linalg.qr, TALL, {}),
    "qr_wide": (np.linalg.qr, WIDE, {}),
    "qr_stacked_r": (np.linalg.qr, STACK, {"mode": "r"}),
    "qr_wide_complete": (np.linalg.qr, WIDE, {"mode": "complete"}),
    "eig_real_eigenvalues": (np.linalg.eig, NONSYMMETRIC, {}),
    "eigvals": (np.linalg.eigvals, NONSYMMETRIC, {}),
    "svdvals": (np.linalg.svdvals, STACK, {}),
    "norm_spectral": (np.linalg.norm, TALL, {"ord": 2}),
    "norm_smallest": (np.linalg.norm, STACK, {"ord": -2, "axis": (1, 2)}),
    "norm_nuclear": (np.linalg.norm, WIDE, {"ord": "nuc"}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_gradient_forward_mode_and_second_derivative(case, rng):
    fn, x, kwargs = case
    scalar = _scalar(fn, **kwargs)
    check_grad(scalar, x, rng=rng)
    v = rng.standard_normal(np.shape(x))
    _, y_dot = sr.jvp(scalar, (x,), (v,))
    np.testing.assert_allclose(y_dot, np.sum(sr.grad(scalar)(x) * v), rtol=AGREE)
    check_grad(lambda x: np.sum(sr.grad(scalar)(x) * v), x, rng=rng)  # a Hessian along v


PACKED = {  # the table functions the composites are built on: their rules, directly
    "eigh_packed": (eigh_packed, NONSYMMETRIC, {"UPLO": "U"}),
    "svd_packed_tall": (svd_packed, TALL, {}),
    "svd_packed_stacked": (svd_packed, STACK, {}),
    "qr_packed_wide": (qr_packed, WIDE, {}),
    "eig_packed": (eig_packed, NONSYMMETRIC, {}),
    "logabsdet": (logabsdet, SQUARE, {}),
}


@pytest.mark.parametrize("case", PACKED.values(), ids=PACKED.keys())
def test_packed_rules_agree_with_finite_differences(case, rng):
    fn, x, kwargs = case
    check_rrule(fn, x, rng=rng, **kwargs)
    check_frule(fn, x, rng=rng, **kwargs)


def test_closed_forms():
    # d log|det A| / dA = A^-T, whatever the sign of det A
    for a in (SQUARE, -SQUARE[:3, :3]):
        np.testing.assert_allclose(sr.grad(lambda a: np.linalg.slogdet(a)[1])(a),
                                   np.linalg.inv(a).T, rtol=EXACT)  # fmt: skip
    # d s_k / dA = u_k v_k^T
    u, _s, vt = np.linalg.svd(TALL, full_matrices=False)
    for k in range(3):
        g = sr.grad(lambda a, k=k: np.linalg.svd(a, full_matrices=False)[1][k])(TALL)
        np.testing.assert_allclose(g, np.outer(u[:, k], vt[k]), atol=EXACT)
    # d w_k / dA = v_k v_k^T folded onto the lower triangle numpy reads
    _w, v = np.linalg.eigh(NONSYMMETRIC)
    for k in range(4):
        g = sr.grad(lambda a, k=k: np.linalg.eigh(a)[0][k])(NONSYMMETRIC)
        outer = np.outer(v[:, k], v[:, k])
        np.testing.assert_allclose(g, np.tril(2.0 * outer) - np.diag(np.diag(outer)), atol=EXACT)
    # the pseudo-inverse of an invertible matrix is its inverse: the same derivative
    by_pinv = sr.grad(lambda a: np.sum(np.linalg.pinv(a)))(SQUARE)
    np.testing.assert_allclose(by_pinv, sr.grad(lambda a: np.sum(np.linalg.inv(a)))(SQUARE),
                               rtol=AGREE)  # fmt: skip


def test_the_results_are_numpys_named_tuples():
    def probe(a):
        w, _v = np.linalg.eigh(a)
        out = np.linalg.svd(a)
        assert type(out).__name__ == "SVDResult" and out.S is out[1]
        assert np.linalg.slogdet(a).logabsdet is not None
        return np.sum(w) + np.sum(out.S)

    np.testing.assert_allclose(sr.grad(probe)(SQUARE), np.eye(4) + sr.grad(
        lambda a: np.linalg.norm(a, "nuc"))(SQUARE), atol=EXACT)  # fmt: skip


def test_full_svd_of_a_non_square_matrix():
    # the extra columns of U are any basis of a complement: unused, the rest differentiates
    def used(a):
        u, s, _ = np.linalg.svd(a)
        return np.sum(s) + np.sum(u[:, :3] ** 3)

    check_grad(used, TALL)
    with pytest.raises(sr.UnsupportedFunctionError, match=r"full_matrices=True.*no derivative"):
        sr.grad(lambda a: np.sum(np.linalg.svd(a)[0] ** 3))(TALL)
    with pytest.raises(sr.UnsupportedFunctionError, match=r"full_matrices=True.*forward mode"):
        sr.jvp(used, (TALL,), (TALL,))
    with pytest.raises(sr.UnsupportedFunctionError, match=r"full_matrices=True"):
        sr.grad(lambda a: np.sum(svd_complement(a)))(WIDE)


@pytest.mark.parametrize(
    ("call", "refused"),
    [
        (lambda a: np.linalg.svd(a, hermitian=True)[1], "hermitian=True"),
        (lambda a: np.linalg.qr(a, mode="complete")[0], "mode='complete'"),
        (lambda a: np.linalg.qr(a, mode="raw")[0], "mode='raw'"),
        (lambda a: np.linalg.pinv(a, hermitian=True), "hermitian=True"),
    ],
    ids=["svd_hermitian", "qr_complete_tall", "qr_raw", "pinv_hermitian"],
)
def test_forms_without_a_derivative_are_named(call, refused):
    with pytest.raises(sr.UnsupportedFunctionError, match=re.escape(refused)):
        sr.grad(lambda a: np.sum(call(a)))(TALL)


# ---------------------------------------------------------------------------------------
# complex input: JAX's convention, JAX's gradients (eigenvectors only through their moduli)


def _hermitian(m):
    return lambda x: x + m.conj(m.swapaxes(x, -1, -2))


COMPLEX = {  # name -> (scalar function of the numpy-like module m, argument shape)
    "eigh": (lambda m: lambda x: m.sum(m.sin(m.linalg.eigh(_hermitian(m)(x))[0]))
             + m.sum(m.abs(m.linalg.eigh(_hermitian(m)(x))[1]) ** 3), (4, 4)),
    "svd": (lambda m: lambda x: m.sum(m.sin(m.linalg.svd(x, full_matrices=False)[1]))
            + m.sum(m.abs(m.linalg.svd(x, full_matrices=False)[0]) ** 3), (2, 5, 3)),
    "svd_wide_vectors": (lambda m: lambda x: m.real(m.sum(
        m.linalg.svd(x, full_matrices=False)[0] @ m.linalg.svd(x, full_matrices=False)[2]
        * (1.0 + 2.0j))), (3, 5)),
    "qr": (lambda m: lambda x: m.sum(m.real(m.linalg.qr(x)[1] * (1.0 + 2.0j)))
           + m.sum(m.abs(m.linalg.qr(x)[0]) ** 3), (5, 3)),
    "qr_wide": (lambda m: lambda x: m.sum(m.real(m.linalg.qr(x)[1] * (1.0 - 2.0j))), (3, 5)),
    "slogdet": (lambda m: lambda x: m.sum(m.real(m.linalg.slogdet(x)[0] * (0.3 + 0.7j))
                                          + m.linalg.slogdet(x)[1]), (2, 3, 3)),
    "pinv": (lambda m: lambda x: m.sum(m.real(m.linalg.pinv(x) * (1.0 + 2.0j))), (5, 3)),
    "cholesky_upper": (lambda m: lambda x: m.sum(m.real(m.linalg.cholesky(
        _hermitian(m)(x) + 8.0 * m.eye(3), upper=True) * (1.0 + 2.0j))), (3, 3)),
    "norm_nuclear": (lambda m: lambda x: m.linalg.norm(x, "nuc"), (4, 3)),
    "norm_spectral": (lambda m: lambda x: m.linalg.norm(x, 2), (4, 3)),
    "norm_p": (lambda m: lambda x: m.linalg.norm(x, 3), (5,)),
    "norm_inf_matrix": (lambda m: lambda x: m.linalg.norm(x, np.inf), (4, 3)),
}  # fmt: skip


@pytest.mark.parametrize("case", COMPLEX.values(), ids=COMPLEX.keys())
def test_complex_input_agrees_with_jax(case, rng):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    make, shape = case
    x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    expected = np.asarray(jax.grad(make(jax.numpy))(jax.numpy.asarray(x)))
    np.testing.assert_allclose(sr.grad(make(np))(x), expected, atol=JAX_AGREE)


def test_complex_eigenvectors_of_eig_against_finite_differences(rng):
    # JAX has no rule for eig's eigenvectors: the phase-invariant |V| against differences
    x = rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4))

    def fun(a):
        w, v = np.linalg.eig(a)
        return np.sum(np.real(w * (1.0 + 2.0j))) + np.sum(np.abs(v) ** 3)

    g = sr.grad(fun)(x)
    re = sr.finite_differences.gradient(lambda r: fun(r + 1j * x.imag), x.real)
    im = sr.finite_differences.gradient(lambda i: fun(x.real + 1j * i), x.imag)
    np.testing.assert_allclose(g, re - 1j * im, atol=1e-7)  # JAX's grad: d/du - i d/dv
