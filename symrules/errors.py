"""Errors raised by symrules.

Every error a user can provoke is a subclass of :class:`SymrulesError`, and its message names
the thing at fault in the user's terms: the argument, the field, the rule, the numpy
function, the symbol or the node.
"""

from __future__ import annotations

__all__ = [
    "SymrulesError",
    "FieldsError",
    "InputError",
    "RuleError",
    "MissingCotangentError",
    "UnsupportedFunctionError",
    "TracingError",
]


class SymrulesError(Exception):
    """Base class of every error symrules raises on bad input.

    Examples
    --------
    >>> import symrules
    >>> issubclass(symrules.RuleError, symrules.SymrulesError)
    True
    """


class FieldsError(SymrulesError, TypeError):
    """A callable has no fields to differentiate, or a field cannot be rebuilt."""


class InputError(SymrulesError, ValueError):
    """An input to a differentiation function is not differentiable as given.

    Raised for integer inputs, a non-scalar output given to :func:`symrules.grad`, or an
    ``argnums`` that does not name an argument.
    """


class RuleError(SymrulesError, ValueError):
    """A rule returned something malformed: the wrong number of cotangents, or a wrong shape.

    The message names the rule and the position of the offending cotangent.
    """


class MissingCotangentError(RuleError):
    """A rule returned no cotangent (``NoTangent``/``ZeroTangent``) for a traced field.

    This is the classic silent-zero-gradient bug: a rule for a closure or a callable object
    ignores the values the object holds. symrules refuses to return a gradient then.
    """


class UnsupportedFunctionError(SymrulesError, TypeError):
    """A numpy function with no rule was called on a traced value."""


class TracingError(SymrulesError, TypeError):
    """A traced value was used in a way that would silently lose its derivative.

    For example ``float(x)`` or ``np.asarray(x)`` on a traced ``x``.
    """
