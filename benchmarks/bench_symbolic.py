"""Speed of the generated symbolic rules, as ratios to the numpy primal in the same run.

For each integrand and node count N it times ``value_and_grad`` of ``sum(w * f(x))`` with
respect to the Integrand's fields (the generated rule: one vectorized pullback, contracted
cotangents) and divides by the time of the same sum written in plain numpy. It also times
generating the rule for the 64-parameter cosine series cold and from the in-memory cache.
Every time is the minimum over repeats of ``timeit``.

Run: ``python benchmarks/bench_symbolic.py`` (``--quick`` for fewer repeats).
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np
from integrands import best, cases

import symrules as sr
from symrules.symbolic import Integrand
from symrules.symbolic.loader import clear_cache


def measure(f: Integrand, numpy_primal, params: dict, n: int, repeat: int) -> tuple:
    """Seconds for the numpy primal and for value_and_grad through the generated rule."""
    x = np.linspace(0.0, 1.0, n)
    w = np.full(n, 1.0 / n)

    def primal() -> float:
        return np.sum(w * numpy_primal(x, **params))

    value_and_grad = sr.value_and_grad(lambda f: np.sum(w * f(x)))
    value, _ = value_and_grad(f)
    assert np.isclose(value, primal())
    return best(primal, repeat), best(lambda: value_and_grad(f), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    repeat = 3 if parser.parse_args().quick else 7
    print(f"{'integrand':28s} {'N':>9s} {'primal':>11s} {'value_and_grad':>15s} {'ratio':>7s}")
    for label, expr, params, numpy_primal in cases():
        f = Integrand(expr, **params)
        for n in (100, 10_000, 1_000_000):
            t_primal, t_grad = measure(f, numpy_primal, params, n, repeat)
            print(f"{label:28s} {n:>9d} {t_primal * 1e3:9.3f}ms {t_grad * 1e3:13.3f}ms "
                  f"{t_grad / t_primal:6.2f}x")  # fmt: skip
    series_expr, series_params = cases()[2][1], cases()[2][2]

    def cold() -> None:
        clear_cache()
        Integrand(series_expr, **series_params)

    t_cold = min(timeit.repeat(cold, repeat=3, number=1))
    Integrand(series_expr, **series_params)
    t_warm = best(lambda: Integrand(series_expr, **series_params), repeat)
    print(f"rule generation, 64-param cosine series: cold {t_cold * 1e3:.0f} ms, "
          f"cached {t_warm * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
