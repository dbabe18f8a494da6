"""scipy.signal, differentiable: every name of scipy.signal, with ``convolve`` replaced by a
version the engine traces (:mod:`symrules.engine.scipy_signal`).

Examples
--------
>>> import numpy as np
>>> import symrules as sr
>>> from symrules.scipy import signal
>>> sr.grad(lambda a: np.sum(signal.convolve(a, np.ones(2), mode="valid")))(np.ones(3)).tolist()
[1.0, 2.0, 1.0]
"""

from __future__ import annotations

import scipy.signal as _scipy_signal

from ..engine.scipy_signal import convolve
from . import reexport

__all__ = ["convolve"]  # symrules' own
__all__, __getattr__, __dir__ = reexport(_scipy_signal, __all__)  # then scipy's own
