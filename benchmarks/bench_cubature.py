"""A 4-D quasi-Monte Carlo value and gradient with 1e8 points: memory, Dask workers, torchquad.

The problem: ``I(p) = integral over [0, 1]^4 of c * exp(-(a1*x1**2 + a2*x2**2 + a3*x3**2 +
a4*x4**2))``, an ``Integrand`` with 5 parameters, whose value and gradient have a closed form
(a product of error functions; ``dJ/da = (exp(-a) - J(a)) / (2a)`` for each factor ``J(a)``).
symrules computes ``value_and_grad`` of ``integrate(f, box, QMC(2**24, replicates=6))``, 1.0e8
points in chunks of ``DEFAULT_CHUNK_SIZE`` (2**18): in this process, and with
``executor=client.get_executor()`` on a ``dask.distributed.LocalCluster`` of 1 and of 2 worker
processes (one thread each), with Dask's default worker environment and with a tuned one
(:data:`TUNED`); all the answers must be bit-for-bit equal. The error estimate
(standard error of the 6 randomised replicates) comes from ``sr.estimate`` on the same rule
(value only, timed apart); the last lines compare the actual error with it.
torchquad 0.6 (``MonteCarlo``, float64, gradients by ``backward()`` through torch) holds all
its points in memory: it runs at N = 1e6, 2e6, 4e6, ... and stops before the next doubling
would take the process past ``BUDGET`` (4 GiB) of resident memory, by a linear extrapolation
of the last peak, or when torch fails.

Peak resident memory is sampled (psutil, every ``SAMPLE_EVERY`` seconds) in this process
while each row runs; a Dask row adds each worker's own lifetime peak (``ru_maxrss``, read on
the worker by ``client.run``). Each symrules row follows one untimed call at ``QMC(2**12)`` on
the same executor, so the SymPy derivation of the Integrand's rule (once per process) is not
timed. "ns/point" is wall time over points. Everything is single-threaded per process (BLAS,
torch): the 2-worker row is the only one that uses two cores.

Run: ``python benchmarks/bench_cubature.py`` (about 3 minutes on a 2-core VM), or ``--quick``
(2**12 points per replicate, torchquad from N = 1e4, a few seconds plus the Dask start-up).
"""

from __future__ import annotations

import os

# Single-threaded per process: these must be set before numpy or torch is imported.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import logging
import resource
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psutil
from scipy.special import erf

import symrules as sr

EXPR = "c*exp(-(a1*x1**2 + a2*x2**2 + a3*x3**2 + a4*x4**2))"
VARS = ("x1", "x2", "x3", "x4")
PARAMS = {"c": 1.5, "a1": 0.5, "a2": 1.0, "a3": 1.5, "a4": 2.0}
BOX = ((0.0, 1.0),) * 4
SEED = 14
BUDGET = 4 * 2**30  # bytes of resident memory torchquad may use (the machine has 23 GiB)
SAMPLE_EVERY = 0.005  # seconds between two samples of the resident set size


def exact(p: dict[str, float]) -> tuple[float, np.ndarray]:
    """The value and the gradient (in the order of ``PARAMS``) in closed form."""
    a = np.array([p["a1"], p["a2"], p["a3"], p["a4"]])
    j = np.sqrt(np.pi / a) / 2 * erf(np.sqrt(a))  # J(a) = integral_0^1 exp(-a x^2) dx
    dj = (np.exp(-a) - j) / (2 * a)
    prod = float(np.prod(j))
    grad_a = [p["c"] * prod / j[k] * dj[k] for k in range(4)]
    return p["c"] * prod, np.array([prod, *grad_a])


def loss_fn(rule: sr.QMC, executor: Any) -> Callable[[tuple], Any]:
    """``value_and_grad`` of the integral over the parameter tuple."""

    def loss(values: tuple) -> Any:
        f = sr.Integrand(EXPR, var=VARS, **dict(zip(PARAMS, values, strict=True)))
        return sr.integrate(f, BOX, rule, executor=executor)

    return sr.value_and_grad(loss)


class PeakRSS:
    """The largest resident set size of this process seen while the ``with`` block runs."""

    def __init__(self) -> None:
        self.process, self.peak = psutil.Process(), 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self.done.wait(SAMPLE_EVERY)

    def __enter__(self) -> PeakRSS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def worker_peak() -> int:
    """A Dask worker's lifetime peak resident memory, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


#: The environment Dask's nanny gives its workers by default sets MALLOC_TRIM_THRESHOLD_=65536,
#: which turns off glibc's adaptive mmap threshold: every numpy temporary of a chunk is then a
#: fresh mmap whose pages fault in (a worker runs this problem about 1.8x slower). The "tuned"
#: rows give the workers a fixed 64 MiB mmap threshold instead.
TUNED = {"distributed.nanny.pre-spawn-environ": {"MALLOC_MMAP_THRESHOLD_": 2**26,
         "OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}}  # fmt: skip


@contextmanager
def dask_executor(workers: int, tuned: bool) -> Iterator[tuple[Any, Any]]:
    """A LocalCluster of ``workers`` processes of one thread: ``(client, executor)``."""
    import dask
    from dask.distributed import Client, LocalCluster

    with dask.config.set(TUNED if tuned else {}), LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster, Client(cluster) as client:  # fmt: skip
        yield client, client.get_executor()


def errors(value: float, grad: np.ndarray | None) -> tuple[str, str]:
    """Relative error of the value, and the largest relative error of a gradient component."""
    v, g = exact(PARAMS)
    grad_err = "-" if grad is None else f"{np.max(np.abs(grad - g) / np.abs(g)):.2e}"
    return f"{abs(value - v) / abs(v):.2e}", grad_err


def run_symrules(rule: sr.QMC, executor: Any) -> tuple[float, np.ndarray, float, int]:
    """Value, gradient, seconds and this process' peak RSS of one timed call."""
    values = tuple(PARAMS.values())
    loss_fn(sr.QMC(2**12, replicates=2, seed=SEED), executor)(values)  # untimed: SymPy, imports
    run = loss_fn(rule, executor)
    with PeakRSS() as rss:
        start = time.perf_counter()
        value, grad = run(values)
        seconds = time.perf_counter() - start
    return float(value), np.array(grad, dtype=float), seconds, rss.peak


def run_torchquad(n: int) -> tuple[float, np.ndarray, float, int]:
    """torchquad's Monte Carlo value and gradient (by ``backward``) with ``n`` points."""
    import torch
    from torchquad import MonteCarlo

    p = torch.tensor(list(PARAMS.values()), dtype=torch.float64, requires_grad=True)

    def f(x: Any) -> Any:
        return p[0] * torch.exp(-(x**2 @ p[1:]))

    with PeakRSS() as rss:
        start = time.perf_counter()
        value = MonteCarlo().integrate(f, dim=4, N=n, integration_domain=[[0.0, 1.0]] * 4,
                                       seed=SEED, backend="torch")  # fmt: skip
        value.backward()
        seconds = time.perf_counter() - start
    return float(value.detach()), p.grad.numpy().copy(), seconds, rss.peak


def torchquad_largest(n: int, doublings: int) -> tuple[int, tuple[float, np.ndarray, float, int]]:
    """Double ``n`` while the next run is predicted to stay within ``BUDGET``; the last run."""
    import torch
    from torchquad import set_up_backend

    torch.set_num_threads(1)
    set_up_backend("torch", data_type="float64", torch_enable_cuda=False)
    base = psutil.Process().memory_info().rss
    best = (n, run_torchquad(n))
    for _ in range(doublings):
        grown = best[1][3] - base
        if base + 2 * grown > BUDGET:
            break
        n *= 2
        try:
            best = (n, run_torchquad(n))
        except (MemoryError, RuntimeError) as err:  # torch reports failed allocations as either
            print(f"torchquad failed at N = {n}: {type(err).__name__}")
            break
    return best


def row(label: str, points: int, value: float, grad: np.ndarray | None, seconds: float,
        peak: int, workers_peak: str = "") -> None:  # fmt: skip
    """One line of the table."""
    value_err, grad_err = errors(value, grad)
    print(f"{label:24s} {points:>11.3e} {seconds:8.2f} {seconds / points * 1e9:8.1f} "
          f"{peak / 2**20:9.0f} {workers_peak:>14s} {value_err:>10s} {grad_err:>10s}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2**12 points per replicate")
    quick = parser.parse_args().quick
    n = 2**12 if quick else 2**24
    rule = sr.QMC(n, replicates=6, seed=SEED)
    points = n * rule.replicates
    value_exact, grad_exact = exact(PARAMS)
    print(f"I(p) = integral over [0, 1]^4 of {EXPR}, p = {PARAMS}")
    print(f"closed form: value {value_exact:.15f}, gradient {np.round(grad_exact, 15).tolist()}")
    print(f"this process after imports: {psutil.Process().memory_info().rss / 2**20:.0f} MiB RSS")
    print(f"symrules: {rule}, {points:.4e} points, chunks of 2**18; torchquad budget "
          f"{BUDGET / 2**30:.0f} GiB\n")  # fmt: skip
    header = (f"{'run':24s} {'points':>11s} {'seconds':>8s} {'ns/point':>8s} {'peak MiB':>9s} "
              f"{'workers MiB':>14s} {'value err':>10s} {'grad err':>10s}")  # fmt: skip
    print(header + "\n" + "-" * len(header))

    f = sr.Integrand(EXPR, var=VARS, **PARAMS)
    sr.estimate(f, BOX, sr.QMC(2**12, replicates=2, seed=SEED))  # untimed: SymPy
    with PeakRSS() as rss:
        start = time.perf_counter()
        result = sr.estimate(f, BOX, rule)
        seconds = time.perf_counter() - start
    row("estimate (value only)", points, result.value, None, seconds, rss.peak)

    here = run_symrules(rule, None)
    row("value_and_grad, here", points, *here[:2], *here[2:])
    answers = {"here": here[:2]}
    for tuned in (False, True):
        for workers in (1, 2):
            with dask_executor(workers, tuned) as (client, executor):
                got = run_symrules(rule, executor)
                peaks = client.run(worker_peak).values()
            plural, env = "s" if workers > 1 else "", ", tuned" if tuned else ""
            label = f"dask, {workers} worker{plural}{env}"
            row(label, points, *got[:2], *got[2:], " + ".join(f"{p / 2**20:.0f}" for p in peaks))
            answers[label] = got[:2]

    n_torch, got = torchquad_largest(10**4 if quick else 10**6, 3 if quick else 12)
    row("torchquad MonteCarlo", n_torch, *got[:2], *got[2:])

    value, grad = here[:2]
    same = all(v == value and np.array_equal(g, grad) for v, g in answers.values())
    print(f"\nvalue {value:.12f}, gradient {np.round(grad, 12).tolist()}")
    print(f"QMC error estimate {result.error:.2e}; value - exact = {value - value_exact:.2e} "
          f"({abs(value - value_exact) / result.error:.1f} estimated standard errors)")  # fmt: skip
    print(f"in-process and Dask answers bit-for-bit equal: {same}")
    print(f"this process' peak over the whole run (ru_maxrss): {worker_peak() / 2**20:.0f} MiB")
    assert same, answers


if __name__ == "__main__":
    main()
