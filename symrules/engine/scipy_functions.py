"""scipy.special's Python-level functions, written so the engine can differentiate them.

``scipy.special.logsumexp``, ``polygamma``, ``zeta``, ``multigammaln`` and ``spherical_jn`` are
Python functions, not ufuncs: they call ``np.asarray`` on their arguments first, which a traced
value refuses (the derivative would be lost). This module gives each a version the engine
traces, as ``jax.scipy.special`` does; :mod:`symrules.scipy.special` re-exports them beside
scipy's ufuncs.

How it works
------------
``polygamma``, ``zeta`` and ``spherical_jn`` are :func:`~symrules.primitive` wrappers around
scipy's function with a numpy-table entry each, whose derivative is the same family one order
up (``psi^(n)' = psi^(n+1)``, ``d zeta(x, q)/dq = -x zeta(x + 1, q)``, DLMF 10.51.2 for
``j_n'``), so every order of derivative exists. An argument with no closed-form derivative
(an order, ``zeta``'s exponent ``x``) is refused by name. ``logsumexp``, ``softmax``,
``log_softmax`` and ``multigammaln`` are compositions of table calls on a traced value, and
scipy's own function on plain values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc

from .primitives import primitive
from .table import declare_residuals, defjvp, defvjp, set_label
from .tracing import is_traced, strip

__all__ = [
    "log_softmax",
    "logsumexp",
    "multigammaln",
    "polygamma",
    "softmax",
    "spherical_jn",
    "zeta",
]


@primitive
def polygamma(n: Any, x: Any) -> Any:
    """The polygamma function ``psi^(n)(x)``, differentiable in ``x``.

    scipy's :func:`scipy.special.polygamma`, whose derivative is ``polygamma(n + 1, x)``; a
    traced order ``n`` is refused.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> bool(np.isclose(sr.grad(lambda x: polygamma(1, x))(2.0), polygamma(2, 2.0)))
    True
    """
    return sc.polygamma(n, x)


def _polygamma_pullback(y_bar: Any, y: Any, n: Any, x: Any) -> Any:
    return y_bar * polygamma(n + 1, x)


defvjp(polygamma, None, declare_residuals(_polygamma_pullback, (0, 1)), broadcast=True)
defjvp(polygamma, None, lambda x_dot, y, n, x: x_dot * polygamma(n + 1, x), broadcast=True)


@primitive
def zeta(x: Any, q: Any = None) -> Any:
    """The Riemann (``q=None``) or Hurwitz zeta function, differentiable in ``q``.

    ``d zeta(x, q) / dq = -x zeta(x + 1, q)`` (DLMF 25.11.17). The derivative in the exponent
    ``x`` has no closed form in scipy's functions: a traced ``x`` is refused by name.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> bool(np.isclose(zeta(2.0), np.pi**2 / 6))
    True
    >>> bool(np.isclose(sr.grad(lambda q: zeta(3.0, q))(1.0), -3.0 * zeta(4.0)))
    True
    """
    return sc.zeta(x, q)


defvjp(zeta, None, lambda y_bar, y, x, q: -y_bar * x * zeta(x + 1.0, q), broadcast=True)
defjvp(zeta, None, lambda q_dot, y, x, q: -q_dot * x * zeta(x + 1.0, q), broadcast=True)


@primitive
def spherical_jn(n: Any, z: Any, derivative: bool = False) -> Any:
    """The spherical Bessel function ``j_n(z)`` (or ``j_n'(z)``), differentiable in ``z``.

    ``j_n' = (n j_{n-1} - (n + 1) j_{n+1}) / (2n + 1)`` (DLMF 10.51.2; for ``n = 0`` the first
    term vanishes and ``j_0' = -j_1``), regular at ``z = 0``; a traced order is refused.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> bool(np.isclose(sr.grad(lambda z: spherical_jn(0, z))(1.3), -spherical_jn(1, 1.3)))
    True
    """
    return sc.spherical_jn(n, z, derivative)


def _spherical_jn_derivative(n: Any, z: Any, derivative: bool) -> Any:
    below = spherical_jn(np.maximum(n - 1, 0), z, derivative)
    above = spherical_jn(n + 1, z, derivative)
    return (n * below - (n + 1) * above) / (2 * n + 1)


def _spherical_jn_pullback(y_bar: Any, y: Any, n: Any, z: Any, derivative: bool = False) -> Any:
    return y_bar * _spherical_jn_derivative(n, z, derivative)


def _spherical_jn_pushforward(z_dot: Any, y: Any, n: Any, z: Any, derivative: bool = False):
    return z_dot * _spherical_jn_derivative(n, z, derivative)


defvjp(spherical_jn, None, declare_residuals(_spherical_jn_pullback, (0, 1)), broadcast=True,
       keywords=("derivative",))  # fmt: skip
defjvp(spherical_jn, None, _spherical_jn_pushforward, broadcast=True, keywords=("derivative",))

for _fn in (polygamma, zeta, spherical_jn):
    set_label(_fn, f"scipy.special.{_fn.__name__}")


def logsumexp(
    a: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False
) -> Any:
    """``log(sum(b * exp(a), axis))``, as :func:`scipy.special.logsumexp`, differentiable.

    Shifted by the (constant) largest entry for stability; ``b`` may be traced too, and
    ``return_sign=True`` returns ``(log|s|, sign(s))`` for a sum ``s`` of either sign.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> bool(np.allclose(sr.grad(logsumexp)(x), np.exp(x) / np.sum(np.exp(x))))
    True
    """
    if not (is_traced((a, b))):
        return sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    shift = np.max(strip(a), axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)  # all -inf: log(0) = -inf, not nan
    terms = np.exp(a - shift)
    total = np.sum(terms if b is None else b * terms, axis=axis, keepdims=True)
    if not keepdims:
        total, shift = np.squeeze(total, axis=axis), np.squeeze(shift, axis=axis)
    with np.errstate(divide="ignore"):
        if not return_sign:
            return np.log(total) + shift
        return np.log(np.abs(total)) + shift, np.sign(strip(total))


def softmax(x: Any, axis: Any = None) -> Any:
    """``exp(x - logsumexp(x, axis))``, as :func:`scipy.special.softmax`, differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(np.sum(softmax(np.array([0.5, 1.5]))), 1.0))
    True
    """
    if not is_traced(x):
        return sc.softmax(x, axis=axis)
    return np.exp(x - logsumexp(x, axis=axis, keepdims=True))


def log_softmax(x: Any, axis: Any = None) -> Any:
    """``x - logsumexp(x, axis)``, as :func:`scipy.special.log_softmax`, differentiable.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.5, 1.5])
    >>> bool(np.allclose(log_softmax(x), np.log(softmax(x))))
    True
    """
    if not is_traced(x):
        return sc.log_softmax(x, axis=axis)
    return x - logsumexp(x, axis=axis, keepdims=True)


def multigammaln(a: Any, d: int) -> Any:
    """The log of the multivariate gamma function of dimension ``d``, differentiable in ``a``.

    ``d (d - 1) / 4 log(pi) + sum_{j < d} gammaln(a - j / 2)``, as
    :func:`scipy.special.multigammaln` (which requires ``a > (d - 1) / 2``).

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> bool(np.isclose(sr.grad(lambda a: multigammaln(a, 2))(3.0),
    ...                 sc.digamma(3.0) + sc.digamma(2.5)))
    True
    """
    if not is_traced(a):
        return sc.multigammaln(a, d)
    if np.any(strip(a) <= 0.5 * (d - 1)):
        raise ValueError(f"condition a ({strip(a)}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    halves = np.arange(d) / 2.0
    terms = sc.gammaln(np.expand_dims(a, -1) - halves)
    return np.sum(terms, axis=-1) + 0.25 * d * (d - 1) * np.log(np.pi)
