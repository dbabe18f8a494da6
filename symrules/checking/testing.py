"""Checking rules against finite differences, the function's own fields included.

:func:`check_rrule` and :func:`check_frule` test a registered reverse or forward rule;
:func:`check_grad` tests what the engine computes for any callable. Each perturbs every float
argument *and* every float field of the function object (closure cells, dataclass
attributes), one at a time, so a rule that drops ``f_bar`` fails. A failure raises
:class:`RuleCheckError` naming the input that disagrees and printing both numbers.

How it works
------------
The call ``f(*args)`` is seen as a function of the tuple ``inputs = (f, *args)``; a float leaf
of it sits at a path ``(k, *field_path)`` -- ``k = 0`` for ``f``'s fields -- and the
cotangents ``(f_bar, *arg_bars)`` of a pullback sit at the same paths. A reverse rule is
checked through the inner-product identity ``<x_bar, v> = d/dt <y_bar, f(x + t v)>`` on a
random direction ``v``, a forward rule by comparing ``y_dot`` with ``d/dt f(x + t v)``, and
the engine's gradient entry by entry with :func:`symrules.finite_differences.gradient`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..engine.fields import Path, leaves, path_name, replace_leaves
from ..engine.jit import jit as jit_function
from ..engine.registry import frule, rrule
from ..engine.reverse import rrule_via_ad
from ..engine.tangents import NoTangent, ZeroTangent, cotangent_at, is_zero, tangent_from_leaves
from ..errors import RuleCheckError
from .finite_differences import gradient, inner
from .stencils import FDM, central_fdm

__all__ = ["RuleCheckError", "check_frule", "check_grad", "check_rrule"]

# Defaults: the 5-point central method with its step rule is accurate to ~1e-10 relative on
# well-scaled smooth functions; a wrong rule is typically off by O(1).
RTOL = 1e-6
ATOL = 1e-8


class _Call:
    """``f(*args, **kwargs)`` as a function of the tuple ``(f, *args)``, with input names."""

    def __init__(self, f: Any, args: tuple, kwargs: dict) -> None:
        self.inputs, self.kwargs = (f, *args), kwargs
        self.name = getattr(f, "__name__", None) or type(f).__name__
        impl = getattr(f, "_symrules_impl", None) or f
        try:
            params = [
                p.name
                for p in inspect.signature(impl).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
            ]
        except (TypeError, ValueError):
            params = []
        self.params = params + [None] * (len(args) - len(params))

    def __call__(self, inputs: tuple) -> Any:
        return inputs[0](*inputs[1:], **self.kwargs)

    def label(self, k: int, path: Path) -> str:
        """``field f.p[0]``, ``argument 0 (x)`` or ``field g.p of argument 1``."""
        if k == 0:
            return f"field {path_name(path, 'f')}"
        param = self.params[k - 1]
        if not path:
            return f"argument {k - 1}" + (f" ({param})" if param else "")
        return f"field {path_name(path, param or 'arg')} of argument {k - 1}"

    def float_leaves(self) -> Iterator[tuple[int, Path, Any]]:
        for k, value in enumerate(self.inputs):
            for path, leaf in leaves(value):
                yield k, path, leaf

    def moved(self, k: int, path: Path, new: Any) -> tuple:
        return replace_leaves(self.inputs, {(k, *path): new})


def _random_like(leaf: Any, rng: np.random.Generator) -> Any:
    if np.iscomplexobj(leaf):  # both directions of the complex plane
        return _random_like(np.real(leaf), rng) + 1j * _random_like(np.real(leaf), rng)
    return float(rng.standard_normal()) if np.ndim(leaf) == 0 else rng.standard_normal(leaf.shape)


def _random_cotangent(y: Any, rng: np.random.Generator, name: str) -> Any:
    found = {path: _random_like(leaf, rng) for path, leaf in leaves(y)}
    if not found:
        raise RuleCheckError(f"{name} returned {y!r}, which holds no float values to check")
    return replace_leaves(y, found)


def _flat(y: Any, like: Any) -> np.ndarray:
    """The float leaves of ``like``, read from ``y`` (zeros for zero tangents), as one vector."""
    parts = []
    for path, leaf in leaves(like):
        part = cotangent_at(y, path)
        zero = part is None or is_zero(part)
        kind = complex if np.iscomplexobj(part) else float
        parts.append(np.ravel(np.zeros(np.shape(leaf)) if zero else np.asarray(part, kind)))
    return np.concatenate(parts) if parts else np.zeros(0)


def _fd_along(g: Callable[[float], Any], leaf: Any, v: Any, fdm: FDM) -> Any:
    """``d/dt g(t)`` at 0 where ``t`` moves ``leaf`` along ``v``; the step follows its scale."""
    scale = max(1.0, float(np.max(np.abs(leaf)))) / float(np.max(np.abs(v)))
    return fdm(g, 0.0, step=fdm.step_size(scale))


def _check_primal(y: Any, y_ref: Any, what: str, rtol: float, atol: float) -> None:
    a, b = _flat(y, y_ref), _flat(y_ref, y_ref)
    if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
        raise RuleCheckError(f"the primal of {what} is {y!r}, but calling f gives {y_ref!r}")


def _mismatch(label: str, what: str, lhs: str, a: float, rhs: str, b: float, note: str) -> str:
    return (
        f"{what} disagrees with finite differences for {label}{note}:\n"
        f"    {lhs:<34} = {a: .10e}\n    {rhs:<34} = {b: .10e}"
    )


def _check_cotangents(
    call: _Call, cots: Any, what: str, check_leaf: Callable[..., str | None]
) -> None:
    """Shared part of check_rrule and check_grad: arity, NoTangent rules, then each leaf."""
    if not isinstance(cots, tuple) or len(cots) != len(call.inputs):
        raise RuleCheckError(
            f"the pullback of {what} returned {cots!r}; expected a tuple of 1 + "
            f"{len(call.inputs) - 1} cotangents (f_bar first)"
        )
    failures = []
    for k in range(1, len(call.inputs)):
        if not any(True for _ in leaves(call.inputs[k])) and cots[k] is not NoTangent():
            failures.append(
                f"{call.label(k, ())} holds no float value, so its cotangent must be "
                f"NoTangent(), but {what} returned {cots[k]!r}"
            )
    for k, path, leaf in call.float_leaves():
        ct = cotangent_at(cots, (k, *path))
        label = call.label(k, path)
        if isinstance(ct, NoTangent):
            failures.append(f"{label} is a float, but {what} returned NoTangent() for it")
            continue
        if ct is not None and not is_zero(ct) and np.shape(ct) != np.shape(leaf):
            failures.append(
                f"the cotangent of {label} has shape {np.shape(ct)}, the value {np.shape(leaf)}"
            )
            continue
        note = " (absent from the cotangent, taken as zero)" if ct is None else ""
        message = check_leaf(k, path, leaf, ZeroTangent() if ct is None else ct, label, note)
        if message:
            failures.append(message)
    if failures:
        raise RuleCheckError("\n".join(failures))


def _close(a: Any, b: Any, rtol: float, atol: float) -> bool:
    return bool(np.all(np.abs(np.asarray(a) - b) <= atol + rtol * np.abs(b)))


def check_rrule(
    f: Any,
    *args: Any,
    rtol: float = RTOL,
    atol: float = ATOL,
    rng: np.random.Generator | None = None,
    fdm: FDM | None = None,
    **kwargs: Any,
) -> None:
    """Check the reverse rule of ``f`` at ``args`` against finite differences.

    The rule's primal must equal ``f(*args)``; its pullback must return ``(f_bar,
    *arg_bars)``, with ``NoTangent()`` for arguments holding no float. For each float
    argument, and each float leaf of ``f``'s own fields, separately, a random direction ``v``
    must satisfy ``<x_bar, v> = d/dt <y_bar, f(x + t v)>`` for a random ``y_bar``.

    Parameters
    ----------
    f : callable
        A primitive, numpy function or callable object with a registered rrule.
    *args
        The point; ``**kwargs`` are passed to ``f`` and its rule, not differentiated.
    rtol, atol : float
        Tolerance: ``|ad - fd| <= atol + rtol * |fd|``.
    rng : numpy.random.Generator, optional
        Source of the random directions (default: seeded with 0).
    fdm : FDM, optional
        The finite-difference method (default ``central_fdm(5)``).

    Raises
    ------
    RuleCheckError
        Naming each argument or field whose cotangent disagrees, with both numbers.

    Examples
    --------
    A rule for a callable object that forgets its field ``p`` (``f_bar``):

    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> import symrules as sr
    >>> @sr.primitive
    ... @dataclass
    ... class Scaled:
    ...     p: float
    ...     def __call__(self, x):
    ...         return self.p * np.sin(x)
    >>> @sr.register_rrule(Scaled)
    ... def scaled_rrule(f, x):
    ...     def scaled_pullback(y_bar):
    ...         return sr.NoTangent(), y_bar * f.p * np.cos(x)
    ...     return f(x), scaled_pullback
    >>> check_rrule(Scaled(2.0), 0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrules.errors.RuleCheckError: field f.p is a float, but rrule(Scaled) returned NoTangent()...

    See Also
    --------
    check_frule, check_grad
    """
    rng = np.random.default_rng(0) if rng is None else rng
    fdm = central_fdm(5) if fdm is None else fdm
    call = _Call(f, args, kwargs)
    what = f"rrule({call.name})"
    res = rrule(f, *args, **kwargs)
    if res is None:
        raise RuleCheckError(f"no rrule for {call.name}")
    y, pullback = res
    y_ref = call(call.inputs)
    _check_primal(y, y_ref, what, rtol, atol)
    y_bar = _random_cotangent(y_ref, rng, call.name)
    check_leaf = _directional(call, y_bar, what, rng, fdm, rtol, atol)
    _check_cotangents(call, pullback(y_bar), what, check_leaf)


def _directional(call: _Call, y_bar: Any, what: str, rng, fdm: FDM, rtol: float, atol: float):
    """Check one cotangent along a random direction ``v``: ``<x_bar, v> = d/dt <y_bar, f>``."""

    def check_leaf(k: int, path: Path, leaf: Any, ct: Any, label: str, note: str) -> str | None:
        v = _random_like(leaf, rng)
        fd = _fd_along(
            lambda t: inner(y_bar, call(call.moved(k, path, leaf + t * v))), leaf, v, fdm
        )
        ad = inner(ct, v)
        if _close(ad, fd, rtol, atol):
            return None
        return _mismatch(
            label,
            what,
            "<x_bar, v> from the pullback",
            ad,
            "d/dt <y_bar, f(x + t v)> by FD",
            fd,
            note,
        )

    return check_leaf


def check_frule(
    f: Any,
    *args: Any,
    rtol: float = RTOL,
    atol: float = ATOL,
    rng: np.random.Generator | None = None,
    fdm: FDM | None = None,
    **kwargs: Any,
) -> None:
    """Check the forward rule of ``f`` at ``args`` against finite differences.

    For each float argument, and each float leaf of ``f``'s own fields, separately, a random
    tangent ``v`` is pushed forward (``dots = (f_dot, *arg_dots)``, all other entries
    ``ZeroTangent()``, or ``NoTangent()`` for values holding no float) and ``y_dot`` must equal
    ``d/dt f(x + t v)`` entry by entry. Parameters are those of :func:`check_rrule`.

    Raises
    ------
    RuleCheckError
        Naming each argument or field whose ``y_dot`` disagrees, with the worst entry.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> @sr.primitive
    ... def cube(x):
    ...     return x**3
    >>> @sr.register_frule(cube)
    ... def cube_frule(dots, x):
    ...     return cube(x), 2 * x**2 * dots[1]
    >>> check_frule(cube, 0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symrules.errors.RuleCheckError: frule(cube) disagrees with finite differences for argument 0...

    See Also
    --------
    check_rrule, check_grad
    """
    rng = np.random.default_rng(0) if rng is None else rng
    fdm = central_fdm(5) if fdm is None else fdm
    call = _Call(f, args, kwargs)
    what = f"frule({call.name})"
    y_ref = call(call.inputs)
    still = [ZeroTangent() if any(True for _ in leaves(x)) else NoTangent() for x in call.inputs]
    failures = []
    for k, path, leaf in call.float_leaves():
        v = _random_like(leaf, rng)
        dots = (*still[:k], tangent_from_leaves(call.inputs[k], {path: v}), *still[k + 1 :])
        res = frule(dots, f, *args, **kwargs)
        if res is None:
            raise RuleCheckError(f"no frule for {call.name}")
        y, y_dot = res
        _check_primal(y, y_ref, what, rtol, atol)

        def along(
            t: float, k: int = k, path: Path = path, leaf: Any = leaf, v: Any = v
        ) -> np.ndarray:
            return _flat(call(call.moved(k, path, leaf + t * v)), y_ref)

        fd = _fd_along(along, leaf, v, fdm)
        ad = _flat(y_dot, y_ref)
        if ad.shape != fd.shape:
            failures.append(f"y_dot of {what} for {call.label(k, path)} has the wrong shape")
        elif not _close(ad, fd, rtol, atol):
            i = int(np.argmax(np.abs(ad - fd) - rtol * np.abs(fd)))
            where = f", worst output entry {i}" if ad.size > 1 else ""
            failures.append(
                _mismatch(
                    call.label(k, path),
                    what,
                    "y_dot from the frule",
                    ad[i],
                    "d/dt f(x + t v) by FD",
                    fd[i],
                    where,
                )
            )
    if failures:
        raise RuleCheckError("\n".join(failures))


def _pulled_back(fun: Any, args: tuple, y_bar: Any, jit: bool) -> tuple[Any, tuple]:
    """``(y, (f_bar, *arg_bars))`` by the engine, or by jit's code traced at leaves + 1e-3."""

    def pulled(f: Any, *a: Any) -> tuple[Any, tuple]:
        y, pullback = rrule_via_ad(f, *a)
        return y, pullback(y_bar)

    if not jit:
        return pulled(fun, *args)
    compiled, inputs = jit_function(pulled), (fun, *args)
    compiled(*replace_leaves(inputs, {p: v * (1 + 1e-3) + 1e-3 for p, v in leaves(inputs)}))
    return compiled(*inputs)


def check_grad(
    fun: Any,
    *args: Any,
    rtol: float = RTOL,
    atol: float = ATOL,
    rng: np.random.Generator | None = None,
    fdm: FDM | None = None,
    jit: bool = False,
) -> None:
    """Check the engine's gradient of ``fun`` at ``args``, arguments and fields, entry by entry.

    Runs :func:`symrules.rrule_via_ad` and pulls back ``y_bar = 1`` (a random ``y_bar`` for
    a non-scalar output); every entry of every float argument and of every float field of
    ``fun`` must match :func:`symrules.finite_differences.gradient` of ``<y_bar, fun>``.
    ``jit=True`` checks :func:`symrules.jit`'s code for the same pullback, replayed at ``args``.

    Raises
    ------
    RuleCheckError
        Naming each argument or field whose gradient disagrees, with the worst entry.

    Examples
    --------
    >>> import numpy as np
    >>> def make(p):
    ...     return lambda x: np.sum(p[0] * np.sin(x) + p[1] * x**2)
    >>> check_grad(make(np.array([2.0, -1.0])), np.array([0.1, 0.7, 1.3])) is None
    True

    See Also
    --------
    check_rrule, symrules.finite_differences.gradient
    """
    rng = np.random.default_rng(0) if rng is None else rng
    fdm = central_fdm(5) if fdm is None else fdm
    call = _Call(fun, args, {})
    what = f"the gradient of {call.name}"
    y_ref = call(call.inputs)
    y_bar = 1.0 if np.ndim(y_ref) == 0 else _random_cotangent(y_ref, rng, call.name)
    y, cotangents = _pulled_back(fun, args, y_bar, jit)
    what += " (jit)" if jit else ""
    _check_primal(y, y_ref, what, rtol, atol)
    check_along = _directional(call, y_bar, what, rng, fdm, rtol, atol)

    def check_leaf(k: int, path: Path, leaf: Any, ct: Any, label: str, note: str) -> str | None:
        if np.iscomplexobj(leaf):  # along a random complex direction, as check_rrule does
            return check_along(k, path, leaf, ct, label, note)
        fd = np.asarray(
            gradient(lambda new: inner(y_bar, call(call.moved(k, path, new))), leaf, fdm)
        )
        ad = np.zeros_like(fd) if is_zero(ct) else np.asarray(ct, float)
        if _close(ad, fd, rtol, atol):
            return None
        i = np.unravel_index(np.argmax(np.abs(ad - fd) - rtol * np.abs(fd)), fd.shape)
        where = f", worst entry {list(map(int, i))}" if fd.ndim else ""
        return _mismatch(
            label, what, "reverse mode", ad[i], "finite differences", fd[i], note + where
        )

    _check_cotangents(call, cotangents, what, check_leaf)
