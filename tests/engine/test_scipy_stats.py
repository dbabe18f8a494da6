"""symrules.scipy.stats pins down: on traced arguments, each distribution method gives scipy's
value (scipy.stats is the oracle), its gradient agrees with finite differences in every
differentiable argument (reverse mode through the engine, forward mode against it, and the
second derivative), and with ``jax.scipy.stats`` where JAX has the method. A derivative with no
closed form (a shape parameter inside a distribution function, a count) is refused by name;
outside the support the density is 0 and its derivative 0, not nan.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import symrules as sr
from symrules.scipy import stats
from symrules.testing import check_grad

VALUES = 1e-12  # our formulas against scipy's, in floating point
AGAINST_JAX = 1e-10  # two implementations of the same closed forms
SECOND_ORDER_RTOL, SECOND_ORDER_ATOL = 1e-5, 1e-6  # a Hessian against FD of the gradient

X = np.array([[0.3, -1.1, 0.8], [1.7, 0.2, -0.4]])
ROW = np.array([[0.1, -0.3, 0.5]])
COLUMN = np.array([[1.3], [0.7]])
UNIT = np.array([[0.15, 0.5, 0.8], [0.35, 0.6, 0.05]])  # inside (0, 1)
POSITIVE = X**2 + 0.6
SHAPE = np.array([[2.5, 1.4, 3.1]])

# name -> (distribution, method, arguments, keywords, positions differentiated)
CASES = {
    "norm.pdf": (stats.norm, "pdf", (X, ROW, COLUMN), {}, (0, 1, 2)),
    "norm.logpdf": (stats.norm, "logpdf", (X,), {"loc": ROW, "scale": COLUMN}, (0,)),
    "norm.cdf": (stats.norm, "cdf", (X, ROW, COLUMN), {}, (0, 1, 2)),
    "norm.logcdf": (stats.norm, "logcdf", (X, ROW, COLUMN), {}, (0, 1, 2)),
    "norm.sf": (stats.norm, "sf", (X, ROW, COLUMN), {}, (0, 1, 2)),
    "norm.logsf": (stats.norm, "logsf", (X, ROW, COLUMN), {}, (0, 1, 2)),
    "norm.ppf": (stats.norm, "ppf", (UNIT, ROW, COLUMN), {}, (0, 1, 2)),
    "t.pdf": (stats.t, "pdf", (X, SHAPE, ROW, COLUMN), {}, (0, 1, 2, 3)),
    "t.logpdf": (stats.t, "logpdf", (X, SHAPE, ROW, COLUMN), {}, (0, 1, 2, 3)),
    "t.cdf": (stats.t, "cdf", (X, SHAPE, ROW, COLUMN), {}, (0, 2, 3)),
    "t.logcdf": (stats.t, "logcdf", (X, SHAPE), {"scale": COLUMN}, (0,)),
    "t.sf": (stats.t, "sf", (X, SHAPE, ROW, COLUMN), {}, (0, 2, 3)),
    "t.logsf": (stats.t, "logsf", (X, SHAPE, ROW, COLUMN), {}, (0, 2, 3)),
    "chi2.pdf": (stats.chi2, "pdf", (POSITIVE, SHAPE), {}, (0, 1)),
    "chi2.logpdf": (stats.chi2, "logpdf", (POSITIVE, SHAPE), {"scale": COLUMN}, (0, 1)),
    "chi2.cdf": (stats.chi2, "cdf", (POSITIVE, SHAPE), {}, (0,)),
    "chi2.sf": (stats.chi2, "sf", (POSITIVE, SHAPE), {}, (0,)),
    "gamma.pdf": (stats.gamma, "pdf", (POSITIVE, SHAPE, -0.2, COLUMN), {}, (0, 1, 2, 3)),
    "gamma.logpdf": (stats.gamma, "logpdf", (POSITIVE, SHAPE), {}, (0, 1)),
    "gamma.cdf": (stats.gamma, "cdf", (POSITIVE, SHAPE, ROW - 0.5, COLUMN), {}, (0, 2, 3)),
    "gamma.logsf": (stats.gamma, "logsf", (POSITIVE, SHAPE), {}, (0,)),
    "beta.pdf": (stats.beta, "pdf", (UNIT, SHAPE, COLUMN + 1.0), {}, (0, 1, 2)),
    "beta.logpdf": (stats.beta, "logpdf", (UNIT, SHAPE, COLUMN + 1.0), {}, (0, 1, 2)),
    "beta.cdf": (stats.beta, "cdf", (UNIT, SHAPE, COLUMN + 1.0), {}, (0,)),
    "beta.logcdf": (stats.beta, "logcdf", (UNIT, SHAPE, 2.0), {}, (0,)),
    "beta.sf": (stats.beta, "sf", (UNIT, SHAPE, 2.0), {}, (0,)),
    "poisson.pmf": (stats.poisson, "pmf", (np.array([[0, 3, 5]]), POSITIVE), {}, (1,)),
    "poisson.logpmf": (stats.poisson, "logpmf", (np.array([[0, 3, 5]]), POSITIVE), {}, (1,)),
    "poisson.cdf": (stats.poisson, "cdf", (np.array([[0, 3.5, 5]]), POSITIVE), {}, (1,)),
    "poisson.logcdf": (stats.poisson, "logcdf", (np.array([[1, 3, 5]]), POSITIVE), {}, (1,)),
    "poisson.sf": (stats.poisson, "sf", (np.array([[0, 3, 5]]), POSITIVE), {}, (1,)),
    "poisson.logsf": (stats.poisson, "logsf", (np.array([[0, 3, 5]]), POSITIVE), {}, (1,)),
    "norm.entropy": (stats.norm, "entropy", (ROW, COLUMN), {}, (1,)),
    "t.entropy": (stats.t, "entropy", (SHAPE, ROW, COLUMN), {}, (0, 2)),
}


def _partial(case):
    """The method as a function of its differentiated arguments, the others held (as
    defaults: a captured array would be differentiated as a field of the function)."""
    dist, method, args, kwargs, positions = case

    def fn(*traced, case=case):
        dist, method, args, kwargs, positions = case
        full = list(args)
        for pos, value in zip(positions, traced, strict=True):
            full[pos] = value
        return getattr(dist, method)(*full, **kwargs)

    expected = getattr(getattr(scipy.stats, dist.name), method)(*args, **kwargs)
    return fn, [args[pos] for pos in positions], expected


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_values_are_scipys(case):
    fn, traced, expected = _partial(case)
    y, _ = sr.vjp(fn, *traced)
    np.testing.assert_allclose(y, expected, rtol=VALUES, atol=VALUES)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_gradients_agree_with_finite_differences(case, rng):
    fn, traced, _ = _partial(case)

    def scalar(*a, fn=fn):
        return np.sum(np.sin(fn(*a)))

    check_grad(scalar, *traced, rng=rng)
    # forward mode: each argument's pushforward against the reverse mode just checked
    v = [rng.standard_normal(np.shape(a)) for a in traced]
    _, y_dot = sr.jvp(scalar, tuple(traced), tuple(v))
    grads = sr.grad(scalar, argnums=tuple(range(len(traced))))(*traced)
    np.testing.assert_allclose(y_dot, sum(np.sum(g * t) for g, t in zip(grads, v, strict=True)),
                               rtol=1e-10)  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_second_derivatives(case):
    fn, traced, _ = _partial(case)
    first, rest = traced[0], traced[1:]

    def along(x, fn=fn, rest=rest):
        return np.sum(np.sin(fn(x, *rest)))

    hessian = sr.hessian(along)(first)
    by_fd = sr.finite_differences.jacobian(sr.grad(along), first)
    np.testing.assert_allclose(hessian, by_fd, rtol=SECOND_ORDER_RTOL, atol=SECOND_ORDER_ATOL)


JAX_CASES = ["norm.pdf", "norm.logcdf", "norm.logsf", "t.logpdf", "chi2.logpdf", "gamma.logpdf",
             "beta.logpdf", "poisson.logpmf"]  # fmt: skip


@pytest.mark.parametrize("name", JAX_CASES)
def test_gradients_agree_with_jax(name):
    jax = pytest.importorskip("jax")
    jstats = pytest.importorskip("jax.scipy.stats")
    dist, method, args, kwargs, positions = CASES[name]
    fn, traced, _ = _partial(CASES[name])
    jax_method = getattr(getattr(jstats, dist.name), method)

    def jax_fn(*traced):
        full = list(args)
        for pos, value in zip(positions, traced, strict=True):
            full[pos] = value
        return jax_method(*full, **kwargs).sum()

    with jax.enable_x64(True):
        expected = jax.grad(jax_fn, tuple(range(len(traced))))(*traced)
    got = sr.grad(lambda *a, fn=fn: np.sum(fn(*a)), argnums=tuple(range(len(traced))))(*traced)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=AGAINST_JAX, atol=AGAINST_JAX)


def test_outside_the_support_the_density_is_zero_and_so_is_its_derivative():
    x = np.array([-0.5, 0.5, 1.5])
    for dist, args in [(stats.gamma, (2.0,)), (stats.beta, (2.0, 3.0)), (stats.chi2, (3.0,))]:
        y, pullback = sr.vjp(lambda x, dist=dist, args=args: dist.logpdf(x, *args), x)
        np.testing.assert_allclose(y, dist.scipy.logpdf(x, *args), rtol=VALUES)
        (x_bar,) = pullback(np.ones(3))
        assert np.all(np.isfinite(x_bar)) and x_bar[0] == 0.0
    cdf_bar = sr.grad(lambda x: np.sum(stats.beta.cdf(x, 2.0, 3.0)))(x)
    assert cdf_bar[0] == cdf_bar[2] == 0.0


def test_an_invalid_scale_gives_nan_as_in_scipy():
    y, _ = sr.vjp(lambda s: stats.norm.logpdf(0.3, 0.0, s), np.array([1.0, -1.0]))
    np.testing.assert_array_equal(np.isnan(y), [False, True])


@pytest.mark.parametrize(
    "fn, match",
    [(lambda df: stats.t.cdf(0.3, df), r"scipy\.special\.stdtr .* argument 0"),
     (lambda a: stats.gamma.cdf(1.3, a), r"scipy\.special\.gammainc .* argument 0"),
     (lambda k: stats.poisson.pmf(k, 2.0), r"scipy\.stats\.poisson\.pmf .* count")],
    ids=["t.cdf-df", "gamma.cdf-a", "poisson-k"],
)  # fmt: skip
def test_a_derivative_without_closed_form_is_refused_by_name(fn, match):
    with pytest.raises(sr.UnsupportedFunctionError, match=match):
        sr.grad(fn)(3.0)


def test_other_attributes_are_scipys():
    assert stats.norm.mean(loc=2.0) == 2.0
    assert stats.dirichlet.rvs(np.ones(3), size=2, random_state=1).shape == (2, 3)
    assert stats.ttest_ind is scipy.stats.ttest_ind
    assert stats.norm.pdf(0.0) == scipy.stats.norm.pdf(0.0)  # untraced: scipy's own


# ---------------------------------------------------------------------------------------
# the multivariate normal and Dirichlet distributions

COV = np.array([[2.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 1.5]])
MEAN = np.array([0.2, -0.5, 1.0])
POINTS = np.array([[0.1, 0.4, -0.3], [1.2, -0.7, 0.5], [0.0, 0.2, 2.1], [-1.0, 0.6, 0.9]])
ALPHA = np.array([1.5, 2.2, 0.9])
SIMPLEX = np.array([[0.2, 0.5], [0.3, 0.1], [0.5, 0.4]])  # two points, components first


def _symmetric(cov):
    """A covariance from any square matrix: the engine's perturbations keep it symmetric."""
    return 0.5 * (cov + np.swapaxes(cov, -1, -2))


MULTIVARIATE = {  # name -> (function of the traced arguments, the arguments, scipy's value)
    "mvn.logpdf": (lambda x, m, c: stats.multivariate_normal.logpdf(x, m, _symmetric(c)),
                   (POINTS, MEAN, COV), scipy.stats.multivariate_normal.logpdf(POINTS, MEAN, COV)),
    "mvn.pdf-one-point": (lambda x, m, c: stats.multivariate_normal.pdf(x, m, _symmetric(c)),
                          (POINTS[0], MEAN, COV),
                          scipy.stats.multivariate_normal.pdf(POINTS[0], MEAN, COV)),
    "mvn.logpdf-diagonal-cov": (lambda x, c: stats.multivariate_normal.logpdf(x, MEAN, cov=c),
                                (POINTS, np.diag(COV)),
                                scipy.stats.multivariate_normal.logpdf(POINTS, MEAN, np.diag(COV))),
    "mvn.logpdf-scalar-cov": (lambda x, c: stats.multivariate_normal.logpdf(x, MEAN[:1], c),
                              (POINTS[:, 0], 1.7),
                              scipy.stats.multivariate_normal.logpdf(POINTS[:, 0], MEAN[:1], 1.7)),
    "mvn.logpdf-constant-cov": (lambda x, m: stats.multivariate_normal.logpdf(x, m, COV),
                                (POINTS, MEAN),
                                scipy.stats.multivariate_normal.logpdf(POINTS, MEAN, COV)),
    "mvn.entropy": (lambda c: stats.multivariate_normal.entropy(MEAN, _symmetric(c)), (COV,),
                    scipy.stats.multivariate_normal.entropy(MEAN, COV)),
    "dirichlet.logpdf": (lambda x, a: stats.dirichlet.logpdf(x / np.sum(x, axis=0), a),
                         (SIMPLEX, ALPHA), scipy.stats.dirichlet.logpdf(SIMPLEX, ALPHA)),
    "dirichlet.pdf-one-point": (lambda x, a: stats.dirichlet.pdf(x / np.sum(x), a),
                                (SIMPLEX[:, 0], ALPHA),
                                scipy.stats.dirichlet.pdf(SIMPLEX[:, 0], ALPHA)),
    "dirichlet.logpdf-last-omitted": (lambda x, a: stats.dirichlet.logpdf(x, a),
                                      (SIMPLEX[:2, 0], ALPHA),
                                      scipy.stats.dirichlet.logpdf(SIMPLEX[:2, 0], ALPHA)),
}  # fmt: skip


@pytest.mark.parametrize("case", MULTIVARIATE.values(), ids=MULTIVARIATE.keys())
def test_multivariate_values_and_gradients(case, rng):
    fn, args, expected = case
    y, _ = sr.vjp(fn, *args)
    np.testing.assert_allclose(y, expected, rtol=VALUES)
    check_grad(lambda *a, fn=fn: np.sum(np.sin(fn(*a))), *args, rng=rng)

    def along(x, fn=fn, rest=args[1:]):
        return np.sum(np.sin(fn(x, *rest)))

    hessian = sr.hessian(along)(args[0])
    by_fd = sr.finite_differences.jacobian(sr.grad(along), args[0])
    np.testing.assert_allclose(hessian, by_fd, rtol=SECOND_ORDER_RTOL, atol=SECOND_ORDER_ATOL)


def test_multivariate_gradients_agree_with_jax():
    jax = pytest.importorskip("jax")
    jstats = pytest.importorskip("jax.scipy.stats")
    with jax.enable_x64(True):
        expected = jax.grad(lambda x, m, c: jstats.multivariate_normal.logpdf(x, m, c).sum(),
                            (0, 1, 2))(POINTS, MEAN, COV)  # fmt: skip
        alpha_bar = jax.grad(lambda a: jstats.dirichlet.logpdf(SIMPLEX, a).sum())(ALPHA)
    got = sr.grad(lambda x, m, c: np.sum(stats.multivariate_normal.logpdf(x, m, c)),
                  argnums=(0, 1, 2))(POINTS, MEAN, COV)  # fmt: skip
    # jax differentiates the full matrix, numpy's Cholesky reads the lower triangle: compare
    # the derivative along symmetric directions
    for g, e in zip(got[:2], expected[:2], strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=AGAINST_JAX)
    np.testing.assert_allclose(_symmetric(got[2]), _symmetric(np.asarray(expected[2])),
                               rtol=AGAINST_JAX)  # fmt: skip
    got_alpha = sr.grad(lambda a: np.sum(stats.dirichlet.logpdf(SIMPLEX, a)))(ALPHA)
    np.testing.assert_allclose(got_alpha, np.asarray(alpha_bar), rtol=AGAINST_JAX)


def test_singular_covariance():
    cov = np.diag([1.0, 2.0, 0.0])
    x = np.array([[0.3, -0.2, MEAN[2]], [0.1, 0.5, MEAN[2] + 1.0]])  # the second off the support
    y, pullback = sr.vjp(lambda x: stats.multivariate_normal.logpdf(x, MEAN, cov, True), x)
    np.testing.assert_allclose(y, scipy.stats.multivariate_normal.logpdf(x, MEAN, cov, True))
    (x_bar,) = pullback(np.array([1.0, 0.0]))
    np.testing.assert_allclose(x_bar[0], -(x[0] - MEAN) * np.array([1.0, 0.5, 0.0]))
    with pytest.raises(np.linalg.LinAlgError):
        sr.grad(lambda m: np.sum(stats.multivariate_normal.logpdf(x, m, cov)))(MEAN)
    with pytest.raises(sr.UnsupportedFunctionError, match="singular cov"):
        sr.grad(lambda c: np.sum(stats.multivariate_normal.logpdf(x, MEAN, c, True)))(cov)


def test_dirichlet_refuses_a_point_off_the_simplex():
    with pytest.raises(ValueError, match="simplex"):
        sr.grad(lambda a: np.sum(stats.dirichlet.logpdf(SIMPLEX * 0.9, a)))(ALPHA)
