"""Reverse mode: ``vjp``, ``grad``, ``value_and_grad``, ``jacobian``, ``hessian``, ``rrule_via_ad``.

The backward sweep is micrograd's: order the tape topologically from the output, walk it once
in reverse, and accumulate each node's cotangent into its parents. Inputs may be floats,
float arrays, or structures holding them (tuples, dicts, closures, callable objects); the
cotangent of a structure is the same structure, a :class:`~symrules.Tangent` for an object.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .broadcasting import shape_of
from .fields import Path, children, get_path, is_differentiable, leaves, replace_leaves
from .recording import TRACED_FIELDS
from .tangents import NoTangent, ZeroTangent, accumulate, is_zero, tangent_from_leaves
from .tracing import Box, Node, Trace, strip

__all__ = ["grad", "hessian", "jacobian", "rrule_via_ad", "value_and_grad", "vjp"]


def _backward(output: Any, y_bar: Any, trace: Trace, inputs: Sequence[Node]) -> list[Any]:
    """Cotangents of ``inputs`` given the output's cotangent ``y_bar``.

    Nodes are visited newest first (a max-heap on creation number), which visits every
    consumer of a value before the value itself; each node's cotangent is complete then.
    """
    if type(output) is not Box or output.trace is not trace:
        return [ZeroTangent()] * len(inputs)
    start = output.node
    cotangents: dict[Node, Any] = {start: y_bar}
    heap = [(-start.seq, start)]
    done: dict[Node, Any] = {}
    while heap:
        node = heapq.heappop(heap)[1]
        g = cotangents.pop(node)
        if not node.parents:
            done[node] = g
            continue
        for parent, ct in zip(node.parents, node.vjp(g), strict=True):
            if is_zero(ct):
                continue
            if parent in cotangents:
                cotangents[parent] = accumulate(cotangents[parent], ct)
            else:
                cotangents[parent] = ct
                heapq.heappush(heap, (-parent.seq, parent))
    return [done.get(n, ZeroTangent()) for n in inputs]


def _box_input(trace: Trace, x: Any, name: str, paths: set[Path] | None = None):
    """``x`` with its differentiable leaves traced, and their ``(path, Node)`` pairs."""
    if is_differentiable(x):
        if isinstance(x, complex) or np.iscomplexobj(strip(x)):
            raise InputError(f"{name} is complex; symrules differentiates real inputs")
        node = Node()
        return Box(x, trace, node), [((), node)]
    found = [(p, leaf) for p, leaf in leaves(x) if paths is None or p in paths]
    if not found:
        if isinstance(x, int | np.integer) or (isinstance(x, np.ndarray) and x.dtype.kind in "iub"):
            raise InputError(
                f"{name} is an integer ({np.result_type(x)}); differentiate with respect to "
                "floats, e.g. np.asarray(x, dtype=float)"
            )
        if paths is None:
            raise InputError(f"{name} ({type(x).__name__}) holds no float values to differentiate")
        return x, []
    nodes = [(p, Node()) for p, _ in found]
    traced = {p: Box(leaf, trace, n) for (p, leaf), (_, n) in zip(found, nodes, strict=True)}
    boxed = replace_leaves(x, traced)
    return boxed, nodes


def _assemble(x: Any, nodes: list[tuple[Path, Node]], cts: dict[int, Any], dense: bool) -> Any:
    """The cotangent of input ``x`` from its leaves' cotangents (zeros filled in if dense)."""
    by_path = {}
    for path, node in nodes:
        ct = cts[id(node)]
        if dense and is_zero(ct):
            ct = np.zeros_like(strip(get_path(x, path)), dtype=float)
        by_path[path] = ct
    return tangent_from_leaves(x, by_path)


def vjp(fun: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple]]:
    """Evaluate ``fun(*primals)`` and return ``(y, pullback)``.

    ``pullback(y_bar)`` returns one cotangent per primal (no ``f_bar``: see
    :func:`rrule_via_ad` for that), with the primal's shape or structure. It may be called
    many times.

    Examples
    --------
    >>> import numpy as np
    >>> y, pullback = vjp(lambda x, y: x * np.sin(y), 2.0, 0.5)
    >>> x_bar, y_bar = pullback(1.0)
    >>> bool(np.isclose(x_bar, np.sin(0.5))), bool(np.isclose(y_bar, 2 * np.cos(0.5)))
    (True, True)
    """
    trace = Trace()
    boxed, node_lists = [], []
    for i, x in enumerate(primals):
        b, nodes = _box_input(trace, x, f"argument {i}")
        boxed.append(b)
        node_lists.append(nodes)
    out = fun(*boxed)
    y = out.value if type(out) is Box and out.trace is trace else out
    flat = [node for nodes in node_lists for _, node in nodes]

    def pullback(y_bar: Any) -> tuple:
        if shape_of(y_bar) != shape_of(y):
            raise InputError(
                f"the output cotangent has shape {shape_of(y_bar)}, the output {shape_of(y)}"
            )
        cts = dict(zip(map(id, flat), _backward(out, y_bar, trace, flat), strict=True))
        return tuple(
            _assemble(x, nodes, cts, dense=True)
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

    Its shape is ``y.shape + x.shape``.

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
        y_shape, x_shape = shape_of(y), shape_of(args[k])
        rows = []
        for i in range(int(np.prod(y_shape))):
            e = np.zeros(int(np.prod(y_shape)))
            e[i] = 1.0
            rows.append(np.reshape(pullback(e.reshape(y_shape))[0], (-1,)))
        if not rows:
            return np.zeros(y_shape + x_shape)
        return np.reshape(np.stack(rows), y_shape + x_shape)

    return jacobian_fun


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
    f: Callable[..., Any], *args: Any, constant_args: bool = False
) -> tuple[Any, Callable[[Any], tuple]]:
    """The reverse rule of any callable, by tracing it: ``(y, pullback)``.

    For use inside a rule. ``pullback(y_bar)`` returns ``(f_bar, *arg_bars)``. ``f_bar`` is a
    :class:`~symrules.Tangent` over ``f``'s fields; when ``f`` holds no traced fields (a
    plain function, or a closure whose captured values the caller does not differentiate) it
    is ``NoTangent()`` and no work is spent on it. One tape covers the whole call, so a
    vectorized ``f`` over an array of nodes costs one tape, never one per node. With
    ``constant_args=True`` the arguments are not differentiated (a quadrature's nodes): their
    entries are ``NoTangent()``, meaning not computed, and no work is spent on them.

    Examples
    --------
    >>> import numpy as np
    >>> def make(p):
    ...     return lambda x: p * np.sin(x)
    >>> y, pullback = rrule_via_ad(make(2.0), 0.5)
    >>> f_bar, x_bar = pullback(1.0)
    >>> bool(np.isclose(f_bar.fields["p"], np.sin(0.5)))
    True

    See Also
    --------
    symrules.rrule, vjp
    """
    trace = Trace()
    known = TRACED_FIELDS.get()
    f_paths = known.get(id(f)) if known is not None and id(f) in known else None
    if f_paths is None and children(f):
        f_paths = {p for p, _ in leaves(f)}
    f_boxed, f_nodes = (f, []) if not f_paths else _box_input(trace, f, "f", f_paths)
    boxed, node_lists = [], []
    for i, x in enumerate(args):
        if not constant_args and (is_differentiable(x) or any(True for _ in leaves(x))):
            b, nodes = _box_input(trace, x, f"argument {i}")
        else:
            b, nodes = x, None
        boxed.append(b)
        node_lists.append(nodes)
    out = f_boxed(*boxed)
    y = out.value if type(out) is Box and out.trace is trace else out
    flat = [n for _, n in f_nodes] + [n for ns in node_lists if ns for _, n in ns]

    def pullback(y_bar: Any) -> tuple:
        cts = dict(zip(map(id, flat), _backward(out, y_bar, trace, flat), strict=True))
        f_bar = _assemble(f, f_nodes, cts, dense=False) if f_nodes else NoTangent()
        arg_bars = [
            NoTangent() if nodes is None else _assemble(x, nodes, cts, dense=False)
            for x, nodes in zip(args, node_lists, strict=True)
        ]
        return (f_bar, *arg_bars)

    return y, pullback
