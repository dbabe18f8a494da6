"""Finite-difference methods as objects: exact stencils, a step rule, Richardson extrapolation.

A method is an :class:`FDM` object that prints its stencil; its coefficients solve the Taylor
(Vandermonde) equations exactly in rational arithmetic, for any number of points and any
derivative order, central or one-sided. Calling it on a scalar function estimates the
derivative with a step that balances round-off against truncation error.
:mod:`~symrules.checking.finite_differences` applies these methods to arrays, containers and
the fields of callables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from math import factorial
from typing import Any

import numpy as np

from ..errors import FiniteDifferenceError

__all__ = ["FDM", "backward_fdm", "central_fdm", "forward_fdm", "richardson"]


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
    ``C_round = factor * sum_j |c_j|``. Balancing the truncation error ``C_trunc h^a``
    against the round-off error ``eps C_round / h^q`` gives the default step

        ``h = scale * (eps * C_round / C_trunc) ** (1 / (a + q))``,

    with ``scale = max(1, |x|)`` and ``eps`` the machine epsilon (the optimum's constant
    factor ``(q / a) ** (1 / (a + q))`` is close to 1 and left out). With ``richardson=L``
    levels the estimate at ``h`` is extrapolated from ``h, h/2, ..., h/2^L``, and ``a`` in
    the step rule becomes the extrapolated order.

    Parameters
    ----------
    offsets : sequence of int or Fraction
        Distinct grid points in units of ``h``.
    deriv : int
        The derivative order ``q >= 1``; needs ``len(offsets) > deriv``.
    richardson : int
        Levels of Richardson extrapolation (0: none).
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
        rhs = [Fraction(factorial(deriv)) if k == deriv else Fraction(0) for k in range(p)]
        self.offsets, self.deriv = grid, int(deriv)
        self.coefs = tuple(_solve_exact(vandermonde, rhs))
        self.richardson, self.factor = int(richardson), float(factor)
        k0 = next(k for k in range(p, 2 * p + 2) if self._moment(k) != 0)
        self.order = k0 - self.deriv
        self.trunc_constant = float(abs(self._moment(k0)) / factorial(k0))
        self.round_constant = self.factor * float(sum(abs(c) for c in self.coefs))
        symmetric = sorted(grid) == sorted(-o for o in grid)
        if symmetric:
            self.kind = "central"
        elif min(grid) >= 0 or max(grid) <= 0:
            self.kind = "forward" if min(grid) >= 0 else "backward"
        else:
            self.kind = "custom"
        self.power_step = 2 if symmetric else 1

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

    def step_size(self, scale: float = 1.0, eps: float = float(np.finfo(float).eps)) -> float:
        """The step balancing round-off against truncation (see the class docstring).

        Examples
        --------
        >>> h = central_fdm(3).step_size()
        >>> bool(np.isclose(h, (np.finfo(float).eps * 1.0 / (1 / 6)) ** (1 / 3)))
        True
        """
        accuracy = self.order + self.richardson * self.power_step
        ratio = eps * self.round_constant / self.trunc_constant
        return float(scale * ratio ** (1.0 / (accuracy + self.deriv)))

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
        eps: float = float(np.finfo(float).eps),
    ) -> Any:
        """The derivative of ``f`` at the scalar ``x``; ``f`` may return a scalar or an array.

        With ``bounds=(lo, hi)`` a stencil that would step outside switches to the one-sided
        method of the same order, and the step shrinks if even that does not fit.
        """
        method = self
        if bounds is not None:
            method, step = self._fit(x, step, bounds, eps)
        h = method.step_size(max(1.0, abs(x)), eps) if step is None else float(step)
        if not h > 0:
            raise FiniteDifferenceError(f"the step must be positive, got {h!r}")
        return richardson(
            lambda hh: method.estimate(f, x, hh),
            h,
            method.order,
            levels=method.richardson,
            power_step=method.power_step,
        )

    def _fit(
        self, x: float, step: float | None, bounds: tuple[float, float], eps: float
    ) -> tuple[FDM, float]:
        lo, hi = bounds
        if not lo <= x <= hi:
            raise FiniteDifferenceError(f"x = {x!r} lies outside the bounds ({lo}, {hi})")
        method = self
        h = self.step_size(max(1.0, abs(x)), eps) if step is None else float(step)
        if x + float(min(self.offsets)) * h < lo:
            method = self.one_sided("forward")
        elif x + float(max(self.offsets)) * h > hi:
            method = self.one_sided("backward")
        if method is not self and step is None:
            h = method.step_size(max(1.0, abs(x)), eps)
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
