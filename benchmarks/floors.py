"""The fixed cost per call: symrules' floors, beside HIPS autograd's, in one run.

Each row times one call on an input so small that the numerical work is nothing (a 2-vector,
a one-node quadrature rule), so what is left is the per-call overhead: tracing, walking
fields, resolving the method, dispatching rules. Best of 5 ``timeit`` loops of an
auto-ranged count, in microseconds; the numpy primal of the same one-node sum is the first
row, for scale.

Run: ``python benchmarks/floors.py``.
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"

import importlib
import timeit
from collections.abc import Callable

import numpy as np

import symrules as sr

REPEATS = 5
EXPR = "p[0]*x + p[1]"
P = np.array([2.0, 1.0])
ONE_NODE = sr.GaussLegendre(1)
X, W = (np.asarray(a) for a in ONE_NODE.nodes_weights(0.0, 1.0))


def best_us(fn: Callable[[], object]) -> float:
    timer = timeit.Timer(fn)
    number = timer.autorange()[0]
    return min(timer.repeat(REPEATS, number)) / number * 1e6


def rows() -> dict[str, Callable[[], object] | None]:
    vg_sum = sr.value_and_grad(lambda q: np.sum(q))
    integrand = sr.Integrand(EXPR, p=P)

    def symbolic(backend: str) -> Callable[[], object]:
        def integral(q: object) -> object:
            f = sr.Integrand(EXPR, p=q, backend=backend)
            return sr.integrate(f, (0.0, 1.0), rule=ONE_NODE, method="symbolic")

        run = sr.value_and_grad(integral)
        return lambda: run(P)

    def ad_integral(q: object) -> object:
        return sr.integrate(lambda x: q[0] * x + q[1], (0.0, 1.0), rule=ONE_NODE, method="ad")

    ad = sr.value_and_grad(ad_integral)
    try:
        ag = importlib.import_module("autograd")
        agnp = importlib.import_module("autograd.numpy")
        ag_sum = ag.value_and_grad(lambda q: agnp.sum(q))
        autograd_row: Callable[[], object] | None = lambda: ag_sum(P)  # noqa: E731
    except ImportError:
        autograd_row = None
    return {
        "numpy primal, one node: np.sum(w * f(x))": lambda: np.sum(W * (P[0] * X + P[1])),
        "value_and_grad(np.sum) of a 2-vector": lambda: vg_sum(P),
        "HIPS autograd value_and_grad(np.sum) of a 2-vector": autograd_row,
        "Integrand whose expression was seen before": lambda: sr.Integrand(EXPR, p=P),
        "integrate an Integrand, one node, not traced": lambda: sr.integrate(
            integrand, (0.0, 1.0), rule=ONE_NODE
        ),
        "value_and_grad, symbolic, numba backend, one node": symbolic("numba"),
        "value_and_grad, symbolic, numpy backend, one node": symbolic("numpy"),
        "value_and_grad, ad (closure), one node": lambda: ad(P),
    }


def main() -> None:
    table = rows()
    for fn in table.values():
        if fn is not None:
            fn()  # compiles the kernel, fills the caches
    width = max(map(len, table))
    print(f"# best of {REPEATS} loops, microseconds per call")
    for name, fn in table.items():
        cell = "not installed" if fn is None else f"{best_us(fn):8.1f}"
        print(f"{name:<{width}}  {cell}")


if __name__ == "__main__":
    main()
