"""``jit``: trace a computation once per input signature, then run it as generated code.

This module owns :func:`jit`. The first call for a signature stages the whole computation --
forward and backward, when ``fun`` is ``value_and_grad(...)``, ``grad``, ``vjp`` or
``hessian`` of something -- into a :class:`~symrules.engine.staging.Program`, and generates
from it straight-line Python source: one numpy call per line, registered in :mod:`linecache`
and shown by ``.source``. Later calls with the same signature run that code, with no tracing.

How it works
------------
The **signature** of a call is the structure of its arguments: the shape and dtype of every
float array or number (those are the program's inputs), and the value of everything else (an
integer, a string, the identity of a function or of an object that is not taken apart). The
program holds while its **guards** hold: each ``if`` on a traced value records its outcome and
each conversion of a traced value to a Python number or a plain array records that value;
the generated code re-checks them where they happened, and a failed check traces again (the
new program is kept beside the old ones, up to :data:`MAX_PROGRAMS` per signature). A stale
program is never run to its end.

What ``jit`` cannot see: a side effect of ``fun`` (a print, an append to a list) happens when
it is traced, not on later calls; global state ``fun`` reads while it is traced (a module
constant, a random draw) is frozen into the program; a float field of an object that is not
an argument is a constant. Pass what changes as an argument.
"""

from __future__ import annotations

import functools
import linecache
import operator
import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .fields import children, leaves, replace_leaves
from .recording import name_of
from .staging import (
    Guard,
    StageTrace,
    Stale,
    Step,
    Var,
    input_values,
    is_value,
    stage_inputs,
    unstaged,
)
from .tangents import Tangent
from .tracing import Box, staging

__all__ = ["MAX_PROGRAMS", "MAX_SIGNATURES", "Compiled", "Jitted", "jit", "signature"]

#: The most signatures one jitted function keeps programs for (least recently used dropped).
MAX_SIGNATURES = 64
#: The most programs (one per outcome of the guards) kept for one signature.
MAX_PROGRAMS = 8


def signature(x: Any, identity: bool = True, seen: frozenset[int] = frozenset()) -> Any:
    """What a computation on ``x`` depends on besides the values of its float leaves: their
    shapes and dtypes, and every other value (see the module doc); a function is known by
    its identity, or with ``identity=False`` by its code.

    Examples
    --------
    >>> def make(a, n):
    ...     return lambda x: a * x**n
    >>> signature(make(1.0, 2), False) == signature(make(5.0, 2), False)
    True
    >>> signature(make(1.0, 2), False) == signature(make(1.0, 3), False)
    False
    """
    if is_value(x):
        kind = np.result_type(x)
        if kind.kind in "fc":
            return ("value", type(x), np.shape(x), kind.str)
        return ("constant", type(x), x.tobytes() if isinstance(x, np.ndarray) else x)
    if isinstance(x, str | bytes | type(None)):
        return x
    kids = children(x)
    if kids is None or id(x) in seen:  # an opaque object, or a cycle back to one seen above
        return ("object", id(x))
    seen = seen | {id(x)}
    which = (id(x) if identity else getattr(x, "__code__", None)) if callable(x) else None
    return (type(x), which, tuple((k, signature(v, identity, seen)) for k, v in kids.items()))


class Compiled:
    """One program as Python: ``run(inputs)`` returns the outputs; ``source`` is its text."""

    def __init__(self, program: Any, outputs: Any, number: int) -> None:
        self.constants: dict[str, Any] = dict(_HELPERS)
        self._names: dict[int, str] = {}
        lines = [f"def program({', '.join(f'v{v}' for v in program.inputs)}):"]
        for item in program.items:
            line = self._step(item) if isinstance(item, Step) else self._guard(item)
            lines.append("    " + line)
        lines.append(f"    return {self._literal(outputs, _is_staged)}")
        self.source = "\n".join(lines) + "\n"
        filename = f"<symrules-jit {number}>"
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True), filename)
        namespace = dict(self.constants)
        exec(compile(self.source, filename, "exec"), namespace)
        self.program = namespace["program"]

    def run(self, inputs: list[Any]) -> Any:
        return self.program(*inputs)

    def _literal(self, value: Any, staged: Callable[[Any], bool]) -> str:
        """Python source building ``value``: its staged leaves are variables, tuples, lists
        and dicts are written out, other objects holding staged leaves are filled."""
        if staged(value):
            return _name(value)
        if type(value) in (tuple, list):
            items = ", ".join(self._literal(v, staged) for v in value)
            return f"({items},)" if type(value) is tuple else f"[{items}]"
        if type(value) is dict:
            return "{" + ", ".join(f"{self._constant(k)}: {self._literal(v, staged)}"
                                   for k, v in value.items()) + "}"  # fmt: skip
        if type(value) is Tangent:  # a cotangent of an object: its fields, written out
            primal = self._constant(value.primal, "primal")
            return f"tangent({primal}, {self._literal(value.fields, staged)})"
        found = list(leaves(value, staged))
        if not found:
            return self._constant(value)
        variables = [_name(b) for _, b in found]
        template = self._constant(value, "template")
        return f"fill({template}, {self._constant([p for p, _ in found], 'paths')}, " \
            f"[{', '.join(variables)}])"  # fmt: skip

    def _constant(self, value: Any, hint: str = "c") -> str:
        """A name for ``value`` in the program's namespace (a literal for a plain number or
        string)."""
        if type(value) in (bool, int, str, type(None)) or (
            type(value) is float and np.isfinite(value)
        ):
            return repr(value)
        key = id(value)
        if key not in self._names:
            stem = re.sub(r"\W+", "_", hint).strip("_") or "c"
            name = f"{stem}_{len(self._names)}"
            self._names[key] = name
            self.constants[name] = value
        return self._names[key]

    def _function(self, fun: Any) -> str:
        label = name_of(fun)
        if label.startswith("numpy.") and _numpy_attribute(label[6:]) is fun:
            return "np." + label[6:]
        return self._constant(fun, label.rsplit(".", 1)[-1])

    def _argument(self, value: Any) -> str:
        return f"v{value.number}" if isinstance(value, Var) else self._constant(value)

    def _step(self, step: Step) -> str:
        args = [self._argument(a) for a in step.args]
        callee = self._function(step.fun) if 0 not in step.fills else None
        for pos, (paths, variables) in step.fills.items():
            template = step.fun if pos == 0 else step.args[pos - 1]
            filled = self._literal(_marked(template, paths, variables), _is_var)
            if pos == 0:
                callee = filled
            else:
                args[pos - 1] = filled
        if step.fun is operator.getitem and 0 not in step.fills:
            return f"v{step.out} = {args[0]}[{args[1]}]"
        keywords = [f"{k}={self._argument(v)}" for k, v in step.kwargs.items()]
        return f"v{step.out} = {callee}({', '.join(args + keywords)})"

    def _guard(self, guard: Guard) -> str:
        if guard.kind == "bool":
            return f"if bool(v{guard.var}) is not {guard.expected}: raise Stale()"
        return f"if not same(v{guard.var}, {self._constant(guard.expected, 'seen')}): raise Stale()"


@functools.cache
def _numpy_attribute(path: str) -> Any:
    obj: Any = np
    for part in path.split("."):
        obj = getattr(obj, part, None)
    return obj


def _name(staged: Any) -> str:
    """The program variable of a staged value (or of a marker of one)."""
    var = staged if type(staged) is Var else staged.node
    return f"v{var.number}"


def _tangent(primal: Any, fields: dict[str, Any]) -> Tangent:
    return Tangent(primal, **fields)


def _fill(template: Any, paths: list, values: list) -> Any:
    return replace_leaves(template, dict(zip(paths, values, strict=True)))


def _same(value: Any, seen: Any) -> bool:
    return bool(np.array_equal(value, seen)) and np.shape(value) == np.shape(seen)


def _is_staged(x: Any) -> bool:
    return type(x) is Box and x.trace.stage


def _is_var(x: Any) -> bool:
    return type(x) is Var


def _marked(template: Any, paths: list, variables: list[int]) -> Any:
    """``template`` with the variable markers at ``paths``."""
    return replace_leaves(template, {p: Var(v) for p, v in zip(paths, variables, strict=True)})


def jit(fun: Callable[..., Any]) -> Jitted:
    """``fun``, traced once per input signature and run as generated straight-line code after.

    ``fun`` is anything the engine differentiates or evaluates: ``value_and_grad(loss)``,
    ``grad``, ``vjp``, ``jvp``, ``hessian`` of it, or ``loss`` itself. The jitted function's
    ``.source`` is the generated code of its latest program, ``.programs`` how many programs
    it holds, ``.traces`` how many times it traced.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> x = np.linspace(0.0, 1.0, 101)
    >>> def loss(p):
    ...     return np.sum(np.exp(-p[0] * x) * p[1])
    >>> fast = jit(sr.value_and_grad(loss))
    >>> p = np.array([0.5, 2.0])
    >>> value, g = fast(p)
    >>> value2, g2 = fast(p + 0.25)  # the generated code: no tracing
    >>> want = sr.value_and_grad(loss)(p + 0.25)
    >>> bool(np.isclose(value2, want[0])), bool(np.allclose(g2, want[1])), fast.traces
    (True, True, 1)
    >>> def branchy(t):
    ...     return t * 2.0 if t > 0 else -t
    >>> g = jit(sr.grad(branchy))
    >>> float(g(1.0)), float(g(-1.0)), g.traces  # the other side of the branch traces again
    (2.0, -1.0, 2)
    """
    return Jitted(fun)


class Jitted:
    """A function run as generated code after its first call per signature (see :func:`jit`).

    Attributes
    ----------
    source : str
        The generated code of the latest program.
    traces : int
        How many times the function was traced.
    programs : int
        How many programs are kept, over all signatures.
    """

    def __init__(self, fun: Callable[..., Any]) -> None:
        self.fun = fun
        self.traces = 0
        self.source = ""
        self._cache: OrderedDict[Any, list[Compiled]] = OrderedDict()
        functools.update_wrapper(self, fun)

    @property
    def programs(self) -> int:
        return sum(len(programs) for programs in self._cache.values())

    def __call__(self, *args: Any) -> Any:
        key = tuple(signature(a) for a in args)
        programs = self._cache.get(key)
        if programs is not None:
            self._cache.move_to_end(key)
            inputs = input_values(args)
            for compiled in programs:
                try:
                    return compiled.run(inputs)
                except Stale:
                    continue
        else:
            programs = self._cache.setdefault(key, [])
            if len(self._cache) > MAX_SIGNATURES:
                self._cache.popitem(last=False)
        trace = StageTrace()
        staging.active += 1
        try:
            out = self.fun(*stage_inputs(trace, args))
        finally:
            staging.active -= 1
        compiled = Compiled(trace.program, out, self.traces)
        self.traces += 1
        self.source = compiled.source
        programs.insert(0, compiled)
        del programs[MAX_PROGRAMS:]
        return unstaged(out)


#: What generated code calls besides numpy and the program's constants.
_HELPERS = {"np": np, "fill": _fill, "same": _same, "Stale": Stale, "tangent": _tangent}
