"""Quadrature: rules as objects, variable transforms, adaptive subdivision, ``integrate``.

:mod:`~symrules.quadrature.transforms` maps [0, 1] onto any interval;
:mod:`~symrules.quadrature.rules` says what a rule is (and composes one on panels),
:mod:`~symrules.quadrature.interpolatory` and :mod:`~symrules.quadrature.tanh_sinh` hold the
fixed rules and :mod:`~symrules.quadrature.adaptive` the adaptive Gauss-Kronrod rule;
:mod:`~symrules.quadrature.integration` is the differentiable :func:`integrate`, and
:mod:`~symrules.quadrature.adjoints` registers its reverse and forward rules
(:mod:`~symrules.quadrature.sums` checks the weighted sum, and
:mod:`~symrules.quadrature.cotangents` computes ``f_bar`` by each method). Over a box in d
dimensions, :mod:`~symrules.quadrature.boxes` is ``integrate``'s box form and :func:`estimate`,
:mod:`~symrules.quadrature.box_adjoints` its rules, :mod:`~symrules.quadrature.cubature` the
rules ``Product``, ``QMC`` and ``MonteCarlo``, made in chunks that
:mod:`~symrules.quadrature.chunks` evaluates on any executor.
"""

from . import adjoints as _adjoints  # noqa: F401  (registers integrate's rules)
from . import box_adjoints as _box_adjoints  # noqa: F401  (and those over a box)
from .adaptive import GaussKronrod
from .boxes import Estimate, estimate
from .cubature import QMC, CubatureRule, MonteCarlo, Product
from .integration import DEFAULT_RULE, METHODS, integrate
from .interpolatory import ClenshawCurtis, GaussLegendre, Simpson, Trapezoid
from .rules import Composite, QuadratureRule
from .tanh_sinh import TanhSinh
from .transforms import Transform, transform

__all__ = [
    "DEFAULT_RULE",
    "METHODS",
    "QMC",
    "ClenshawCurtis",
    "Composite",
    "CubatureRule",
    "Estimate",
    "GaussKronrod",
    "GaussLegendre",
    "MonteCarlo",
    "Product",
    "QuadratureRule",
    "Simpson",
    "TanhSinh",
    "Transform",
    "Trapezoid",
    "estimate",
    "integrate",
    "transform",
]
