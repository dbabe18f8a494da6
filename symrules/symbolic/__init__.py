"""Symbolic rules: SymPy-derived partials generated into vectorized numpy rules.

The pipeline, one module a step, imported in this order:
:mod:`~symrules.symbolic.declaration` (the symbols and their checked, mangled names),
:mod:`~symrules.symbolic.parse` (a string read safely, never evaluated; SymPy input checked),
:mod:`~symrules.symbolic.derive`
(partials and their shared subexpressions), :mod:`~symrules.symbolic.printer` (one expression
to numpy source), :mod:`~symrules.symbolic.codegen` (the module of rules around it),
:mod:`~symrules.symbolic.loader` (compiled once, cached, shown in tracebacks), then
:mod:`~symrules.symbolic.integrand` (the :class:`Integrand` callable object, its registered
rules and :func:`symbolic_rule`) and :mod:`~symrules.symbolic.decorator` (:func:`integrand`).
Importing this package imports SymPy; ``import symrules`` alone does not.
"""

from .decorator import integrand
from .integrand import Integrand, symbolic_rule

__all__ = ["Integrand", "integrand", "symbolic_rule"]
