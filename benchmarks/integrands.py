"""What the benchmarks share: the three benchmark integrands and the timing rule.

Each integrand comes as an expression (for ``symrules.Integrand``), its parameters, and the
same function written in numpy (the primal every ratio divides by). Times are the minimum
over repeats of ``timeit``'s auto-ranged loop.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable

import numpy as np

K = np.arange(64)


def cases() -> list[tuple[str, str, dict, Callable[..., object]]]:
    """``(label, expression, params, numpy f(x, **params))`` for the three integrands."""
    series = " + ".join(f"c[{k}]*cos({k}*x)" for k in K)
    return [
        ("p1*x + p2", "p1*x + p2", {"p1": 2.0, "p2": 1.0},
         lambda x, p1, p2: p1 * x + p2),
        ("damped wave (5 params)", "a*exp(-b*x**2)*sin(c*x + d) + e*x**3",
         {"a": 1.0, "b": 0.5, "c": 4.0, "d": 0.1, "e": 0.3},
         lambda x, a, b, c, d, e: a * np.exp(-b * x**2) * np.sin(c * x + d) + e * x**3),
        ("cosine series (64 params)", series, {"c": 1.0 / (1.0 + K)},
         lambda x, c: np.cos(x[:, None] * K) @ c),
    ]  # fmt: skip


def best(fn: Callable[[], object], repeat: int) -> float:
    """Seconds per call: the minimum over ``repeat`` runs of an auto-ranged timing loop."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number
