"""Quadrature: rules as objects, variable transforms, adaptive subdivision, ``integrate``.

:mod:`~symrules.quadrature.transforms` maps [0, 1] onto any interval;
:mod:`~symrules.quadrature.rules` says what a rule is (and composes one on panels),
:mod:`~symrules.quadrature.interpolatory` and :mod:`~symrules.quadrature.tanh_sinh` hold the
fixed rules and :mod:`~symrules.quadrature.adaptive` the adaptive Gauss-Kronrod rule;
:mod:`~symrules.quadrature.integration` is the differentiable :func:`integrate`, and
:mod:`~symrules.quadrature.adjoints` registers its reverse and forward rules.
"""

from . import adjoints as _adjoints  # noqa: F401  (registers integrate's rules)
from .adaptive import GaussKronrod
from .integration import DEFAULT_RULE, METHODS, integrate
from .interpolatory import ClenshawCurtis, GaussLegendre, Simpson, Trapezoid
from .rules import Composite, QuadratureRule
from .tanh_sinh import TanhSinh
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
