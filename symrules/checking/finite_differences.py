"""Finite differences over arrays, containers and the fields of callables.

This module is the third way to get a derivative (after symbolic rules and the AD engine) and
the oracle the rule checkers in :mod:`symrules.testing` compare against. The methods are the
:class:`~symrules.checking.stencils.FDM` objects of :mod:`~symrules.checking.stencils`
(re-exported by the public path ``symrules.finite_differences``). :func:`gradient`, :func:`jvp`,
:func:`vjp` and :func:`jacobian` perturb floats, arrays, containers of them, and the fields of
closures and callable objects, returning cotangents shaped like their input (a :class:`Tangent`
for an object), and on request an error estimate of the same shape, from each entry's step
search. It uses the engine's fields and tangent types, never its tracing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.fields import Path, children, leaves, path_name, replace_leaves
from ..engine.tangents import NoTangent, Tangent, cotangent_at, is_zero
from ..errors import FiniteDifferenceError
from .stencils import FDM, backward_fdm, central_fdm, forward_fdm

__all__ = ["gradient", "inner", "jacobian", "jvp", "vjp"]


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
    Complex leaves pair as ``Re(u * y)``, without conjugation: JAX's convention, under which a
    pullback is the transpose of the pushforward (see :mod:`symrules.engine.table`).

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
            total += float(np.sum(np.real(part * leaf)))
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
    fun: Callable[[Any], Any],
    x: Any,
    fdm: FDM,
    step: float | None,
    bounds: Any,
    error: bool,
) -> tuple[dict[Path, np.ndarray], dict[Path, np.ndarray]]:
    """``path -> d fun / d leaf`` and its error estimate, of shape ``leaf.shape + y.shape``,
    one entry at a time (the errors are empty unless ``error``)."""
    out, errors = {}, {}
    for path, leaf in _float_leaves(x, "x"):
        arr = np.asarray(leaf)
        eps = float(np.finfo(arr.dtype).eps)
        columns, column_errors = [], []
        for idx in np.ndindex(arr.shape):
            along = _along(fun, x, path, leaf, idx)
            found = fdm(along, float(arr[idx]), step=step, bounds=bounds, eps=eps, error=error)
            d, e = found if error else (found, None)
            if not np.all(np.isfinite(d)):
                where = path_name(path, "x") + (str(list(idx)) if arr.ndim else "")
                raise FiniteDifferenceError(
                    f"finite differences at {where} = {arr[idx]!r} gave {d}: fun is not finite "
                    "at the stencil points tried (x may lie on the edge of fun's domain); pass "
                    "bounds=(lo, hi) to finite_differences.gradient for one-sided stencils, or "
                    "use a method that needs no stencil"
                )
            columns.append(np.asarray(d))
            column_errors.append(np.asarray(e))
        out[path] = np.stack(columns).reshape(arr.shape + columns[0].shape)
        if error:
            errors[path] = np.stack(column_errors).reshape(out[path].shape)
    return out, errors


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
    error: bool = False,
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
        A fixed step; by default each entry's step is searched for (see :class:`FDM`).
    bounds : (lo, hi), optional
        The domain of every perturbed entry; stencils near an end become one-sided.
    error : bool
        Also return an estimate of each entry's absolute error (see :class:`FDM`).

    Returns
    -------
    float, ndarray, container or Tangent
        A float for a float, an array for an array, the same container, or
        ``Tangent(x, field=...)`` for an object; non-float leaves get ``NoTangent()``. With
        ``error=True``, ``(gradient, error)`` with ``error`` of the same structure.

    Raises
    ------
    FiniteDifferenceError
        ``fun`` is not finite at any stencil point tried for some entry.

    Examples
    --------
    >>> import numpy as np
    >>> def quadratic(p):
    ...     return lambda t: p[0] * t**2 + p[1]
    >>> f = quadratic(np.array([2.0, 1.0]))
    >>> f_bar = gradient(lambda g: g(3.0), f)
    >>> np.allclose(f_bar.fields["p"], [9.0, 1.0])
    True
    >>> g, err = gradient(lambda a: 1 / a, 1e-4, error=True)  # -1/a^2 = -1e8
    >>> bool(abs(g + 1e8) <= err < 1e-6 * 1e8)
    True
    """
    y = fun(x)
    if np.ndim(y) != 0:
        raise FiniteDifferenceError(
            f"gradient needs a scalar output, fun returned shape {np.shape(y)}; use jacobian or vjp"
        )
    values, errors = _partials(fun, x, _method(method, order), step, bounds, error)
    return (_unpack(x, values), _unpack(x, errors)) if error else _unpack(x, values)


def jacobian(
    fun: Callable[[Any], Any],
    x: Any,
    method: str | FDM = "central",
    order: int | None = None,
    step: float | None = None,
    bounds: tuple[float, float] | None = None,
    error: bool = False,
) -> Any:
    """The Jacobian of ``fun`` at ``x``: shape ``y.shape + x.shape`` (per leaf for a structure).

    With ``error=True``, ``(jacobian, error)`` as for :func:`gradient`.

    Examples
    --------
    >>> import numpy as np
    >>> J = jacobian(lambda v: np.array([v[0] * v[1], np.sin(v[0])]), np.array([1.0, 2.0]))
    >>> np.allclose(J, [[2.0, 1.0], [np.cos(1.0), 0.0]])
    True
    """
    values, errors = _partials(fun, x, _method(method, order), step, bounds, error)
    y_ndim = np.ndim(fun(x))

    def output_first(parts: dict[Path, np.ndarray]) -> Any:
        moved = {}
        for path, d in parts.items():
            x_ndim = d.ndim - y_ndim
            moved[path] = np.moveaxis(d, tuple(range(x_ndim)), tuple(range(y_ndim, d.ndim)))
        return _unpack(x, moved)

    return (output_first(values), output_first(errors)) if error else output_first(values)


def jvp(
    fun: Callable[[Any], Any],
    x: Any,
    v: Any,
    method: str | FDM = "central",
    order: int | None = None,
    step: float | None = None,
    error: bool = False,
) -> Any:
    """The directional derivative ``d/dt fun(x + t v)`` at ``t = 0`` (``fun`` may be vector-valued).

    ``v`` is shaped like ``x``: an array, a container, or a ``Tangent`` over ``x``'s fields;
    missing or zero entries do not move. Returns ``y_dot`` only, or ``(y_dot, error)`` with
    ``error=True``; the step search starts from the size of ``x`` over that of ``v``.

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
        zero = np.zeros_like(np.asarray(fun(x), dtype=float))
        return (zero, zero) if error else zero

    def along(t: float) -> Any:
        return fun(replace_leaves(x, {p: leaf + t * d for p, (leaf, d) in directions.items()}))

    return _method(method, order)(along, 0.0, step=step, scale=scale / size, error=error)


def vjp(
    fun: Callable[[Any], Any],
    x: Any,
    u: Any,
    method: str | FDM = "central",
    order: int | None = None,
    step: float | None = None,
    bounds: tuple[float, float] | None = None,
    error: bool = False,
) -> Any:
    """``J^T u``: the gradient of ``<u, fun(x)>``, i.e. ``<u, column_i of J>`` per entry of x.

    ``u`` is shaped like the output; the result is shaped like ``x`` (see :func:`gradient`,
    also for ``error``).

    Examples
    --------
    >>> import numpy as np
    >>> x_bar = vjp(lambda v: np.array([v[0] * v[1], v[1]]), np.array([1.0, 2.0]),
    ...             np.array([1.0, 10.0]))
    >>> np.allclose(x_bar, [2.0, 11.0])
    True
    """
    return gradient(lambda z: inner(u, fun(z)), x, method, order, step, bounds, error)
