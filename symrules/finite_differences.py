"""Public path of :mod:`symrules.checking.finite_differences` and its stencils (see there).

Examples
--------
>>> import numpy as np
>>> from symrules import finite_differences as fd
>>> bool(np.isclose(fd.gradient(np.sin, 0.5), np.cos(0.5)))
True
>>> g, err = fd.gradient(np.sin, 0.5, error=True)  # the step is searched for; err bounds
>>> bool(abs(g - np.cos(0.5)) <= err < 1e-10)
True
"""

from .checking.finite_differences import gradient, inner, jacobian, jvp, vjp
from .checking.stencils import FDM, backward_fdm, central_fdm, forward_fdm, richardson
from .errors import FiniteDifferenceError

__all__ = [
    "FDM",
    "FiniteDifferenceError",
    "backward_fdm",
    "central_fdm",
    "forward_fdm",
    "gradient",
    "inner",
    "jacobian",
    "jvp",
    "richardson",
    "vjp",
]
