"""Finite differences: stencils as objects, a step rule, Richardson extrapolation, and gradients.

This module is the third way to get a derivative (after symbolic rules and the AD engine) and
the oracle the rule checkers in :mod:`symrules.testing` compare against. A method is an
:class:`FDM` object that prints its stencil; its coefficients solve the Taylor (Vandermonde)
equations exactly in rational arithmetic. :func:`gradient`, :func:`jvp`, :func:`vjp` and
:func:`jacobian` perturb floats, arrays, containers of them, and the fields of closures and
callable objects, returning cotangents shaped like their input (a :class:`Tangent` for an
object). It needs numpy only, never the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from math import factorial
from typing import Any

import numpy as np

from .errors import SymrulesError
from .fields import Path, children, leaves, path_name, replace_leaves
from .tangents import NoTangent, Tangent, cotangent_at, is_zero

__all__ = [
    "FDM",
    "FiniteDifferenceError",
    "backward_fdm",
    "central_fdm",
    "forward_fdm",
    "gradient",
    "inner",
    "jacobian",
    "jvp",
    "richardson",
    "vjp",
]


class FiniteDifferenceError(SymrulesError, ValueError):
    """A finite-difference method or its input is unusable.

    Too few points for the derivative order, a non-float input, a stencil that leaves the
    function's domain; the message names the offending value or field.

    Examples
    --------
    >>> try:
    ...     central_fdm(3, deriv=3)
    ... except FiniteDifferenceError as err:
    ...     print(err)
    a 3-point stencil cannot give derivative order 3: it needs at least 4 points
    """


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


def _dense_tangent(x: Any, values: dict[Path, Any]) -> Any:
    """A cotangent shaped like all of ``x``, with ``values[path]`` at every float leaf.

    Containers give the same container, objects with fields a :class:`Tangent` listing every
    field; anything that cannot carry a derivative (an integer, a string, an object with no
    float fields) gets ``NoTangent()``.
    """
    return _build(x, (), values, set())


def _build(obj: Any, path: Path, values: dict[Path, Any], seen: set[int]) -> Any:
    if path in values:
        return values[path]
    kids = children(obj)
    if kids is None or id(obj) in seen:
        return NoTangent()
    seen.add(id(obj))
    built = {k: _build(v, (*path, k), values, seen) for k, v in kids.items()}
    seen.discard(id(obj))
    if isinstance(obj, tuple | list):
        return type(obj)(*built.values()) if hasattr(obj, "_fields") else type(obj)(built.values())
    if isinstance(obj, dict):
        return built
    if all(isinstance(v, NoTangent) for v in built.values()):
        return NoTangent()
    return Tangent(obj, **built)


def inner(u: Any, y: Any) -> float:
    """The real inner product ``<u, y>`` summed over the float leaves of ``y``.

    ``u`` is shaped like ``y`` (arrays, containers, :class:`Tangent`); zeros count as 0.

    Examples
    --------
    >>> import numpy as np
    >>> inner((np.ones(2), 2.0), (np.array([1.0, 2.0]), 3.0))
    9.0
    """
    total = 0.0
    for path, leaf in leaves(y):
        part = cotangent_at(u, path)
        if part is not None and not is_zero(part):
            total += float(np.sum(np.real(np.conj(part) * leaf)))
    return total


def _method(method: str | FDM, order: int | None) -> FDM:
    if isinstance(method, FDM):
        if order is not None:
            raise FiniteDifferenceError("give either an FDM object or an order, not both")
        return method
    order = 4 if order is None else order
    if not isinstance(order, int) or order < 1:
        raise FiniteDifferenceError(f"order must be an integer >= 1, got {order!r}")
    if method == "central":
        return central_fdm(order + 1 if order % 2 == 0 else order + 2)
    if method in ("forward", "backward"):
        return (forward_fdm if method == "forward" else backward_fdm)(order + 1)
    raise FiniteDifferenceError(
        f"method must be 'central', 'forward', 'backward' or an FDM, got {method!r}"
    )


def _float_leaves(x: Any, name: str) -> list[tuple[Path, Any]]:
    found = list(leaves(x))
    if not found:
        raise FiniteDifferenceError(
            f"{name} = {x!r} holds no float values to perturb; finite differences need float "
            "inputs (e.g. 3.0 or np.asarray(x, dtype=float))"
        )
    for path, leaf in found:
        if np.iscomplexobj(leaf):
            raise FiniteDifferenceError(f"{path_name(path, name)} is complex; only real inputs")
    return found


def _along(fun: Callable[[Any], Any], x: Any, path: Path, leaf: Any, idx: tuple):
    """``t -> fun(x with entry idx of the leaf at path set to t)``."""
    arr = np.asarray(leaf)

    def along(t: float) -> Any:
        if arr.ndim == 0:
            moved = np.asarray(t, arr.dtype) if isinstance(leaf, np.ndarray) else t
        else:
            moved = arr.copy()
            moved[idx] = t
        return fun(replace_leaves(x, {path: moved}))

    return along


def _partials(
    fun: Callable[[Any], Any], x: Any, fdm: FDM, step: float | None, bounds: Any
) -> dict[Path, np.ndarray]:
    """``path -> d fun / d leaf``, of shape ``leaf.shape + y.shape``, one entry at a time."""
    out = {}
    for path, leaf in _float_leaves(x, "x"):
        arr = np.asarray(leaf)
        eps = float(np.finfo(arr.dtype).eps)
        columns = []
        for idx in np.ndindex(arr.shape):
            along = _along(fun, x, path, leaf, idx)
            d = np.asarray(fdm(along, float(arr[idx]), step=step, bounds=bounds, eps=eps))
            if not np.all(np.isfinite(d)):
                where = path_name(path, "x") + (str(list(idx)) if arr.ndim else "")
                raise FiniteDifferenceError(
                    f"finite differences at {where} = {arr[idx]!r} gave {d}: fun is not finite "
                    "at some stencil point; pass bounds=(lo, hi) to stay inside its domain"
                )
            columns.append(d)
        out[path] = np.stack(columns).reshape(arr.shape + columns[0].shape)
    return out


def _unpack(x: Any, values: dict[Path, Any]) -> Any:
    if () in values:
        value = values[()]
        return float(value) if np.ndim(value) == 0 and not isinstance(x, np.ndarray) else value
    return _dense_tangent(x, values)


def gradient(
    fun: Callable[[Any], Any],
    x: Any,
    method: str | FDM = "central",
    order: int | None = None,
    step: float | None = None,
    bounds: tuple[float, float] | None = None,
) -> Any:
    """The gradient of the scalar ``fun`` at ``x`` by finite differences, shaped like ``x``.

    ``x`` is a float, a float array, a container (tuple, list, dict) of them, or a closure,
    dataclass or callable object whose float fields are perturbed one entry at a time.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float``.
    x : float, ndarray, container or object with fields
    method : {"central", "forward", "backward"} or FDM
    order : int, optional
        Accuracy order of a named method (default 4; the smallest stencil reaching it).
    step : float, optional
        Overrides the step rule of :class:`FDM`.
    bounds : (lo, hi), optional
        The domain of every perturbed entry; stencils near an end become one-sided.

    Returns
    -------
    float, ndarray, container or Tangent
        A float for a float, an array for an array, the same container, or
        ``Tangent(x, field=...)`` for an object; non-float leaves get ``NoTangent()``.

    Examples
    --------
    >>> import numpy as np
    >>> def quadratic(p):
    ...     return lambda t: p[0] * t**2 + p[1]
    >>> f = quadratic(np.array([2.0, 1.0]))
    >>> f_bar = gradient(lambda g: g(3.0), f)
    >>> np.allclose(f_bar.fields["p"], [9.0, 1.0])
    True
    """
    y = fun(x)
    if np.ndim(y) != 0:
        raise FiniteDifferenceError(
            f"gradient needs a scalar output, fun returned shape {np.shape(y)}; use jacobian or vjp"
        )
    return _unpack(x, _partials(fun, x, _method(method, order), step, bounds))


def jacobian(
    fun: Callable[[Any], Any],
    x: Any,
    method: str | FDM = "central",
    order: int | None = None,
    step: float | None = None,
    bounds: tuple[float, float] | None = None,
) -> Any:
    """The Jacobian of ``fun`` at ``x``: shape ``y.shape + x.shape`` (per leaf for a structure).

    Examples
    --------
    >>> import numpy as np
    >>> J = jacobian(lambda v: np.array([v[0] * v[1], np.sin(v[0])]), np.array([1.0, 2.0]))
    >>> np.allclose(J, [[2.0, 1.0], [np.cos(1.0), 0.0]])
    True
    """
    parts = _partials(fun, x, _method(method, order), step, bounds)
    y_ndim = np.ndim(fun(x))
    moved = {}
    for path, d in parts.items():
        x_ndim = d.ndim - y_ndim
        moved[path] = np.moveaxis(d, tuple(range(x_ndim)), tuple(range(y_ndim, d.ndim)))
    return _unpack(x, moved)


def jvp(
    fun: Callable[[Any], Any],
    x: Any,
    v: Any,
    method: str | FDM = "central",
    order: int | None = None,
    step: float | None = None,
) -> Any:
    """The directional derivative ``d/dt fun(x + t v)`` at ``t = 0`` (``fun`` may be vector-valued).

    ``v`` is shaped like ``x``: an array, a container, or a ``Tangent`` over ``x``'s fields;
    missing or zero entries do not move. Returns ``y_dot`` only.

    Examples
    --------
    >>> import numpy as np
    >>> y_dot = jvp(np.sin, np.array([0.0, 1.0]), np.array([2.0, 1.0]))
    >>> np.allclose(y_dot, [2.0, np.cos(1.0)])
    True
    """
    directions, scale = {}, 1.0
    for path, leaf in _float_leaves(x, "x"):
        d = cotangent_at(v, path)
        if d is None or is_zero(d):
            continue
        if np.shape(d) != np.shape(leaf):
            raise FiniteDifferenceError(
                f"direction for {path_name(path, 'x')} has shape {np.shape(d)}, expected "
                f"{np.shape(leaf)}"
            )
        directions[path] = (leaf, np.asarray(d, dtype=float))
        scale = max(scale, float(np.max(np.abs(leaf), initial=0.0)))
    size = max((float(np.max(np.abs(d), initial=0.0)) for _, d in directions.values()), default=0)
    if size == 0:
        return np.zeros_like(np.asarray(fun(x), dtype=float))

    def along(t: float) -> Any:
        return fun(replace_leaves(x, {p: leaf + t * d for p, (leaf, d) in directions.items()}))

    fdm = _method(method, order)
    h = fdm.step_size(scale / size) if step is None else step
    return fdm(along, 0.0, step=h)


def vjp(
    fun: Callable[[Any], Any],
    x: Any,
    u: Any,
    method: str | FDM = "central",
    order: int | None = None,
    step: float | None = None,
    bounds: tuple[float, float] | None = None,
) -> Any:
    """``J^T u``: the gradient of ``<u, fun(x)>``, i.e. ``<u, column_i of J>`` per entry of x.

    ``u`` is shaped like the output; the result is shaped like ``x`` (see :func:`gradient`).

    Examples
    --------
    >>> import numpy as np
    >>> x_bar = vjp(lambda v: np.array([v[0] * v[1], v[1]]), np.array([1.0, 2.0]),
    ...             np.array([1.0, 10.0]))
    >>> np.allclose(x_bar, [2.0, 11.0])
    True
    """
    return gradient(lambda z: inner(u, fun(z)), x, method, order, step, bounds)
