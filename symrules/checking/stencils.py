"""Finite-difference methods as objects: exact stencils, a step rule, Richardson extrapolation.

A method is an :class:`FDM` object that prints its stencil; its coefficients solve the Taylor
(Vandermonde) equations exactly in rational arithmetic, for any number of points and any
derivative order, central or one-sided. Calling it on a scalar function searches for the step
that balances round-off against truncation error, and estimates the error that remains.
:mod:`~symrules.checking.finite_differences` applies these methods to arrays, containers and
the fields of callables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from itertools import pairwise
from typing import Any

import numpy as np

from ..errors import FiniteDifferenceError

__all__ = ["FDM", "backward_fdm", "central_fdm", "forward_fdm", "richardson"]

EPS = float(np.finfo(float).eps)
RATIO = 4  # successive steps of the search; a power of 2, so every step is a power of 2 too
LEVELS = 20  # steps the search tries below the relative scale |x|: 4^-19 ~ 4e-12
CONVERGED = 1e-6  # an error estimate this small relative to the value counts as converged,
ROUND_OFF_SLACK = 10.0  # as does one within this many round-off terms (a zero derivative)
SAFETY = 2.0  # the moves to finer steps count twice: the best of many steps may be lucky


def _solve_exact(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction]:
    """Gauss-Jordan elimination in rational arithmetic (the matrix is nonsingular)."""
    n = len(rhs)
    rows = [[*row, b] for row, b in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                ratio = rows[r][col] / rows[col][col]
                rows[r] = [a - ratio * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]


class FDM:
    """A finite-difference method: ``f^(q)(x) ~ sum_j c_j f(x + o_j h) / h^q``.

    The coefficients ``c_j`` solve ``sum_j c_j o_j^k = k! [k == q]`` for ``k < len(offsets)``
    exactly (``fractions.Fraction``). The accuracy order ``a`` is read off the first moment
    that does not vanish, ``k0 = q + a``; its size gives the truncation constant
    ``C_trunc = |sum_j c_j o_j^k0| / k0!`` and the round-off constant is
    ``C_round = factor * sum_j |c_j|``. With ``richardson=L`` levels each estimate at ``h`` is
    extrapolated from ``h, h/2, ..., h/2^L``, and ``a`` becomes the extrapolated order.

    **The step and its error.** Balancing the truncation error ``C_trunc h^a |f^(q+a)|``
    against the round-off error ``eps C_round |f| / h^q`` gives the model step
    (:meth:`step_size`) ``h = scale * (eps * C_round / C_trunc) ** (1 / (a + q))``, right for
    a function whose k-th derivative is about ``|f| / scale^k``. No one scale fits every
    function: ``1/p`` at ``p = 1e-4`` needs ``scale = |p|`` (a step of ``1e-3`` jumps over the
    pole), ``sin(1 + p)`` there needs ``scale = 1`` (a step of ``1e-7`` loses seven digits to
    round-off), and ``sin(exp(exp(p)))`` at ``p = 2`` turns once every ``5e-4`` and needs a
    step far below both. So unless a ``step`` is given the method *searches*, as numdifftools
    does: it evaluates the stencil ``D_k`` at ``h_k = h_0 / 4^k``, from four model steps at
    scale ``max(|x|, 1)`` (the absolute scale serves ``x = 0`` and functions of ``x + c``)
    down through the relative scale ``|x|`` to 20 steps below it. Each Richardson
    extrapolation ``R_k = D_k + (D_k - D_{k-1}) / (4^a - 1)`` gets the error estimate

        ``err_k = |R_k - D_k| + 2 max(|D_{k+1} - D_k|, |D_{k+2} - D_k|) + rho_k``:

    the move made by extrapolation, twice the largest move to the next two finer steps, and
    the round-off ``rho_k = eps C_round (max_j |f_j| + |x| |slope|) / h_k^q`` (``f`` computed
    from a rounded ``x`` is off by about ``eps |x f'|`` too). Entry by entry the result is the
    ``R_k`` with the smallest ``err_k``, preferring one with ``err_k < |R_k|`` (it knows its
    sign). Why this bounds the error: where truncation dominates, the moves are the error of
    ``D_k``, larger than that of ``R_k``; where round-off or noise dominates, they are the
    noise itself, and two finer steps make a lucky small move unlikely; where the stencil
    straddles a kink at a distance ``d << h``, ``D_k`` grows like ``1/h`` and ``err_k`` is
    many times ``|R_k|``: not even the sign is known. The search stops once the best estimate
    has converged (``err <= 1e-6 |R|``, or ten round-off terms for a zero derivative) and the
    next step did not improve on it: five stencils for a smooth, well-scaled function. Steps
    are powers of 2, so the points ``x + o_j h`` are exact, and none is below the spacing of
    floats at ``x``; a step whose stencil is not finite or raises ``ArithmeticError`` (it left
    ``f``'s domain) is skipped. Blind spots: a kink far nearer ``x`` than the step whose slope
    jump is small beside the derivative (every stencil sees about the mean slope; exactly at
    ``x``, a central one sees only that), noise ``f``'s values do not show (a difference of
    nearly equal terms inside ``f``: declare it with ``factor``), and oscillations faster than
    the steps (aliasing). A fixed ``step`` gets the same estimate from the stencils at
    ``step``, ``step / 4`` and ``step / 16``.

    Parameters
    ----------
    offsets : sequence of int or Fraction
        Distinct grid points in units of ``h``.
    deriv : int
        The derivative order ``q >= 1``; needs ``len(offsets) > deriv``.
    richardson : int
        Levels of Richardson extrapolation within each estimate (0: none).
    factor : float
        How many times ``eps`` the relative error of one evaluation of ``f`` is.

    Examples
    --------
    >>> import numpy as np
    >>> m = FDM([-2, -1, 0, 1, 2])
    >>> m
    FDM(central, 5 points, d1, order 4: coefs [1/12, -2/3, 0, 2/3, -1/12] at [-2, -1, 0, 1, 2])
    >>> bool(np.isclose(m(np.sin, 0.5), np.cos(0.5), rtol=1e-12))
    True
    >>> d, err = m(lambda p: 1 / p, 1e-4, error=True)  # d/dp 1/p = -1/p^2 = -1e8
    >>> bool(abs(d + 1e8) <= err < 1e-6 * 1e8)
    True

    See Also
    --------
    central_fdm, forward_fdm, backward_fdm, richardson
    """

    def __init__(
        self, offsets: Sequence[Any], deriv: int = 1, *, richardson: int = 0, factor: float = 1.0
    ) -> None:
        if not isinstance(deriv, int | np.integer) or deriv < 1:
            raise FiniteDifferenceError(f"deriv must be an integer >= 1, got {deriv!r}")
        grid = tuple(Fraction(o) for o in offsets)
        if len(set(grid)) != len(grid):
            raise FiniteDifferenceError(f"stencil offsets must be distinct, got {list(offsets)}")
        if len(grid) <= deriv:
            raise FiniteDifferenceError(
                f"a {len(grid)}-point stencil cannot give derivative order {deriv}: "
                f"it needs at least {deriv + 1} points"
            )
        if richardson < 0 or factor <= 0:
            raise FiniteDifferenceError("richardson must be >= 0 and factor > 0")
        p = len(grid)
        vandermonde = [[o**k for o in grid] for k in range(p)]
        rhs = [Fraction(math.factorial(deriv)) if k == deriv else Fraction(0) for k in range(p)]
        self.offsets, self.deriv = grid, int(deriv)
        self.coefs = tuple(_solve_exact(vandermonde, rhs))
        self.richardson, self.factor = int(richardson), float(factor)
        k0 = next(k for k in range(p, 2 * p + 2) if self._moment(k) != 0)
        self.order = k0 - self.deriv
        self.trunc_constant = float(abs(self._moment(k0)) / math.factorial(k0))
        self.round_constant = self.factor * float(sum(abs(c) for c in self.coefs))
        symmetric = sorted(grid) == sorted(-o for o in grid)
        if symmetric:
            self.kind = "central"
        elif min(grid) >= 0 or max(grid) <= 0:
            self.kind = "forward" if min(grid) >= 0 else "backward"
        else:
            self.kind = "custom"
        self.power_step = 2 if symmetric else 1
        self.accuracy = self.order + self.richardson * self.power_step
        # the closest two points come of a step h: below the float spacing they would merge
        self.gap = float(min(b - a for a, b in pairwise(sorted(grid)))) / 2**self.richardson

    def _moment(self, k: int) -> Fraction:
        return sum((c * o**k for c, o in zip(self.coefs, self.offsets, strict=True)), Fraction(0))

    def __repr__(self) -> str:
        coefs = ", ".join(str(c) for c in self.coefs)
        grid = ", ".join(str(o) for o in self.offsets)
        extra = f", richardson {self.richardson}" if self.richardson else ""
        return (
            f"FDM({self.kind}, {len(self.offsets)} points, d{self.deriv}, order {self.order}"
            f"{extra}: coefs [{coefs}] at [{grid}])"
        )

    def step_size(self, scale: float = 1.0, eps: float = EPS) -> float:
        """The model step balancing round-off against truncation (see the class docstring).

        Examples
        --------
        >>> h = central_fdm(3).step_size()
        >>> bool(np.isclose(h, (np.finfo(float).eps * 1.0 / (1 / 6)) ** (1 / 3)))
        True
        """
        ratio = eps * self.round_constant / self.trunc_constant
        return float(scale * ratio ** (1.0 / (self.accuracy + self.deriv)))

    def estimate(self, f: Callable[[float], Any], x: float, h: float) -> Any:
        """The plain stencil value ``sum_j c_j f(x + o_j h) / h^q`` (no extrapolation).

        Examples
        --------
        >>> float(forward_fdm(2).estimate(lambda t: t**2, 1.0, 0.5))
        2.5
        """
        total: Any = 0.0
        for c, o in zip(self.coefs, self.offsets, strict=True):
            if c != 0:
                total = total + float(c) * np.asarray(f(x + float(o) * h))
        return total / h**self.deriv

    def one_sided(self, side: str) -> FDM:
        """The ``"forward"`` or ``"backward"`` method of the same derivative and accuracy order.

        Examples
        --------
        >>> central_fdm(5).one_sided("forward").offsets == forward_fdm(5).offsets
        True
        """
        make = {"forward": forward_fdm, "backward": backward_fdm}[side]
        return make(
            self.order + self.deriv, self.deriv, richardson=self.richardson, factor=self.factor
        )

    def __call__(
        self,
        f: Callable[[float], Any],
        x: float,
        *,
        step: float | None = None,
        bounds: tuple[float, float] | None = None,
        eps: float = EPS,
        scale: float | None = None,
        error: bool = False,
    ) -> Any:
        """The derivative of ``f`` at the scalar ``x``; ``f`` may return a scalar or an array.

        Parameters
        ----------
        f : callable
            ``f(t)`` for a float ``t``: a float or an array (entries are treated one by one).
        x : float
        step : float, optional
            A fixed step: the stencil at ``step`` (its error estimate compares it with the
            stencils at ``step / 4`` and ``step / 16``). By default the step is searched for.
        bounds : (lo, hi), optional
            A stencil that would step outside becomes the one-sided method of the same order,
            and the step shrinks if even that does not fit.
        eps : float
            The machine epsilon of the computation.
        scale : float, optional
            The size the search starts from (default ``max(|x|, 1)``).
        error : bool
            Also return an estimate of the absolute error, shaped like the derivative.

        Returns
        -------
        float or ndarray, or (derivative, error)
        """
        fixed = step is not None
        size = max(abs(x), 1.0) if scale is None else float(scale)
        method = self
        h = float(step) if step is not None else RATIO * self.step_size(size, eps)
        if bounds is not None:
            method, h = self._fit(x, h, bounds, fixed, size, eps)
        if not h > 0:
            raise FiniteDifferenceError(f"the step must be positive, got {h!r}")
        if fixed:
            if not error:
                return method._level(f, x, h, eps)[0]
            found = method._search(f, x, h, eps, 3)
        else:  # powers of 2, to LEVELS steps below the scale |x|, not below the spacing at x
            h0 = 2.0 ** math.floor(math.log2(h))
            below = math.ceil(math.log(size / abs(x), RATIO)) if 0 < abs(x) < size else 0
            room = math.log(h0 * method.gap, RATIO) - math.log(np.spacing(abs(x)), RATIO)
            found = method._search(f, x, h0, eps, min(LEVELS + below, 1 + math.floor(room)))
        return found if error else found[0]

    def _level(self, f: Callable[[float], Any], x: float, h: float, eps: float) -> tuple[Any, Any]:
        """The estimate at step ``h`` (with its own Richardson levels) and its round-off term
        ``eps C_round (max |f| + |x| |slope|) / h^q``: ``f`` computed from a rounded ``x`` is
        off by about ``eps |x f'|`` too. ``nan`` where it is not finite or ``f`` raises an
        ``ArithmeticError`` (a pole, say)."""
        values: list[Any] = []

        def tracked(t: float) -> Any:
            values.append(np.asarray(f(t)))
            return values[-1]

        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                d = richardson(
                    lambda hh: self.estimate(tracked, x, hh),
                    h,
                    self.order,
                    levels=self.richardson,
                    power_step=self.power_step,
                )
                slope = np.ptp(values, axis=0) / (float(max(self.offsets) - min(self.offsets)) * h)
                noise = eps * np.max(np.abs(values), axis=0) + eps * abs(x) * slope
        except ArithmeticError:
            return np.nan, np.nan
        roundoff = self.round_constant * noise / (h / 2**self.richardson) ** self.deriv
        return np.where(np.isfinite(d), d, np.nan)[()], roundoff

    def _search(
        self, f: Callable[[float], Any], x: float, h0: float, eps: float, levels: int
    ) -> tuple[Any, Any]:
        """The best ``(R_k, err_k)`` entry by entry over the steps ``h0 / 4^k`` (see the class
        docstring); ``levels = 3`` gives the stencil at ``h0`` and its error estimate."""
        gain = RATIO**self.accuracy - 1.0
        table = [self._level(f, x, h0, eps)]
        best: Any = np.nan
        best_err: Any = np.inf
        floor: Any = np.inf
        best_signed: Any = False
        for k in range(1, levels):
            table.append(self._level(f, x, h0 / RATIO**k, eps))
            if k < 2:
                continue
            coarse = table[k - 3][0] if k > 2 else np.nan
            d, roundoff = table[k - 2]
            finer = np.fmax(np.abs(table[k - 1][0] - d), np.abs(table[k][0] - d))
            r = np.where(np.isfinite(coarse), d + (d - coarse) / gain, d)
            err = np.abs(r - d) + SAFETY * finer + roundoff
            signed = err < np.abs(r)  # an estimate that knows its sign beats any that does not
            better = (signed & ~best_signed) | ((signed == best_signed) & (err < best_err))
            best, best_err = np.where(better, r, best), np.where(better, err, best_err)
            best_signed, floor = best_signed | signed, np.where(better, roundoff, floor)
            converged = best_err <= CONVERGED * np.abs(best) + ROUND_OFF_SLACK * floor
            if k > 2 and not np.any(better) and np.all(converged):
                break
        return np.asarray(best)[()], np.asarray(best_err)[()]

    def _fit(
        self, x: float, h: float, bounds: tuple[float, float], fixed: bool, size: float, eps: float
    ) -> tuple[FDM, float]:
        lo, hi = bounds
        if not lo <= x <= hi:
            raise FiniteDifferenceError(f"x = {x!r} lies outside the bounds ({lo}, {hi})")
        method = self
        if x + float(min(self.offsets)) * h < lo:
            method = self.one_sided("forward")
        elif x + float(max(self.offsets)) * h > hi:
            method = self.one_sided("backward")
        if method is not self and not fixed:
            h = RATIO * method.step_size(size, eps)
        reach_up, reach_down = float(max(method.offsets)), float(-min(method.offsets))
        if reach_up > 0:
            h = min(h, (hi - x) / reach_up)
        if reach_down > 0:
            h = min(h, (x - lo) / reach_down)
        if not h > 0:
            raise FiniteDifferenceError(
                f"no {method.kind} stencil fits at x = {x!r} inside the bounds ({lo}, {hi})"
            )
        return method, h


def _check_points(points: int) -> None:
    if not isinstance(points, int | np.integer) or points < 1:
        raise FiniteDifferenceError(f"points must be a positive integer, got {points!r}")


def central_fdm(points: int, deriv: int = 1, *, richardson: int = 0, factor: float = 1.0) -> FDM:
    """The central method on ``points`` points (odd: ``-p//2..p//2``; even: without 0).

    Examples
    --------
    >>> central_fdm(3, 2)
    FDM(central, 3 points, d2, order 2: coefs [1, -2, 1] at [-1, 0, 1])
    """
    _check_points(points)
    half = points // 2
    grid = range(-half, half + 1) if points % 2 else [*range(-half, 0), *range(1, half + 1)]
    return FDM(list(grid), deriv, richardson=richardson, factor=factor)


def forward_fdm(points: int, deriv: int = 1, *, richardson: int = 0, factor: float = 1.0) -> FDM:
    """The forward method on offsets ``0, 1, ..., points - 1``.

    Examples
    --------
    >>> forward_fdm(3).coefs == (-1.5, 2, -0.5)
    True
    """
    _check_points(points)
    return FDM(list(range(points)), deriv, richardson=richardson, factor=factor)


def backward_fdm(points: int, deriv: int = 1, *, richardson: int = 0, factor: float = 1.0) -> FDM:
    """The backward method on offsets ``-(points - 1), ..., -1, 0``.

    Examples
    --------
    >>> backward_fdm(2).coefs == (-1, 1)
    True
    """
    _check_points(points)
    return FDM(list(range(1 - points, 1)), deriv, richardson=richardson, factor=factor)


def richardson(
    estimate: Callable[[float], Any],
    h: float,
    order: int,
    *,
    levels: int = 1,
    ratio: float = 2.0,
    power_step: int = 1,
) -> Any:
    """Richardson extrapolation of ``estimate(h) = A + c_1 h^order + c_2 h^(order+s) + ...``.

    Evaluates ``estimate`` at ``h, h/ratio, ..., h/ratio^levels`` and eliminates one error
    term per level (the Neville tableau); ``power_step`` ``s`` is 2 for a central stencil,
    whose error has only every other power.

    Examples
    --------
    >>> import numpy as np
    >>> def forward(h):
    ...     return (np.exp(h) - 1.0) / h
    >>> bool(abs(richardson(forward, 0.1, 1, levels=2) - 1) < abs(forward(0.1) - 1) / 1000)
    True
    """
    row = [estimate(h)]
    for i in range(1, levels + 1):
        new = [estimate(h / ratio**i)]
        for j in range(1, i + 1):
            gain = ratio ** (order + (j - 1) * power_step) - 1.0
            new.append(new[j - 1] + (new[j - 1] - row[j - 1]) / gain)
        row = new
    return row[-1]
