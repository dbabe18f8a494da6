"""Changes of variables that bring any interval, finite or infinite, onto [0, 1].

This module owns :class:`Transform` and :func:`transform`: the map ``x(t)`` from the reference
interval [0, 1] onto ``(a, b)`` and its Jacobian, for finite, semi-infinite and infinite
intervals and reversed bounds. Every fixed rule (:mod:`symrules.quadrature.rules`) stores its
nodes on [0, 1] and maps them through a Transform; the adaptive rule bisects in ``t``.

How it works: the finite map is plain arithmetic, ``x = a + (b - a) t`` in the left half and
``x = b - (b - a)(1 - t)`` in the right half (with ``1 - t`` passed in, computed accurately), so
a traced bound passes through unchanged and closed rules hit both ends exactly. An infinite end
uses ``x = c + t / (1 - t)`` (or its mirror), the real line ``x = s / (1 - s^2)``, ``s = 2t - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import QuadratureInputError

__all__ = ["Transform", "transform"]


def _bound(name: str, value: Any) -> Any:
    """A concrete bound as a checked float; a traced bound (has ``__array_ufunc__``) as is."""
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise QuadratureInputError(
                f"bound {name} must be a scalar, got an array of shape {value.shape}"
            )
        value = value[()]
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = float(value)
        if np.isnan(value):
            raise QuadratureInputError(f"bound {name} is NaN")
        return value
    if hasattr(type(value), "__array_ufunc__") and not isinstance(value, np.generic):
        return value
    raise QuadratureInputError(f"bound {name} must be a real number, got {value!r}")


def _is_concrete(value: Any) -> bool:
    return isinstance(value, float)


def _is_inf(value: Any, sign: float) -> bool:
    return _is_concrete(value) and value == sign * np.inf


@dataclass(frozen=True)
class Transform:
    """The change of variables ``x(t)`` from the reference interval [0, 1] onto (a, b).

    ``kind`` is ``"finite"`` (``x = a + (b - a) t``), ``"right"`` (``[c, inf)``:
    ``x = c + t / (1 - t)``), ``"left"`` (``(-inf, c]``: ``x = c - (1 - t) / t``) or ``"real"``
    (``x = s / (1 - s^2)`` with ``s = 2t - 1``). ``c`` is the finite end; ``sign`` is -1 when the
    bounds are reversed (``a > b``): then ``t`` runs backwards (``t -> 1 - t`` in the formulas)
    so ``x(0) = a``, ``x(1) = b`` and the Jacobian, hence every weight, is negative.
    Build it with :func:`transform`.

    Examples
    --------
    >>> tr = transform(0.0, np.inf)
    >>> tr.kind, float(tr.nodes(np.array([0.5]))[0]), float(tr.jacobian(np.array([0.5]))[0])
    ('right', 1.0, 4.0)
    """

    a: Any
    b: Any
    kind: str
    sign: float = 1.0

    @property
    def end(self) -> Any:
        """The finite end of a semi-infinite domain (``None`` otherwise)."""
        if self.kind in ("right", "left"):
            return self.a if _is_inf(self.b, 1.0) or _is_inf(self.b, -1.0) else self.b
        return None

    def nodes(self, t: np.ndarray, tc: np.ndarray | None = None) -> Any:
        """``x(t)``; ``tc`` is ``1 - t`` computed accurately (default ``1 - t``)."""
        tc = 1.0 - t if tc is None else tc
        if self.kind == "finite":
            left = (t <= 0.5).astype(float)
            near_a = self.a + (self.b - self.a) * t
            near_b = self.b - (self.b - self.a) * tc
            return left * near_a + (1.0 - left) * near_b
        offset, _ = self._offset_jacobian(t, tc)
        return offset if self.kind == "real" else self.end + offset

    def jacobian(self, t: np.ndarray, tc: np.ndarray | None = None) -> Any:
        """``dx/dt``, including ``sign``."""
        tc = 1.0 - t if tc is None else tc
        if self.kind == "finite":
            return (self.b - self.a) * np.ones_like(t)
        return self._offset_jacobian(t, tc)[1]

    def _offset_jacobian(self, t: np.ndarray, tc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.sign < 0:  # reversed bounds: run t backwards, t <-> 1 - t
            t, tc = tc, t
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if self.kind == "right":
                return t / tc, self.sign / tc**2
            if self.kind == "left":
                return -tc / t, self.sign / t**2
            x = (t - tc) / (4.0 * t * tc)
            return x, self.sign * (1.0 + (t - tc) ** 2) / (8.0 * t**2 * tc**2)

    def map_reference(self, t: np.ndarray, tc: np.ndarray, w: np.ndarray, drop_ends: bool) -> Any:
        """Map reference nodes and weights; drop nodes at an infinite end (and, if
        ``drop_ends``, nodes that round onto a finite concrete bound)."""
        if self.kind == "finite":
            x, w = self.nodes(t, tc), (self.b - self.a) * w
            if drop_ends and _is_concrete(self.a) and _is_concrete(self.b):
                inside = (x != self.a) & (x != self.b)
                x, w = x[inside], w[inside]
            return x, w
        offset, jac = self._offset_jacobian(t, tc)
        keep = np.isfinite(offset) & np.isfinite(jac)
        if drop_ends and _is_concrete(self.end):
            keep &= self.end + offset != self.end
        x = offset[keep] if self.kind == "real" else self.end + offset[keep]
        return x, w[keep] * jac[keep]


def transform(a: Any, b: Any) -> Transform:
    """The variable transform that maps the reference interval [0, 1] onto (a, b).

    Parameters
    ----------
    a, b : float or traced scalar
        Bounds; either may be ``-inf`` or ``inf``. ``a > b`` gives a Jacobian of negative sign.
        A bound that is not a plain number (a traced value) is taken to be finite.

    Returns
    -------
    Transform
        ``x = a + (b - a) t`` on a finite interval, ``x = a + t / (1 - t)`` on ``[a, inf)``,
        ``x = b - (1 - t) / t`` on ``(-inf, b]`` and ``x = s / (1 - s^2)``, ``s = 2t - 1``, on
        the real line. The integrand ``f(x(t)) x'(t)`` stays finite at a singular end when
        ``f`` decays faster than ``1/x^2``; nodes at that end are dropped.

    Raises
    ------
    QuadratureInputError
        A NaN or non-scalar bound, or both bounds the same infinity.

    Examples
    --------
    >>> tr = transform(-np.inf, np.inf)
    >>> float(tr.nodes(np.array([0.5]))[0]), float(tr.jacobian(np.array([0.5]))[0])
    (0.0, 2.0)
    """
    a, b = _bound("a", a), _bound("b", b)
    a_inf = _is_inf(a, 1.0) or _is_inf(a, -1.0)
    b_inf = _is_inf(b, 1.0) or _is_inf(b, -1.0)
    if a_inf and b_inf:
        if a == b:
            raise QuadratureInputError(f"bounds a and b are both {a}: the domain is empty")
        return Transform(a, b, "real", 1.0 if a < b else -1.0)
    if not (a_inf or b_inf):
        return Transform(a, b, "finite")
    infinite = a if a_inf else b
    sign = -1.0 if a_inf else 1.0
    return Transform(a, b, "right" if infinite > 0 else "left", sign if infinite > 0 else -sign)
