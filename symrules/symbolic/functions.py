"""The special functions a string expression may call, by the names it may use.

The elementary functions of the grammar (:data:`~symrules.symbolic.declaration.FUNCTIONS`)
are reserved words: no parameter may be named ``sin``. The special functions here are not:
``gamma``, ``beta`` and ``zeta`` are common parameter names, so in a string ``gamma(x)``
calls the function while ``gamma`` alone is the parameter of that name. SymPy's names come
first, then the :mod:`scipy.special` and numpy spellings a numpy user would write
(``jv``, ``gammaln``, ``psi``, ``expi``, ``lambertw``, ``ellipk``, ``ceil``, ``heaviside``).
Generated code evaluates them with :mod:`scipy.special` (see
:class:`~symrules.symbolic.printer.NumpySourcePrinter`).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["SPECIAL_FUNCTIONS"]

#: Special and piecewise functions a string expression may call, by the name it uses.
SPECIAL_FUNCTIONS: dict[str, Any] = {
    "erf": sp.erf, "erfc": sp.erfc, "erfi": sp.erfi, "erfinv": sp.erfinv,
    "erfcinv": sp.erfcinv,
    "gamma": sp.gamma, "loggamma": sp.loggamma, "gammaln": sp.loggamma,
    "digamma": sp.digamma, "psi": sp.digamma, "polygamma": sp.polygamma, "beta": sp.beta,
    "lowergamma": sp.lowergamma, "uppergamma": sp.uppergamma,
    "besselj": sp.besselj, "bessely": sp.bessely, "besseli": sp.besseli, "besselk": sp.besselk,
    "jv": sp.besselj, "yv": sp.bessely, "iv": sp.besseli, "kv": sp.besselk,
    "jn": sp.jn, "yn": sp.yn,
    "airyai": sp.airyai, "airybi": sp.airybi,
    "airyaiprime": sp.airyaiprime, "airybiprime": sp.airybiprime,
    "expint": sp.expint, "E1": sp.E1, "Ei": sp.Ei, "expi": sp.Ei, "Si": sp.Si, "Ci": sp.Ci,
    "fresnels": sp.fresnels, "fresnelc": sp.fresnelc,
    "zeta": sp.zeta, "polylog": sp.polylog,
    "LambertW": sp.LambertW, "lambertw": sp.LambertW,
    "elliptic_k": sp.elliptic_k, "elliptic_e": sp.elliptic_e, "elliptic_f": sp.elliptic_f,
    "ellipk": sp.elliptic_k, "ellipe": sp.elliptic_e,
    "Piecewise": sp.Piecewise, "Heaviside": sp.Heaviside, "heaviside": sp.Heaviside,
    "floor": sp.floor, "ceiling": sp.ceiling, "ceil": sp.ceiling,
}  # fmt: skip
