"""scipy.stats' distributions, differentiable: densities, distribution functions, entropies.

scipy's distribution methods convert their arguments with ``np.asarray`` before computing, so
a traced value cannot go through them. These objects have scipy's names and signatures
(shape parameters, then ``loc`` and ``scale``, broadcasting as scipy does) and compute the
same values in numpy and scipy.special table calls, as ``jax.scipy.stats`` does; with no
traced argument a method is scipy's own. Any other attribute (``rvs``, ``mean``, ``fit``, ...)
is scipy's, on plain values.

How it works
------------
A continuous distribution is its standardized log density, distribution and survival
functions of ``z = (x - loc) / scale``; the density outside the support is ``0`` (log: ``-inf``),
by ``np.where`` on a point inside it, so no derivative is ``nan`` there. A derivative in a
shape parameter that has no closed form (``t.cdf`` in ``df``, ``gamma.cdf`` in ``a``) is
refused by the scipy.special function that carries it, by name. An invalid parameter (a
non-positive scale or shape) gives ``nan``, as in scipy.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special as sc
import scipy.stats

from ..errors import UnsupportedFunctionError
from .scipy_special import t_logpdf
from .tracing import is_traced, strip

__all__ = [
    "ContinuousDistribution",
    "PoissonDistribution",
    "ScipyAttributes",
    "beta",
    "chi2",
    "gamma",
    "norm",
    "poisson",
    "t",
]

_LOG_2PI = np.log(2.0 * np.pi)
_Parameter = inspect.Parameter


def _nan_where_invalid(out: Any, valid: Any) -> Any:
    """``out``, and ``nan`` where the (plain) parameters are not ``valid``."""
    return out if np.all(valid) else np.where(valid, out, np.nan)


def _log_scale(scale: Any, valid: Any) -> Any:
    """``log(scale)``, and ``0`` where the parameters are invalid (the result is ``nan`` there)."""
    return np.log(scale) if np.all(valid) else np.log(np.where(valid, scale, 1.0))


class ScipyAttributes:
    """A differentiable distribution whose other attributes are scipy's (``rvs``, ``mean``).

    Examples
    --------
    >>> from symrules.scipy.stats import norm
    >>> float(norm.mean(loc=2.0))
    2.0
    """

    scipy: Any
    name: str

    def __getattr__(self, name: str) -> Any:
        if name == "scipy":
            raise AttributeError(name)
        return getattr(self.scipy, name)

    def __repr__(self) -> str:
        return f"<differentiable scipy.stats.{self.name}>"


class ContinuousDistribution(ScipyAttributes):
    """A location-scale family of scipy.stats, differentiable in ``x``, ``loc``, ``scale`` and
    its shape parameters.

    Parameters
    ----------
    name : str
        scipy.stats' name of the distribution; its methods outside these are scipy's.
    shapes : tuple of str
        The shape parameters' names, in scipy's order.
    logpdf, cdf, sf : callable
        ``f(z, *shapes)``: the standardized log density, distribution and survival functions.
    support : tuple of float
        The standardized support ``(lo, hi)``.
    valid : callable
        ``valid(*shapes)`` on plain values: where the parameters are admissible.
    logcdf, logsf, entropy, ppf : callable, optional
        Their standardized forms, where a better one than ``log(cdf)`` exists.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> from symrules.scipy.stats import norm
    >>> bool(np.isclose(sr.grad(norm.cdf)(0.3), norm.pdf(0.3)))
    True
    """

    def __init__(
        self,
        name: str,
        shapes: tuple[str, ...],
        logpdf: Callable[..., Any],
        cdf: Callable[..., Any],
        sf: Callable[..., Any],
        support: tuple[float, float] = (-np.inf, np.inf),
        valid: Callable[..., Any] = lambda *shapes: True,
        **optional: Callable[..., Any],
    ) -> None:
        self.name, self.shapes, self.support, self.valid = name, shapes, support, valid
        self.scipy = getattr(scipy.stats, name)
        self.standard = {"logpdf": logpdf, "cdf": cdf, "sf": sf, **optional}
        params = [_Parameter(s, _Parameter.POSITIONAL_OR_KEYWORD) for s in shapes]
        params += [_Parameter("loc", _Parameter.POSITIONAL_OR_KEYWORD, default=0.0),
                   _Parameter("scale", _Parameter.POSITIONAL_OR_KEYWORD, default=1.0)]  # fmt: skip
        self.signature = inspect.Signature(params)

    def _parameters(self, args: tuple, kwds: dict) -> tuple[tuple, Any, Any]:
        bound = self.signature.bind(*args, **kwds)
        bound.apply_defaults()
        values = bound.arguments
        return tuple(values[s] for s in self.shapes), values["loc"], values["scale"]

    def _valid(self, shapes: tuple, scale: Any) -> Any:
        return np.logical_and(strip(scale) > 0, self.valid(*map(strip, shapes)))

    def _standardized(self, method: str, x: Any, args: tuple, kwds: dict) -> Any:
        shapes, loc, scale = self._parameters(args, kwds)
        valid = self._valid(shapes, scale)
        z = (x - loc) / scale
        lo, hi = self.support
        if method in ("cdf", "sf", "logcdf", "logsf"):
            if np.isfinite(lo) or np.isfinite(hi):
                z = np.clip(z, lo, hi)  # constant outside the support
            if method in self.standard:
                out = self.standard[method](z, *shapes)
            else:  # log of the distribution or survival function
                out = np.log(self.standard[method[3:]](z, *shapes))
        else:
            z_plain = strip(z)
            inside = (z_plain >= lo) & (z_plain <= hi)
            if np.all(inside):
                out = self.standard["logpdf"](z, *shapes)
            else:  # evaluated at a point inside, then replaced: no nan in the derivative
                safe = np.where(inside, z, 0.5 if np.isfinite(hi) else lo + 1.0)
                out = np.where(inside, self.standard["logpdf"](safe, *shapes), -np.inf)
            out = out - _log_scale(scale, valid)
            if method == "pdf":
                out = np.exp(out)
        return _nan_where_invalid(out, valid)

    def _method(self, method: str, x: Any, args: tuple, kwds: dict) -> Any:
        if not is_traced((x, args, kwds)):
            return getattr(self.scipy, method)(x, *args, **kwds)
        return self._standardized(method, x, args, kwds)

    def pdf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """The probability density at ``x``: ``pdf(x, *shapes, loc=0, scale=1)``."""
        return self._method("pdf", x, args, kwds)

    def logpdf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """The log of the probability density at ``x``."""
        return self._method("logpdf", x, args, kwds)

    def cdf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """The distribution function at ``x``."""
        return self._method("cdf", x, args, kwds)

    def logcdf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """The log of the distribution function at ``x``."""
        return self._method("logcdf", x, args, kwds)

    def sf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """The survival function ``1 - cdf`` at ``x``."""
        return self._method("sf", x, args, kwds)

    def logsf(self, x: Any, *args: Any, **kwds: Any) -> Any:
        """The log of the survival function at ``x``."""
        return self._method("logsf", x, args, kwds)

    def ppf(self, q: Any, *args: Any, **kwds: Any) -> Any:
        """The quantile function (the inverse of ``cdf``) at ``q``."""
        if not is_traced((q, args, kwds)):
            return self.scipy.ppf(q, *args, **kwds)
        if "ppf" not in self.standard:
            raise UnsupportedFunctionError(
                f"scipy.stats.{self.name}.ppf is not differentiable here (supported for norm)"
            )
        shapes, loc, scale = self._parameters(args, kwds)
        out = loc + scale * self.standard["ppf"](q, *shapes)
        return _nan_where_invalid(out, self._valid(shapes, scale))

    def entropy(self, *args: Any, **kwds: Any) -> Any:
        """The differential entropy: ``entropy(*shapes, loc=0, scale=1)``."""
        if not is_traced((args, kwds)) or "entropy" not in self.standard:
            return self.scipy.entropy(*args, **kwds)
        shapes, loc, scale = self._parameters(args, kwds)  # entropy(*shapes, loc, scale)
        valid = self._valid(shapes, scale)
        out = self.standard["entropy"](*shapes) + _log_scale(scale, valid)
        shape = np.broadcast_shapes(np.shape(out), np.shape(loc))  # loc has no say but its shape
        return _nan_where_invalid(np.broadcast_to(out, shape), valid)


class PoissonDistribution(ScipyAttributes):
    """scipy.stats.poisson, differentiable in its mean ``mu`` (a count ``k`` has no derivative).

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> from symrules.scipy.stats import poisson
    >>> bool(np.isclose(sr.grad(lambda mu: poisson.logpmf(3, mu))(2.0), 3 / 2.0 - 1))
    True
    """

    name = "poisson"
    scipy = scipy.stats.poisson

    def _method(self, method: str, k: Any, mu: Any, loc: Any) -> Any:
        if not is_traced((k, mu, loc)):
            return getattr(self.scipy, method)(k, mu, loc)
        if is_traced((k, loc)):
            raise UnsupportedFunctionError(
                f"scipy.stats.poisson.{method} is not differentiable in a count k or its loc"
            )
        k = np.asarray(k, dtype=float) - loc
        counted = k >= 0
        below = np.floor(np.where(counted, k, 0.0)) + 1.0
        if method in ("pmf", "logpmf"):
            whole = counted & (k == np.floor(k))
            k = np.where(whole, k, 0.0)
            out = np.where(whole, sc.xlogy(k, mu) - sc.gammaln(k + 1.0) - mu, -np.inf)
            out = np.exp(out) if method == "pmf" else out
        elif method in ("cdf", "logcdf"):
            out = np.where(counted, sc.gammaincc(below, mu), 0.0)
        else:
            out = np.where(counted, sc.gammainc(below, mu), 1.0)
        if method in ("logcdf", "logsf"):
            with np.errstate(divide="ignore"):
                out = np.log(out)
        return _nan_where_invalid(out, strip(mu) >= 0)

    def pmf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """The probability of ``k``."""
        return self._method("pmf", k, mu, loc)

    def logpmf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """The log of the probability of ``k``."""
        return self._method("logpmf", k, mu, loc)

    def cdf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """The probability of at most ``k``."""
        return self._method("cdf", k, mu, loc)

    def logcdf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """The log of the probability of at most ``k``."""
        return self._method("logcdf", k, mu, loc)

    def sf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """The probability of more than ``k``."""
        return self._method("sf", k, mu, loc)

    def logsf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """The log of the probability of more than ``k``."""
        return self._method("logsf", k, mu, loc)


# ---------------------------------------------------------------------------------------
# the distributions, standardized (z = (x - loc) / scale)


def _t_entropy(df: Any) -> Any:
    half = 0.5 * (df + 1.0)
    return (
        half * (sc.digamma(half) - sc.digamma(0.5 * df))
        + 0.5 * np.log(df)
        + sc.betaln(0.5 * df, 0.5)
    )


def _chi2_logpdf(z: Any, df: Any) -> Any:
    half = 0.5 * df
    return sc.xlogy(half - 1.0, z) - 0.5 * z - sc.gammaln(half) - half * np.log(2.0)


def _positive(*shapes: Any) -> Any:
    return functools.reduce(np.logical_and, [np.greater(s, 0) for s in shapes])


norm = ContinuousDistribution(
    "norm", (),
    logpdf=lambda z: -0.5 * (z * z) - 0.5 * _LOG_2PI,
    cdf=lambda z: sc.ndtr(z), sf=lambda z: sc.ndtr(-z),
    logcdf=lambda z: sc.log_ndtr(z), logsf=lambda z: sc.log_ndtr(-z),
    ppf=lambda q: sc.ndtri(q), entropy=lambda: 0.5 * (_LOG_2PI + 1.0),
)  # fmt: skip
t = ContinuousDistribution(
    "t", ("df",), valid=_positive, logpdf=t_logpdf, entropy=_t_entropy,
    cdf=lambda z, df: sc.stdtr(df, z), sf=lambda z, df: sc.stdtr(df, -z),
)  # fmt: skip
chi2 = ContinuousDistribution(
    "chi2", ("df",), support=(0.0, np.inf), valid=_positive, logpdf=_chi2_logpdf,
    cdf=lambda z, df: sc.gammainc(0.5 * df, 0.5 * z),
    sf=lambda z, df: sc.gammaincc(0.5 * df, 0.5 * z),
)  # fmt: skip
gamma = ContinuousDistribution(
    "gamma", ("a",), support=(0.0, np.inf), valid=_positive,
    logpdf=lambda z, a: sc.xlogy(a - 1.0, z) - z - sc.gammaln(a),
    cdf=lambda z, a: sc.gammainc(a, z), sf=lambda z, a: sc.gammaincc(a, z),
)  # fmt: skip
beta = ContinuousDistribution(
    "beta", ("a", "b"), support=(0.0, 1.0), valid=_positive,
    logpdf=lambda z, a, b: sc.xlogy(a - 1.0, z) + sc.xlog1py(b - 1.0, -z) - sc.betaln(a, b),
    cdf=lambda z, a, b: sc.betainc(a, b, z), sf=lambda z, a, b: sc.betaincc(a, b, z),
)  # fmt: skip
poisson = PoissonDistribution()
