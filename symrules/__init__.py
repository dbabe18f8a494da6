"""symrules: reverse-mode rules with ``f_bar`` for quadrature functionals, over plain numpy.

The table of contents: everything public is re-exported here. SymPy is imported only when a
symbolic feature (:class:`Integrand`, :func:`integrand`, :func:`symbolic_rule`) is first used.
"""

from __future__ import annotations

from . import finite_differences, testing
from . import numpy_rules as _numpy_rules  # noqa: F401  (registers the numpy table)
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
from .reverse import grad, hessian, jacobian, rrule_via_ad, value_and_grad, vjp
from .rules import frule, register_frule, register_rrule, rrule
from .tangents import NoTangent, Tangent, ZeroTangent
from .tracing import non_differentiable, primitive

__all__ = [
    "FieldsError",
    "InputError",
    "MissingCotangentError",
    "NoTangent",
    "RuleError",
    "SymrulesError",
    "Tangent",
    "TracingError",
    "UnsupportedFunctionError",
    "ZeroTangent",
    "fields",
    "finite_differences",
    "frule",
    "grad",
    "hessian",
    "jacobian",
    "jvp",
    "non_differentiable",
    "primitive",
    "register_frule",
    "register_rrule",
    "rrule",
    "rrule_via_ad",
    "testing",
    "value_and_grad",
    "vjp",
    "with_fields",
]

__version__ = "0.1.0"
