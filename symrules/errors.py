"""Every error and warning symrules raises, in one place, grouped by the layer that raises it.

Every error a user can provoke is a subclass of :class:`SymrulesError`, and its message names
the thing at fault in the user's terms: the argument, the field, the rule, the numpy
function, the symbol or the node. Catch :class:`SymrulesError` for all of them, or a subclass
for one kind. The subclasses also derive from the built-in exception a Python user would try
(``ValueError`` for a bad value, ``TypeError`` for a bad type, ``AssertionError`` for a
failed check), so existing ``except`` clauses keep working.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BreakpointWarning",
    "ComplexExpressionError",
    "ConvergenceError",
    "ConvergenceWarning",
    "ExpressionSyntaxError",
    "ExpressionTooLargeError",
    "FieldsError",
    "FiniteDifferenceError",
    "InputError",
    "KernelError",
    "LiftingError",
    "MethodError",
    "MissingCotangentError",
    "MovingDiscontinuityError",
    "NoNumpyPrinterError",
    "NonFiniteValueError",
    "ParameterNameError",
    "ParameterValueError",
    "QuadratureError",
    "QuadratureInputError",
    "RuleCheckError",
    "RuleError",
    "RuleSpecError",
    "SymbolicError",
    "SymrulesError",
    "TracingError",
    "UndeclaredSymbolError",
    "UnsupportedFunctionError",
    "UnusedParameterWarning",
]


class SymrulesError(Exception):
    """Base class of every error symrules raises on bad input.

    Examples
    --------
    >>> import symrules
    >>> issubclass(symrules.RuleError, symrules.SymrulesError)
    True
    """


# ---------------------------------------------------------------------------------------
# the engine: differentiation, fields, rules


class FieldsError(SymrulesError, TypeError):
    """A callable has no fields to differentiate, or a field cannot be rebuilt."""


class InputError(SymrulesError, ValueError):
    """An input to a differentiation function is not differentiable as given.

    Raised for integer or complex inputs, a non-scalar output given to
    :func:`symrules.grad`, an output cotangent that does not match the output, or an
    ``argnums`` that does not name an argument.
    """


class RuleError(SymrulesError, ValueError):
    """A rule returned something malformed: the wrong number of cotangents, or a wrong shape.

    The message names the rule and the position of the offending cotangent.
    """


class MissingCotangentError(RuleError):
    """A rule returned no cotangent for a traced input or field.

    This is the classic silent-zero-gradient bug: a rule for a closure or a callable object
    ignores the values the object holds. symrules refuses to return a gradient then.
    """


class UnsupportedFunctionError(SymrulesError, TypeError):
    """A numpy function, argument or keyword with no rule was called on a traced value."""


class TracingError(SymrulesError, TypeError):
    """A traced value was used in a way that would silently lose its derivative.

    For example ``float(x)`` or ``np.asarray(x)`` on a traced ``x``, or a complex value
    reaching a trace.
    """


# ---------------------------------------------------------------------------------------
# symbolic integrands


class SymbolicError(SymrulesError, ValueError):
    """An expression cannot become a generated rule; the message names the culprit."""


class ExpressionSyntaxError(SymbolicError):
    """A string is empty, not an expression, or uses syntax outside the safe whitelist."""


class UndeclaredSymbolError(SymbolicError):
    """An expression uses a symbol that is neither the variable nor a parameter."""


class ParameterNameError(SymbolicError, InputError):
    """A variable or parameter name is unusable: not a string, not an identifier, a keyword, a
    function's name, or equal to another name (also after Unicode NFKC normalization)."""


class ParameterValueError(SymbolicError):
    """A parameter has no value, or a value that is not a real scalar or 1-D array."""


class ComplexExpressionError(SymbolicError):
    """An expression is complex-valued (contains ``I``) or not finite (``zoo``, ``nan``)."""


class ExpressionTooLargeError(SymbolicError):
    """An expression is too long, has too many operations, or is nested too deeply."""


class NoNumpyPrinterError(SymbolicError):
    """An expression calls a function that has no vectorized numpy translation."""


class LiftingError(SymbolicError):
    """A plain numpy integrand cannot be lifted to SymPy (``Integrand.from_function``): it
    calls numpy in a way with no SymPy expression per node (a sum over the nodes, a sort,
    indexing across them, a Python ``if`` on a lifted value); the message names the call.

    Examples
    --------
    >>> import numpy as np
    >>> import symrules as sr
    >>> try:
    ...     sr.Integrand.from_function(lambda x: np.cumsum(np.exp(x)))
    ... except LiftingError as err:
    ...     print(str(err).split(" (")[0])
    numpy.cumsum has no SymPy counterpart per node
    """


class KernelError(SymrulesError, RuntimeError):
    """numba could not compile an expression's fused kernel; the message names the file.

    An Integrand whose kernel fails falls back to its numpy rules with a warning; the error
    reaches a user who calls the kernel directly.
    """


# ---------------------------------------------------------------------------------------
# quadrature


class QuadratureError(SymrulesError):
    """Base class of the errors raised by quadrature rules and :func:`symrules.integrate`.

    Examples
    --------
    >>> issubclass(ConvergenceError, QuadratureError), issubclass(QuadratureError, SymrulesError)
    (True, True)
    """


class QuadratureInputError(QuadratureError, ValueError):
    """A rule parameter, a bound or an integrand value is unusable; the message names it.

    Examples
    --------
    >>> import symrules as sr
    >>> try:
    ...     sr.Simpson(3)
    ... except QuadratureInputError as err:
    ...     print(err)
    Simpson(n=3): n must be an even number of subintervals, got 3
    """


class NonFiniteValueError(QuadratureInputError, ArithmeticError):
    """The integrand, or a partial of it, is NaN or infinite at a node; the message names the
    node and, if one is, the non-finite field that caused it.

    It is also an ``ArithmeticError``, as numpy's ``FloatingPointError`` is: a finite difference
    whose trial step leaves the integrand's domain treats it as a step too large.

    Examples
    --------
    >>> import numpy as np, symrules as sr
    >>> try:
    ...     sr.integrate(lambda x: np.where(x == 0, np.inf, x), (0, 1), sr.Trapezoid(4))
    ... except NonFiniteValueError as err:
    ...     print(str(err).split(";")[0])
    f returned inf at node x=0.0
    """


class MethodError(QuadratureInputError):
    """``method`` cannot compute ``f_bar`` for this integrand or this order of derivative.

    Examples
    --------
    >>> import symrules as sr
    >>> import numpy as np
    >>> try:  # a running sum over the nodes has no SymPy expression per node
    ...     sr.integrate(lambda x: np.cumsum(x), (0, 1), method="symbolic")
    ... except MethodError as err:
    ...     print(str(err).split(";")[0])
    method='symbolic' needs an Integrand, or a plain numpy integrand that lifts to SymPy
    """


class MovingDiscontinuityError(QuadratureInputError):
    """The integrand, differentiated by the engine (``method="ad"``), compares its nodes with a
    traced value inside a panel: a jump (or kink) that moves with a parameter, whose Leibniz
    term no tape over fixed nodes can see. The message names the numpy function and the traced
    field, and shows the fix: declare the breakpoint, or use an ``Integrand``.

    Examples
    --------
    >>> import numpy as np, symrules as sr
    >>> def area(s):
    ...     return sr.integrate(lambda x: np.where(x < s, 1.0, 0.0), (0.0, 1.0), method="ad")
    >>> try:
    ...     sr.grad(area)(0.4)
    ... except MovingDiscontinuityError as err:
    ...     print(str(err).split(":")[0])
    numpy.less compares the nodes x with the traced field f.s
    >>> float(sr.grad(lambda s: sr.integrate(lambda x: np.where(x < s, 1.0, 0.0), (0.0, s, 1.0),
    ...                                      method="ad"))(0.4))
    1.0
    """


class ConvergenceError(QuadratureError, RuntimeError):
    """An adaptive rule stopped before meeting its tolerance.

    Attributes ``value`` and ``error`` hold the estimate reached and its error estimate;
    ``panel`` is the ``(a, b)`` interval with the largest error estimate, where refinement
    failed. Never a silent number: the message states all three.

    Examples
    --------
    >>> err = ConvergenceError("no luck", value=1.0, error=0.1, panel=(0.0, 0.5))
    >>> err.error, err.panel
    (0.1, (0.0, 0.5))
    """

    def __init__(
        self, message: str, *, value: Any, error: float, panel: tuple[float, float]
    ) -> None:
        super().__init__(message)
        self.value = value
        self.error = error
        self.panel = panel


class ConvergenceWarning(RuntimeWarning):
    """Issued instead of :class:`ConvergenceError` when a rule has ``on_failure="warn"``.

    Examples
    --------
    >>> issubclass(ConvergenceWarning, RuntimeWarning)
    True
    """


# ---------------------------------------------------------------------------------------
# checking: finite differences and rule tests


class BreakpointWarning(RuntimeWarning):
    """Where an Integrand's pieces meet has no closed form: declare those points yourself.

    Issued by :func:`symrules.integrate` (through ``Integrand.breakpoints_in``), naming the
    condition SymPy could not solve for the variable; the domain is then split only at the
    points you declare, ``integrate(f, (a, c1, ..., b))``.

    Examples
    --------
    >>> import warnings
    >>> import symrules as sr
    >>> f = sr.Integrand("Piecewise((1.0, x < c*cos(x)), (0.0, True))", c=0.5)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = f.breakpoints_in(0.0, 1.0)
    >>> [w.category.__name__ for w in caught]
    ['BreakpointWarning']
    """


class FiniteDifferenceError(SymrulesError, ValueError):
    """A finite-difference method or its input is unusable.

    Too few points for the derivative order, a non-float input, a stencil that leaves the
    function's domain; the message names the offending value or field.

    Examples
    --------
    >>> from symrules.finite_differences import central_fdm
    >>> try:
    ...     central_fdm(3, deriv=3)
    ... except FiniteDifferenceError as err:
    ...     print(err)
    a 3-point stencil cannot give derivative order 3: it needs at least 4 points
    """


class RuleCheckError(SymrulesError, AssertionError):
    """A rule disagrees with finite differences; the message names the argument or field.

    An ``AssertionError`` too, so pytest reports it as a failed check.

    Examples
    --------
    >>> issubclass(RuleCheckError, AssertionError), issubclass(RuleCheckError, SymrulesError)
    (True, True)
    """


# ---------------------------------------------------------------------------------------
# exploring: comparisons, the widget, the command line


class RuleSpecError(SymrulesError, ValueError):
    """A rule name such as ``"gauss-legendre:50"`` names no rule or carries a bad count.

    Examples
    --------
    >>> from symrules.explore.rule_specs import rule_from_spec
    >>> try:
    ...     rule_from_spec("gauss:5")
    ... except RuleSpecError as err:
    ...     print(str(err)[:43])
    unknown rule 'gauss': choose gauss-legendre
    """


class UnusedParameterWarning(UserWarning):
    """A parameter given a value (``symrules compare --param d=2``) that the expression does
    not use: its derivative would be a column of zeros, so the warning names it.

    Examples
    --------
    >>> import warnings
    >>> from symrules.explore.cli import main
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = main(["compare", "a*x", "--param", "a=1", "--param", "d=2", "--domain", "0", "1",
    ...               "--methods", "ad", "--repeat", "0", "--json"])  # doctest: +ELLIPSIS
    {...}
    >>> [str(w.message).split(":")[0] for w in caught]
    ['--param d=2']
    """
