"""Reverse mode: ``vjp``, ``grad``, ``value_and_grad``, ``jacobian``, ``hessian``, ``rrule_via_ad``.

The user's entry points to reverse mode; the sweep itself is in :mod:`~symrules.engine.sweep`.
Inputs may be floats, float arrays, or structures holding them (tuples, dicts, closures,
callable objects); the cotangent of a structure is the same structure, a
:class:`~symrules.Tangent` for an object. Outputs may be values or tuples, lists and dicts of
them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .assignments import assignment_refused
from .broadcasting import shape_of
from .fields import Path, children, is_differentiable, leaves, replace_leaves
from .needs import EVERYTHING, Needs
from .sweep import assemble, backward, box_input, holds_floats, outputs_of, seeds
from .tangents import (
    NoTangent,
    SkippedTangent,
)
from .tracing import Box, Trace, strip

__all__ = ["grad", "hessian", "jacobian", "rrule_via_ad", "value_and_grad", "vjp"]

def vjp(fun: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple]]:
    """Evaluate ``fun(*primals)`` and return ``(y, pullback)``.

    ``pullback(y_bar)`` returns one cotangent per primal (no ``f_bar``: see
    :func:`rrule_via_ad` for that), with the primal's shape or structure. It may be called
    many times. The output may be a value or a tuple, list or dict of them (nested); ``y_bar``
    then has the same structure.

    Examples
    --------
    >>> import numpy as np
    >>> y, pullback = vjp(lambda x, y: x * np.sin(y), 2.0, 0.5)
    >>> x_bar, y_bar = pullback(1.0)
    >>> bool(np.isclose(x_bar, np.sin(0.5))), bool(np.isclose(y_bar, 2 * np.cos(0.5)))
    (True, True)
    >>> y, pullback = vjp(lambda x: {"a": 2.0 * x, "b": x**2}, 3.0)
    >>> float(pullback({"a": 1.0, "b": 1.0})[0])
    8.0
    """
    trace = Trace()
    boxed, node_lists = [], []
    for i, x in enumerate(primals):
        b, nodes = box_input(trace, x, f"argument {i}")
        boxed.append(b)
        node_lists.append(nodes)
    with assignment_refused:
        y, outputs = outputs_of(fun(*boxed), trace)
    flat = [node for nodes in node_lists for _, node in nodes]

    def pullback(y_bar: Any) -> tuple:
        if not outputs and is_differentiable(y) and shape_of(y_bar) != shape_of(y):
            raise InputError(
                f"the output cotangent has shape {shape_of(y_bar)}, the output {shape_of(y)}"
            )
        cts = dict(zip(map(id, flat), backward(seeds(y, y_bar, outputs), flat), strict=True))
        return tuple(
            assemble(x, nodes, cts, dense=True)
            for x, nodes in zip(primals, node_lists, strict=True)
        )

    return y, pullback


def _argnums(argnums: int | Sequence[int], nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for k in nums:
        if not isinstance(k, int) or not -nargs <= k < nargs:
            raise InputError(f"argnums={argnums!r} does not name an argument of {nargs}")
    return tuple(k % nargs for k in nums)


def value_and_grad(
    fun: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(fun(*args), gradient)`` for a scalar-valued ``fun``.

    Parameters
    ----------
    fun : callable
        Plain numpy code returning a real scalar.
    argnums : int or sequence of int
        Which positional arguments to differentiate; a tuple gives a tuple of gradients.

    Examples
    --------
    >>> import numpy as np
    >>> dx = np.diff(np.linspace(0, 1, 101))
    >>> x = np.cumsum(dx)
    >>> def main(p):
    ...     f = lambda x: p[0] * x + p[1]
    ...     return np.sum(f(x) * dx)
    >>> value, g = value_and_grad(main)(np.array([2.0, 1.0]))
    >>> bool(np.allclose(g, [0.505, 1.0]))
    True

    See Also
    --------
    grad, vjp
    """

    @functools.wraps(fun)
    def value_and_grad_fun(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        nums = _argnums(argnums, len(args))

        def partial_fun(*dynamic: Any) -> Any:
            full = list(args)
            for k, v in zip(nums, dynamic, strict=True):
                full[k] = v
            return fun(*full, **kwargs)

        y, pullback = vjp(partial_fun, *(args[k] for k in nums))
        if shape_of(y) != () or not is_differentiable(y) or np.iscomplexobj(strip(y)):
            if isinstance(y, tuple | list | dict):
                raise InputError(
                    f"grad needs a real scalar output; {getattr(fun, '__name__', 'fun')} "
                    f"returned a {type(y).__name__} of {len(y)} items: use vjp or jacobian"
                )
            raise InputError(
                f"grad needs a real scalar output; {getattr(fun, '__name__', 'fun')} returned "
                f"{type(strip(y)).__name__} of shape {shape_of(y)}: use vjp or jacobian"
            )
        cts = pullback(np.ones_like(strip(y)) if type(y) is Box else 1.0)
        return y, cts[0] if isinstance(argnums, int) else cts

    return value_and_grad_fun


def grad(fun: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The gradient of a scalar-valued ``fun`` with respect to ``argnums``.

    Gradients flow into values captured by closures and held in object fields.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(grad(np.sin)(0.5), np.cos(0.5)))
    True

    See Also
    --------
    value_and_grad, jacobian, hessian
    """
    vg = value_and_grad(fun, argnums)

    @functools.wraps(fun)
    def grad_fun(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return grad_fun


def jacobian(fun: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Jacobian of ``fun`` with respect to array argument ``argnums``, by reverse mode.

    Its shape is ``y.shape + x.shape``; for a tuple, list or dict of outputs, the same
    structure of Jacobians.

    Examples
    --------
    >>> import numpy as np
    >>> J = jacobian(lambda x: x**2)(np.array([1.0, 2.0]))
    >>> J.tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """

    @functools.wraps(fun)
    def jacobian_fun(*args: Any, **kwargs: Any) -> Any:
        (k,) = _argnums(argnums, len(args))

        def partial_fun(x: Any) -> Any:
            return fun(*args[:k], x, *args[k + 1 :], **kwargs)

        y, pullback = vjp(partial_fun, args[k])
        x_shape = shape_of(args[k])
        if is_differentiable(y) or not children(y):
            return _jacobian_rows(lambda e: pullback(e)[0], shape_of(y), x_shape)
        outputs = list(leaves(y))  # a tuple, list or dict of outputs: one Jacobian each
        zeros = {path: np.zeros(shape_of(leaf)) for path, leaf in outputs}

        def at(path: Path) -> Callable[[Any], Any]:
            return lambda e: pullback(replace_leaves(y, {**zeros, path: e}))[0]

        return replace_leaves(
            y, {path: _jacobian_rows(at(path), shape_of(leaf), x_shape) for path, leaf in outputs}
        )

    return jacobian_fun


def _jacobian_rows(pull: Callable[[Any], Any], y_shape: tuple, x_shape: tuple) -> np.ndarray:
    """The Jacobian ``y_shape + x_shape``, one reverse pass per output entry."""
    size = int(np.prod(y_shape))
    rows = []
    for i in range(size):
        e = np.zeros(size)
        e[i] = 1.0
        rows.append(np.reshape(pull(e.reshape(y_shape)), (-1,)))
    if not rows:
        return np.zeros(y_shape + x_shape)
    return np.reshape(np.stack(rows), y_shape + x_shape)


def hessian(fun: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Hessian of a scalar-valued ``fun``: the Jacobian of its gradient (reverse over reverse).

    Examples
    --------
    >>> import numpy as np
    >>> H = hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 3.0]))
    >>> H.tolist()
    [[6.0, 2.0], [2.0, 0.0]]
    """
    return jacobian(grad(fun, argnums), argnums)


def rrule_via_ad(
    f: Callable[..., Any], *args: Any, needs: Needs | None = None
) -> tuple[Any, Callable[[Any], tuple]]:
    """The reverse rule of any callable, by tracing it: ``(y, pullback)``.

    For use inside a rule. ``pullback(y_bar)`` returns ``(f_bar, *arg_bars)``: ``f_bar`` is a
    :class:`~symrules.Tangent` over ``f``'s fields, ``NoTangent()`` for a plain function. One
    tape covers the whole call, so a vectorized ``f`` over an array of nodes costs one tape,
    never one per node. ``needs`` (default: everything) limits the work to the cotangents a
    caller wants -- a rule passes on its own, ``needs.select(...)`` -- and the others come
    back as :class:`~symrules.SkippedTangent`: ``Needs({"p"}, False)`` traces only the
    field ``p`` of ``f`` and not the arguments (a quadrature's nodes).

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> def make(p, q):
    ...     return lambda x: p * np.sin(x) + q
    >>> y, pullback = rrule_via_ad(make(2.0, 1.0), 0.5)
    >>> f_bar, x_bar = pullback(1.0)
    >>> bool(np.isclose(f_bar.fields["p"], np.sin(0.5))), bool(np.isclose(x_bar, 2 * np.cos(0.5)))
    (True, True)
    >>> y, pullback = rrule_via_ad(make(2.0, 1.0), 0.5, needs=sr.Needs({"p"}, False))
    >>> f_bar, x_bar = pullback(1.0)
    >>> list(f_bar.fields), x_bar
    (['p'], SkippedTangent())

    See Also
    --------
    symrules.rrule, symrules.Needs, vjp
    """
    needs = EVERYTHING if needs is None else needs
    trace = Trace()
    inputs = [f, *args]
    boxed, node_lists = [], []
    for pos, x in enumerate(inputs):
        b, nodes = x, None  # None: not needed (a skipped cotangent); []: no float to trace
        if needs[pos]:
            paths = needs.paths(pos)
            if is_differentiable(x) or paths or any(True for _ in leaves(x)):
                name = "f" if pos == 0 else f"argument {pos - 1}"
                b, nodes = box_input(trace, x, name, paths)
            else:
                nodes = []
        boxed.append(b)
        node_lists.append(nodes)
    with assignment_refused:
        y, outputs = outputs_of(boxed[0](*boxed[1:]), trace)
    flat = [n for ns in node_lists if ns for _, n in ns]

    def pullback(y_bar: Any) -> tuple:
        cts = dict(zip(map(id, flat), backward(seeds(y, y_bar, outputs), flat), strict=True))
        return tuple(
            assemble(x, nodes, cts, dense=False) if nodes
            else NoTangent() if nodes is not None or not holds_floats(x)
            else SkippedTangent()
            for x, nodes in zip(inputs, node_lists, strict=True)
        )  # fmt: skip

    return y, pullback
