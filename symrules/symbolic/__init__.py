"""Symbolic rules: SymPy-derived partials generated into vectorized numpy rules.

Derivation, code generation, the callable object, imported in this order:
:mod:`~symrules.symbolic.derive` (safe parsing, partials, shared subexpressions);
:mod:`~symrules.symbolic.printer`, :mod:`~symrules.symbolic.codegen` and
:mod:`~symrules.symbolic.loader` (one expression to numpy source, the module of rules, compiled
once and cached); and :mod:`~symrules.symbolic.integrand` (the :class:`Integrand` callable
object, its registered rules, the :func:`integrand` decorator and :func:`symbolic_rule`).
Importing this package imports SymPy; ``import symrules`` alone does not.
"""

from .derive import (
    ComplexExpressionError,
    ExpressionSyntaxError,
    ExpressionTooLargeError,
    NoNumpyPrinterError,
    ParameterNameError,
    SymbolicError,
    UndeclaredSymbolError,
)
from .integrand import Integrand, ParameterValueError, integrand, symbolic_rule

__all__ = [
    "ComplexExpressionError",
    "ExpressionSyntaxError",
    "ExpressionTooLargeError",
    "Integrand",
    "NoNumpyPrinterError",
    "ParameterNameError",
    "ParameterValueError",
    "SymbolicError",
    "UndeclaredSymbolError",
    "integrand",
    "symbolic_rule",
]
