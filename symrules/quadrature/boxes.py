"""Integrals over a box in d dimensions: the domain checked, the primitive, the estimate.

This module owns the d-dimensional form of :func:`~symrules.quadrature.integration.integrate`,
``integrate(f, ((a0, b0), (a1, b1), ...), rule, ...)``: :func:`integrate_box` checks the box
and the integrand and calls the primitive :func:`box_integral`, whose reverse and forward
rules live in :mod:`~symrules.quadrature.box_adjoints`; :func:`estimate` returns the value with
the rule's error estimate. The integrand follows ``scipy.integrate.cubature``: ``f(x)`` with
``x`` of shape ``(n_points, d)`` returns one value per point. The chunks of the rule
(:mod:`~symrules.quadrature.cubature`) are evaluated and added by
:mod:`~symrules.quadrature.chunks`, on an executor if one is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..engine.primitives import primitive
from ..engine.tracing import Box, strip
from ..errors import QuadratureInputError
from .chunks import Reduced, reduce_chunks
from .cotangents import resolve_method
from .cubature import QMC, CubatureRule, Product
from .rules import QuadratureRule

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Estimate",
    "Face",
    "Plan",
    "box_integral",
    "default_box_rule",
    "estimate",
    "integrate_box",
    "is_box",
]

#: Points per chunk unless ``chunk_size`` says otherwise: 2**18, 2 MB per coordinate.
DEFAULT_CHUNK_SIZE = 2**18


class Estimate(NamedTuple):
    """A box integral's ``value``, its ``error`` estimate (``None`` if the rule has none) and
    the number of ``points`` evaluated."""

    value: float
    error: float | None
    points: int


@dataclass(frozen=True)
class Plan:
    """How a box integral is computed: configuration, never differentiated."""

    rule: CubatureRule
    method: str
    chunk_size: int
    executor: Executor | None

    def __symrules_fields__(self) -> dict[str, Any]:
        return {}

    def __symrules_replace__(self, new_fields: dict[str, Any]) -> Plan:
        return self

    def reduce(self, f: Any, bounds: tuple[Any, ...], **wanted: Any) -> Reduced:
        """Every chunk of ``f`` over ``bounds``, added in order (see :func:`reduce_chunks`)."""
        return reduce_chunks(
            f, self.rule, self.method, bounds, self.chunk_size, self.executor, **wanted
        )


@dataclass(frozen=True)
class Face:
    """``f`` on the face ``x[axis] = at`` of a box: a function of the other coordinates."""

    f: Any
    axis: int
    at: Any

    def __call__(self, y: Any) -> Any:
        column = self.at * np.ones((len(y), 1))
        return self.f(np.concatenate([y[:, : self.axis], column, y[:, self.axis :]], axis=1))


def is_box(domain: Any) -> bool:
    """Whether ``domain`` is a box, ``((a0, b0), ...)`` or an array of shape ``(d, 2)``."""
    if isinstance(domain, np.ndarray):
        return domain.ndim == 2
    # the first entry decides (a pair or a point); _bounds then checks every axis
    return isinstance(domain, tuple | list) and len(domain) > 0 \
        and isinstance(domain[0], tuple | list | np.ndarray)  # fmt: skip


def _bounds(domain: Any) -> tuple[Any, ...]:
    """The box as a flat tuple ``(a0, b0, a1, b1, ...)`` of floats (traced ones kept)."""
    out: list[Any] = []
    for k, pair in enumerate(domain):
        if np.ndim(strip(pair)) != 1 or len(pair) != 2:
            raise QuadratureInputError(
                f"domain axis {k} must be a pair (a{k}, b{k}), got {pair!r}; a box is "
                "((a0, b0), (a1, b1), ...)"
            )
        for name, p in zip((f"a{k}", f"b{k}"), pair, strict=True):
            value = strip(p)
            if np.ndim(value) != 0 or np.asarray(value).dtype.kind not in "biuf":
                raise QuadratureInputError(f"domain bound {name} must be a real scalar, got {p!r}")
            value = float(value)
            if math.isnan(value):
                raise QuadratureInputError(f"domain bound {name} is NaN")
            if type(p) is Box and math.isinf(value):
                raise QuadratureInputError(
                    f"domain bound {name} is {value} and traced: no derivative exists at inf"
                )
            out.append(p if type(p) is Box else value)
    return tuple(out)


def default_box_rule(d: int) -> CubatureRule:
    """The rule for a box in ``d`` dimensions when none is given: ``Product()``, 20 Gauss-
    Legendre points per axis, up to 3 dimensions; ``QMC(2**14, seed=0)`` beyond."""
    return Product() if d <= 3 else QMC(2**14, seed=0)


def _rule(rule: Any, d: int) -> CubatureRule:
    if rule is None:
        return default_box_rule(d)
    if isinstance(rule, QuadratureRule):
        return Product(rule)
    if not isinstance(rule, CubatureRule):
        raise QuadratureInputError(
            f"rule must be a CubatureRule (Product, QMC, MonteCarlo) or a 1-D rule for every "
            f"axis, got {rule!r}"
        )
    if isinstance(rule, Product):
        rule.axis_rules(d)  # the number of rules must fit the box
    return rule


def _check_integrand(f: Any, d: int) -> None:
    if not callable(f):
        raise QuadratureInputError(f"f must be callable, got {type(f).__name__}")
    var = getattr(f, "var", None)
    if isinstance(var, str):
        raise QuadratureInputError(
            f"f is an Integrand in the one variable {var}, and the domain is a box in {d} "
            f"dimension(s): give one variable per axis, var=(...), or integrate over (a, b)"
        )
    if isinstance(var, tuple) and len(var) != d:
        raise QuadratureInputError(
            f"f is an Integrand in {len(var)} variables {var}, and the domain is a box in {d} "
            "dimension(s): give one (a, b) pair per variable"
        )


def _chunk_size(chunk_size: Any) -> int:
    if chunk_size is None:
        return DEFAULT_CHUNK_SIZE
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) \
            or chunk_size < 1:  # fmt: skip
        raise QuadratureInputError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    return int(chunk_size)


def _plan(
    f: Any, domain: Any, rule: Any, method: str, chunk_size: Any, executor: Any
) -> tuple[Any, Plan, tuple[Any, ...]]:
    bounds = _bounds(domain)
    d = len(bounds) // 2
    _check_integrand(f, d)
    if executor is not None and not isinstance(executor, Executor):
        raise QuadratureInputError(
            f"executor must be a concurrent.futures.Executor (a thread or process pool, or a "
            f"Dask client's get_executor()), got {executor!r}"
        )
    variables = tuple(getattr(f, "var", None) or (f"x{k}" for k in range(d)))
    f, method = resolve_method(f, method, variables)
    return f, Plan(_rule(rule, d), method, _chunk_size(chunk_size), executor), bounds


def integrate_box(
    f: Callable[[Any], Any], domain: Any, rule: Any, method: str, chunk_size: Any, executor: Any
) -> Any:
    """:func:`~symrules.quadrature.integration.integrate` over a box (documented there)."""
    f, plan, bounds = _plan(f, domain, rule, method, chunk_size, executor)
    return box_integral(f, plan, bounds)


def estimate(
    f: Callable[[Any], Any],
    domain: Any,
    rule: CubatureRule | QuadratureRule | None = None,
    *,
    chunk_size: int | None = None,
    executor: Executor | None = None,
) -> Estimate:
    """The integral of ``f`` over a box, with the rule's error estimate.

    The same computation as :func:`~symrules.quadrature.integration.integrate` over a box (and
    the same arguments), returning an :class:`Estimate`: ``QMC``'s is the standard error of
    its replicates' mean, ``MonteCarlo``'s the sample's standard error; a product rule has
    none (``error`` is ``None``). Not differentiable: ``integrate`` is.

    Examples
    --------
    >>> result = estimate(lambda x: np.cos(x).prod(axis=1), ((0, 1),) * 4, QMC(2**12, seed=3))
    >>> exact = np.sin(1.0) ** 4
    >>> bool(abs(result.value - exact) < 4 * result.error), result.points
    (True, 32768)
    """
    f, plan, bounds = _plan(f, domain, rule, "ad", chunk_size, executor)
    reduced = plan.reduce(f, tuple(float(strip(b)) for b in bounds))
    return Estimate(float(reduced.value), reduced.error, reduced.points)


@primitive
def box_integral(f: Any, plan: Plan, bounds: tuple[Any, ...]) -> Any:
    """The primitive behind the box form of ``integrate``; its rules are in ``box_adjoints``.

    Examples
    --------
    >>> plan = Plan(Product(), "ad", DEFAULT_CHUNK_SIZE, None)
    >>> float(box_integral(lambda x: x[:, 0] + x[:, 1], plan, (0.0, 1.0, 0.0, 1.0)))
    1.0
    """
    return float(plan.reduce(f, bounds).value)
