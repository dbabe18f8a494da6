"""Short rule names shared by the command line and the widget: ``"gauss-legendre:50"``.

This module owns :data:`RULES`, the table of rule names with their constructors and default
counts, its counterpart :data:`BOX_RULES` for boxes in d dimensions (products of 1-D rules,
quasi-Monte Carlo, Monte Carlo), and :func:`rule_from_spec`, which reads ``"NAME"`` or
``"NAME:COUNT"`` from either table.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import RuleSpecError, SymrulesError
from ..quadrature import (
    QMC,
    ClenshawCurtis,
    CubatureRule,
    GaussKronrod,
    GaussLegendre,
    MonteCarlo,
    Product,
    QuadratureRule,
    Simpson,
    TanhSinh,
    Trapezoid,
)

__all__ = ["BOX_RULES", "RULES", "RuleTable", "rule_from_spec"]

#: A table of short rule names: ``name -> (constructor, default count, what the count is)``.
RuleTable = dict[str, tuple[Callable[[int], QuadratureRule | CubatureRule], int, str]]

#: Short rule names: ``name -> (constructor, default count, what the count is)``.
RULES: RuleTable = {
    "gauss-legendre": (GaussLegendre, 20, "nodes"),
    "clenshaw-curtis": (ClenshawCurtis, 33, "nodes"),
    "simpson": (Simpson, 100, "subintervals"),
    "trapezoid": (Trapezoid, 100, "subintervals"),
    "tanh-sinh": (lambda n: TanhSinh(level=n), 5, "level"),
    "gauss-kronrod": (lambda n: GaussKronrod(order=n), 21, "order"),
}

#: Short names of the rules over a box; a product's count is per axis, and the (seeded)
#: quasi-Monte Carlo rules have 8 replicates of ``n`` points each.
BOX_RULES: RuleTable = {
    "product-gauss-legendre": (lambda n: Product(GaussLegendre(n)), 20, "nodes per axis"),
    "product-clenshaw-curtis": (lambda n: Product(ClenshawCurtis(n)), 17, "nodes per axis"),
    "product-simpson": (lambda n: Product(Simpson(n)), 20, "subintervals per axis"),
    "product-trapezoid": (lambda n: Product(Trapezoid(n)), 20, "subintervals per axis"),
    "qmc-sobol": (lambda n: QMC(n, seed=0), 2**12, "points per replicate"),
    "qmc-halton": (lambda n: QMC(n, sequence="halton", seed=0), 4000, "points per replicate"),
    "monte-carlo": (lambda n: MonteCarlo(n, seed=0), 10**5, "points"),
}


def rule_from_spec(spec: str, rules: RuleTable = RULES) -> QuadratureRule | CubatureRule:
    """The quadrature rule named by ``"NAME"`` or ``"NAME:COUNT"`` in ``rules``.

    Parameters
    ----------
    spec : str
        In :data:`RULES`: ``gauss-legendre[:N]``, ``clenshaw-curtis[:N]``, ``simpson[:N]``,
        ``trapezoid[:N]``, ``tanh-sinh[:LEVEL]`` or ``gauss-kronrod[:ORDER]`` (adaptive); in
        :data:`BOX_RULES`: ``product-gauss-legendre[:N]`` and the other products (``N`` per
        axis), ``qmc-sobol[:N]``, ``qmc-halton[:N]``, ``monte-carlo[:N]``.
    rules : dict
        The table to read from: :data:`RULES` (intervals) or :data:`BOX_RULES` (boxes).

    Returns
    -------
    QuadratureRule or CubatureRule

    Raises
    ------
    RuleSpecError
        An unknown name, a count that is not an integer, or one the rule rejects.

    Examples
    --------
    >>> rule_from_spec("gauss-legendre:50")
    GaussLegendre(n=50)
    >>> rule_from_spec("simpson").n
    100
    >>> rule_from_spec("product-gauss-legendre:8", BOX_RULES)
    Product(GaussLegendre(n=8))
    >>> rule_from_spec("monte-carlo:1000", BOX_RULES).n
    1000
    """
    name, _, count = spec.strip().lower().partition(":")
    if name not in rules:
        raise RuleSpecError(f"unknown rule {name!r}: choose {', '.join(rules)}")
    make, default, _ = rules[name]
    if not count:
        return make(default)
    try:
        n = int(count)
    except ValueError:
        raise RuleSpecError(f"rule {spec!r}: the count after ':' must be an integer") from None
    try:
        return make(n)
    except SymrulesError as err:
        raise RuleSpecError(f"rule {spec!r}: {err}") from None
