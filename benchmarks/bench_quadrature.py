"""Speed of ``value_and_grad`` of :func:`symrules.integrate`, by method, vs numpy.

For three integrands (``p1*x + p2``, a damped wave with 5 parameters, a 64-term cosine series)
and N = 100, 1e4, 1e6 nodes it times ``value_and_grad`` of ``integrate`` with respect to the
integrand's parameters by each method -- "symbolic" (an Integrand's generated rule), "ad"
(the same integrand as a closure, one tape over the nodes) and "fd" (finite differences of
the quadrature sum, 4 evaluations per parameter) -- and divides by the numpy primal
``np.sum(w * f(x))`` on the same nodes, precomputed. The rule is a composite 10-point
Gauss-Legendre rule with N / 10 panels on [0, 1]; ``integrate`` caches the nodes of a fixed
rule for plain bounds, as a numpy user would compute them once. Every time is the minimum
over repeats of ``timeit``. Targets: symbolic <= 1.3x at N >= 1e4 and <= 3x at N = 100,
ad <= 3x at N >= 1e4.

At N = 1e6 every temporary is an 8 MB array, which glibc serves by a fresh ``mmap`` (and page
faults) or from its heap depending on its history, so AD timings there vary by 2-5x between
runs. For stable figures, keep big blocks on the heap::

    MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=4294967296 \\
        python benchmarks/bench_quadrature.py

Run: ``python benchmarks/bench_quadrature.py`` (``--quick``: fewer repeats, no fd at 1e6).
fd is skipped where one call would take over ``FD_BUDGET`` seconds.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from integrands import best, cases

import symrules as sr
from symrules.quadrature import Composite, GaussLegendre, integrate
from symrules.symbolic import Integrand

SIZES = (100, 10_000, 1_000_000)
FD_BUDGET = 2.0  # seconds: fd is skipped where one call would take longer (N = 1e6 series)


def gradient_fn(expr: str, params: dict, numpy_f: Callable, rule: object, method: str):
    """``value_and_grad`` over the parameter tuple, through an Integrand or a closure."""
    names = list(params)

    def loss(values: tuple) -> object:
        fields = dict(zip(names, values, strict=True))
        if method == "symbolic":
            f = Integrand(expr, **fields)
        else:

            def f(x):
                return numpy_f(x, **fields)

        return integrate(f, (0.0, 1.0), rule, method=method)

    run = sr.value_and_grad(loss)
    values = tuple(params.values())
    return lambda: run(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no fd at 1e6")
    quick = parser.parse_args().quick
    repeat = 3 if quick else 7
    methods = ("symbolic", "ad", "fd")
    print(f"{'integrand':27s} {'N':>8s} {'primal':>10s} " + " ".join(f"{m:>14s}" for m in methods))
    for label, expr, params, numpy_f in cases():
        for n in SIZES:
            rule = Composite(GaussLegendre(10), panels=n // 10)
            x, w = rule.nodes_weights(0.0, 1.0)
            t_primal = best(lambda x=x, w=w, f=numpy_f, p=params: np.sum(w * f(x, **p)), repeat)
            exact = np.sum(w * numpy_f(x, **params))
            cells = []
            for method in methods:
                n_params = sum(np.size(v) for v in params.values())
                estimate = 4 * n_params * t_primal  # fd: 4 evaluations per parameter
                if method == "fd" and (estimate > FD_BUDGET or (quick and n == SIZES[-1])):
                    cells.append(f"{'(skipped)':>14s}")
                    continue
                run = gradient_fn(expr, params, numpy_f, rule, method)
                value, _ = run()
                assert np.isclose(value, exact, rtol=1e-12), (label, method, value, exact)
                t = best(run, repeat)
                cells.append(f"{t * 1e3:8.3f}ms {t / t_primal:4.1f}x")
            print(f"{label:27s} {n:>8d} {t_primal * 1e3:8.3f}ms " + " ".join(cells))


if __name__ == "__main__":
    main()
