"""Symbolic rules: SymPy-derived partials generated into numpy rules and fused numba kernels.

The pipeline, one module a step, imported in this order:
:mod:`~symrules.symbolic.declaration` (the symbols and their checked, mangled names),
:mod:`~symrules.symbolic.functions` (the special functions an expression may call),
:mod:`~symrules.symbolic.parse` (a string read safely, never evaluated; SymPy input checked),
:mod:`~symrules.symbolic.derive`
(partials and their shared subexpressions), :mod:`~symrules.symbolic.printer` (one expression
to numpy source), :mod:`~symrules.symbolic.codegen` (the module of rules around it),
:mod:`~symrules.symbolic.kernels` (the fused numba kernel, from the same derivation),
:mod:`~symrules.symbolic.store` (the sealed files of the disk cache),
:mod:`~symrules.symbolic.compiled` (a kernel compiled once, by numba, on first use),
:mod:`~symrules.symbolic.loader` (compiled once, cached, shown in tracebacks), then
:mod:`~symrules.symbolic.integrand` (the :class:`Integrand` callable object, in one variable or
several; :mod:`~symrules.symbolic.integrand_rules` registers its rules,
:mod:`~symrules.symbolic.arguments` checks the parameters
and points its code is called with, :mod:`~symrules.symbolic.breakpoints` finds where its
pieces meet and
:mod:`~symrules.symbolic.display` shows it), :mod:`~symrules.symbolic.pullback`
(:func:`symbolic_rule`, the generated pullback alone), :mod:`~symrules.symbolic.lifting` (a
plain numpy integrand lifted to SymPy, ``Integrand.from_function``),
:mod:`~symrules.symbolic.export` (an Integrand's rules printed for JAX and PyTorch) and
:mod:`~symrules.symbolic.decorator`
(:func:`integrand`, and the :class:`~symrules.symbolic.decorator.IntegrandFamily` of a function
whose parameters have no values yet).
Importing this package imports SymPy; ``import symrules`` alone does not.
"""

from . import integrand_rules as _integrand_rules  # noqa: F401  (registers the rules)
from .decorator import integrand
from .integrand import Integrand
from .pullback import symbolic_rule

__all__ = ["Integrand", "integrand", "symbolic_rule"]
