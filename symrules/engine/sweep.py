"""The backward sweep, and what feeds it: traced inputs, output seeds, assembled cotangents.

:func:`box_input` puts a value's float and complex leaves on a trace;
:func:`outputs_of` finds a result's traced leaves, a value or a tuple, list or dict of them,
and :func:`seeds` reads each one's cotangent from ``y_bar``; :func:`backward` is micrograd's
sweep: order the tape topologically from the outputs, walk it once in reverse, accumulate
each node's cotangent into its parents; :func:`assemble` gives the cotangents back the
structure of the input they belong to (a :class:`~symrules.Tangent` for an object).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .broadcasting import shape_of
from .fields import Path, get_path, is_differentiable, leaves, path_name, replace_leaves
from .projection import project
from .tangents import ZeroTangent, accumulate, cotangent_at, is_zero, tangent_from_leaves
from .tracing import Box, Node, Trace, strip

__all__ = ["assemble", "backward", "box_input", "holds_floats", "outputs_of", "seeds"]


def backward(seeds: list[tuple[Node, Any]], inputs: Sequence[Node]) -> list[Any]:
    """Cotangents of ``inputs`` given the outputs' cotangents ``seeds = [(node, y_bar)]``.

    Nodes are visited newest first (a max-heap on creation number), which visits every
    consumer of a value before the value itself; each node's cotangent is complete then.
    """
    if len(seeds) == 1:  # one output: the common case, spelled out for speed
        cotangents = dict(seeds)
        heap = [(-seeds[0][0].seq, seeds[0][0])]
    else:
        cotangents = {}
        for node, y_bar in seeds:
            present = node in cotangents
            cotangents[node] = accumulate(cotangents[node], y_bar) if present else y_bar
        heap = [(-node.seq, node) for node in cotangents]
        heapq.heapify(heap)
    done: dict[Node, Any] = {}
    while heap:
        node = heapq.heappop(heap)[1]
        g = cotangents.pop(node)
        if not node.parents:
            done[node] = g
            continue
        assert node.vjp is not None  # only input nodes (no parents) lack a vjp
        for parent, ct in zip(node.parents, node.vjp(g), strict=True):
            if is_zero(ct):
                continue
            if parent in cotangents:
                cotangents[parent] = accumulate(cotangents[parent], ct)
            else:
                cotangents[parent] = ct
                heapq.heappush(heap, (-parent.seq, parent))
    return [done.get(n, ZeroTangent()) for n in inputs]


def box_input(trace: Trace, x: Any, name: str, paths: frozenset[Path] | None = None):
    """``x`` with its differentiable leaves traced, and their ``(path, Node)`` pairs."""
    if is_differentiable(x):
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


def holds_floats(x: Any) -> bool:
    """Whether a derivative exists for ``x``: a float, or a structure holding one."""
    return is_differentiable(x) or any(True for _ in leaves(x))


def outputs_of(out: Any, trace: Trace) -> tuple[Any, list[tuple[Path, Node]]]:
    """The primal of ``out`` and its traced leaves: a value, or a tuple, list or dict of them."""
    if type(out) is Box:
        if out.trace is not trace:
            return out, []
        assert out.node is not None  # a Box on a reverse trace always has a node
        return out.value, [((), out.node)]
    found = [(p, b) for p, b in leaves(out, _is_box) if b.trace is trace]
    if not found:
        return out, []
    y = replace_leaves(out, {p: b.value for p, b in found})
    return y, [(p, b.node) for p, b in found]


def _is_box(x: Any) -> bool:
    return type(x) is Box


def seeds(y: Any, y_bar: Any, outputs: list[tuple[Path, Node]]) -> list[tuple[Node, Any]]:
    """Each traced output's cotangent, read from ``y_bar`` at its path and checked."""
    if len(outputs) == 1 and not outputs[0][0]:  # one output: the common case
        if shape_of(y_bar) != shape_of(y):
            raise InputError(
                f"the output cotangent has shape {shape_of(y_bar)}, the output {shape_of(y)}"
            )
        return [] if is_zero(y_bar) else [(outputs[0][1], y_bar)]
    seeds = []
    for path, node in outputs:
        ct = cotangent_at(y_bar, path) if path else y_bar
        if ct is None:
            raise InputError(
                f"the output cotangent has no entry at {path_name(path, 'y')}: give it the "
                f"structure of the output ({type(y).__name__})"
            )
        if is_zero(ct):
            continue
        want = shape_of(get_path(y, path) if path else y)
        if shape_of(ct) != want:
            where = f" at {path_name(path, 'y')}" if path else ""
            raise InputError(
                f"the output cotangent{where} has shape {shape_of(ct)}, the output {want}"
            )
        seeds.append((node, ct))
    return seeds


def assemble(x: Any, nodes: list[tuple[Path, Node]], cts: dict[int, Any], dense: bool) -> Any:
    """The cotangent of input ``x`` from its leaves' cotangents (zeros filled in if dense)."""
    by_path = {}
    for path, node in nodes:
        ct = cts[id(node)]
        complex_leaf = np.iscomplexobj(strip(get_path(x, path)))
        if dense and is_zero(ct):
            ct = np.zeros_like(strip(get_path(x, path)), dtype=complex if complex_leaf else float)
        by_path[path] = project(ct, complex_leaf)  # np.real(z)'s real cotangent, complex
    return tangent_from_leaves(x, by_path)
