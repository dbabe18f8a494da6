"""scipy, differentiable: ``symrules.scipy.special``, ``.stats``, ``.linalg`` and ``.signal``.

scipy.special's ufuncs (``erf``, ``gammaln``, ``jv``, ...) differentiate as they are, called
from ``scipy.special``. Its Python-level functions (``logsumexp``, ``polygamma``,
``multigammaln``, ``spherical_jn``, ``zeta``, ``softmax``), every ``scipy.stats`` method,
``scipy.linalg``'s ``sqrtm``, ``solve_sylvester`` and ``solve_banded`` and
``scipy.signal.convolve`` convert their arguments to plain arrays first, which drops a
derivative: these subpackages hold versions the engine traces, under scipy's names and
signatures, as ``jax.scipy`` and ``autograd.scipy`` do. They are drop-ins
(``from symrules.scipy import special, stats, linalg, signal``):
every other name is scipy's own. ``import symrules`` does not import them (scipy.stats takes
a while to import); import them explicitly.

Examples
--------
>>> import numpy as np
>>> import symrules as sr
>>> from symrules.scipy import special
>>> bool(np.isclose(sr.grad(special.logsumexp)(np.zeros(2))[0], 0.5))
True
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any


def reexport(scipy_module: ModuleType, own: list[str]) -> tuple[list[str], Callable, Callable]:
    """``(__all__, __getattr__, __dir__)`` of a façade: its ``own`` names, then the rest of
    ``scipy_module``'s, which are scipy's own objects."""
    names = [*own, *sorted(set(scipy_module.__all__) - set(own))]

    def __getattr__(name: str) -> Any:
        return getattr(scipy_module, name)

    def __dir__() -> list[str]:
        return names

    return names, __getattr__, __dir__
