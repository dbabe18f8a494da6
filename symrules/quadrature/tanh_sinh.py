"""The tanh-sinh (double exponential) rule: nodes crowding both ends, for endpoint singularities.

Nodes ``tanh(pi/2 sinh(k h))`` on ``[-1, 1]``, mapped to [0, 1] with their complements
computed accurately, so an integrand singular at an end (``1/sqrt(x)``) is sampled ever
closer to it without ever evaluating it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import QuadratureInputError
from .rules import QuadratureRule, Reference, check_count, frozen_reference

__all__ = ["TanhSinh"]


@lru_cache(maxsize=64)
def _tanh_sinh_reference(level: int, tmax: float) -> Reference:
    h = 2.0**-level
    k = np.arange(-int(tmax / h), int(tmax / h) + 1)
    u = np.pi / 2 * np.sinh(k * h)
    decay = np.exp(-2 * np.abs(u))  # underflows quietly to 0 far out
    gap = 2 * decay / (1 + decay)  # 1 - |tanh(u)|, accurate near the ends
    w = h * np.pi / 2 * np.cosh(k * h) * 4 * decay / (1 + decay) ** 2
    t = np.where(k < 0, gap / 2, 1 - gap / 2)
    tc = np.where(k < 0, 1 - gap / 2, gap / 2)
    keep = gap > 0
    return frozen_reference(t[keep], tc[keep], w[keep] / 2)


@dataclass(frozen=True)
class TanhSinh(QuadratureRule):
    """The tanh-sinh (double exponential) rule of step ``h = 2**-level``, truncated at ``tmax``.

    Nodes ``tanh(pi/2 sinh(k h))`` for ``|k h| <= tmax`` crowd both ends double exponentially,
    so integrable endpoint singularities such as ``x**-0.5`` are handled; the error falls like
    ``exp(-c / h)``: roughly squared per level. With ``tmax = 4.5`` the outermost nodes lie
    about ``1e-61`` (relative) from the ends; nodes that round onto a finite end are dropped.
    No polynomial degree (``degree`` is ``None``).

    Examples
    --------
    >>> x, w = TanhSinh(level=5).nodes_weights(0, 1)
    >>> bool(np.isclose(w @ x**-0.5, 2.0, rtol=1e-12)), bool(x.min() > 0)
    (True, True)
    """

    level: int = 5
    tmax: float = 4.5

    def __post_init__(self) -> None:
        check_count(f"TanhSinh(level={self.level!r})", "level", self.level, 0)
        if not (isinstance(self.tmax, (int, float)) and 0 < self.tmax < np.inf):
            raise QuadratureInputError(
                f"TanhSinh(tmax={self.tmax!r}): tmax must be a positive finite number"
            )
        self._check_size(f"TanhSinh(level={self.level!r}, tmax={self.tmax!r})")

    @property
    def max_nodes(self) -> int:
        """``2 tmax / h + 1``: the steps of ``h`` within ``[-tmax, tmax]``."""
        return 2 * int(float(self.tmax) * 2.0 ** int(self.level)) + 1

    @property
    def h(self) -> float:
        """Step ``2**-level``."""
        return 2.0 ** -int(self.level)

    def _drops_end_nodes(self) -> bool:
        return True

    def _reference(self) -> Reference:
        return _tanh_sinh_reference(int(self.level), float(self.tmax))
