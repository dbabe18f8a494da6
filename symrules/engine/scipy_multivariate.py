"""scipy.stats' multivariate normal and Dirichlet distributions, differentiable.

As :mod:`~symrules.engine.scipy_stats` does for the univariate ones: scipy's names, signatures
and values, in table calls, and scipy's own method when nothing is traced.

How it works
------------
The multivariate normal's log density is ``-(rank log 2 pi + log pdet(cov) + maha) / 2``. A
traced covariance goes through its Cholesky factor ``L`` (``maha = |L^{-1} (x - mean)|^2``,
``log det = 2 sum log diag L``), whose rule is differentiable again; a constant one through its
eigendecomposition, as scipy does, so a singular covariance works with
``allow_singular=True`` (a traced singular covariance is refused: its pseudo-determinant has no
derivative here). The Dirichlet log density is ``sum (alpha - 1) log x - log B(alpha)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc
import scipy.stats

from ..errors import UnsupportedFunctionError
from .scipy_stats import ScipyAttributes
from .tracing import is_traced, strip

__all__ = ["DirichletDistribution", "MultivariateNormal", "dirichlet", "multivariate_normal"]

_LOG_2PI = np.log(2.0 * np.pi)
_EIGENVALUE_CUTOFF = 1e6 * np.finfo(float).eps  # scipy's: relative to the largest eigenvalue


def _squeezed(out: Any) -> Any:
    """scipy's ``_squeeze_output``: every axis of length one dropped."""
    return np.squeeze(out) if 1 in np.shape(out) else out


class MultivariateNormal(ScipyAttributes):
    """scipy.stats.multivariate_normal, differentiable in ``x``, ``mean`` and ``cov``.

    ``cov`` is a matrix, a vector (its diagonal) or a number (times the identity), as in scipy.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> from symrules.scipy.stats import multivariate_normal as mvn
    >>> cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> x_bar = sr.grad(lambda x: mvn.logpdf(x, np.zeros(2), cov))(np.ones(2))
    >>> bool(np.allclose(x_bar, -np.linalg.solve(cov, np.ones(2))))
    True
    """

    name = "multivariate_normal"
    scipy = scipy.stats.multivariate_normal

    def _parameters(self, mean: Any, cov: Any) -> tuple[int, Any, Any]:
        ndim_cov = np.ndim(cov)
        dim = np.shape(mean)[0] if mean is not None else (np.shape(cov)[0] if ndim_cov > 1 else 1)
        mean = np.zeros(dim) if mean is None else mean
        if ndim_cov == 0:
            cov = cov * np.eye(dim)
        elif ndim_cov == 1:
            cov = np.diag(cov)
        return dim, mean, cov

    def _whitened_logdet(self, dev: Any, cov: Any, allow_singular: bool) -> tuple[Any, Any, Any]:
        """``(maha, log pdet, rank)`` of the deviations ``dev`` (last axis: components)."""
        if not is_traced(cov):
            s, u = np.linalg.eigh(cov)
            eps = _EIGENVALUE_CUTOFF * np.max(np.abs(s))
            if np.min(s) < -eps:
                raise ValueError("The input matrix must be symmetric positive semidefinite.")
            kept = s > eps
            if not np.all(kept) and not allow_singular:
                raise np.linalg.LinAlgError(
                    "When `allow_singular is False`, the input matrix must be symmetric "
                    "positive definite."
                )
            whiten = u[:, kept] / np.sqrt(s[kept])
            maha = np.sum(np.square(np.matmul(dev, whiten)), axis=-1)
            if not np.all(kept):  # off the support: density 0, as in scipy
                off = np.linalg.norm(np.matmul(strip(dev), u[:, ~kept]), axis=-1) >= 1e3 * eps
                maha = np.where(off, np.inf, maha)
            return maha, np.sum(np.log(s[kept])), int(np.sum(kept))
        try:
            lower = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            if not allow_singular:
                raise
            raise UnsupportedFunctionError(
                "scipy.stats.multivariate_normal: a traced singular cov is not differentiable "
                "(allow_singular=True with a traced cov needs it positive definite)"
            ) from None
        white = np.linalg.solve(lower, np.swapaxes(dev, -1, -2) if np.ndim(dev) > 1 else dev)
        maha = np.sum(np.square(white), axis=0)
        return maha, 2.0 * np.sum(np.log(np.diagonal(lower))), np.shape(cov)[0]

    def logpdf(self, x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
        """The log density at ``x`` (its last axis holds the components)."""
        if not (is_traced((x, mean, cov))):
            return self.scipy.logpdf(x, mean, cov, allow_singular=allow_singular)
        dim, mean, cov = self._parameters(mean, cov)
        if np.ndim(x) == 0:
            x = np.reshape(x, (1,))
        elif np.ndim(x) == 1 and dim == 1:
            x = np.reshape(x, (-1, 1))
        maha, log_pdet, rank = self._whitened_logdet(x - mean, cov, allow_singular)
        return _squeezed(-0.5 * (rank * _LOG_2PI + log_pdet + maha))

    def pdf(self, x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
        """The density at ``x``."""
        if not (is_traced((x, mean, cov))):
            return self.scipy.pdf(x, mean, cov, allow_singular=allow_singular)
        return np.exp(self.logpdf(x, mean, cov, allow_singular))

    def entropy(self, mean: Any = None, cov: Any = 1) -> Any:
        """The differential entropy, ``(rank (1 + log 2 pi) + log pdet(cov)) / 2``."""
        if not is_traced(cov):
            return self.scipy.entropy(strip(mean), cov)
        dim, mean, cov = self._parameters(mean, cov)
        _, log_pdet, rank = self._whitened_logdet(np.zeros(dim), cov, False)
        return 0.5 * (rank * (1.0 + _LOG_2PI) + log_pdet)


class DirichletDistribution(ScipyAttributes):
    """scipy.stats.dirichlet, differentiable in ``x`` and ``alpha``.

    ``x`` holds the components on its first axis (several points on the second), and may omit
    the last component, which is then ``1 - sum(x)``, as in scipy.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> from symrules.scipy.stats import dirichlet
    >>> x = np.array([0.2, 0.3, 0.5])
    >>> alpha_bar = sr.grad(lambda alpha: dirichlet.logpdf(x, alpha))(np.ones(3))
    >>> bool(np.allclose(alpha_bar, np.log(x) + sum(1.0 / np.arange(1, 3))))
    True
    """

    name = "dirichlet"
    scipy = scipy.stats.dirichlet

    def logpdf(self, x: Any, alpha: Any) -> Any:
        """The log density at ``x``."""
        if not (is_traced((x, alpha))):
            return self.scipy.logpdf(x, alpha)
        if np.shape(x)[0] == np.shape(alpha)[0] - 1:
            x = np.concatenate([x, 1.0 - np.sum(x, axis=0, keepdims=True)], axis=0)
        self._check(strip(x), strip(alpha))
        log_b = np.sum(sc.gammaln(alpha)) - sc.gammaln(np.sum(alpha))
        terms = sc.xlogy(alpha - 1.0, np.transpose(x))
        return _squeezed(np.sum(np.transpose(terms), axis=0) - log_b)

    def pdf(self, x: Any, alpha: Any) -> Any:
        """The density at ``x``."""
        if not (is_traced((x, alpha))):
            return self.scipy.pdf(x, alpha)
        return np.exp(self.logpdf(x, alpha))

    def _check(self, x: Any, alpha: Any) -> None:
        """scipy's conditions on plain values: positive ``alpha``, ``x`` on the simplex."""
        if np.min(alpha) <= 0:
            raise ValueError("All parameters must be greater than 0")
        if x.shape[0] != alpha.shape[0]:
            raise ValueError(
                "Vector 'x' must have either the same number of entries as, or one entry "
                f"fewer than, parameter vector 'a', but alpha.shape = {alpha.shape} and "
                f"x.shape = {x.shape}."
            )
        if np.min(x) < 0 or np.max(x) > 1:
            raise ValueError("Each entry in 'x' must be in [0, 1].")
        if (np.abs(np.sum(x, axis=0) - 1.0) > 10e-10).any():
            raise ValueError("The input vector 'x' must lie within the normal simplex. ")


multivariate_normal = MultivariateNormal()
dirichlet = DirichletDistribution()
