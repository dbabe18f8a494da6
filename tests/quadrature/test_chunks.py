"""Chunks and executors: bounded memory, and the same bits on any executor and any worker count.

The oracle of a chunked or distributed integral is the same integral computed in one process
(bit-for-bit, since the chunks' partial sums are added in a fixed order), and of chunking
itself the unchunked sum (to rounding). A real ``dask.distributed.LocalCluster`` with two worker
processes runs the same computation as the in-memory one.
"""

from __future__ import annotations

import logging
import multiprocessing
import tracemalloc
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from box_catalogue import Bump

import symrules as sr
from symrules.quadrature import QMC, GaussLegendre, MonteCarlo, Product

RULES = [QMC(2**12, seed=11), QMC(2**12, "halton", seed=11), MonteCarlo(3 * 2**16 + 5, seed=11),
         Product(GaussLegendre(30))]  # fmt: skip
BOX = ((0.0, 1.0), (0.0, 2.0), (-1.0, 1.0))
# worker processes are spawned, not forked: a fork of a process that runs threads (numba's,
# jax's, a Dask client's) can deadlock
SPAWN = multiprocessing.get_context("spawn")


def _value_and_grad(rule, executor=None, chunk_size=2**10, make=Bump):
    def loss(a, c):
        return sr.integrate(make(a, c), BOX, rule, "ad", chunk_size=chunk_size, executor=executor)

    value, (a_bar, c_bar) = sr.value_and_grad(loss, argnums=(0, 1))(0.8, np.array([0.5, 1.0, 0.0]))
    return value, a_bar, c_bar


def _same_bits(left, right):
    for x, y in zip(left, right, strict=True):
        assert np.array_equal(np.asarray(x), np.asarray(y)), (x, y)


@pytest.mark.parametrize("rule", RULES, ids=repr)
def test_threads_and_processes_give_the_same_bits(rule):
    here = _value_and_grad(rule)
    with ThreadPoolExecutor(2) as threads:
        _same_bits(_value_and_grad(rule, threads), here)
    with ProcessPoolExecutor(2, mp_context=SPAWN) as processes:
        _same_bits(_value_and_grad(rule, processes), here)


@pytest.mark.parametrize("rule", RULES, ids=repr)
def test_chunking_changes_only_the_rounding(rule):
    """QMC and Monte Carlo points do not depend on the chunk size: only the order of the sums."""
    small, whole = _value_and_grad(rule, chunk_size=2**9), _value_and_grad(rule, chunk_size=2**22)
    for x, y in zip(small, whole, strict=True):
        assert np.asarray(x) == pytest.approx(np.asarray(y), rel=1e-13)


def test_an_integrand_travels_to_a_process_pool():
    """An Integrand is pickled as its expression and re-created (its code generated) there."""
    box, rule = ((0, 1), (0, 1)), QMC(2**10, seed=2)

    def value_and_grad(executor):
        def loss(a):
            f = sr.Integrand("exp(-a*(x**2 + y**2))", var=("x", "y"), a=a)
            return sr.integrate(f, box, rule, chunk_size=256, executor=executor)

        return sr.value_and_grad(loss)(0.5)

    with ProcessPoolExecutor(2, mp_context=SPAWN) as processes:
        _same_bits(value_and_grad(processes), value_and_grad(None))


def test_a_closure_cannot_go_to_a_process_pool():
    with (
        ProcessPoolExecutor(1, mp_context=SPAWN) as pool,
        pytest.raises(sr.QuadratureInputError, match="cannot be sent to a process pool"),
    ):
        sr.integrate(lambda x: x.sum(axis=1), BOX, QMC(2**8, seed=0), executor=pool)


def test_dask_local_cluster_gives_the_same_bits():
    distributed = pytest.importorskip("distributed")
    rule = QMC(2**12, seed=5)
    here = _value_and_grad(
        rule, make=lambda a, c: lambda x: np.exp(-a * ((x - c) ** 2).sum(axis=1))
    )
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:  # fmt: skip
        there = _value_and_grad(
            rule,
            client.get_executor(),
            make=lambda a, c: lambda x: np.exp(-a * ((x - c) ** 2).sum(axis=1)),
        )
    _same_bits(there, here)


def test_peak_memory_does_not_grow_with_the_number_of_points():
    """tracemalloc sees numpy's buffers: 8 times the points, the same chunk, the same peak.

    Chunks of 2**15 points in 3 dimensions are too large for the cache of small chunks' points,
    so nothing is kept between chunks."""

    def peak(n):
        tracemalloc.start()
        sr.value_and_grad(lambda a: sr.integrate(Bump(a, np.zeros(3)), BOX, QMC(n, seed=1),
                                                 chunk_size=2**15))(0.8)  # fmt: skip
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(2**15), peak(2**18)
    assert large < 1.5 * small  # one chunk of 2**15 points x 3 coordinates in both
