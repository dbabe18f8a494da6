"""jit: generated code that gives the engine's numbers, and guards that never run a stale program.

The oracles are closed forms and the eager engine on the same call (the engine's own catalogue
runs under jit in test_numpy_table.py, and the integrate catalogue in test_integration.py).
"""

from __future__ import annotations

import inspect
import linecache

import numpy as np
import pytest

import symrules as sr
from symrules.engine.jit import MAX_PROGRAMS

X = np.linspace(0.0, 1.0, 101)


def test_a_branch_on_a_traced_value_gives_both_sides_right():
    def f(t):
        return t**3 if t > 0 else np.sin(t)

    g = sr.jit(sr.grad(f))
    for t in (0.5, -0.5, 2.0, -2.0, 0.25):
        want = 3 * t**2 if t > 0 else np.cos(t)
        assert g(t) == pytest.approx(want, rel=1e-15)
    assert g.traces == 2  # one program per side, each replayed afterwards
    assert g.programs == 2


def test_a_loop_on_a_traced_value_retraces_when_its_count_changes():
    """Newton's square root, iterated while the error exceeds a tolerance: the derivative
    1 / (2 sqrt(a)) through the iterations, whatever their number."""

    def root(a):
        r = a
        while np.abs(r * r - a) > 1e-12:
            r = 0.5 * (r + a / r)
        return r

    g = sr.jit(sr.grad(root))
    for a in (2.0, 2.1, 30.0, 2.05):
        assert g(a) == pytest.approx(0.5 / np.sqrt(a), rel=1e-10)
    assert 2 <= g.traces <= 4


def test_a_new_shape_traces_again():
    g = sr.jit(sr.grad(lambda x: np.sum(np.exp(x) * x)))
    for n in (3, 5, 3):
        x = np.linspace(0.0, 1.0, n)
        np.testing.assert_allclose(g(x), np.exp(x) * (1 + x), rtol=1e-15)
    assert g.traces == 2


def test_a_value_converted_to_a_python_number_is_guarded():
    """float(n) of a float argument (not differentiated: a step count) freezes its value into
    the program: another value traces again instead of running stale code."""

    def f(a, n):
        return np.sum(a * np.arange(int(np.ceil(float(n) * 4))))

    g = sr.jit(sr.grad(f))
    assert g(1.0, 1.0) == pytest.approx(0 + 1 + 2 + 3)
    assert g(1.0, 2.0) == pytest.approx(sum(range(8)))
    assert g(3.0, 1.0) == pytest.approx(0 + 1 + 2 + 3)
    assert g.traces == 2


def test_value_and_grad_of_the_seed_replays_without_tracing():
    rule = sr.GaussLegendre(100)

    def loss(p):
        return sr.integrate(sr.Integrand("p[0]*x + p[1]", p=p), (0.0, 1.0), rule)

    fast = sr.jit(sr.value_and_grad(loss))
    for p in ([2.0, 1.0], [3.0, -1.0], [0.5, 0.25]):
        value, g = fast(np.array(p))
        assert value == pytest.approx(p[0] / 2 + p[1], rel=1e-14)
        np.testing.assert_allclose(g, [0.5, 1.0], rtol=1e-14)
    assert fast.traces == 1


@pytest.mark.parametrize("method", ["symbolic", "ad"])
def test_a_traced_bound_and_a_field_under_jit(method):
    """d/db and d/dq of the integral of sin(q x) from 0 to b, replayed at new values."""

    def loss(q, b):
        f = sr.Integrand("sin(q*x)", q=q) if method == "symbolic" else (lambda x: np.sin(q * x))
        return sr.integrate(f, (0.0, b), sr.GaussLegendre(30), method)

    g = sr.jit(sr.grad(loss, argnums=(0, 1)))
    for q, b in ((0.7, 2.0), (1.1, 2.5), (0.3, 1.0)):
        dq, db = g(q, b)
        want_dq = (b * np.sin(q * b)) / q - (1 - np.cos(q * b)) / q**2
        assert dq == pytest.approx(want_dq, rel=1e-12)
        assert db == pytest.approx(np.sin(q * b), rel=1e-12)
    assert g.traces == 1


def test_hessian_jvp_and_vjp_under_jit():
    def f(p):
        return np.sum(np.exp(-p[0] * X) * np.cos(p[1] * X))

    p = np.array([0.5, 2.0])
    np.testing.assert_allclose(sr.jit(sr.hessian(f))(p + 0.1), sr.hessian(f)(p + 0.1), rtol=1e-13)
    jvp = sr.jit(lambda p, v: sr.jvp(f, (p,), (v,)))
    jvp(p, np.array([1.0, 0.0]))
    np.testing.assert_allclose(jvp(p, np.array([0.0, 1.0]))[1],
                               sr.grad(f)(p)[1], rtol=1e-13)  # fmt: skip


def test_closure_fields_get_their_gradient_under_jit():
    def make(a, c):
        return lambda x: a * np.exp(-c * x)

    g = sr.jit(sr.grad(lambda f: np.sum(f(X))))
    g(make(1.0, 0.5))
    t = g(make(2.0, 0.25))
    assert t.fields["a"] == pytest.approx(np.sum(np.exp(-0.25 * X)), rel=1e-14)
    assert t.fields["c"] == pytest.approx(-2.0 * np.sum(X * np.exp(-0.25 * X)), rel=1e-14)


def test_source_is_readable_and_in_tracebacks():
    g = sr.jit(sr.grad(lambda p: np.sum(np.sin(p * X))))
    g(1.0)
    assert "np.sin(" in g.source and "np.cos(" in g.source
    assert g.source.startswith("def program(")
    filename = next(k for k in linecache.cache if k.startswith("<symrules-jit"))
    assert linecache.getline(filename, 1).startswith("def program(")
    assert "jit" in inspect.getdoc(sr.jit)


def test_programs_per_signature_are_bounded():
    g = sr.jit(sr.grad(lambda t, k: t**2 * float(k)))  # a new program per value of k
    for k in np.arange(1.0, 20.0):
        assert g(1.5, k) == pytest.approx(3.0 * k)
    assert g.traces == 19
    assert g.programs == MAX_PROGRAMS
