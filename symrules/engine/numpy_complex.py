"""The numpy table, continued: complex numbers' parts, and the functions that are not holomorphic.

A holomorphic function's rule is its real rule under JAX's convention (see
:mod:`~symrules.engine.table`), so ``exp``, ``sin``, ``matmul``, ``fft`` need nothing here.
These are the functions of ``z = u + iv`` that are not holomorphic: a pushforward
``z_dot -> A z_dot + B conj(z_dot)`` has the pullback ``y_bar -> A y_bar + conj(B y_bar)``.

- ``real``: ``z_dot -> Re(z_dot)``, pullback the embedding ``y_bar -> y_bar``;
- ``imag``: ``z_dot -> Im(z_dot)``, pullback ``y_bar -> -1j y_bar``;
- ``conj``: pullback ``conj(y_bar)``;
- ``abs``: ``Re(conj(z) z_dot) / |z|``, pullback ``y_bar conj(z) / |z|`` (``sign(x)`` on reals);
- ``angle``: ``Im(conj(z) z_dot) / |z|^2``, pullback ``-1j y_bar conj(z) / |z|^2``;
- ``sign``: ``z / |z|`` moves with ``z``: ``(z_dot - y^2 conj(z_dot)) / (2 |z|)``, pullback
  ``(y_bar - conj(y^2 y_bar)) / (2 |z|)``; on reals it is a step, derivative zero.

On real input each is the real rule (``imag`` and ``angle`` have derivative zero there, a real
zero: a real output's rule keeps real cotangents real). ``real_if_close`` is ``real`` where
numpy drops the imaginary part, the identity where it does not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .numpy_table import divide_or_zero
from .table import declare_residuals, defcomposite, defjvp, defvjp, linear_jvp
from .tangents import ZeroTangent
from .tracing import strip

__all__: list[str] = []


def _real_pullback(y_bar: Any, y: Any, val: Any) -> Any:
    return y_bar


def _imag_pullback(y_bar: Any, y: Any, val: Any) -> Any:
    return -1j * y_bar if np.iscomplexobj(val) else np.zeros_like(y_bar)  # a real's: none


def _conj_pullback(y_bar: Any, y: Any, x: Any) -> Any:
    return np.conjugate(y_bar)


defvjp(np.real, declare_residuals(_real_pullback))
defjvp(np.real, linear_jvp(np.real))
defvjp(np.imag, declare_residuals(_imag_pullback, (0,)))
defjvp(np.imag, linear_jvp(np.imag))
defvjp(np.conjugate, declare_residuals(_conj_pullback), broadcast=True)
defjvp(np.conjugate, linear_jvp(np.conjugate), broadcast=True)


def _abs_pullback(y_bar: Any, y: Any, x: Any) -> Any:
    if np.iscomplexobj(x):
        return y_bar * divide_or_zero(np.conjugate(x), y)
    return y_bar * np.sign(x)


def _abs_pushforward(x_dot: Any, y: Any, x: Any) -> Any:
    if np.iscomplexobj(x) or np.iscomplexobj(x_dot):
        return np.real(divide_or_zero(np.conjugate(x) * x_dot, y))
    return x_dot * np.sign(x)


defvjp(np.absolute, declare_residuals(_abs_pullback, (0, 1)), broadcast=True)
defjvp(np.absolute, _abs_pushforward, broadcast=True)


def _angle_scale(deg: bool) -> float:
    return 180.0 / np.pi if deg else 1.0


def _angle_pullback(y_bar: Any, y: Any, z: Any, deg: bool = False) -> Any:
    if not np.iscomplexobj(z):
        return np.zeros_like(y_bar)
    return (
        y_bar
        * divide_or_zero(-1j * np.conjugate(z), np.real(z * np.conjugate(z)))
        * _angle_scale(deg)
    )


def _angle_pushforward(z_dot: Any, y: Any, z: Any, deg: bool = False) -> Any:
    if not np.iscomplexobj(z) and not np.iscomplexobj(z_dot):
        return np.zeros_like(z_dot)
    change = np.imag(np.conjugate(z) * z_dot)
    return divide_or_zero(change, np.real(z * np.conjugate(z))) * _angle_scale(deg)


defvjp(np.angle, _angle_pullback, keywords=("deg",))
defjvp(np.angle, _angle_pushforward, keywords=("deg",))


def _sign_pullback(y_bar: Any, y: Any, x: Any) -> Any:
    if not np.iscomplexobj(x):
        return ZeroTangent()  # a step: zero away from 0, none at 0
    return divide_or_zero(y_bar - np.conjugate(y * y * y_bar), 2.0 * np.abs(x))


def _sign_pushforward(x_dot: Any, y: Any, x: Any) -> Any:
    if not np.iscomplexobj(x):
        return ZeroTangent()
    return divide_or_zero(x_dot - y * y * np.conjugate(x_dot), 2.0 * np.abs(x))


defvjp(np.sign, declare_residuals(_sign_pullback, (0, 1)))
defjvp(np.sign, _sign_pushforward)


def _real_if_close(a: Any, tol: float = 100) -> Any:
    return np.real(a) if np.isrealobj(np.real_if_close(strip(a), tol=tol)) else a


defcomposite(np.real_if_close, _real_if_close)
