"""Side-by-side gradients of a quadrature functional: :func:`compare` computes them.

This module owns the computation behind a :class:`~symrules.explore.comparison.Comparison`:
the gradient of ``I(f) = integrate(f, domain, rule)`` with respect to the fields ``p`` of ``f``
by each method ("symbolic", "ad", "fd", see
:func:`~symrules.quadrature.integration.integrate`), their errors against each other
(:func:`gradient_errors`) and against a reference, the time each method takes, and for "fd"
the error finite differences estimate for themselves. Over a box in d dimensions the value
also carries the rule's error estimate (:func:`~symrules.quadrature.boxes.estimate`), and
every integral runs on the ``executor`` given, if any.
"""

from __future__ import annotations

import math
import timeit
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any, cast

import numpy as np

from ..checking import finite_differences as fd
from ..engine.fields import fields, leaves, path_name
from ..engine.reverse import value_and_grad
from ..engine.tangents import cotangent_at, is_zero
from ..errors import MethodError, MovingDiscontinuityError
from ..quadrature import DEFAULT_RULE, METHODS, CubatureRule, QuadratureRule, estimate, integrate
from ..quadrature.boxes import default_box_rule, is_box
from ..quadrature.integration import Method
from .comparison import Comparison

__all__ = ["compare", "field_gradient", "gradient_errors", "plain_domain"]


def _leaf_name(path: tuple) -> str:
    return path_name(path, root="").lstrip(".")


def _flat(gradient: dict[str, Any]) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in gradient.values()])


def gradient_errors(g: dict[str, Any], ref: dict[str, Any]) -> tuple[float, float]:
    """Absolute error ``max |g - ref|`` and relative error ``max |g - ref| / max |ref|``.

    ``g`` and ``ref`` map field names to gradients; every entry counts.

    Examples
    --------
    >>> gradient_errors({"a": 1.5, "b": [1.0, 2.0]}, {"a": 1.0, "b": [1.0, 4.0]})
    (2.0, 0.5)
    """
    diff = float(np.max(np.abs(_flat(g) - _flat(ref))))
    scale = float(np.max(np.abs(_flat(ref))))
    if scale == 0.0:
        return diff, (0.0 if diff == 0.0 else math.inf)
    return diff, diff / scale


def _gradient_by_field(f: Any, f_bar: Any) -> dict[str, Any]:
    """``f_bar`` (a Tangent) as ``name -> cotangent`` for every differentiable leaf of ``f``."""
    out = {}
    for path, leaf in leaves(f):
        value = cotangent_at(f_bar, path)
        if value is None or is_zero(value):
            value = np.zeros(np.shape(leaf))
        value = np.asarray(value, dtype=float)
        out[_leaf_name(path)] = value if np.ndim(leaf) else float(value)
    return out


def _timed(run: Callable[[], Any], repeat: int, min_time: float) -> float | None:
    """Seconds per call: the loop count grows (1, 2, 5, 10, ...) until one timing lasts
    ``min_time``, as :meth:`timeit.Timer.autorange` does; then the fastest of ``repeat``."""
    if repeat <= 0:
        return None
    timer = timeit.Timer(run)
    number, scale = 1, 1
    while True:
        for k in (1, 2, 5):
            number = k * scale
            if timer.timeit(number) >= min_time:
                return min(timer.repeat(repeat, number)) / number
        scale *= 10


def _default_rule(domain: Any) -> QuadratureRule | CubatureRule:
    """``integrate``'s default rule for ``domain`` (an interval, or a box of ``d`` axes)."""
    return default_box_rule(len(domain)) if is_box(domain) else DEFAULT_RULE


def _rule_text(rule: Any, domain: Any) -> str:
    """The rule as shown: a 1-D rule over a box is used on every axis."""
    every_axis = is_box(domain) and isinstance(rule, QuadratureRule)
    return f"{rule!r} on every axis" if every_axis else repr(rule)


def plain_domain(domain: Any) -> tuple[Any, ...]:
    """The domain as floats: ``(a, ..., b)``, or ``((a0, b0), ...)`` for a box.

    Examples
    --------
    >>> plain_domain((0, 1)), plain_domain([(0, 1), (-np.inf, 2)])
    ((0.0, 1.0), ((0.0, 1.0), (-inf, 2.0)))
    """
    if is_box(domain):
        return tuple(tuple(float(p) for p in pair) for pair in domain)
    return tuple(float(p) for p in domain)


def compare(
    f: Callable[[Any], Any],
    domain: tuple[Any, ...],
    rule: QuadratureRule | CubatureRule | None = None,
    methods: Sequence[str] = ("symbolic", "ad", "fd"),
    *,
    repeat: int = 3,
    min_time: float = 0.02,
    fd_step: float | None = None,
    chunk_size: int | None = None,
    executor: Executor | None = None,
) -> Comparison:
    """The gradient of ``integrate(f, domain, rule)`` in ``f``'s fields by several methods.

    Each method computes ``value_and_grad`` of ``f -> integrate(f, domain, rule, method=m)``
    with respect to ``f``, except "fd", which takes finite differences of the integral's value
    and estimates their error; the results are compared pairwise and against a reference, and
    each is timed.

    Parameters
    ----------
    f : callable
        A vectorized integrand with differentiable fields: an
        :class:`~symrules.symbolic.integrand.Integrand`, a closure, a callable object.
    domain : tuple
        ``(a, b)`` or ``(a, c1, ..., b)``, or a box ``((a0, b0), (a1, b1), ...)`` (then
        ``f(x)`` gets ``x`` of shape ``(n, d)``), as for
        :func:`~symrules.quadrature.integration.integrate`.
    rule : QuadratureRule or CubatureRule, optional
        Default: ``integrate``'s default, the adaptive ``GaussKronrod()`` on an interval, and
        on a box :func:`~symrules.quadrature.boxes.default_box_rule`. On a box, ``QMC`` and
        ``MonteCarlo`` give the value an error estimate (:attr:`Comparison.error`).
    methods : sequence of {"symbolic", "ad", "fd", "auto"}
        A method that cannot apply (``"symbolic"`` for a plain closure, ``"ad"`` for one whose
        jump moves with a field) is kept in :attr:`Comparison.skipped` with the reason.
    repeat : int
        Timing repeats; the time is the fastest repeat divided by its loop count. 0 skips
        timing.
    min_time : float
        Each timing repeat runs the evaluation in a loop lasting at least this many seconds.
    fd_step : float, optional
        A fixed step for "fd" (central differences of order 4 on the integral); by default
        each field's step is searched for (see :class:`~symrules.checking.stencils.FDM`).
        Either way "fd" also estimates its own error (:attr:`Comparison.fd_error`).
    chunk_size, executor : optional
        Passed to every ``integrate`` (box domains only): points per chunk, and a
        ``concurrent.futures.Executor`` the chunks run on. The numbers do not depend on the
        executor.

    Returns
    -------
    Comparison

    Raises
    ------
    FieldsError
        ``f`` has no differentiable field.
    MethodError
        An unknown method name.
    QuadratureInputError
        A malformed domain, or a rule that cannot integrate over it (``GaussKronrod`` over a
        box), as ``integrate`` raises.

    Examples
    --------
    >>> import numpy as np
    >>> from symrules import GaussLegendre
    >>> def make(a):
    ...     return lambda x: np.sin(a * x)
    >>> c = compare(make(2.0), (0.0, 1.0), GaussLegendre(20), repeat=0)  # symbolic: lifted
    >>> exact = np.sin(2.0) / 2.0 - (1.0 - np.cos(2.0)) / 4.0  # d/da of (1 - cos a) / a
    >>> [bool(np.isclose(c.gradients[m]["a"], exact)) for m in ("symbolic", "ad")], c.reference
    ([True, True], 'symbolic')
    >>> bool(abs(c.gradients["fd"]["a"] - exact) <= c.fd_error["a"] < 1e-8)
    True

    Over a box, with quasi-Monte Carlo and its error estimate:

    >>> from symrules import QMC
    >>> def square(a):
    ...     return lambda x: np.exp(-a * (x**2).sum(axis=1))
    >>> c = compare(square(1.0), ((0, 1), (0, 1)), QMC(2**10, seed=0), ("ad",), repeat=0)
    >>> exact = 0.746824132812427**2  # (erf(1) sqrt(pi) / 2)**2
    >>> bool(abs(c.value - exact) < 4 * c.error < 1e-4), c.domain
    (True, ((0.0, 1.0), (0.0, 1.0)))
    """
    fields(f)
    for m in methods:
        if m not in METHODS:
            raise MethodError(f"unknown method {m!r}: choose from {METHODS}")
    rule = _default_rule(domain) if rule is None else rule
    value: float | None = None
    error: float | None = None
    if is_box(domain):  # the value with its error estimate; checks the box and the rule first
        value, error, _ = estimate(f, domain, rule, chunk_size=chunk_size, executor=executor)
    params = {
        _leaf_name(path): float(leaf) if np.ndim(leaf) == 0 else leaf for path, leaf in leaves(f)
    }
    gradients: dict[str, dict[str, Any]] = {}
    fd_error = None
    times: dict[str, float | None] = {}
    skipped: dict[str, str] = {}
    for m in methods:
        run = _runner(f, domain, rule, m, fd_step, chunk_size=chunk_size, executor=executor)
        try:
            y, f_bar, f_error = run()
        except (MethodError, MovingDiscontinuityError) as err:  # the reason, kept
            skipped[m] = str(err)
            continue
        value = float(y) if value is None else value
        gradients[m] = _gradient_by_field(f, f_bar)
        if f_error is not None:
            fd_error = _gradient_by_field(f, f_error)
        times[m] = _timed(run, repeat, min_time)
    if value is None:
        value = float(integrate(f, domain, rule, chunk_size=chunk_size, executor=executor))
    reference = next((m for m in ("symbolic", "ad") if m in gradients), None)
    abs_errors: dict[str, dict[str, float]] = {m: {} for m in gradients}
    rel_errors: dict[str, dict[str, float]] = {m: {} for m in gradients}
    for m, g in gradients.items():
        for n, h in gradients.items():
            abs_errors[m][n], rel_errors[m][n] = gradient_errors(g, h)
    return Comparison(
        value=value,
        params=params,
        gradients=gradients,
        times=times,
        skipped=skipped,
        reference=reference,
        abs_errors=abs_errors,
        rel_errors=rel_errors,
        domain=plain_domain(domain),
        rule=_rule_text(rule, domain),
        methods=tuple(methods),
        fd_error=fd_error,
        error=error,
    )


def _runner(
    f: Any,
    domain: tuple[Any, ...],
    rule: QuadratureRule | CubatureRule,
    method: str,
    fd_step: float | None,
    fd_error: bool = True,
    chunk_size: int | None = None,
    executor: Executor | None = None,
) -> Callable[[], tuple[Any, Any, Any]]:
    """A no-argument function returning ``(value, f_bar, error of f_bar or None)``.

    "fd" differentiates the integral's value by :func:`~symrules.finite_differences.gradient`
    (at ``fd_step``, or searching each field's step), estimating its error if ``fd_error``;
    the other methods run ``value_and_grad`` of ``integrate(..., method=method)``. Every
    integral gets ``chunk_size`` and ``executor``.
    """
    options: dict[str, Any] = {"chunk_size": chunk_size, "executor": executor}

    if method == "fd":

        def value(g: Any) -> float:
            return float(integrate(g, domain, rule, **options))

        def by_finite_differences() -> tuple[Any, Any, Any]:
            if not fd_error:
                return value(f), fd.gradient(value, f, step=fd_step), None
            return value(f), *fd.gradient(value, f, step=fd_step, error=True)

        return by_finite_differences

    def integral(g: Any) -> Any:  # compare checked ``method`` against METHODS
        return integrate(g, domain, rule, method=cast(Method, method), **options)

    value_and_f_bar = value_and_grad(integral)

    def by_method() -> tuple[Any, Any, Any]:
        return (*value_and_f_bar(f), None)

    return by_method


def field_gradient(
    f: Callable[[Any], Any],
    domain: tuple[Any, ...],
    rule: QuadratureRule | CubatureRule | None = None,
    method: str = "auto",
    fd_step: float | None = None,
    *,
    chunk_size: int | None = None,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """The gradient of ``integrate(f, domain, rule, method=method)`` by field name of ``f``.

    One entry of :attr:`Comparison.gradients`, without timing or error estimate; ``fd_step``,
    ``chunk_size`` and ``executor`` as in :func:`compare`.

    Examples
    --------
    >>> import symrules as sr
    >>> field_gradient(sr.Integrand("a * x + b", a=2.0, b=1.0), (0.0, 1.0), method="ad")
    {'a': 0.5, 'b': 1.0}
    """
    rule = _default_rule(domain) if rule is None else rule
    run = _runner(f, domain, rule, method, fd_step, False, chunk_size, executor)
    return _gradient_by_field(f, run()[1])
