"""What a quadrature rule is: reference nodes on [0, 1], mapped onto any interval; Composite.

This module owns :class:`QuadratureRule`, the base of every rule: ``rule.nodes_weights(a, b)``
returns float64 nodes ``x`` and weights ``w`` such that ``np.sum(w * f(x))`` approximates the
integral of ``f`` from ``a`` to ``b``, and the size limits every rule checks before allocating
(:data:`MAX_NODES`, :data:`MAX_GAUSS_NODES`). :class:`Composite` applies any rule on panels.
The rules themselves live in :mod:`~symrules.quadrature.interpolatory` (trapezoid, Simpson,
Gauss-Legendre, Clenshaw-Curtis), :mod:`~symrules.quadrature.tanh_sinh` and
:mod:`~symrules.quadrature.adaptive` (Gauss-Kronrod).

How it works: every rule stores its nodes ``t`` on the reference interval [0, 1], their
complements ``1 - t`` (computed accurately, which matters for tanh-sinh nodes crowding the
ends) and weights summing to one; :func:`~symrules.quadrature.transforms.transform` maps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import numpy as np

from ..errors import QuadratureInputError
from .transforms import transform

__all__ = [
    "MAX_GAUSS_NODES",
    "MAX_NODES",
    "Composite",
    "QuadratureRule",
    "Reference",
    "check_count",
    "frozen_reference",
]

Reference = tuple[np.ndarray, np.ndarray, np.ndarray]

#: The most nodes a rule may hold: ten million, 80 MB per float64 array (a rule keeps three,
#: and an integrand's values and cotangents as many again). Larger node sets belong to
#: chunked evaluation, not to one array.
MAX_NODES = 10_000_000
#: The most Gauss-Legendre nodes: scipy's ``roots_legendre`` needs O(n) memory but O(n^2)
#: time (1.6 s at 10,000 here); more nodes than this gain nothing in float64 over a
#: ``Composite(GaussLegendre(k), panels=m)``, which is fast and as accurate.
MAX_GAUSS_NODES = 10_000


class QuadratureRule:
    """Base class of the fixed rules: reference nodes on [0, 1], mapped by ``nodes_weights``.

    Examples
    --------
    >>> from symrules import GaussLegendre
    >>> isinstance(GaussLegendre(3), QuadratureRule)
    True
    """

    # A rule is configuration, never differentiated: the engine finds no fields to walk.
    def __symrules_fields__(self) -> dict[str, Any]:
        return {}

    def __symrules_replace__(self, new_fields: dict[str, Any]) -> QuadratureRule:
        return self

    def _reference(self) -> Reference:
        raise NotImplementedError

    def _drops_end_nodes(self) -> bool:
        return False

    @property
    def degree(self) -> int | None:
        """Highest polynomial degree integrated exactly (``None`` where not meaningful)."""
        return None

    @property
    def num_nodes(self) -> int:
        """Number of reference nodes (tanh-sinh drops those that round onto an end)."""
        return len(self._reference()[0])

    @property
    def max_nodes(self) -> int:
        """The number of nodes the rule computes before dropping any: what it allocates."""
        raise NotImplementedError

    def _check_size(self, where: str) -> None:
        """Refuse a rule larger than :data:`MAX_NODES` before anything is allocated."""
        if self.max_nodes > MAX_NODES:
            raise QuadratureInputError(
                f"{where} would have {self.max_nodes:.3g} nodes, more than "
                f"symrules.quadrature.rules.MAX_NODES = {MAX_NODES:.0e}: use fewer nodes, "
                "or an adaptive rule"
            )

    def nodes_weights(self, a: Any, b: Any) -> tuple[Any, Any]:
        """Nodes ``x`` and weights ``w`` with ``sum(w * f(x))`` approximating the integral.

        Parameters
        ----------
        a, b : float or traced scalar
            Bounds, possibly infinite (see :func:`transform`); ``a > b`` flips the sign of
            the weights. Traced bounds enter by arithmetic only (``a + (b - a) * t``).

        Returns
        -------
        x, w : numpy.ndarray
            float64 arrays of equal length (traced arrays if a bound is traced).

        Examples
        --------
        >>> from symrules import GaussLegendre
        >>> x, w = GaussLegendre(3).nodes_weights(0, 1)
        >>> bool(np.isclose(w.sum(), 1.0)), bool(np.isclose(w @ x**5, 1 / 6))
        (True, True)
        """
        t, tc, w = self._reference()
        return transform(a, b).map_reference(t, tc, w, self._drops_end_nodes())


def check_count(rule: str, name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise QuadratureInputError(f"{rule}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise QuadratureInputError(f"{rule}: {name} must be at least {minimum}, got {value}")


def frozen_reference(t: np.ndarray, tc: np.ndarray, w: np.ndarray) -> Reference:
    for array in (t, tc, w):
        array.setflags(write=False)
    return t, tc, w


@lru_cache(maxsize=64)
def _composite_reference(rule: QuadratureRule, panels: int | tuple[float, ...]) -> Reference:
    breaks = np.linspace(0.0, 1.0, panels + 1) if isinstance(panels, int) else np.array(panels)
    t0, t1 = breaks[:-1, None], breaks[1:, None]
    r, rc, w = rule._reference()
    t = (t0 + (t1 - t0) * r).ravel()
    tc = ((1.0 - t1) + (t1 - t0) * rc).ravel()
    return frozen_reference(t, tc, ((t1 - t0) * w).ravel())


@dataclass(frozen=True)
class Composite(QuadratureRule):
    """``rule`` applied on each of several panels that together make up the interval.

    ``panels`` is a number of equal panels, or the breakpoints ``(0.0, ..., 1.0)`` as
    fractions of the reference interval (for an infinite domain: of the transformed variable
    ``t``, see :func:`transform`). Adjacent closed panels each keep their end node. The degree
    is the inner rule's.

    Examples
    --------
    >>> from symrules import GaussLegendre
    >>> rule = Composite(GaussLegendre(2), panels=3)
    >>> x, w = rule.nodes_weights(0, 3)
    >>> len(x), rule.degree, bool(np.isclose(w @ x**3, 81 / 4))
    (6, 3, True)
    """

    rule: QuadratureRule
    panels: int | tuple[float, ...] = 2

    def __post_init__(self) -> None:
        where = f"Composite(panels={self.panels!r})"
        if not isinstance(self.rule, QuadratureRule):
            raise QuadratureInputError(f"{where}: rule must be a QuadratureRule, got {self.rule!r}")
        if isinstance(self.panels, (int, np.integer)) and not isinstance(self.panels, bool):
            check_count(where, "panels", self.panels, 1)
            object.__setattr__(self, "panels", int(self.panels))
            self._check_size(where)
            return
        try:  # anything else must be breakpoints
            breaks = tuple(float(p) for p in cast("Iterable[Any]", self.panels))
        except (TypeError, ValueError):
            breaks = ()
        if len(breaks) < 2 or breaks[0] != 0.0 or breaks[-1] != 1.0 or np.any(np.diff(breaks) <= 0):
            raise QuadratureInputError(
                f"{where}: panels must be a count or increasing breakpoints from 0.0 to 1.0"
            )
        object.__setattr__(self, "panels", breaks)
        self._check_size(where)

    @property
    def degree(self) -> int | None:
        """The inner rule's degree."""
        return self.rule.degree

    def _drops_end_nodes(self) -> bool:
        return self.rule._drops_end_nodes()

    @property
    def max_nodes(self) -> int:
        """The inner rule's nodes times the number of panels."""
        panels = self.panels if isinstance(self.panels, int) else len(self.panels) - 1
        return panels * self.rule.max_nodes

    def _reference(self) -> Reference:
        return _composite_reference(self.rule, self.panels)
