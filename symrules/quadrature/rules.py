"""Fixed quadrature rules as objects: reference nodes on [0, 1], mapped onto any interval.

This module owns :class:`QuadratureRule` and the fixed rules :class:`Trapezoid`,
:class:`Simpson`, :class:`GaussLegendre`, :class:`ClenshawCurtis`, :class:`TanhSinh` and
:class:`Composite`. A rule is a frozen dataclass; ``rule.nodes_weights(a, b)`` returns float64
nodes ``x`` and weights ``w`` such that ``np.sum(w * f(x))`` approximates the integral of ``f``
from ``a`` to ``b``. The adaptive :class:`~symrules.quadrature.adaptive.GaussKronrod` lives in
``adaptive``; the change of variables in ``transforms``.

How it works: every rule stores its nodes ``t`` on the reference interval [0, 1], their
complements ``1 - t`` (computed accurately, which matters for tanh-sinh nodes crowding the
ends) and weights summing to one; :func:`~symrules.quadrature.transforms.transform` maps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import numpy as np

from ..errors import QuadratureInputError
from .transforms import transform

__all__ = [
    "ClenshawCurtis",
    "Composite",
    "GaussLegendre",
    "QuadratureRule",
    "Simpson",
    "TanhSinh",
    "Trapezoid",
]

Reference = tuple[np.ndarray, np.ndarray, np.ndarray]


class QuadratureRule:
    """Base class of the fixed rules: reference nodes on [0, 1], mapped by ``nodes_weights``.

    Examples
    --------
    >>> isinstance(GaussLegendre(3), QuadratureRule)
    True
    """

    def _reference(self) -> Reference:
        raise NotImplementedError

    def _drops_end_nodes(self) -> bool:
        return False

    @property
    def degree(self) -> int | None:
        """Highest polynomial degree integrated exactly (``None`` where not meaningful)."""
        return None

    @property
    def num_nodes(self) -> int:
        """Number of reference nodes (tanh-sinh drops those that round onto an end)."""
        return len(self._reference()[0])

    def nodes_weights(self, a: Any, b: Any) -> tuple[Any, Any]:
        """Nodes ``x`` and weights ``w`` with ``sum(w * f(x))`` approximating the integral.

        Parameters
        ----------
        a, b : float or traced scalar
            Bounds, possibly infinite (see :func:`transform`); ``a > b`` flips the sign of
            the weights. Traced bounds enter by arithmetic only (``a + (b - a) * t``).

        Returns
        -------
        x, w : numpy.ndarray
            float64 arrays of equal length (traced arrays if a bound is traced).

        Examples
        --------
        >>> x, w = GaussLegendre(3).nodes_weights(0, 1)
        >>> bool(np.isclose(w.sum(), 1.0)), bool(np.isclose(w @ x**5, 1 / 6))
        (True, True)
        """
        t, tc, w = self._reference()
        return transform(a, b).map_reference(t, tc, w, self._drops_end_nodes())


def _check_count(rule: str, name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise QuadratureInputError(f"{rule}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise QuadratureInputError(f"{rule}: {name} must be at least {minimum}, got {value}")


def _frozen(t: np.ndarray, tc: np.ndarray, w: np.ndarray) -> Reference:
    for array in (t, tc, w):
        array.setflags(write=False)
    return t, tc, w


@lru_cache(maxsize=64)
def _newton_cotes_reference(n: int, simpson: bool) -> Reference:
    k = np.arange(n + 1)
    w = np.ones(n + 1) if not simpson else np.where(k % 2 == 1, 4.0, 2.0)
    w[[0, -1]] = 0.5 if not simpson else 1.0
    return _frozen(k / n, (n - k) / n, w / (n if not simpson else 3 * n))


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
        _check_count(f"Trapezoid(n={self.n!r})", "n", self.n, 1)

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
        _check_count(f"Simpson(n={self.n!r})", "n", self.n, 1)
        if self.n % 2:
            raise QuadratureInputError(
                f"Simpson(n={self.n}): n must be an even number of subintervals, got {self.n}"
            )

    @property
    def degree(self) -> int:
        """3."""
        return 3

    def _reference(self) -> Reference:
        return _newton_cotes_reference(int(self.n), True)


@lru_cache(maxsize=64)
def _gauss_legendre_reference(n: int) -> Reference:
    s, w = np.polynomial.legendre.leggauss(n)
    return _frozen((1.0 + s) / 2, (1.0 - s) / 2, w / 2)


@dataclass(frozen=True)
class GaussLegendre(QuadratureRule):
    """The ``n``-point Gauss-Legendre rule (nodes from ``numpy.polynomial.legendre.leggauss``).

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
        _check_count(f"GaussLegendre(n={self.n!r})", "n", self.n, 1)

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
    return _frozen(np.sin(k * np.pi / (2 * n)) ** 2, np.sin((n - k) * np.pi / (2 * n)) ** 2, w)


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
        _check_count(f"ClenshawCurtis(n={self.n!r})", "n", self.n, 1)

    @property
    def degree(self) -> int:
        """``n`` for odd ``n``, ``n + 1`` for even ``n``."""
        return int(self.n) + 1 - int(self.n) % 2

    def _reference(self) -> Reference:
        return _clenshaw_curtis_reference(int(self.n))


@lru_cache(maxsize=64)
def _tanh_sinh_reference(level: int, tmax: float) -> Reference:
    h = 2.0**-level
    k = np.arange(-int(tmax / h), int(tmax / h) + 1)
    u = np.pi / 2 * np.sinh(k * h)
    decay = np.exp(-2 * np.abs(u))  # underflows quietly to 0 far out
    gap = 2 * decay / (1 + decay)  # 1 - |tanh(u)|, accurate near the ends
    w = h * np.pi / 2 * np.cosh(k * h) * 4 * decay / (1 + decay) ** 2
    t = np.where(k < 0, gap / 2, 1 - gap / 2)
    tc = np.where(k < 0, 1 - gap / 2, gap / 2)
    keep = gap > 0
    return _frozen(t[keep], tc[keep], w[keep] / 2)


@dataclass(frozen=True)
class TanhSinh(QuadratureRule):
    """The tanh-sinh (double exponential) rule of step ``h = 2**-level``, truncated at ``tmax``.

    Nodes ``tanh(pi/2 sinh(k h))`` for ``|k h| <= tmax`` crowd both ends double exponentially,
    so integrable endpoint singularities such as ``x**-0.5`` are handled; the error falls like
    ``exp(-c / h)``: roughly squared per level. With ``tmax = 4.5`` the outermost nodes lie
    about ``1e-61`` (relative) from the ends; nodes that round onto a finite end are dropped.
    No polynomial degree (``degree`` is ``None``).

    Examples
    --------
    >>> x, w = TanhSinh(level=5).nodes_weights(0, 1)
    >>> bool(np.isclose(w @ x**-0.5, 2.0, rtol=1e-12)), bool(x.min() > 0)
    (True, True)
    """

    level: int = 5
    tmax: float = 4.5

    def __post_init__(self) -> None:
        _check_count(f"TanhSinh(level={self.level!r})", "level", self.level, 0)
        if not (isinstance(self.tmax, (int, float)) and 0 < self.tmax < np.inf):
            raise QuadratureInputError(
                f"TanhSinh(tmax={self.tmax!r}): tmax must be a positive finite number"
            )

    @property
    def h(self) -> float:
        """Step ``2**-level``."""
        return 2.0 ** -int(self.level)

    def _drops_end_nodes(self) -> bool:
        return True

    def _reference(self) -> Reference:
        return _tanh_sinh_reference(int(self.level), float(self.tmax))


@lru_cache(maxsize=64)
def _composite_reference(rule: QuadratureRule, panels: int | tuple[float, ...]) -> Reference:
    breaks = np.linspace(0.0, 1.0, panels + 1) if isinstance(panels, int) else np.array(panels)
    t0, t1 = breaks[:-1, None], breaks[1:, None]
    r, rc, w = rule._reference()
    t = (t0 + (t1 - t0) * r).ravel()
    tc = ((1.0 - t1) + (t1 - t0) * rc).ravel()
    return _frozen(t, tc, ((t1 - t0) * w).ravel())


@dataclass(frozen=True)
class Composite(QuadratureRule):
    """``rule`` applied on each of several panels that together make up the interval.

    ``panels`` is a number of equal panels, or the breakpoints ``(0.0, ..., 1.0)`` as
    fractions of the reference interval (for an infinite domain: of the transformed variable
    ``t``, see :func:`transform`). Adjacent closed panels each keep their end node. The degree
    is the inner rule's.

    Examples
    --------
    >>> rule = Composite(GaussLegendre(2), panels=3)
    >>> x, w = rule.nodes_weights(0, 3)
    >>> len(x), rule.degree, bool(np.isclose(w @ x**3, 81 / 4))
    (6, 3, True)
    """

    rule: QuadratureRule
    panels: int | tuple[float, ...] = 2

    def __post_init__(self) -> None:
        where = f"Composite(panels={self.panels!r})"
        if not isinstance(self.rule, QuadratureRule):
            raise QuadratureInputError(f"{where}: rule must be a QuadratureRule, got {self.rule!r}")
        if isinstance(self.panels, (int, np.integer)) and not isinstance(self.panels, bool):
            _check_count(where, "panels", self.panels, 1)
            object.__setattr__(self, "panels", int(self.panels))
            return
        try:  # anything else must be breakpoints
            breaks = tuple(float(p) for p in cast("Iterable[Any]", self.panels))
        except (TypeError, ValueError):
            breaks = ()
        if len(breaks) < 2 or breaks[0] != 0.0 or breaks[-1] != 1.0 or np.any(np.diff(breaks) <= 0):
            raise QuadratureInputError(
                f"{where}: panels must be a count or increasing breakpoints from 0.0 to 1.0"
            )
        object.__setattr__(self, "panels", breaks)

    @property
    def degree(self) -> int | None:
        """The inner rule's degree."""
        return self.rule.degree

    def _drops_end_nodes(self) -> bool:
        return self.rule._drops_end_nodes()

    def _reference(self) -> Reference:
        return _composite_reference(self.rule, self.panels)
