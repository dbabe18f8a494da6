"""Quadrature: rules as objects, variable transforms, adaptive subdivision, ``integrate``.

:mod:`~symrules.quadrature.transforms` maps [0, 1] onto any interval;
:mod:`~symrules.quadrature.rules` holds the fixed rules and
:mod:`~symrules.quadrature.adaptive` the adaptive Gauss-Kronrod rule;
:mod:`~symrules.quadrature.integration` is the differentiable :func:`integrate`, and
:mod:`~symrules.quadrature.adjoints` registers its reverse and forward rules.
"""

from . import adjoints as _adjoints  # noqa: F401  (registers integrate's rules)
from .adaptive import GaussKronrod
from .integration import DEFAULT_RULE, METHODS, integrate
from .rules import (
    ClenshawCurtis,
    Composite,
    GaussLegendre,
    QuadratureRule,
    Simpson,
    TanhSinh,
    Trapezoid,
)
from .transforms import Transform, transform

__all__ = [
    "DEFAULT_RULE",
    "METHODS",
    "ClenshawCurtis",
    "Composite",
    "GaussKronrod",
    "GaussLegendre",
    "QuadratureRule",
    "Simpson",
    "TanhSinh",
    "Transform",
    "Trapezoid",
    "integrate",
    "transform",
]
