"""Moving discontinuities: refusing the silent zero of an AD-differentiated integrand's jumps.

When ``integrate`` differentiates a plain numpy integrand by the engine (``method="ad"``), a
jump whose position moves with a parameter -- ``np.where(x < s, 1.0, 0.0)`` in ``s`` --
contributes a Leibniz term ``f(s^-) - f(s^+)`` that no tape over fixed nodes can see: every
node value is locally constant in ``s``, so the gradient would silently miss it (usually 0).
This module finds such a jump while the tape is recorded and raises
:class:`~symrules.errors.MovingDiscontinuityError`, naming the numpy function and the traced
field, unless the jump sits on a declared point of the domain, whose Leibniz term
:mod:`~symrules.quadrature.adjoints` adds exactly.

How it works
------------
The integrand receives its nodes as a :class:`~symrules.engine.watched.WatchedArray`, which
numpy propagates to every array computed from them; the engine reports to its watcher each
step function (a comparison, ``heaviside``, ``sign``, ``floor``, ``maximum``, ...) in which a
node-derived array meets a traced value. The watcher looks at the step's outcome node by node:
constant across each panel's inner nodes means the jump lies on a declared point or outside the
domain, and the tape is right; a change between two nodes of one panel is a jump moving inside
it, and raises. A comparison of traced values alone, or of the nodes alone, never reaches it.
Which traced field moves the jump is found afterwards, by tracing one field at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np

from ..engine.fields import Path, path_name
from ..engine.needs import Needs
from ..engine.recording import name_of
from ..engine.reverse import rrule_via_ad
from ..engine.tracing import strip
from ..engine.watched import WatchedArray, watch
from ..errors import MovingDiscontinuityError

__all__ = [
    "check_chunk_steps",
    "moving_discontinuity",
    "moving_surface",
    "steps_seen",
    "watched_nodes",
    "watched_points",
]

#: The step functions, and how their outcome is read: ``None`` for the result itself; for a
#: kink (``maximum``), the comparison that picks its branch.
_JUMPS = (np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
          np.heaviside, np.sign, np.floor, np.ceil, np.rint, np.trunc, np.round, np.around,
          np.floor_divide, np.signbit)  # fmt: skip
_STEPS: dict[Any, Callable[..., Any] | None] = {
    **dict.fromkeys(_JUMPS),
    **dict.fromkeys((np.maximum, np.minimum, np.fmax, np.fmin), np.greater),
    np.remainder: np.floor_divide,
}
_FUNCTIONS = (np.round, np.around)  # the steps that are not ufuncs
_COMPARES = " compares the nodes x with a traced value"


def _outcome_rows(fun: Any, args: list, y: Any, n: int) -> np.ndarray | None:
    """The outcome of a step, one row per node (``None`` for arithmetic, or a reduction)."""
    if not (isinstance(fun, np.ufunc) or fun in _FUNCTIONS) or fun not in _STEPS:
        return None  # arithmetic on the nodes: the common report, answered cheaply
    read = _STEPS[fun]
    outcome = np.asarray(y if read is None else read(*(np.asarray(a) for a in args[:2])))
    if n not in outcome.shape:  # not node by node (a reduction): no jump in x
        return None
    return np.moveaxis(outcome, outcome.shape.index(n), 0).reshape(n, -1)


class _Panels:
    """The watcher of one integral's nodes: which declared panel each node lies in."""

    __slots__ = ("points", "x")

    def __init__(self, x: np.ndarray, points: tuple[Any, ...]) -> None:
        self.x, self.points = x, points

    def _panels(self, points: tuple[float, ...]) -> np.ndarray:
        """The panel of each node, -1 at a panel's end (a closed rule's node on a declared
        point, whose value is the jump's own): nodes come panel by panel, each inside its
        panel's closed interval. Computed only when a step is reported."""
        x, panel, start = self.x, np.full(len(self.x), -1), 0
        for k, (a, b) in enumerate(pairwise(points)):
            inside = (x[start:] >= min(a, b)) & (x[start:] <= max(a, b))
            stop = start + (len(inside) if inside.all() else int(np.argmin(inside)))
            panel[start:stop] = k
            start = stop
        panel[np.isin(x, points)] = -1
        return panel

    def __call__(self, fun: Any, args: list, y: Any) -> None:
        rows = _outcome_rows(fun, args, y, len(self.x))
        if rows is None:
            return
        points = tuple(float(strip(p)) for p in self.points)
        panel = self._panels(points)
        for k, (a, b) in enumerate(pairwise(points)):
            order = np.flatnonzero(panel == k)
            order = order[np.argsort(self.x[order])]
            changes = np.flatnonzero(np.any(rows[order][1:] != rows[order][:-1], axis=1))
            if len(changes):
                lo, hi = self.x[order[changes[0]]], self.x[order[changes[0] + 1]]
                raise MovingDiscontinuityError(
                    f"{name_of(fun)}{_COMPARES}: its outcome changes between the nodes "
                    f"x={float(lo)!r} and x={float(hi)!r}, inside the panel ({a:g}, {b:g})"
                )


def watched_nodes(x: Any, points: tuple[Any, ...]) -> WatchedArray:
    """The nodes ``x`` as handed to the integrand, watched for steps that meet traced values.

    Examples
    --------
    >>> import numpy as np, symrules as sr
    >>> x = watched_nodes(np.array([0.25, 0.75]), (0.0, 1.0))
    >>> float(sr.grad(lambda s: np.sum(np.where(x < 2.0, s * x, 0.0)))(1.0))
    1.0
    >>> try:
    ...     sr.grad(lambda s: np.sum(np.where(x < s, 1.0, 0.0)))(0.5)
    ... except sr.errors.MovingDiscontinuityError as err:
    ...     print(str(err).split(":")[0])
    numpy.less compares the nodes x with a traced value
    """
    plain = strip(x)
    return watch(plain, _Panels(plain, points))


def moving_discontinuity(
    err: MovingDiscontinuityError, f: Any, x: WatchedArray, paths: list[Path], points: tuple
) -> MovingDiscontinuityError:
    """The error to raise for ``err``, naming the fields of ``f`` that move the jump (each is
    traced alone, and those whose tape raises are named) and showing the fix."""
    moving = []
    for path in paths:
        try:
            rrule_via_ad(f, x, needs=Needs.of_paths([[path], False]))
        except MovingDiscontinuityError:
            moving.append(path)
    moving = moving or paths
    function, detail = str(err).split(_COMPARES, 1)
    fields = ", ".join(path_name(p, "f") for p in moving)
    short = path_name(moving[0], "").lstrip(".")
    a, b = (f"{float(strip(p))!r}" for p in (points[0], points[-1]))
    return MovingDiscontinuityError(
        f"{function} compares the nodes x with the traced field{'s' * (len(moving) > 1)} "
        f"{fields}{detail}, so the jump (or "
        f"kink) moves with {fields} and the gradient would silently miss its Leibniz term. "
        f"Declare the point where it sits as a breakpoint of the domain, e.g. "
        f"integrate(f, ({a}, {short}, {b})) for a jump at {short}, which makes the term "
        "exact; or write f as a symrules.Integrand, whose jumps are found symbolically"
    )


class _Box:
    """The watcher of one chunk of a box integral's points: a step's outcome must be the same
    at every point strictly inside the box (on a face it may be the jump's own value).
    ``steps`` records each step's constant outcome, so chunks can be compared afterwards."""

    __slots__ = ("inside", "steps", "x")

    def __init__(self, x: np.ndarray, bounds: tuple[Any, ...]) -> None:
        ends = np.array([float(strip(b)) for b in bounds]).reshape(-1, 2)
        self.x = x
        self.steps: list[tuple[str, bytes]] = []
        self.inside = ~np.any((x == ends[:, 0]) | (x == ends[:, 1]), axis=1)

    def __call__(self, fun: Any, args: list, y: Any) -> None:
        rows = _outcome_rows(fun, args, y, len(self.x))
        if rows is None or not self.inside.any():
            return
        rows, points = rows[self.inside], self.x[self.inside]
        changes = np.flatnonzero(np.any(rows[1:] != rows[:-1], axis=1))
        if len(changes):
            i = changes[0]
            raise MovingDiscontinuityError(
                f"{name_of(fun)}{_COMPARES}: its outcome changes between the points "
                f"x={points[i].tolist()!r} and x={points[i + 1].tolist()!r}, inside the box"
            )
        self.steps.append((name_of(fun), rows[0].tobytes()))


def watched_points(x: Any, bounds: tuple[Any, ...]) -> WatchedArray:
    """The points ``x`` (one chunk of a box, shape ``(m, d)``) as handed to the integrand,
    watched for steps that meet traced values."""
    plain = strip(x)
    return watch(plain, _Box(plain, bounds))


def steps_seen(x: Any) -> tuple[tuple[str, bytes], ...]:
    """The steps the integrand took on the watched points ``x``, each with its outcome."""
    watcher = getattr(x, "watcher", None)
    return tuple(watcher.steps) if isinstance(watcher, _Box) else ()


def _surface_error(function: str, fields: str, detail: str) -> MovingDiscontinuityError:
    return MovingDiscontinuityError(
        f"{function} compares the points x with the traced {fields}{detail}, so a jump "
        f"surface moves with {fields} and the gradient would silently miss its boundary term. "
        "Split the box where the jump sits so that it lies on a face whose bound is traced "
        "(e.g. ((0, s), (0, 1)) and ((s, 1), (0, 1)) for a jump at x0 = s), which Leibniz' "
        "rule makes exact"
    )


def moving_surface(
    err: MovingDiscontinuityError, f: Any, x: Any, bounds: tuple[Any, ...], paths: list[Path]
) -> MovingDiscontinuityError:
    """The error to raise for a jump that moves inside a box, naming the fields that move it
    (each is traced alone)."""
    moving = []
    for path in paths:
        try:
            rrule_via_ad(f, watched_points(x, bounds), needs=Needs.of_paths([[path], False]))
        except MovingDiscontinuityError:
            moving.append(path)
    function, detail = str(err).split(_COMPARES, 1)
    return _surface_error(function, ", ".join(path_name(p, "f") for p in moving or paths), detail)


def check_chunk_steps(steps: list[tuple[tuple[str, bytes], ...]], paths: list[Path]) -> None:
    """Refuse a jump that lies between two chunks: a step whose outcome, constant in each
    chunk, differs from one chunk to another."""
    seen = [s for s in steps if s]
    for k, (first, other) in enumerate(pairwise(seen)):
        for (name, a), (_, b) in zip(first, other, strict=False):
            if a != b:
                fields = ", ".join(path_name(p, "f") for p in paths)
                detail = f": its outcome differs between two chunks of points ({k}, {k + 1})"
                raise _surface_error(name, fields, detail)
