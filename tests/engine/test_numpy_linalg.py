"""numpy.linalg's rules pin down: closed forms (d det = det A^-T, d inv, d solve, the
eigenvalues' derivative v v^T, every norm's gradient), finite differences of every rule in
both modes and at second order (the spectral and nuclear norms' and eigvalsh's through the
traced decompositions), stacked matrices.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrules as sr
from symrules.testing import check_frule, check_grad, check_rrule

EXACT = 1e-12  # closed forms in floating point, well-conditioned 3 x 3 matrices
SECOND_ORDER_RTOL, SECOND_ORDER_ATOL = 1e-5, 1e-6  # a Hessian against FD of the gradient

_rng = np.random.default_rng(20261206)
A = _rng.uniform(-1.0, 1.0, (3, 3)) + 3.0 * np.eye(3)  # well conditioned
STACK = np.stack([A, A.T + np.eye(3)])
SPD = A @ A.T + np.diag([0.0, 3.0, 6.0])  # eigenvalues well apart: smooth in every entry
SPD_STACK = np.stack([SPD, SPD + np.eye(3)])
B = _rng.uniform(-1.0, 1.0, 3)
BMAT = _rng.uniform(-1.0, 1.0, (3, 2))
X = _rng.uniform(-1.0, 1.0, (3, 4))


CASES = {  # name -> (function, arguments); every rule, forward and reverse
    "inv": (np.linalg.inv, (A,)),
    "inv_stacked": (np.linalg.inv, (STACK,)),
    "solve_vector": (np.linalg.solve, (A, B)),
    "solve_matrix": (np.linalg.solve, (A, BMAT)),
    "solve_stacked_vector": (np.linalg.solve, (STACK, B)),
    "solve_stacked": (np.linalg.solve, (STACK, np.stack([BMAT, -BMAT]))),
    "det": (np.linalg.det, (A,)),
    "det_stacked": (np.linalg.det, (STACK,)),
    "norm_vector": (np.linalg.norm, (B,)),
    "norm_frobenius": (np.linalg.norm, (X,)),
    # numpy reads one triangle: the rules differentiate exactly that, so every entry checks
    "cholesky": (np.linalg.cholesky, (SPD,)),
    "cholesky_stacked": (np.linalg.cholesky, (SPD_STACK,)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_rules_agree_with_finite_differences(case, rng):
    fn, args = case
    check_rrule(fn, *args, rng=rng)
    check_frule(fn, *args, rng=rng)


SECOND = {  # name -> (scalar function of one matrix, where); symmetric ones see the symmetric part
    "inv": (lambda x: np.sum(np.sin(np.linalg.inv(x))), A),
    "solve": (lambda x: np.sum(np.sin(np.linalg.solve(x, B))), A),
    "det": (lambda x: np.sin(np.linalg.det(x)), A),
    "cholesky": (lambda s: np.sum(np.sin(np.linalg.cholesky(s))), SPD),
    "cholesky_upper_stacked": (
        lambda s: np.sum(np.sin(np.linalg.cholesky(s, upper=True))),
        SPD_STACK,
    ),
    "norm_p": (lambda x: np.sum(np.sin(np.linalg.norm(x, ord=3, axis=0))), A),
    "norm_spectral": (lambda x: np.linalg.norm(x, ord=2), X),
    "norm_nuclear": (lambda x: np.linalg.norm(x, ord="nuc"), X),
    "eigvalsh": (lambda s: np.sum(np.sin(np.linalg.eigvalsh(s))), SPD),
    "eigvalsh_stacked": (lambda s: np.sum(np.sin(np.linalg.eigvalsh(s, UPLO="U"))), SPD_STACK),
}


@pytest.mark.parametrize("case", SECOND.values(), ids=SECOND.keys())
def test_gradients_and_second_derivatives(case, rng):
    fun, x = case
    check_grad(fun, x, rng=rng)
    hessian = sr.hessian(fun)(x)
    by_fd = sr.finite_differences.jacobian(sr.grad(fun), x)
    np.testing.assert_allclose(hessian, by_fd, rtol=SECOND_ORDER_RTOL, atol=SECOND_ORDER_ATOL)


def test_closed_forms():
    # d det / dA = det(A) A^-T; d sum(inv(A)) / dA = -inv(A)^T 1 1^T inv(A)^T
    np.testing.assert_allclose(sr.grad(np.linalg.det)(A),
                               np.linalg.det(A) * np.linalg.inv(A).T, rtol=EXACT)  # fmt: skip
    inv = np.linalg.inv(A)
    ones = np.ones((3, 3))
    np.testing.assert_allclose(sr.grad(lambda a: np.sum(np.linalg.inv(a)))(A),
                               -inv.T @ ones @ inv.T, rtol=EXACT)  # fmt: skip
    # d (c . solve(A, b)) / db = solve(A^T, c)
    c = np.array([0.3, -0.2, 0.5])
    np.testing.assert_allclose(sr.grad(lambda b: c @ np.linalg.solve(A, b))(B),
                               np.linalg.solve(A.T, c), rtol=EXACT)  # fmt: skip
    # the eigenvalues of a symmetric matrix S = a a^T: d lambda_k / dS = v_k v_k^T, so
    # d lambda_k / da = 2 v_k v_k^T a (numpy reads one triangle; built from a, S is symmetric)
    _w, v = np.linalg.eigh(SPD)
    root = np.linalg.cholesky(SPD)
    for k in range(3):
        g = sr.grad(lambda a, k=k: np.linalg.eigvalsh(a @ a.T)[k])(root)
        np.testing.assert_allclose(g, 2 * np.outer(v[:, k], v[:, k]) @ root, atol=EXACT)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ord": 1, "axis": 1},
        {"ord": np.inf, "axis": 1},
        {"ord": -np.inf, "axis": 0},
        {"ord": 0.5, "axis": 0},
        {"ord": -2.5, "axis": 1},
        {"ord": "fro"},
        {"axis": (0, 1), "keepdims": True},
        {"ord": 1},
        {"ord": -1},
        {"ord": np.inf},
        {"ord": -np.inf},
        {"ord": 2},
        {"ord": -2},
        {"ord": "nuc"},
    ],
    ids=repr,
)
def test_every_norm(kwargs, rng):
    check_rrule(np.linalg.norm, X, rng=rng, **kwargs)
    check_frule(np.linalg.norm, X, rng=rng, **kwargs)


def test_spectral_and_nuclear_norms_against_the_singular_vectors():
    u, _s, vt = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(sr.grad(lambda x: np.linalg.norm(x, ord=2))(X),
                               np.outer(u[:, 0], vt[0]), atol=EXACT)  # fmt: skip
    np.testing.assert_allclose(sr.grad(lambda x: np.linalg.norm(x, ord="nuc"))(X), u @ vt,
                               atol=EXACT)  # fmt: skip
