"""Adaptive Gauss-Kronrod quadrature: a Kronrod rule and the bisection that drives it.

:class:`GaussKronrod` is both a fixed rule (``nodes_weights`` is the ``2n + 1``-point Kronrod
rule on one panel) and an adaptive integrator: :meth:`GaussKronrod.integrate_adaptive` bisects
the panel with the largest error estimate until the tolerance is met, and returns the final
subdivision as a fixed :class:`~symrules.quadrature.rules.Composite` rule, which is what a
"discrete adjoint" differentiates. Failure to converge raises
:class:`~symrules.errors.ConvergenceError` (or warns), never a silent number.

How it works: the Kronrod nodes are computed, not tabulated. Laurie's algorithm (D. P. Laurie,
"Calculation of Gauss-Kronrod quadrature rules", Math. Comp. 66 (1997) 1133-1145, in the form
of Gautschi's ``r_kronrod``) builds the Jacobi-Kronrod matrix from the Legendre recurrence;
its eigenvalues are the nodes, the first eigenvector components the weights (Golub-Welsch).
The per-panel error estimate is QUADPACK's (Piessens et al., 1983, routine ``qk21``).
Infinite domains are bisected in the transformed variable of
:func:`~symrules.quadrature.transforms.transform`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, NamedTuple

import numpy as np
from scipy.special import roots_legendre

from ..engine.staging import is_staged
from ..errors import ConvergenceError, ConvergenceWarning, QuadratureInputError
from .rules import Composite, QuadratureRule, Reference
from .transforms import transform

__all__ = ["MAX_ORDER", "AdaptiveResult", "GaussKronrod", "Panel"]

#: The largest Kronrod order: its nodes solve a dense symmetric eigenproblem of that size
#: (about a second at 2001 on this class of machine; the cost grows as the cube).
MAX_ORDER = 2001

_EPS = np.finfo(float).eps


def _jacobi_kronrod(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal ``a`` and squared off-diagonal ``b`` of the Legendre Jacobi-Kronrod matrix."""
    length = -(-3 * n // 2) + 1
    ks = np.arange(length)
    a = np.zeros(2 * n + 1)  # the Legendre recurrence has alpha_k = 0
    b = np.zeros(2 * n + 1)
    b[:length] = np.where(ks == 0, 2.0, ks**2 / (4.0 * ks**2 - 1.0))
    s = np.zeros(n // 2 + 2)
    t = np.zeros(n // 2 + 2)
    t[1] = b[n + 1]
    for m in range(n - 1):
        u = 0.0
        for k in range((m + 1) // 2, -1, -1):
            i = m - k
            u += (a[k + n + 1] - a[i]) * t[k + 1] + b[k + n + 1] * s[k] - b[i] * s[k + 1]
            s[k + 1] = u
        s, t = t, s
    s[1 : n // 2 + 2] = s[: n // 2 + 1].copy()
    for m in range(n - 1, 2 * n - 2):
        u = 0.0
        for k in range(m + 1 - n, (m - 1) // 2 + 1):
            i = m - k
            j = n - 1 - i
            u += -(a[k + n + 1] - a[i]) * t[j + 1] - b[k + n + 1] * s[j + 1] + b[i] * s[j + 2]
            s[j + 1] = u
        k = (m + 1) // 2
        if m % 2 == 0:
            a[k + n + 1] = a[k] + (s[j + 1] - b[k + n + 1] * s[j + 2]) / t[j + 2]
        else:
            b[k + n + 1] = s[j + 1] / s[j + 2]
        s, t = t, s
    a[2 * n] = a[n - 1] - b[2 * n] * s[1] / t[1]
    return a, b


@lru_cache(maxsize=16)
def _kronrod_reference(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kronrod nodes, complements, Kronrod weights and embedded Gauss weights on [0, 1]."""
    a, b = _jacobi_kronrod(n)
    off = np.diag(np.sqrt(b[1:]), 1)
    x, vectors = np.linalg.eigh(np.diag(a) + off + off.T)
    w = 2.0 * vectors[0] ** 2
    gauss_x, gauss_w = roots_legendre(n)
    x[1::2] = gauss_x  # the embedded Gauss nodes, to full accuracy
    x, w = (x - x[::-1]) / 2, (w + w[::-1]) / 2
    wg = np.zeros_like(w)
    wg[1::2] = gauss_w
    arrays = ((1.0 + x) / 2, (1.0 - x) / 2, w / 2, wg / 2)
    for array in arrays:
        array.setflags(write=False)
    return arrays


class Panel(NamedTuple):
    """One panel of an adaptive subdivision: ends, estimate, error, nodes and weights.

    ``a``, ``b`` are in the integration variable (an end may be infinite); ``nodes`` and
    ``weights`` are the panel's Kronrod nodes and weights (Jacobian included).

    Examples
    --------
    >>> panel = GaussKronrod(15).integrate_adaptive(np.cos, 0.0, 1.0).panels[0]
    >>> (panel.a, panel.b), len(panel.nodes), bool(np.isclose(panel.value, np.sin(1.0)))
    ((0.0, 1.0), 15, True)
    """

    a: float
    b: float
    value: Any
    error: float
    nodes: np.ndarray
    weights: np.ndarray


class AdaptiveResult(NamedTuple):
    """What :meth:`GaussKronrod.integrate_adaptive` returns.

    ``value`` (a float, or an array for a vector integrand), ``error`` (the summed error
    estimate), ``panels`` (the final subdivision, in order) and ``rule``: the final
    subdivision as a fixed :class:`~symrules.quadrature.rules.Composite` rule, whose
    ``nodes_weights(a, b)`` reproduces the panels' nodes and weights and accepts traced bounds.

    Examples
    --------
    >>> result = GaussKronrod().integrate_adaptive(np.exp, 0.0, 1.0)
    >>> x, w = result.rule.nodes_weights(0.0, 1.0)
    >>> bool(np.isclose(w @ np.exp(x), result.value)), result.error < 1e-10
    (True, True)
    """

    value: Any
    error: float
    panels: tuple[Panel, ...]
    rule: Composite


@dataclass(frozen=True)
class GaussKronrod(QuadratureRule):
    """Adaptive Gauss-Kronrod quadrature with the ``order = 2n + 1``-point Kronrod rule.

    As a fixed rule, ``nodes_weights(a, b)`` is the Kronrod rule on one panel: exact for
    degree ``3n + 1`` (``3n + 2`` for odd ``n``, by symmetry); its odd-numbered nodes carry
    the ``n``-point Gauss rule (:meth:`gauss_weights`), exact for degree ``2n - 1``.
    :meth:`integrate_adaptive` refines until the error estimate is at most
    ``max(atol, rtol * |value|)``.

    Parameters
    ----------
    order : int
        Number of Kronrod nodes, odd, at least 3 (15 and 21 are QUADPACK's choices).
    rtol, atol : float
        Relative and absolute tolerance on the summed error estimate.
    max_subdivisions : int
        Largest number of bisections before giving up.
    adjoint : {"discrete", "continuous"}
        How ``integrate`` differentiates: the final subdivision as a fixed rule, or the
        derivative integrated adaptively on its own (used by ``integrate``, not here).
    on_failure : {"raise", "warn"}
        Raise :class:`~symrules.errors.ConvergenceError`, or issue a
        :class:`~symrules.errors.ConvergenceWarning` and return the estimate.

    Examples
    --------
    >>> rule = GaussKronrod(order=15, rtol=1e-12)
    >>> x, w = rule.nodes_weights(0, 2)
    >>> bool(np.isclose(w @ x**22, 2**23 / 23)), rule.degree
    (True, 23)
    """

    order: int = 21
    rtol: float = 1e-10
    atol: float = 1e-12
    max_subdivisions: int = 200
    adjoint: Literal["discrete", "continuous"] = "discrete"
    on_failure: Literal["raise", "warn"] = "raise"

    def __post_init__(self) -> None:
        where = f"GaussKronrod(order={self.order!r})"
        if isinstance(self.order, bool) or not isinstance(self.order, (int, np.integer)):
            raise QuadratureInputError(f"{where}: order must be an odd integer, got {self.order!r}")
        if self.order < 3 or self.order % 2 == 0:
            raise QuadratureInputError(f"{where}: order must be odd and at least 3 (15, 21)")
        if self.order > MAX_ORDER:
            raise QuadratureInputError(
                f"{where}: order is at most symrules.quadrature.adaptive.MAX_ORDER = "
                f"{MAX_ORDER} (its nodes come from a dense eigenproblem); adapt with a "
                "smaller order instead"
            )
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value < np.inf):
                raise QuadratureInputError(f"{where}: {name} must be a number >= 0, got {value!r}")
        if self.rtol == 0 and self.atol == 0:
            raise QuadratureInputError(f"{where}: rtol and atol cannot both be 0")
        if isinstance(self.max_subdivisions, bool) or not isinstance(self.max_subdivisions, int):
            raise QuadratureInputError(f"{where}: max_subdivisions must be an integer")
        if self.max_subdivisions < 0:
            raise QuadratureInputError(f"{where}: max_subdivisions must be >= 0")
        if self.adjoint not in ("discrete", "continuous"):
            raise QuadratureInputError(
                f"{where}: adjoint must be 'discrete' or 'continuous', got {self.adjoint!r}"
            )
        if self.on_failure not in ("raise", "warn"):
            raise QuadratureInputError(
                f"{where}: on_failure must be 'raise' or 'warn', got {self.on_failure!r}"
            )

    @property
    def n(self) -> int:
        """Number of nodes of the embedded Gauss rule, ``(order - 1) // 2``."""
        return (int(self.order) - 1) // 2

    @property
    def degree(self) -> int:
        """Degree of the Kronrod rule: ``3n + 1``, or ``3n + 2`` for odd ``n``."""
        return 3 * self.n + 1 + self.n % 2

    @property
    def max_nodes(self) -> int:
        """``order``: the Kronrod nodes of one panel."""
        return int(self.order)

    def _reference(self) -> Reference:
        return _kronrod_reference(self.n)[:3]

    def gauss_weights(self, a: Any, b: Any) -> Any:
        """Weights of the embedded ``n``-point Gauss rule at ``nodes_weights(a, b)``'s nodes.

        Zero at the Kronrod-only nodes. ``sum(w_kronrod - w_gauss) * f(x)`` is the raw error
        estimate of a panel.

        Examples
        --------
        >>> rule = GaussKronrod(15)
        >>> x, _ = rule.nodes_weights(0, 1)
        >>> wg = rule.gauss_weights(0, 1)
        >>> int(np.count_nonzero(wg)), bool(np.isclose(wg @ x**13, 1 / 14))
        (7, True)
        """
        t, tc, _, wg = _kronrod_reference(self.n)
        return transform(a, b).map_reference(t, tc, wg, False)[1]

    def integrate_adaptive(
        self, fun: Callable[[np.ndarray], Any], a: float, b: float
    ) -> AdaptiveResult:
        """Integrate ``fun`` from ``a`` to ``b``, bisecting the worst panel until converged.

        Parameters
        ----------
        fun : callable
            Vectorized integrand: given a 1-D array of nodes, returns one value per node,
            shape ``(N,)``, or ``(..., N)`` for a vector integrand (node axis last).
        a, b : float
            Plain-number bounds, possibly infinite; ``a > b`` gives the negated integral.

        Returns
        -------
        AdaptiveResult
            ``(value, error, panels, rule)``.

        Raises
        ------
        ConvergenceError
            ``max_subdivisions`` reached or a panel too narrow to bisect; the message names
            the error estimate and the panel with the largest error.
        QuadratureInputError
            A traced or NaN bound, or ``fun`` returned the wrong shape or a non-finite value
            (the message names the node).

        Examples
        --------
        >>> result = GaussKronrod().integrate_adaptive(lambda x: np.exp(-x), 0.0, np.inf)
        >>> bool(abs(result.value - 1.0) <= result.error <= 1e-10)
        True
        """
        where = f"GaussKronrod(order={self.order}).integrate_adaptive"
        a, b = (float(v) if is_staged(v) else v for v in (a, b))  # jit: guarded by value
        for name, value in (("a", a), ("b", b)):
            if not isinstance(value, (int, float, np.integer, np.floating)):
                raise QuadratureInputError(f"{where}: bound {name} must be a plain number")
        tr = transform(a, b)
        panels = [self._panel(fun, tr, 0.0, 1.0, where)]
        while True:
            value = sum(p.value for p in panels)
            error = float(sum(p.error for p in panels))
            tolerance = max(self.atol, self.rtol * float(np.max(np.abs(value))))
            if error <= tolerance:
                break
            worst = max(range(len(panels)), key=lambda i: panels[i].error)
            t0, t1 = panels[worst].t0, panels[worst].t1
            mid = 0.5 * (t0 + t1)
            if len(panels) > self.max_subdivisions or not t0 < mid < t1:
                reason = (
                    f"max_subdivisions={self.max_subdivisions} reached"
                    if len(panels) > self.max_subdivisions
                    else "the panel is too narrow to bisect"
                )
                return self._fail(where, tr, panels, worst, value, error, tolerance, reason)
            panels[worst : worst + 1] = [
                self._panel(fun, tr, t0, mid, where),
                self._panel(fun, tr, mid, t1, where),
            ]
        return self._result(tr, panels, value, error)

    def _panel(self, fun: Callable[..., Any], tr: Any, t0: float, t1: float, where: str) -> Any:
        """Kronrod estimate and QUADPACK error estimate on the reference panel [t0, t1]."""
        r, rc, wk, wg = _kronrod_reference(self.n)
        width = t1 - t0
        t, tc = t0 + width * r, (1.0 - t1) + width * rc
        x, jac = tr.nodes(t, tc), tr.jacobian(t, tc)
        values = np.asarray(fun(x))
        if values.shape[-1:] != x.shape or values.dtype.kind not in "biuf":
            raise QuadratureInputError(
                f"{where}: fun returned {values.dtype} values of shape {values.shape} for "
                f"{len(x)} nodes; return one real value per node, node axis last"
            )
        bad = ~np.isfinite(values)
        if bad.any():
            node = x[np.nonzero(bad)[-1][0]]
            raise QuadratureInputError(f"{where}: fun returned a non-finite value at node x={node}")
        g = values * jac
        w_t, wg_t = width * wk, width * wg
        estimate = np.asarray(g @ w_t)
        raw = np.abs(estimate - g @ wg_t)
        mean = estimate / width
        spread = np.abs(g - mean[..., None]) @ w_t
        magnitude = np.abs(g) @ w_t
        # QUADPACK qk21: scale |K - G| by the integrand's spread; floor at roundoff level.
        ratio = np.divide(200.0 * raw, spread, out=np.zeros_like(raw), where=spread > 0)
        scaled = np.where((spread > 0) & (raw > 0), spread * np.minimum(1.0, ratio**1.5), raw)
        error = float(np.max(np.maximum(scaled, 50 * _EPS * magnitude)))
        value = float(estimate) if estimate.ndim == 0 else estimate
        return _Work(t0, t1, value, error, x, w_t * jac)

    def _result(self, tr: Any, panels: list[Any], value: Any, error: float) -> AdaptiveResult:
        done = []
        for p in panels:
            with np.errstate(divide="ignore", invalid="ignore"):
                ends = tr.nodes(np.array([p.t0, p.t1]), np.array([1.0 - p.t0, 1.0 - p.t1]))
            done.append(Panel(float(ends[0]), float(ends[1]), p.value, p.error, p.x, p.w))
        breaks = (*(p.t0 for p in panels), 1.0)
        value = float(value) if np.ndim(value) == 0 else value
        return AdaptiveResult(value, error, tuple(done), Composite(self, breaks))

    def _fail(
        self,
        where: str,
        tr: Any,
        panels: list[Any],
        worst: int,
        value: Any,
        error: float,
        tolerance: float,
        reason: str,
    ) -> AdaptiveResult:
        result = self._result(tr, panels, value, error)
        panel = result.panels[worst]
        message = (
            f"{where} did not converge on ({tr.a}, {tr.b}): {reason}; error estimate "
            f"{error:.3g} > tolerance {tolerance:.3g} (value {result.value}); the largest "
            f"error, {panel.error:.3g}, is on the panel [{panel.a!r}, {panel.b!r}]"
        )
        if self.on_failure == "warn":
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
            return result
        raise ConvergenceError(message, value=result.value, error=error, panel=panel[:2])


class _Work(NamedTuple):
    """A panel while the bisection runs, in the reference variable ``t``."""

    t0: float
    t1: float
    value: Any
    error: float
    x: np.ndarray
    w: np.ndarray
