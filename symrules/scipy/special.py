"""scipy.special, differentiable: every name of scipy.special, its Python-level functions
replaced by versions the engine traces (:mod:`symrules.engine.scipy_functions`).

The ufuncs (``erf``, ``gammaln``, ``jv``, ...) are scipy's own objects: the engine
differentiates them through numpy's ufunc protocol. ``logsumexp``, ``softmax``,
``log_softmax``, ``polygamma``, ``zeta``, ``multigammaln`` and ``spherical_jn`` are
symrules' versions, with scipy's signatures and values.

Examples
--------
>>> import numpy as np
>>> import scipy.special
>>> import symrules as sr
>>> from symrules.scipy import special
>>> special.erf is scipy.special.erf
True
>>> bool(np.isclose(sr.grad(lambda x: special.polygamma(0, x))(2.0), special.polygamma(1, 2.0)))
True
"""

from __future__ import annotations

import scipy.special as _scipy_special

from ..engine.scipy_functions import (
    log_softmax,
    logsumexp,
    multigammaln,
    polygamma,
    softmax,
    spherical_jn,
    zeta,
)
from . import reexport

__all__ = [
    "log_softmax",
    "logsumexp",
    "multigammaln",
    "polygamma",
    "softmax",
    "spherical_jn",
    "zeta",
]  # symrules' own
__all__, __getattr__, __dir__ = reexport(_scipy_special, __all__)  # then scipy's own
