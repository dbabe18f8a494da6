"""The seed problem's ``value_and_grad`` against its numpy primal, as N grows.

Run: ``python benchmarks/bench_engine.py`` (``--quick`` for fewer repeats). Prints, for the
right Riemann sum ``sum(f(x) * dx)`` of the closure ``f(x) = p[0]*x + p[1]``: the primal time,
symrules' ``value_and_grad`` time and their ratio (targets: <= 10x at N = 100, <= 3x at
N >= 1e4), and HIPS autograd's in the same run when it is installed (``pip install autograd``).
Times are the minimum over repeats of the mean of a timed loop.

At N = 1e6 the traced run allocates a fresh 8 MB array per operation, and glibc returns each
to the kernel on free, so every allocation page-faults; the primal reuses one buffer (numpy's
temporary elision). Run it again under
``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456`` to see the allocator's
share: the ratio then falls to about 2x.
"""

from __future__ import annotations

import argparse
import functools

import numpy as np
from integrands import best

import symrules as sr

TARGETS = {100: 10.0, 10_000: 3.0, 1_000_000: 3.0}


def seed(n: int, np_module=np):
    dx = np.diff(np.linspace(0.0, 1.0, n + 1))
    x = np.cumsum(dx)

    def main(p):
        def f(x):
            return p[0] * x + p[1]

        return np_module.sum(f(x) * dx)

    return main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    repeat = 3 if parser.parse_args().quick else 7
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        autograd = None
    p = np.array([2.0, 1.0])
    print(f"{'N':>9} {'primal':>10} {'symrules':>10} {'ratio':>6} {'target':>6}  autograd")
    for n, target in TARGETS.items():
        main_fn = seed(n)
        vg = sr.value_and_grad(main_fn)
        np.testing.assert_allclose(vg(p)[1], [(n + 1) / (2 * n), 1.0], rtol=1e-10)
        t_primal = best(functools.partial(main_fn, p), repeat)
        t_sr = best(functools.partial(vg, p), repeat)
        peer = ""
        if autograd is not None:
            ag = autograd.value_and_grad(seed(n, anp))
            t_ag = best(functools.partial(ag, p), repeat)
            peer = f"{t_ag * 1e6:9.1f} us ({t_ag / t_primal:.1f}x)"
        print(
            f"{n:>9} {t_primal * 1e6:8.1f}us {t_sr * 1e6:8.1f}us {t_sr / t_primal:6.2f} "
            f"{target:6.1f}  {peer or 'not installed'}"
        )


if __name__ == "__main__":
    main()
