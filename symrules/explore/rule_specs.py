"""Short rule names shared by the command line and the widget: ``"gauss-legendre:50"``.

This module owns :data:`RULES`, the table of rule names with their constructors and default
counts, and :func:`rule_from_spec`, which reads ``"NAME"`` or ``"NAME:COUNT"``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import RuleSpecError, SymrulesError
from ..quadrature import (
    ClenshawCurtis,
    GaussKronrod,
    GaussLegendre,
    QuadratureRule,
    Simpson,
    TanhSinh,
    Trapezoid,
)

__all__ = ["RULES", "rule_from_spec"]

#: Short rule names: ``name -> (constructor, default count, what the count is)``.
RULES: dict[str, tuple[Callable[[int], QuadratureRule], int, str]] = {
    "gauss-legendre": (GaussLegendre, 20, "nodes"),
    "clenshaw-curtis": (ClenshawCurtis, 33, "nodes"),
    "simpson": (Simpson, 100, "subintervals"),
    "trapezoid": (Trapezoid, 100, "subintervals"),
    "tanh-sinh": (lambda n: TanhSinh(level=n), 5, "level"),
    "gauss-kronrod": (lambda n: GaussKronrod(order=n), 21, "order"),
}


def rule_from_spec(spec: str) -> QuadratureRule:
    """The quadrature rule named by ``"NAME"`` or ``"NAME:COUNT"`` (see :data:`RULES`).

    Parameters
    ----------
    spec : str
        ``gauss-legendre[:N]``, ``clenshaw-curtis[:N]``, ``simpson[:N]``, ``trapezoid[:N]``,
        ``tanh-sinh[:LEVEL]`` or ``gauss-kronrod[:ORDER]`` (adaptive).

    Returns
    -------
    QuadratureRule

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
    """
    name, _, count = spec.strip().lower().partition(":")
    if name not in RULES:
        raise RuleSpecError(f"unknown rule {name!r}: choose {', '.join(RULES)}")
    make, default, _ = RULES[name]
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
