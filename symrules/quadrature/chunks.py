"""A quadrature over a box, chunk by chunk: each chunk's partial sums, on any executor.

This module owns the evaluation of one chunk of a :class:`~symrules.quadrature.cubature.
CubatureRule` -- its value ``sum_i w_i f(x_i)``, the sum of squares the Monte Carlo error needs,
the cotangents ``sum_i w_i df(x_i)/dp`` of the fields asked for and the pushforward of given
field tangents -- and their reduction in the fixed order of the chunks (:func:`reduce_chunks`).
Only one chunk's points are in memory at a time in each worker, and the answer is bit-for-bit
the same whatever the executor and however many workers: each chunk is computed by the same
code from the same inputs, and the partial results are added in chunk order.

How it works: a :class:`Task` holds everything a chunk needs (the integrand, the rule, the
method, the plain bounds, the chunk) and :func:`evaluate` is a module-level function, so both
travel to a process pool or a Dask worker by pickling. Under an outer differentiation the
fields are traced values, which exist in this process only: the chunks are then evaluated here,
in order.
"""

from __future__ import annotations

import pickle
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..engine.fields import Path
from ..engine.needs import Needs
from ..engine.reverse import rrule_via_ad
from ..engine.tangents import cotangent_at, is_zero, tangent_from_leaves
from ..engine.tracing import is_traced, strip
from ..errors import MovingDiscontinuityError, QuadratureInputError
from .cotangents import (
    check_finite_f_bar,
    fd_f_bar,
    fused_value_and_bar,
    push,
    symbolic_pullback,
)
from .cubature import Chunk, CubatureRule
from .discontinuities import check_chunk_steps, moving_surface, steps_seen, watched_points
from .sums import contract, node_writes_refused

__all__ = ["Partial", "Reduced", "Task", "evaluate", "reduce_chunks"]


@dataclass(frozen=True)
class Task:
    """One chunk's work: ``f`` over ``rule``'s chunk ``chunk`` of the box ``bounds``.

    ``paths`` are the fields whose cotangents are wanted (by ``method``), ``dots`` the field
    tangents to push forward (``None``: none).
    """

    f: Any
    rule: CubatureRule
    method: str
    bounds: tuple[Any, ...]
    chunk: Chunk
    paths: tuple[Path, ...] = ()
    dots: dict[Path, Any] | None = None


class Partial(NamedTuple):
    """A chunk's sums: value, squares (of ``w f``), points, field cotangents, pushforward,
    and the steps the integrand took on traced values (method "ad")."""

    value: Any
    squares: float
    points: int
    bars: dict[Path, Any]
    pushed: Any
    steps: tuple


class Reduced(NamedTuple):
    """The sums of all chunks, added in chunk order, and the rule's error estimate."""

    value: Any
    error: float | None
    points: int
    bars: dict[Path, Any]
    pushed: Any


def _bars(f_bar: Any, paths: tuple[Path, ...]) -> dict[Path, Any]:
    """The cotangent at each path (a field the rule left out stays out: the engine names it)."""
    out = {}
    for path in paths:
        value = cotangent_at(f_bar, path)
        if value is not None:
            out[path] = 0.0 if is_zero(value) else value
    return out


def evaluate(task: Task) -> Partial:
    """The partial sums of one chunk (run here, in a pool's worker, or on a Dask worker).

    Examples
    --------
    >>> from symrules.quadrature.cubature import Product
    >>> rule = Product()
    >>> chunk = rule.chunks(2, 10**6)[0]
    >>> part = evaluate(Task(lambda x: x[:, 0] * x[:, 1], rule, "ad", (0.0, 1.0, 0.0, 2.0), chunk))
    >>> bool(np.isclose(part.value, 1.0)), part.points
    (True, 400)
    """
    f, paths, method = task.f, task.paths, task.method
    x, w = task.rule.points(task.chunk, task.bounds)
    if type(x) is np.ndarray:
        x.setflags(write=False)
    fused = None
    if paths and method == "symbolic" and not task.rule.needs_squares:
        fused = fused_value_and_bar(f, x, w)
    bars: dict[Path, Any] = {}
    steps: tuple = ()
    with node_writes_refused():
        if fused is not None:
            value, f_bar = fused
            bars = _bars(f_bar, paths)
            fx = None
        elif paths and method == "symbolic":
            fx, pullback = symbolic_pullback(f, x, list(paths))
            bars = _bars(pullback(w)[0], paths)
        elif paths and method == "ad":
            # traced points (an outer differentiation moves the box) are not watched: the
            # outer tape needs them as they are
            nodes = watched_points(x, task.bounds) if type(x) is np.ndarray else x
            try:
                fx, pullback = rrule_via_ad(f, nodes, needs=Needs.of_paths([list(paths), False]))
            except MovingDiscontinuityError as err:
                raise moving_surface(err, f, x, task.bounds, list(paths)) from None
            bars, steps = _bars(pullback(w)[0], paths), steps_seen(nodes)
        else:
            fx = f(x)
            if paths:  # method == "fd"
                bars = fd_f_bar(f, x, w, list(paths))
    squares = 0.0
    if fx is not None:
        value = contract(w, fx, x, f)
        if task.rule.needs_squares:
            wf = strip(w) * strip(fx)
            squares = float(np.dot(wf, wf))
    if paths:
        check_finite_f_bar(f, tangent_from_leaves(f, bars), list(paths), method, x)
    pushed = 0.0 if not task.dots else np.dot(w, push(f, method, x, task.dots))
    return Partial(value, squares, len(w), bars, pushed, steps)


def _picklable(f: Any) -> None:
    try:
        pickle.dumps(f)
    except Exception as err:  # pickle raises several types; all mean the same here
        raise QuadratureInputError(
            f"f ({type(f).__name__}) cannot be sent to a process pool: {err}. Use a picklable "
            "integrand (an Integrand, a module-level function or class, a functools.partial of "
            "one), a ThreadPoolExecutor, or a Dask client's executor (which pickles closures)"
        ) from None


def reduce_chunks(
    f: Any,
    rule: CubatureRule,
    method: str,
    bounds: tuple[Any, ...],
    chunk_size: int,
    executor: Executor | None,
    paths: tuple[Path, ...] = (),
    dots: dict[Path, Any] | None = None,
) -> Reduced:
    """Evaluate every chunk (on ``executor``, or here) and add the results in chunk order.

    Traced values (an outer differentiation) are evaluated here, whatever ``executor``.
    """
    d = len(bounds) // 2
    tasks = [Task(f, rule, method, bounds, c, paths, dots) for c in rule.chunks(d, chunk_size)]
    if executor is None or is_traced((f, bounds, dots)):
        parts: list[Partial] = [evaluate(t) for t in tasks]
    else:
        if isinstance(executor, ProcessPoolExecutor):
            _picklable(f)
        parts = list(executor.map(evaluate, tasks))
    check_chunk_steps([part.steps for part in parts], list(paths))
    value, pushed, points = parts[0].value, parts[0].pushed, parts[0].points
    bars = dict(parts[0].bars)
    for part in parts[1:]:
        value, pushed, points = value + part.value, pushed + part.pushed, points + part.points
        for path, bar in part.bars.items():
            bars[path] = bars[path] + bar if path in bars else bar
    sums = [(t.chunk.group, float(strip(p.value)), p.squares)
            for t, p in zip(tasks, parts, strict=True)]  # fmt: skip
    return Reduced(value, rule.error(sums, points), points, bars, pushed)
