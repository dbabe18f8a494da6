"""scipy.linalg, differentiable: every name of scipy.linalg, with ``sqrtm``,
``solve_sylvester`` and ``solve_banded`` replaced by versions the engine traces
(:mod:`symrules.engine.scipy_linalg`).

The rest of scipy.linalg is scipy's own: on a traced value it refuses with the engine's
TracingError; ``numpy.linalg``'s functions differentiate as they are.

Examples
--------
>>> import numpy as np
>>> import symrules as sr
>>> from symrules.scipy import linalg
>>> a = np.array([[4.0, 1.0], [1.0, 3.0]])
>>> bool(np.allclose(sr.jacobian(lambda s: linalg.sqrtm(s * a))(1.0), 0.5 * linalg.sqrtm(a)))
True
"""

from __future__ import annotations

import scipy.linalg as _scipy_linalg

from ..engine.scipy_linalg import solve_banded, solve_sylvester, sqrtm
from . import reexport

__all__ = ["solve_banded", "solve_sylvester", "sqrtm"]  # symrules' own
__all__, __getattr__, __dir__ = reexport(_scipy_linalg, __all__)  # then scipy's own
