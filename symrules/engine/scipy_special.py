"""The numpy table, continued: ``scipy.special``'s functions, as a plain closure calls them.

scipy's special functions are numpy ufuncs, so a call on a traced value reaches the engine
like ``np.exp`` does, and each is given by its partial derivatives (DLMF's formulas; the
chapter is named beside each). A partial with respect to an order or a shape parameter
(``jv``'s ``v``, ``gammainc``'s ``a``) has no closed form in these functions: it is ``None``,
and differentiating through it raises :class:`~symrules.errors.UnsupportedFunctionError`
naming the function and the argument -- never a zero. ``gammasgn`` is computed on plain values
(its derivative is zero wherever it exists). scipy's Python-level functions (``polygamma``,
``zeta``, ``logsumexp``, ...) cannot reach the engine on a traced value; their differentiable
versions are in :mod:`~symrules.engine.scipy_functions` (``digamma``'s derivative is its
``polygamma``), and :mod:`symrules.scipy.special` puts them beside these ufuncs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc

from .numpy_table import defelementwise
from .registry import mark_non_differentiable
from .scipy_functions import polygamma
from .table import declare_residuals, defjvp, defvjp, set_label

__all__ = ["t_logpdf"]

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)
_ONE_OVER_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _betainc_x(a: Any, b: Any, x: Any) -> Any:
    """``d I_x(a, b) / dx = x^(a-1) (1-x)^(b-1) / B(a, b)``."""
    return np.exp(sc.xlogy(a - 1.0, x) + sc.xlog1py(b - 1.0, -x) - sc.betaln(a, b))


def _betainc_pullback(sign: float) -> Any:
    def betainc_pullback(y_bar: Any, y: Any, a: Any, b: Any, x: Any) -> Any:
        return sign * y_bar * _betainc_x(a, b, x)

    return declare_residuals(betainc_pullback, (0, 1, 2))


def _betainc_pushforward(sign: float) -> Any:
    def betainc_pushforward(x_dot: Any, y: Any, a: Any, b: Any, x: Any) -> Any:
        return sign * x_dot * _betainc_x(a, b, x)

    return betainc_pushforward


def t_logpdf(t: Any, df: Any) -> Any:
    """The log density of Student's t distribution with ``df`` degrees of freedom, at ``t``.

    Examples
    --------
    >>> import scipy.stats
    >>> bool(np.isclose(t_logpdf(0.3, 4.0), scipy.stats.t.logpdf(0.3, 4.0)))
    True
    """
    half = 0.5 * (df + 1.0)
    norm = sc.gammaln(half) - sc.gammaln(0.5 * df) - 0.5 * np.log(np.pi * df)
    return norm - half * np.log1p(t * t / df)


_SPECIAL = {
    # error functions (DLMF 7.10)
    sc.erf: (lambda x: _TWO_OVER_SQRT_PI * np.exp(-x * x),),
    sc.erfc: (lambda x: -_TWO_OVER_SQRT_PI * np.exp(-x * x),),
    sc.erfcx: (lambda y, x: 2.0 * x * y - _TWO_OVER_SQRT_PI,),
    sc.erfinv: (lambda y: np.exp(y * y) / _TWO_OVER_SQRT_PI,),
    sc.erfcinv: (lambda y: -np.exp(y * y) / _TWO_OVER_SQRT_PI,),
    # the normal distribution
    sc.ndtr: (lambda x: _ONE_OVER_SQRT_2PI * np.exp(-0.5 * x * x),),
    sc.ndtri: (lambda y: np.exp(0.5 * y * y) / _ONE_OVER_SQRT_2PI,),
    sc.log_ndtr: (lambda y, x: _ONE_OVER_SQRT_2PI * np.exp(-0.5 * x * x - y),),
    # gamma and beta functions (DLMF 5.15, 5.12)
    sc.gamma: (lambda y, x: y * sc.digamma(x),),
    sc.gammaln: (lambda x: sc.digamma(x),),
    sc.digamma: (lambda x: polygamma(1, x),),
    sc.rgamma: (lambda y, x: -y * sc.digamma(x),),
    sc.loggamma: (lambda x: sc.digamma(x),),
    sc.beta: (
        lambda y, a, b: y * (sc.digamma(a) - sc.digamma(a + b)),
        lambda y, a, b: y * (sc.digamma(b) - sc.digamma(a + b)),
    ),
    sc.betaln: (
        lambda a, b: sc.digamma(a) - sc.digamma(a + b),
        lambda a, b: sc.digamma(b) - sc.digamma(a + b),
    ),
    # the regularized incomplete gamma functions, in x (DLMF 8.8.13)
    sc.gammainc: (None, lambda a, b: np.exp((a - 1.0) * np.log(b) - b - sc.gammaln(a))),
    sc.gammaincc: (None, lambda a, b: -np.exp((a - 1.0) * np.log(b) - b - sc.gammaln(a))),
    # Student's t distribution function, in t (its df has no closed form)
    sc.stdtr: (None, lambda a, b: np.exp(t_logpdf(b, a))),
    # logistic functions and x log y
    sc.expit: (lambda y: y * (1.0 - y),),
    sc.logit: (lambda x: 1.0 / (x * (1.0 - x)),),
    sc.xlogy: (lambda a, b: np.log(b), lambda a, b: np.divide(a, b)),
    sc.xlog1py: (lambda a, b: np.log1p(b), lambda a, b: np.divide(a, 1.0 + b)),
    # Bessel functions (DLMF 10.6, 10.29): in x only; the order has no closed form
    sc.j0: (lambda x: -sc.j1(x),),
    sc.j1: (lambda x: 0.5 * (sc.j0(x) - sc.jv(2, x)),),
    sc.y0: (lambda x: -sc.y1(x),),
    sc.y1: (lambda x: 0.5 * (sc.y0(x) - sc.yv(2, x)),),
    sc.yn: (None, lambda a, b: 0.5 * (sc.yn(a - 1, b) - sc.yn(a + 1, b))),
    sc.jv: (None, lambda a, b: 0.5 * (sc.jv(a - 1, b) - sc.jv(a + 1, b))),
    sc.yv: (None, lambda a, b: 0.5 * (sc.yv(a - 1, b) - sc.yv(a + 1, b))),
    sc.iv: (None, lambda a, b: 0.5 * (sc.iv(a - 1, b) + sc.iv(a + 1, b))),
    sc.kv: (None, lambda a, b: -0.5 * (sc.kv(a - 1, b) + sc.kv(a + 1, b))),
    sc.ive: (None, lambda y, a, b: 0.5 * (sc.ive(a - 1, b) + sc.ive(a + 1, b)) - np.sign(b) * y),
    sc.kve: (None, lambda y, a, b: y - 0.5 * (sc.kve(a - 1, b) + sc.kve(a + 1, b))),
    sc.i0: (lambda x: sc.i1(x),),
    sc.i1: (lambda x: 0.5 * (sc.i0(x) + sc.iv(2, x)),),
    sc.i0e: (lambda y, x: sc.i1e(x) - np.sign(x) * y,),
    sc.i1e: (lambda y, x: 0.5 * (sc.i0e(x) + sc.ive(2, x)) - np.sign(x) * y,),
}

for _fn, _partials in _SPECIAL.items():
    set_label(_fn, f"scipy.special.{_fn.__name__}")
    defelementwise(_fn, *_partials)
mark_non_differentiable(sc.gammasgn)

# the regularized incomplete beta functions, in x only (DLMF 8.17.1): three arguments
for _fn, _sign in ((sc.betainc, 1.0), (sc.betaincc, -1.0)):
    set_label(_fn, f"scipy.special.{_fn.__name__}")
    defvjp(_fn, None, None, _betainc_pullback(_sign), broadcast=True)
    defjvp(_fn, None, None, _betainc_pushforward(_sign), broadcast=True)
