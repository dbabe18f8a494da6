"""symrules against its peers: value and gradient of a quadrature sum, every method, one run.

For three workloads ``I(p) = sum_i w_i f(x_i; p)`` on [0, 1] -- W1 ``p0*x + p1`` (2 params),
W2 ``p0*exp(-p1*x**2)*sin(p2*x + p3) + p4*x**3`` (5), W3 ``sum_k p[k]*cos(k*pi*x)`` (64) --
and N = 100, 1e4, 1e6 nodes (Gauss-Legendre for N <= 2000, the trapezoid rule above; every
method gets the same ``x`` and ``w``), it times the value and gradient in p by: a hand-fused
numba kernel (one loop over the nodes, scalar accumulators: the "best possible" reference),
``jax.jit(jax.value_and_grad)``, ``jax.value_and_grad`` without jit, torch autograd, HIPS
autograd, central finite differences of the numpy sum (``symrules.finite_differences``), and
symrules four ways: ``integrate`` of an ``Integrand`` (method "symbolic"), ``integrate`` of a
numpy closure (method "ad"), plain tracing of ``np.sum(w * f(x, p))`` ("engine"), and
``symrules.jit`` of the symbolic value and gradient ("jit": traced once, then generated code:
the fused kernel's pass from 1,000 nodes, below that the numpy rules, with what does not depend
on ``p`` -- a linear integrand's gradient -- computed while tracing). Before
anything is timed every value is checked against ``sum(w * f(x))`` and every gradient against
a closed form written out per workload (``I`` is linear in ``w``, so
``dI/dp_k = sum_i w_i df/dp_k(x_i)``), both sums correctly rounded (``math.fsum``); a method
outside tolerance stops the run.

**A ratio** is the median over rounds of a method's seconds per call (value and gradient)
divided by the median over rounds of the numpy primal's seconds per call (value only,
``np.sum(w * f(x, p))``), same workload, same N, same run. In each round every method of a
(workload, N) is timed once in turn, by a ``timeit`` loop of a fixed, auto-ranged count, so
machine noise hits every method alike. Per-call work is timed as a user would write it
(torch makes a new leaf tensor, symrules builds an Integrand); one-off costs are not: node
arrays and their jax/torch copies, numba compilation and jax tracing + compilation (printed
separately), SymPy rule generation (cached after the first call, printed too), symrules.jit's
trace and code generation (printed too).
"max rel err" is the larger of the value's relative error and the gradient's error in the
max norm relative to the largest exact component (W3's exact gradient is ``e_0``: cos(k pi x)
is orthogonal to 1 on [0, 1], so its other components are rounding noise and a per-component
relative error means nothing).

Everything is single-threaded so the comparison is fair: ``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` are set to 1 before numpy is imported, jax runs on
the CPU with Eigen's thread pool off, torch gets ``set_num_threads(1)``, and the numba kernels
are serial. At N = 1e6 most methods spend their time on 8 MB temporaries (and W3's
512 MB node-by-term matrix), so the allocator and page faults weigh there (see
``bench_engine.py``). On a VM, memory freed a few seconds ago may have gone back to the host,
and the next 512 MB allocation then pays up to a second to get it back; so each timed loop
follows one untimed call of the same method, or that cost would land on whichever method runs
first after a pause.

Run: ``python benchmarks/peers.py`` (7 rounds, about 6 minutes on a 2-core VM), or
``--quick`` (3 rounds, about 3 minutes; jax without jit, torch, HIPS autograd and fd not timed
above 1e5 nodes). ``--sizes 100 1e4``, ``--workloads W1 W2``, ``--rounds R`` and
``--csv PATH`` (columns workload, N, method, seconds, ratio, max_rel_err). A peer that is not
installed shows "not installed" (``pip install -e '.[bench]'`` brings them all); fd shows
"(skipped)" where one call would take over ``FD_BUDGET`` seconds.
"""

from __future__ import annotations

import os

# Single-threaded everywhere: these must be set before numpy, jax or torch is imported.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
os.environ["JAX_PLATFORMS"] = "cpu"
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

import argparse
import atexit
import csv
import functools
import importlib
import importlib.metadata
import math
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# A new cache directory, so that symrules' kernels are compiled (and their compile timed)
# here, and the new processes of kernel_load_seconds load them from it.
os.environ["SYMRULES_CACHE_DIR"] = tempfile.mkdtemp(prefix="symrules-peers-")
atexit.register(shutil.rmtree, os.environ["SYMRULES_CACHE_DIR"], ignore_errors=True)

import symrules as sr  # noqa: E402

SIZES = (100, 10_000, 1_000_000)
GAUSS_MAX = 2000  # Gauss-Legendre up to this many nodes, the trapezoid rule above
ROUNDS, QUICK_ROUNDS = 7, 3
QUICK_MAX_N = 100_000  # --quick: the slow peers are not timed above this N
QUICK_SKIPS = ("jax", "torch", "autograd", "fd")
FD_BUDGET = 2.0  # seconds: fd is skipped where one gradient would take longer
VALUE_RTOL = 1e-10  # every value against sum(w * f(x)): summation order only (a serial sum
#                     of 1e6 terms, as in the numba kernels, may lose ~1e-10 in the worst case)
GRAD_RTOL = 1e-9  # every exact gradient against the closed form (max-norm relative)
FD_RTOL = 1e-5  # finite differences against the closed form
K = np.arange(64)
TIMES = "\u00d7"  # the multiplication sign, after each ratio


# ---------------------------------------------------------------------------------------------
# The workloads: f written once over an array module xp (numpy, jax.numpy, torch, autograd's
# numpy), the same as an Integrand expression, its partials by hand (the oracle) and a numba
# kernel fusing value and gradient.


def f_w1(xp: Any, x: Any, p: Any) -> Any:
    return p[0] * x + p[1]


def f_w2(xp: Any, x: Any, p: Any) -> Any:
    return p[0] * xp.exp(-p[1] * x**2) * xp.sin(p[2] * x + p[3]) + p[4] * x**3


def f_w3(xp: Any, x: Any, p: Any) -> Any:
    return xp.cos(xp.pi * x[:, None] * xp.arange(64.0)) @ p


def partials_w1(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``df/dp_k`` at every node, shape (2, N): ``x``, ``1``."""
    return np.stack([x, np.ones_like(x)])


def partials_w2(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``df/dp_k`` at every node, shape (5, N): with ``e = exp(-p1 x^2)``, ``s, c`` the sine
    and cosine of ``p2 x + p3``: ``e s``, ``-p0 x^2 e s``, ``p0 x e c``, ``p0 e c``, ``x^3``."""
    e, s, c = np.exp(-p[1] * x**2), np.sin(p[2] * x + p[3]), np.cos(p[2] * x + p[3])
    return np.stack([e * s, -p[0] * x**2 * e * s, p[0] * x * e * c, p[0] * e * c, x**3])


def partials_w3(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``df/dp_k`` at every node, shape (64, N): ``cos(k pi x)``."""
    return np.cos(np.pi * K[:, None] * x)


def kernel_w1(x: np.ndarray, w: np.ndarray, p: np.ndarray) -> tuple[float, np.ndarray]:
    value = g0 = g1 = 0.0
    for i in range(x.shape[0]):
        value += w[i] * (p[0] * x[i] + p[1])
        g0 += w[i] * x[i]
        g1 += w[i]
    return value, np.array([g0, g1])


def kernel_w2(x: np.ndarray, w: np.ndarray, p: np.ndarray) -> tuple[float, np.ndarray]:
    p0, p1, p2, p3, p4 = p[0], p[1], p[2], p[3], p[4]
    value = g0 = g1 = g2 = g3 = g4 = 0.0
    for i in range(x.shape[0]):
        xi, wi = x[i], w[i]
        x2 = xi * xi
        e = math.exp(-p1 * x2)
        s, c = math.sin(p2 * xi + p3), math.cos(p2 * xi + p3)
        es, ec = wi * e * s, wi * p0 * e * c
        value += p0 * es + wi * p4 * x2 * xi
        g0 += es
        g1 -= p0 * x2 * es
        g2 += ec * xi
        g3 += ec
        g4 += wi * x2 * xi
    return value, np.array([g0, g1, g2, g3, g4])


def kernel_w3(x: np.ndarray, w: np.ndarray, p: np.ndarray) -> tuple[float, np.ndarray]:
    # the same 64 cosines per node as every other method (a Chebyshev recurrence would need
    # one, but that is another algorithm, with another rounding)
    m = p.shape[0]
    g = np.zeros(m)
    value = 0.0
    for i in range(x.shape[0]):
        t, wi = math.pi * x[i], w[i]
        fi = 0.0
        for k in range(m):
            c = math.cos(t * k)
            fi += p[k] * c
            g[k] += wi * c
        value += wi * fi
    return value, g


@dataclass(frozen=True)
class Workload:
    """One integrand: its numpy-like code, expression, parameters, oracle and numba kernel."""

    name: str
    expr: str  # for sr.Integrand, in x and the array parameter p
    p: np.ndarray
    f: Callable[[Any, Any, Any], Any]  # f(xp, x, p)
    partials: Callable[[np.ndarray, np.ndarray], np.ndarray]
    kernel: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[float, np.ndarray]]


WORKLOADS = {
    wl.name: wl
    for wl in (
        Workload("W1", "p[0]*x + p[1]", np.array([2.0, 1.0]), f_w1, partials_w1, kernel_w1),
        Workload(
            "W2",
            "p[0]*exp(-p[1]*x**2)*sin(p[2]*x + p[3]) + p[4]*x**3",
            np.array([1.3, 0.7, 4.0, 0.1, 0.3]),
            f_w2,
            partials_w2,
            kernel_w2,
        ),
        Workload(
            "W3",
            " + ".join(f"p[{k}]*cos({k}*pi*x)" for k in K),
            1.0 / (1.0 + K),
            f_w3,
            partials_w3,
            kernel_w3,
        ),
    )
}


@dataclass(frozen=True)
class Case:
    """A workload on N nodes: the rule and the one ``x``, ``w`` every method uses."""

    workload: Workload
    n: int
    rule: Any
    x: np.ndarray
    w: np.ndarray

    @classmethod
    def make(cls, workload: Workload, n: int) -> Case:
        rule = sr.GaussLegendre(n) if n <= GAUSS_MAX else sr.Trapezoid(n - 1)
        x, w = rule.nodes_weights(0.0, 1.0)
        return cls(workload, n, rule, np.array(x), np.array(w))  # writable: torch shares them

    @functools.cached_property
    def oracle(self) -> tuple[float, np.ndarray]:
        """The value ``sum(w * f(x))`` and the closed-form gradient ``sum(w * df/dp_k)``, each
        sum correctly rounded (``math.fsum``), so the oracle adds no summation error of its
        own."""
        wl, w = self.workload, self.w
        value = math.fsum(w * wl.f(np, self.x, wl.p))
        return value, np.array([math.fsum(w * d) for d in wl.partials(self.x, wl.p)])


# ---------------------------------------------------------------------------------------------
# The methods: each builds, from a Case, a zero-argument callable returning (value, grad).


class Unavailable(Exception):
    """A method that cannot run here: its message ("not installed", "(skipped)") is the cell."""


def peer(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise Unavailable("not installed") from None


@functools.cache
def jax_module() -> Any:
    jax = peer("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@functools.cache
def torch_module() -> Any:
    torch = peer("torch")
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.set_default_dtype(torch.float64)
    return torch


COMPILE: dict[str, float] = {}  # "what, where" -> seconds: one-off costs, printed after the table


@functools.cache
def numba_kernel(name: str) -> Callable:
    numba = peer("numba")
    kernel = numba.njit(cache=False)(WORKLOADS[name].kernel)  # no disk cache: compile is timed
    start = time.perf_counter()
    kernel(np.zeros(1), np.zeros(1), WORKLOADS[name].p)
    COMPILE[f"numba compile, {name}"] = time.perf_counter() - start
    return kernel


def numpy_primal(case: Case) -> Callable[[], tuple[Any, Any]]:
    f, x, w, p = case.workload.f, case.x, case.w, case.workload.p
    return lambda: (np.sum(w * f(np, x, p)), None)


def numba_fused(case: Case) -> Callable[[], tuple[Any, Any]]:
    kernel = numba_kernel(case.workload.name)
    x, w, p = case.x, case.w, case.workload.p
    return lambda: kernel(x, w, p)


def jax_value_and_grad(case: Case, jit: bool) -> Callable[[], tuple[Any, Any]]:
    jax = jax_module()
    jnp = importlib.import_module("jax.numpy")
    f = case.workload.f

    def integral(p: Any, x: Any, w: Any) -> Any:
        return jnp.sum(w * f(jnp, x, p))

    run = jax.value_and_grad(integral)
    args = tuple(jnp.asarray(a) for a in (case.workload.p, case.x, case.w))
    if jit:
        run = jax.jit(run)
        start = time.perf_counter()
        run.lower(*args).compile()
        COMPILE[f"jax.jit trace+compile, {case.workload.name} N={case.n}"] = (
            time.perf_counter() - start
        )
    return lambda: jax.block_until_ready(run(*args))


def torch_autograd(case: Case) -> Callable[[], tuple[Any, Any]]:
    torch = torch_module()
    f, p = case.workload.f, case.workload.p
    x, w = torch.from_numpy(case.x), torch.from_numpy(case.w)

    def run() -> tuple[Any, Any]:
        p_t = torch.tensor(p, requires_grad=True)
        value = torch.sum(w * f(torch, x, p_t))
        value.backward()
        return value, p_t.grad

    return run


def hips_autograd(case: Case) -> Callable[[], tuple[Any, Any]]:
    autograd, anp = peer("autograd"), peer("autograd.numpy")
    f, x, w, p = case.workload.f, case.x, case.w, case.workload.p
    run = autograd.value_and_grad(lambda q: anp.sum(w * f(anp, x, q)))
    return lambda: run(p)


@functools.cache
def fd_evaluations(name: str) -> int:
    """How many primal calls one fd gradient of this workload makes (counted at N = 100)."""
    case, count = Case.make(WORKLOADS[name], 100), 0

    def primal(q: np.ndarray) -> Any:
        nonlocal count
        count += 1
        return np.sum(case.w * case.workload.f(np, case.x, q))

    sr.finite_differences.gradient(primal, case.workload.p)
    return count


def central_fd(case: Case) -> Callable[[], tuple[Any, Any]]:
    f, x, w, p = case.workload.f, case.x, case.w, case.workload.p

    def primal(q: np.ndarray) -> Any:
        return np.sum(w * f(np, x, q))

    primal(p)
    one = min(timeit.repeat(lambda: primal(p), repeat=3, number=1))
    estimate = fd_evaluations(case.workload.name) * one
    if estimate > FD_BUDGET:
        raise Unavailable("(skipped)")
    return lambda: (primal(p), sr.finite_differences.gradient(primal, p))


def symrules_integrate(case: Case, method: str) -> Callable[[], tuple[Any, Any]]:
    wl, rule, f = case.workload, case.rule, case.workload.f
    if method == "symbolic":

        def integral(p: Any) -> Any:
            f = sr.Integrand(wl.expr, var="x", p=p)
            return sr.integrate(f, (0.0, 1.0), rule=rule, method="symbolic")

        make = sr.Integrand  # imports SymPy on first use: not part of rule generation
        start = time.perf_counter()
        made = make(wl.expr, var="x", p=wl.p)  # SymPy derives and compiles once per expression
        COMPILE.setdefault(f"symrules rule generation, {wl.name}", time.perf_counter() - start)
        run = sr.value_and_grad(integral)
        run(wl.p)  # the first quadrature compiles the kernel (the cache directory is new)
        if made.kernel is not None:
            COMPILE[f"symrules kernel compile, first use, {wl.name}"] = made.kernel.compile_seconds
            COMPILE[f"symrules kernel from the disk cache, new process, {wl.name}"] = (
                kernel_load_seconds(wl.name)
            )
        return lambda: run(wl.p)
    else:

        def integral(p: Any) -> Any:  # the closure's only array field is p
            return sr.integrate(lambda x: f(np, x, p), (0.0, 1.0), rule=rule, method="ad")

    run = sr.value_and_grad(integral)
    return lambda: run(wl.p)


_LOAD = """
import time, numba, numpy as np, symrules as sr  # imports are not part of loading the kernel
start = time.perf_counter()
numba.njit(lambda: 0)()  # numba's first dispatch in a process sets up its CPU target
numba_start = time.perf_counter() - start
f = sr.Integrand({expr!r}, var="x", p=np.array({p!r}))
sr.value_and_grad(lambda q: sr.integrate(sr.with_fields(f, p=q), (0.0, 1.0),
                  rule=sr.GaussLegendre(10), method="symbolic"))(np.array({p!r}))
print(numba_start, f.kernel.compile_seconds)
"""


@functools.cache
def kernel_load_seconds(name: str) -> float:
    """Seconds a new process takes to load workload ``name``'s kernel from the disk cache
    (numba's ``cache=True``): the time its first quadrature spends getting the kernel ready,
    imports and numba's own once-per-process start (recorded separately) excluded."""
    wl = WORKLOADS[name]
    code = _LOAD.format(expr=wl.expr, p=wl.p.tolist())
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    numba_start, load = (float(v) for v in out.stdout.split()[-2:])
    COMPILE.setdefault("numba's start in a new process (any first njit call)", numba_start)
    return load


def symrules_jit(case: Case) -> Callable[[], tuple[Any, Any]]:
    """``jit(value_and_grad(...))`` of the symbolic integral: traced and generated once (timed
    apart, the SymPy rule already made by "symbolic"), the generated code after."""
    wl, rule = case.workload, case.rule

    def integral(p: Any) -> Any:
        return sr.integrate(sr.Integrand(wl.expr, var="x", p=p), (0.0, 1.0), rule=rule)

    run = sr.jit(sr.value_and_grad(integral))
    start = time.perf_counter()
    run(wl.p)
    COMPILE[f"symrules jit trace + code generation, {wl.name}, N = {case.n}"] = (
        time.perf_counter() - start
    )
    return lambda: run(wl.p)


def symrules_engine(case: Case) -> Callable[[], tuple[Any, Any]]:
    f, x, w, p = case.workload.f, case.x, case.w, case.workload.p
    run = sr.value_and_grad(lambda q: np.sum(w * f(np, x, q)))
    return lambda: run(p)


METHODS: dict[str, Callable[[Case], Callable[[], tuple[Any, Any]]]] = {
    "numpy": numpy_primal,
    "numba": numba_fused,
    "jax.jit": functools.partial(jax_value_and_grad, jit=True),
    "jax": functools.partial(jax_value_and_grad, jit=False),
    "torch": torch_autograd,
    "autograd": hips_autograd,
    "fd": central_fd,
    "symbolic": functools.partial(symrules_integrate, method="symbolic"),
    "ad": functools.partial(symrules_integrate, method="ad"),
    "engine": symrules_engine,
    "jit": symrules_jit,
}


# ---------------------------------------------------------------------------------------------
# Checking, timing, reporting.


def as_numpy(a: Any) -> np.ndarray:
    """A float array from a numpy, jax or torch result."""
    return np.asarray(a.detach() if hasattr(a, "detach") else a, dtype=float)


def check(case: Case, method: str, run: Callable[[], tuple[Any, Any]]) -> tuple[float, str]:
    """``(max rel err, "")``, or the error and a message naming what disagrees."""
    exact_value, exact_grad = case.oracle
    value, grad = run()
    value = float(as_numpy(value))
    err = abs(value - exact_value) / abs(exact_value)
    problem = f"value {value!r} != {exact_value!r}" if err > VALUE_RTOL else ""
    if grad is not None:
        grad = as_numpy(grad)
        grad_err = float(np.max(np.abs(grad - exact_grad)) / np.max(np.abs(exact_grad)))
        if grad_err > (FD_RTOL if method == "fd" else GRAD_RTOL):
            problem = problem or f"gradient off by {grad_err:.1e} (relative, max norm)"
        err = max(err, grad_err)
    if problem:
        problem = f"{method} on {case.workload.name}, N={case.n}: {problem}"
    return err, problem


def build(cases: list[Case], quick: bool) -> tuple[dict, dict, list[str]]:
    """Every method's callable (warmed up and checked) or the reason it has none."""
    runs: dict[tuple[str, int, str], Callable] = {}
    cells: dict[tuple[str, int, str], str] = {}
    errors: dict[tuple[str, int, str], float] = {}
    problems = []
    for case in cases:
        for method, make in METHODS.items():
            key = (case.workload.name, case.n, method)
            if quick and case.n > QUICK_MAX_N and method in QUICK_SKIPS:
                cells[key] = "(skipped)"
                continue
            try:
                run = make(case)
            except Unavailable as why:
                cells[key] = str(why)
                continue
            errors[key], problem = check(case, method, run)
            if problem:
                problems.append(problem)
                cells[key] = "FAILED"
            else:
                runs[key] = run
        print(f"checked {case.workload.name} N={case.n}", file=sys.stderr, flush=True)
    return runs, {"cells": cells, "errors": errors}, problems


def measure(runs: dict, rounds: int) -> dict:
    """Median seconds per call over ``rounds`` interleaved rounds of fixed-count timeit loops."""
    timers = {key: timeit.Timer(run) for key, run in runs.items()}
    numbers = {key: timer.autorange()[0] for key, timer in timers.items()}
    samples: dict = {key: [] for key in runs}
    keys = list(runs)
    for r in range(rounds):
        print(f"round {r + 1}/{rounds}", file=sys.stderr, flush=True)
        for key in keys:
            runs[key]()  # untimed: memory freed a while ago may have gone back to the host
            samples[key].append(timers[key].timeit(numbers[key]) / numbers[key])
    return {key: statistics.median(times) for key, times in samples.items()}


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    dists = ("numpy", "jax", "jaxlib", "torch", "numba", "autograd", "symrules")
    libs = ", ".join(f"{dist} {version(dist)}" for dist in dists)
    return (
        f"# {platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n# {libs}\n"
        f"# single-threaded: OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
        "torch.set_num_threads(1), jax on CPU without Eigen threads, serial numba"
    )


def report(cases: list[Case], times: dict, built: dict, rounds: int) -> list[list]:
    """Print the table; return its rows for the CSV."""
    cells, errors = built["cells"], built["errors"]
    lines: list[list[str]] = [["", "N", *("numpy µs" if m == "numpy" else m for m in METHODS)]]
    rows = []
    for case in cases:
        name, n = case.workload.name, case.n
        primal = times.get((name, n, "numpy"))
        ratios, errs = [name, str(n)], ["  err", ""]
        for method in METHODS:
            key = (name, n, method)
            if key in times and primal:
                ratio = times[key] / primal
                rows.append([name, n, method, times[key], ratio, errors[key]])
                ratios.append(f"{primal * 1e6:.1f}" if method == "numpy" else f"{ratio:.2f}{TIMES}")
            else:
                ratios.append(cells.get(key, "-"))  # not installed, (skipped) or FAILED
            err = errors.get(key)
            errs.append("" if err is None else "0" if err == 0 else f"{err:.0e}")
        lines += [ratios, errs]
    widths = [max(9, *(len(line[j]) for line in lines)) for j in range(1, len(lines[0]))]
    print(machine())
    print(
        f"# cell = median seconds per call / numpy primal's, {rounds} interleaved rounds; "
        "'err' = max rel err of value and gradient vs the closed form"
    )
    for line in lines:
        padded = (f"{c:>{w}s}" for c, w in zip(line[1:], widths, strict=True))
        print(f"{line[0]:6s} " + " ".join(padded))
    print("# one-off costs, not in the ratios:")
    for what, seconds in sorted(COMPILE.items()):
        print(f"#   {what}: {seconds:.3f} s")
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_ROUNDS} rounds; slow peers not timed above {QUICK_MAX_N}",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=lambda s: int(float(s)),
        default=SIZES,
        help="node counts N (e.g. 100 1e4)",
    )
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--rounds", type=int, help=f"default {ROUNDS} ({QUICK_ROUNDS} if --quick)")
    parser.add_argument("--csv", metavar="PATH", help="also write the table as CSV")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS)
    cases = [Case.make(WORKLOADS[name], n) for name in args.workloads for n in args.sizes]
    runs, built, problems = build(cases, args.quick)
    if problems:
        sys.exit("disagreement with the closed form, nothing timed:\n  " + "\n  ".join(problems))
    times = measure(runs, rounds)
    rows = report(cases, times, built, rounds)
    if args.csv:
        with open(args.csv, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["workload", "N", "method", "seconds", "ratio", "max_rel_err"])
            writer.writerows(rows)


if __name__ == "__main__":
    main()
