"""symrules: reverse-mode rules with ``f_bar`` for quadrature functionals, over plain numpy.

The table of contents: everything public is re-exported here. The package is layered, and
imports point down only::

    explore      compare, comparison, rule_specs, widgets + plots, cli    what users touch
    quadrature   transforms, rules, interpolatory, tanh_sinh, adaptive, integration + adjoints,
                 sums, cotangents; boxes + box_adjoints, cubature, chunks (several dimensions)
    symbolic     declaration, parse -> derive -> printer -> codegen -> loader -> integrand,
                 decorator, lifting + lifted, export
    checking     stencils, finite_differences, testing         (quadrature's "fd" uses it)
    engine       tangents, fields, needs, registry, table, numpy_table, primitives, tracing,
                 recording, sweep, reverse, forward, broadcasting, staging + jit
    errors       every error class, by layer

``symrules.finite_differences``, ``symrules.testing`` and ``symrules.widgets`` are the public
paths of their modules. SymPy is imported only when a symbolic feature (:class:`Integrand`,
:func:`integrand`, :func:`symbolic_rule`) is first used; ipywidgets and matplotlib only by
``symrules.widgets``.
"""

from __future__ import annotations

from . import finite_differences, testing
from .engine import (
    Needs,
    NoTangent,
    SkippedTangent,
    Tangent,
    ZeroTangent,
    fields,
    frule,
    grad,
    hessian,
    jacobian,
    jit,
    jvp,
    non_differentiable,
    primitive,
    register_frule,
    register_rrule,
    rrule,
    rrule_via_ad,
    value_and_grad,
    vjp,
    with_fields,
)
from .errors import (
    BreakpointWarning,
    ComplexExpressionError,
    ConvergenceError,
    ConvergenceWarning,
    ExpressionSyntaxError,
    ExpressionTooLargeError,
    FieldsError,
    FiniteDifferenceError,
    InputError,
    KernelError,
    LiftingError,
    MethodError,
    MissingCotangentError,
    MovingDiscontinuityError,
    NonFiniteValueError,
    NoNumpyPrinterError,
    ParameterNameError,
    ParameterValueError,
    QuadratureError,
    QuadratureInputError,
    RuleCheckError,
    RuleError,
    RuleSpecError,
    SymbolicError,
    SymrulesError,
    TracingError,
    UndeclaredSymbolError,
    UnsupportedFunctionError,
    UnusedParameterWarning,
)
from .explore.compare import compare
from .explore.comparison import Comparison
from .quadrature import (
    QMC,
    ClenshawCurtis,
    Composite,
    GaussKronrod,
    GaussLegendre,
    MonteCarlo,
    Product,
    Simpson,
    TanhSinh,
    Trapezoid,
    estimate,
    integrate,
)

__all__ = [
    "ClenshawCurtis",
    "Comparison",
    "BreakpointWarning",
    "ComplexExpressionError",
    "Composite",
    "ConvergenceError",
    "ConvergenceWarning",
    "ExpressionSyntaxError",
    "ExpressionTooLargeError",
    "FieldsError",
    "FiniteDifferenceError",
    "GaussKronrod",
    "GaussLegendre",
    "InputError",
    "Integrand",
    "KernelError",
    "LiftingError",
    "MethodError",
    "MissingCotangentError",
    "MonteCarlo",
    "MovingDiscontinuityError",
    "Needs",
    "NoNumpyPrinterError",
    "NoTangent",
    "NonFiniteValueError",
    "ParameterNameError",
    "ParameterValueError",
    "Product",
    "QMC",
    "QuadratureError",
    "QuadratureInputError",
    "RuleCheckError",
    "RuleError",
    "RuleSpecError",
    "Simpson",
    "SkippedTangent",
    "SymbolicError",
    "SymrulesError",
    "Tangent",
    "TanhSinh",
    "TracingError",
    "Trapezoid",
    "UndeclaredSymbolError",
    "UnsupportedFunctionError",
    "UnusedParameterWarning",
    "ZeroTangent",
    "compare",
    "estimate",
    "fields",
    "finite_differences",
    "frule",
    "grad",
    "hessian",
    "integrand",
    "integrate",
    "jacobian",
    "jit",
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
