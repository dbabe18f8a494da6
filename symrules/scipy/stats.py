"""scipy.stats, differentiable: ``norm``, ``t``, ``chi2``, ``beta``, ``gamma``, ``poisson``,
``multivariate_normal`` and ``dirichlet`` whose densities, distribution and survival functions
(and their logs) and entropies the engine traces; every other name is scipy.stats' own.

The distributions are in :mod:`symrules.engine.scipy_stats` and
:mod:`symrules.engine.scipy_multivariate`; scipy's signatures (shape parameters, ``loc``,
``scale``, ``allow_singular``) and values, and scipy's own method on plain arguments.

Examples
--------
>>> import numpy as np
>>> import symrules as sr
>>> from symrules.scipy import stats
>>> x_bar = sr.grad(lambda x: stats.norm.logpdf(x, loc=1.0, scale=2.0))(0.0)
>>> bool(np.isclose(x_bar, (1.0 - 0.0) / 4.0))
True
"""

from __future__ import annotations

import scipy.stats as _scipy_stats

from ..engine.scipy_multivariate import dirichlet, multivariate_normal
from ..engine.scipy_stats import beta, chi2, gamma, norm, poisson, t
from . import reexport

__all__ = [
    "beta",
    "chi2",
    "dirichlet",
    "gamma",
    "multivariate_normal",
    "norm",
    "poisson",
    "t",
]  # symrules' own
__all__, __getattr__, __dir__ = reexport(_scipy_stats, __all__)  # then scipy's own
