"""Staging: recording every numpy call a computation makes, as a program to run again.

This module owns :class:`StageTrace`, the trace :func:`~symrules.engine.jit.jit` opens below
every differentiation. Its Boxes are plain values whose operations are written down: a numpy
call (a forward step, or one of a pullback's steps, or a primitive such as an Integrand)
whose arguments hold staged values is computed on their values and appended to the
:class:`Program` as a :class:`Step`, and its result is staged in turn. What the program cannot
replay is turned into a guard: a Python ``if`` on a staged value records the outcome
(``bool``), and a staged value converted to a Python number or a plain array records the
value itself (``value``); the program is valid only while every guard holds, and
:mod:`~symrules.engine.jit` re-checks them on every call.

How it works
------------
:func:`~symrules.engine.tracing.bind` hands a call whose highest trace is a StageTrace to
:meth:`StageTrace.record`. The staging trace is opened first, so its level is the lowest and
every differentiation sees staged values as values: their rules run, and their numpy calls are
recorded too. A result that is not a number or an array of numbers (an object a primitive
returns) cannot be a variable of the program: the staged values the call read are guarded by
value instead, and the result is a constant of the program.
"""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .fields import Path, leaves, replace_leaves
from .tangents import Tangent
from .tracing import Box, Trace

__all__ = [
    "Guard",
    "Stale",
    "Program",
    "StageTrace",
    "Step",
    "Var",
    "differentiated",
    "input_values",
    "is_staged",
    "is_value",
    "stage_inputs",
    "unstaged",
]

_NUMBERS = (np.ndarray, np.generic, float, int, complex, bool)
#: Questions about a value's type and shape, and arrays made from its shape alone: the
#: signature fixes the inputs' dtypes and shapes, and with them every intermediate's, so these
#: are answered (constants of the program), not recorded.
_STATIC = frozenset({np.iscomplexobj, np.isrealobj, np.result_type, np.shape, np.ndim, np.size,
                     np.isscalar, np.ones_like, np.zeros_like, np.empty_like})  # fmt: skip


class Stale(Exception):
    """A program no longer holds for the values it runs on (a guard failed, or a recorded step
    found it cannot give what it gave while tracing): trace again."""


def unstaged(x: Any) -> Any:
    """``x`` with its staged values replaced by their values (inside cotangents too)."""
    if is_staged(x):
        return x.value
    if type(x) in (tuple, list):
        return type(x)(map(unstaged, x))
    if type(x) is dict:
        return {k: unstaged(v) for k, v in x.items()}
    if type(x) is Tangent:
        return Tangent(x.primal, **unstaged(x.fields))
    found = {p: b.value for p, b in leaves(x, is_staged)}
    return replace_leaves(x, found) if found else x


def is_staged(x: Any) -> bool:
    """Whether ``x`` is a staged value (a plain value to user code, recorded by :func:`jit`)."""
    return type(x) is Box and x.trace.stage


def differentiated(x: Any) -> bool:
    """Whether ``x`` holds a value that a differentiation traces (staged values do not count).

    Examples
    --------
    >>> differentiated(1.0), differentiated((1.0, "a"))
    (False, False)
    """
    boxes = [x] if type(x) is Box else [b for _, b in leaves(x, lambda v: type(v) is Box)]
    return any(not b.trace.stage for b in boxes)


def is_value(y: Any) -> bool:
    """Whether ``y`` can be a variable of a program: a number or an array of numbers."""
    if isinstance(y, np.ndarray):
        return y.dtype.kind in "biufc"
    return isinstance(y, _NUMBERS)


@dataclass
class Step:
    """``out = fun(*args, **kwargs)``: each of ``args`` is a variable number (an int in
    ``reads``) or a constant; a structured argument is a template whose leaves at ``paths``
    are filled with variables."""

    out: int
    fun: Any
    args: list[Any]
    kwargs: dict[str, Any]
    fills: dict[int, tuple[list[Path], list[int]]]  # argument position -> (paths, variables)


@dataclass
class Guard:
    """The program holds only while variable ``var`` is ``expected``: a bool (an ``if``) or a
    value (a conversion to a Python number or a plain array)."""

    var: int
    kind: str
    expected: Any


@dataclass
class Program:
    """The recorded steps and guards, in the order they happened, and the input variables."""

    inputs: list[int] = field(default_factory=list)
    items: list[Step | Guard] = field(default_factory=list)
    counter: Any = field(default_factory=itertools.count)

    def new_var(self) -> int:
        return next(self.counter)


class Var:
    """A staged value's place in its program."""

    __slots__ = ("number",)

    def __init__(self, number: int) -> None:
        self.number = number


class StageTrace(Trace):
    """The trace of a computation being staged into a :class:`Program`."""

    __slots__ = ("program",)
    stage = True

    def __init__(self) -> None:
        super().__init__()
        self.program = Program()

    def input(self, value: Any) -> Box:
        """A staged input variable holding ``value``."""
        var = self.program.new_var()
        self.program.inputs.append(var)
        return Box(value, self, Var(var))  # type: ignore[arg-type]

    def _staged(self, y: Any, step: Step) -> Any:
        self.program.items.append(step)
        return Box(y, self, Var(step.out))  # type: ignore[arg-type]

    def record(self, fun: Any, callee: Any, uargs: list, kwargs: dict, top: list) -> Any:
        """Compute ``callee(*uargs, **kwargs)`` (staged values replaced by their values) and
        record it; ``top`` lists ``(position, path, box)`` of the staged values read."""
        y = callee(*uargs, **kwargs)
        if fun in _STATIC:
            return y
        reads: dict[int, dict[Path, int]] = {}
        for pos, path, b in top:
            reads.setdefault(pos, {})[path] = b.node.number
        if not (is_value(y) or _values(y)):
            for _, _, b in top:  # an object: it holds while what it was made from holds
                self.guard(b, "value")
            return y
        args: list[Any] = [callee, *uargs]
        fills: dict[int, tuple[list[Path], list[int]]] = {}
        for pos, found in reads.items():
            if () in found:
                args[pos] = Var(found[()])
            else:
                paths = list(found)
                fills[pos] = (paths, [found[p] for p in paths])
        step = Step(self.program.new_var(), args[0], args[1:], dict(kwargs), fills)
        if is_value(y):
            return self._staged(y, step)
        self.program.items.append(step)  # a tuple or list of values: one variable each
        parts = [
            self._staged(part, Step(self.program.new_var(), operator.getitem,
                                    [Var(step.out), i], {}, {}))
            for i, part in enumerate(y)
        ]  # fmt: skip
        return type(y)(parts) if isinstance(y, list) else tuple(parts)

    def record_plain(self, fun: Any, plain: list, kwargs: dict) -> Any:
        """Record a non-differentiable call whose arguments, their differentiation levels
        stripped, still hold staged values (a comparison, ``np.floor``...)."""
        top = [(i, path, b) for i, a in enumerate(plain, 1) for path, b in _staged_leaves(a)]
        uargs = list(plain)
        for pos in {pos for pos, _, _ in top}:
            found = {path: b.value for p, path, b in top if p == pos}
            uargs[pos - 1] = found[()] if () in found else replace_leaves(plain[pos - 1], found)
        return self.record(fun, fun, uargs, kwargs, top)

    def guard(self, box: Box, kind: str) -> Any:
        """Record that the program holds only while ``box`` is what it is now; return it as a
        plain ``bool`` (kind "bool") or value (kind "value")."""
        expected = bool(box.value) if kind == "bool" else box.value
        self.program.items.append(Guard(box.node.number, kind, expected))  # type: ignore[union-attr]
        return expected


def _staged_leaves(a: Any) -> list[tuple[Path, Box]]:
    if type(a) is Box:
        return [((), a)]
    return list(leaves(a, lambda v: type(v) is Box))


def _values(y: Any) -> bool:
    return isinstance(y, tuple | list) and len(y) > 0 and all(is_value(part) for part in y)


def _whole(arg: Any) -> bool:
    """Whether an argument is one input of a program (a float value), not a structure."""
    return is_value(arg) and np.result_type(arg).kind in "fc"


def input_values(args: tuple) -> list[Any]:
    """The values of a program's inputs in ``args``, in the order :func:`stage_inputs`
    stages them."""
    out: list[Any] = []
    for arg in args:
        out.extend([arg] if _whole(arg) else (leaf for _, leaf in leaves(arg)))
    return out


def stage_inputs(trace: StageTrace, args: tuple) -> tuple:
    """``args`` with every float leaf staged (in ``leaves`` order)."""
    out = []
    for arg in args:
        if _whole(arg):
            out.append(trace.input(arg))
            continue
        staged = {path: trace.input(leaf) for path, leaf in leaves(arg)}
        out.append(replace_leaves(arg, staged) if staged else arg)
    return tuple(out)
