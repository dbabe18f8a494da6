"""symrules: reverse-mode rules with ``f_bar`` for quadrature functionals, over plain numpy.

The table of contents: everything public is re-exported here. SymPy is imported only when a
symbolic feature (:class:`Integrand`, :func:`integrand`, :func:`symbolic_rule`) is first used.
"""

from __future__ import annotations

from . import finite_differences, testing
from . import numpy_rules as _numpy_rules  # noqa: F401  (registers the numpy table)
from .adaptive import GaussKronrod
from .compare import Comparison, compare
from .errors import (
    FieldsError,
    InputError,
    MissingCotangentError,
    RuleError,
    SymrulesError,
    TracingError,
    UnsupportedFunctionError,
)
from .fields import fields, with_fields
from .forward import jvp
from .primitives import non_differentiable, primitive
from .quadrature import MethodError, integrate
from .quadrature_rules import (
    ClenshawCurtis,
    Composite,
    ConvergenceError,
    ConvergenceWarning,
    GaussLegendre,
    QuadratureError,
    QuadratureInputError,
    Simpson,
    TanhSinh,
    Trapezoid,
)
from .reverse import grad, hessian, jacobian, rrule_via_ad, value_and_grad, vjp
from .rules import frule, register_frule, register_rrule, rrule
from .tangents import NoTangent, Tangent, ZeroTangent

__all__ = [
    "ClenshawCurtis",
    "Comparison",
    "Composite",
    "ConvergenceError",
    "ConvergenceWarning",
    "FieldsError",
    "GaussKronrod",
    "GaussLegendre",
    "Integrand",
    "InputError",
    "MethodError",
    "MissingCotangentError",
    "NoTangent",
    "QuadratureError",
    "QuadratureInputError",
    "RuleError",
    "Simpson",
    "SymrulesError",
    "Tangent",
    "TanhSinh",
    "TracingError",
    "Trapezoid",
    "UnsupportedFunctionError",
    "ZeroTangent",
    "compare",
    "fields",
    "finite_differences",
    "frule",
    "grad",
    "hessian",
    "integrate",
    "integrand",
    "jacobian",
    "jvp",
    "non_differentiable",
    "primitive",
    "register_frule",
    "register_rrule",
    "rrule",
    "rrule_via_ad",
    "symbolic_rule",
    "testing",
    "value_and_grad",
    "vjp",
    "with_fields",
]

__version__ = "0.1.0"

_SYMBOLIC = ("Integrand", "integrand", "symbolic_rule")


def __getattr__(name: str) -> object:
    # SymPy is imported when a symbolic feature is first used, not by `import symrules`.
    if name in _SYMBOLIC:
        from . import symbolic

        return getattr(symbolic, name)
    raise AttributeError(f"module 'symrules' has no attribute {name!r}")
