"""Public path of :mod:`symrules.checking.testing` (see there)."""

from .checking.testing import ATOL, RTOL, RuleCheckError, check_frule, check_grad, check_rrule

__all__ = ["ATOL", "RTOL", "RuleCheckError", "check_frule", "check_grad", "check_rrule"]
