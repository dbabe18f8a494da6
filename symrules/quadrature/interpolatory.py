"""Interpolatory rules: Newton-Cotes (trapezoid, Simpson), Gauss-Legendre, Clenshaw-Curtis.

Each rule integrates exactly the polynomials of its degree, from nodes on the reference
interval [0, 1] mapped onto any interval by :class:`~symrules.quadrature.rules.QuadratureRule`.
Gauss-Legendre nodes come from ``scipy.special.roots_legendre``; Clenshaw-Curtis weights from
one FFT (Waldvogel's construction).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import roots_legendre

from ..errors import QuadratureInputError
from .rules import MAX_GAUSS_NODES, QuadratureRule, Reference, check_count, frozen_reference

__all__ = ["ClenshawCurtis", "GaussLegendre", "Simpson", "Trapezoid"]


@lru_cache(maxsize=64)
def _newton_cotes_reference(n: int, simpson: bool) -> Reference:
    k = np.arange(n + 1)
    w = np.ones(n + 1) if not simpson else np.where(k % 2 == 1, 4.0, 2.0)
    w[[0, -1]] = 0.5 if not simpson else 1.0
    return frozen_reference(k / n, (n - k) / n, w / (n if not simpson else 3 * n))


@dataclass(frozen=True)
class Trapezoid(QuadratureRule):
    """The composite trapezoidal rule on ``n`` equal subintervals (``n + 1`` nodes).

    Exact for degree 1; the error falls like ``n**-2`` for smooth integrands.

    Examples
    --------
    >>> x, w = Trapezoid(4).nodes_weights(-1.0, 1.0)
    >>> x.tolist(), w.tolist()
    ([-1.0, -0.5, 0.0, 0.5, 1.0], [0.25, 0.5, 0.5, 0.5, 0.25])
    """

    n: int

    def __post_init__(self) -> None:
        check_count(f"Trapezoid(n={self.n!r})", "n", self.n, 1)
        self._check_size(f"Trapezoid(n={self.n!r})")

    @property
    def max_nodes(self) -> int:
        """``n + 1``."""
        return int(self.n) + 1

    @property
    def degree(self) -> int:
        """1."""
        return 1

    def _reference(self) -> Reference:
        return _newton_cotes_reference(int(self.n), False)


@dataclass(frozen=True)
class Simpson(QuadratureRule):
    """The composite Simpson rule on ``n`` equal subintervals, ``n`` even (``n + 1`` nodes).

    Exact for degree 3; the error falls like ``n**-4`` for smooth integrands.

    Examples
    --------
    >>> x, w = Simpson(2).nodes_weights(0.0, 2.0)
    >>> w.tolist(), bool(np.isclose(w @ x**3, 4.0))
    ([0.3333333333333333, 1.3333333333333333, 0.3333333333333333], True)
    """

    n: int

    def __post_init__(self) -> None:
        check_count(f"Simpson(n={self.n!r})", "n", self.n, 1)
        self._check_size(f"Simpson(n={self.n!r})")
        if self.n % 2:
            raise QuadratureInputError(
                f"Simpson(n={self.n}): n must be an even number of subintervals, got {self.n}"
            )

    @property
    def degree(self) -> int:
        """3."""
        return 3

    @property
    def max_nodes(self) -> int:
        """``n + 1``."""
        return int(self.n) + 1

    def _reference(self) -> Reference:
        return _newton_cotes_reference(int(self.n), True)


@lru_cache(maxsize=64)
def _gauss_legendre_reference(n: int) -> Reference:
    s, w = roots_legendre(n)  # O(n) work and memory (numpy's leggauss is O(n^2))
    return frozen_reference((1.0 + s) / 2, (1.0 - s) / 2, w / 2)


@dataclass(frozen=True)
class GaussLegendre(QuadratureRule):
    """The ``n``-point Gauss-Legendre rule (nodes from ``scipy.special.roots_legendre``).

    Exact for degree ``2n - 1``; converges geometrically for integrands analytic near the
    interval. Nodes are interior, so an endpoint is never evaluated.

    Examples
    --------
    >>> x, w = GaussLegendre(3).nodes_weights(0, 1)
    >>> bool(np.isclose(w.sum(), 1.0)), GaussLegendre(3).degree
    (True, 5)
    """

    n: int

    def __post_init__(self) -> None:
        check_count(f"GaussLegendre(n={self.n!r})", "n", self.n, 1)
        if self.n > MAX_GAUSS_NODES:
            raise QuadratureInputError(
                f"GaussLegendre(n={self.n}): n is at most symrules.quadrature.rules."
                f"MAX_GAUSS_NODES = {MAX_GAUSS_NODES}; use Composite(GaussLegendre(20), "
                f"panels={-(-self.n // 20)}) for as many nodes"
            )

    @property
    def max_nodes(self) -> int:
        """``n``."""
        return int(self.n)

    @property
    def degree(self) -> int:
        """``2n - 1``."""
        return 2 * int(self.n) - 1

    def _reference(self) -> Reference:
        return _gauss_legendre_reference(int(self.n))


@lru_cache(maxsize=64)
def _clenshaw_curtis_reference(n: int) -> Reference:
    # Waldvogel (2006), "Fast construction of the Fejer and Clenshaw-Curtis quadrature
    # rules", BIT 46: the weights on [-1, 1] are one inverse FFT; nodes cos(k pi / n).
    if n == 1:
        w = np.array([1.0, 1.0])
    else:
        odd = np.arange(1, n, 2)
        m = n - len(odd)
        v0 = np.concatenate([2.0 / odd / (odd - 2), [1.0 / odd[-1]], np.zeros(m)])
        v2 = -v0[:-1] - v0[:0:-1]
        g0 = -np.ones(n)
        g0[len(odd)] += n
        g0[m] += n
        w = np.fft.ifft(v2 + g0 / (n**2 - 1 + n % 2)).real
        w = np.append(w, w[0])
    k = np.arange(n + 1)
    w = (w + w[::-1]) / 4
    t, tc = np.sin(k * np.pi / (2 * n)) ** 2, np.sin((n - k) * np.pi / (2 * n)) ** 2
    return frozen_reference(t, tc, w)


@dataclass(frozen=True)
class ClenshawCurtis(QuadratureRule):
    """The Clenshaw-Curtis rule on the ``n + 1`` Chebyshev points ``cos(k pi / n)``.

    Exact for degree ``n`` (``n + 1`` when ``n`` is even, by symmetry); converges
    geometrically for analytic integrands, nested when ``n`` doubles. Weights by Waldvogel's
    FFT formula.

    Examples
    --------
    >>> x, w = ClenshawCurtis(2).nodes_weights(-1, 1)
    >>> bool(np.allclose(w, [1 / 3, 4 / 3, 1 / 3])), ClenshawCurtis(2).degree
    (True, 3)
    """

    n: int

    def __post_init__(self) -> None:
        check_count(f"ClenshawCurtis(n={self.n!r})", "n", self.n, 1)
        self._check_size(f"ClenshawCurtis(n={self.n!r})")

    @property
    def max_nodes(self) -> int:
        """``n + 1``."""
        return int(self.n) + 1

    @property
    def degree(self) -> int:
        """``n`` for odd ``n``, ``n + 1`` for even ``n``."""
        return int(self.n) + 1 - int(self.n) % 2

    def _reference(self) -> Reference:
        return _clenshaw_curtis_reference(int(self.n))
