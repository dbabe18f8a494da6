"""Custom rules that return ``f_bar``: the engine routes each field's cotangent home.

Pins down the seed's question: a primitive ``integrate(f)`` whose hand-written rule returns a
``Tangent`` for the closure's captured ``p``, a ``Dense``-like callable dataclass whose rule
returns ``Tangent(layer, W=..., b=...)``, and a ``sum(f, xs)`` primitive whose rule calls back
into the engine with ``rrule_via_ad``. Oracles: closed forms and finite differences. A rule that
drops a traced field, or returns malformed cotangents, is an error naming the culprit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import symrules as sr
from symrules import finite_differences as fd

# The seed's gradient is exact up to summation round-off over 100 terms.
SEED_RTOL = 1e-12
# Central finite differences of smooth functions reach about 1e-8 relative accuracy.
FD_RTOL = 1e-6

DX = np.diff(np.linspace(0.0, 1.0, 101))
X = np.cumsum(DX)
SEED_GRADIENT = np.array([0.505, 1.0])  # (sum(x dx), sum(dx)) = ((n + 1) / (2n), 1), n = 100


def naive_integrate(f):
    return np.sum(f(X) * DX)


@sr.primitive
def integrate(f):
    return np.sum(f(X) * DX)


RULE_CALLS: list[str] = []


@sr.register_rrule(integrate)
def integrate_rrule(f):
    """Hand-written rule for integrands of the form ``p[0]*x + p[1]`` (the seed's closure)."""
    RULE_CALLS.append("integrate")
    y = integrate(f)
    moments = np.array([np.sum(X * DX), np.sum(DX)])  # d/dp of sum((p0 x + p1) dx)

    def integrate_pullback(y_bar):
        return sr.NoTangent(), sr.Tangent(f, p=y_bar * moments)

    return y, integrate_pullback


def seed_main(integrate_fn):
    def main(p):
        def f(x):
            return p[0] * x + p[1]

        return integrate_fn(f)

    return main


def test_seed_through_the_engine():
    g = sr.grad(seed_main(naive_integrate))(np.array([2.0, 1.0]))
    np.testing.assert_allclose(g, SEED_GRADIENT, rtol=SEED_RTOL)


def test_seed_custom_rule_returns_f_bar_and_is_used():
    RULE_CALLS.clear()
    value, g = sr.value_and_grad(seed_main(integrate))(np.array([2.0, 1.0]))
    assert RULE_CALLS == ["integrate"]
    np.testing.assert_allclose(g, SEED_GRADIENT, rtol=SEED_RTOL)
    np.testing.assert_allclose(value, 2.0 * 0.505 + 1.0, rtol=SEED_RTOL)


def test_seed_rule_that_ignores_the_closure_is_an_error():
    @sr.primitive
    def lazy_integrate(f):
        return np.sum(f(X) * DX)

    @sr.register_rrule(lazy_integrate)
    def lazy_rrule(f):
        return lazy_integrate(f), lambda y_bar: (sr.NoTangent(), sr.NoTangent())

    with pytest.raises(sr.MissingCotangentError, match=r"f\.p of argument 0"):
        sr.grad(seed_main(lazy_integrate))(np.array([2.0, 1.0]))


def test_seed_rule_with_a_tangent_missing_the_field_is_an_error():
    @sr.primitive
    def partial_integrate(f):
        return np.sum(f(X) * DX)

    @sr.register_rrule(partial_integrate)
    def partial_rrule(f):
        return partial_integrate(f), lambda y_bar: (sr.NoTangent(), sr.Tangent(f))

    with pytest.raises(sr.MissingCotangentError, match=r"f\.p"):
        sr.grad(seed_main(partial_integrate))(np.array([2.0, 1.0]))


@sr.primitive
@dataclass(frozen=True)
class Dense:
    """``y = tanh(W x + b)``, a callable layer whose fields are its data."""

    W: np.ndarray
    b: np.ndarray

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)


DENSE_RULE_CALLS: list[str] = []


@sr.register_rrule(Dense)
def dense_rrule(layer, x):
    DENSE_RULE_CALLS.append("dense")
    y = np.tanh(layer.W @ x + layer.b)

    def dense_pullback(y_bar):
        z_bar = y_bar * (1.0 - y**2)
        W_bar = z_bar[:, None] * x[None, :]
        return sr.Tangent(layer, W=W_bar, b=z_bar), layer.W.T @ z_bar

    return y, dense_pullback


@pytest.fixture
def dense_problem(rng):
    W = rng.standard_normal((3, 2))
    b = rng.standard_normal(3)
    x = rng.standard_normal(2)
    return W, b, x


def dense_loss(W, b, x):
    return np.sum(Dense(W, b)(x) ** 2)


def test_dense_rule_matches_finite_differences(dense_problem):
    W, b, x = dense_problem
    DENSE_RULE_CALLS.clear()
    gW, gb, gx = sr.grad(dense_loss, argnums=(0, 1, 2))(W, b, x)
    assert DENSE_RULE_CALLS == ["dense"]
    np.testing.assert_allclose(gW, fd.gradient(lambda W: dense_loss(W, b, x), W), rtol=FD_RTOL)
    np.testing.assert_allclose(gb, fd.gradient(lambda b: dense_loss(W, b, x), b), rtol=FD_RTOL)
    np.testing.assert_allclose(gx, fd.gradient(lambda x: dense_loss(W, b, x), x), rtol=FD_RTOL)


def test_grad_with_respect_to_a_layer_is_a_tangent(dense_problem):
    W, b, x = dense_problem
    layer = Dense(W, b)
    t = sr.grad(lambda layer: np.sum(layer(x) ** 2))(layer)
    assert isinstance(t, sr.Tangent) and t.primal is layer
    np.testing.assert_allclose(t.fields["W"], sr.grad(dense_loss)(W, b, x), rtol=FD_RTOL)
    np.testing.assert_allclose(t.fields["b"], sr.grad(dense_loss, 1)(W, b, x), rtol=FD_RTOL)


@sr.primitive
def fsum(f, xs):
    """``sum(f(xs))`` for a vectorized ``f``: one tape over all of ``xs``."""
    return np.sum(f(xs))


@sr.register_rrule(fsum)
def fsum_rrule(f, xs):
    y, f_pullback = sr.rrule_via_ad(f, xs)

    def fsum_pullback(y_bar):
        f_bar, xs_bar = f_pullback(y_bar * np.ones_like(y))
        return sr.NoTangent(), f_bar, xs_bar

    return np.sum(y), fsum_pullback


def cube(x):
    return x**3


def test_fsum_with_a_closure_routes_f_bar_to_the_captured_value():
    xs = np.linspace(0.1, 1.0, 7)

    def loss(a):
        return fsum(lambda x: a * np.sin(x), xs)

    np.testing.assert_allclose(sr.grad(loss)(1.5), np.sum(np.sin(xs)), rtol=SEED_RTOL)


def test_fsum_gradient_in_xs_and_in_a_closure_together():
    xs0 = np.linspace(0.1, 1.0, 5)

    def loss(a, xs):
        return fsum(lambda x: a * x**2, xs)

    ga, gxs = sr.grad(loss, argnums=(0, 1))(2.0, xs0)
    np.testing.assert_allclose(ga, np.sum(xs0**2), rtol=SEED_RTOL)
    np.testing.assert_allclose(gxs, 2 * 2.0 * xs0, rtol=SEED_RTOL)


def test_fsum_with_a_field_less_function_spends_no_work_on_f_bar(monkeypatch):
    xs0 = np.linspace(0.1, 1.0, 5)
    built = []
    original_init = sr.Tangent.__init__
    monkeypatch.setattr(sr.Tangent, "__init__", lambda self, *a, **k: (
        built.append(a), original_init(self, *a, **k))[1])  # fmt: skip
    _y, pullback = sr.rrule(fsum, cube, xs0)
    _f_bar, fsum_f_bar, xs_bar = pullback(1.0)
    assert fsum_f_bar is sr.NoTangent() and built == []
    np.testing.assert_allclose(xs_bar, 3 * xs0**2, rtol=SEED_RTOL)
    np.testing.assert_allclose(sr.grad(lambda xs: fsum(cube, xs))(xs0), 3 * xs0**2)


@pytest.mark.parametrize("takes_needs", [True, False], ids=["needs", "no-needs"])
def test_fsum_skips_f_bar_for_a_closure_over_untraced_values(takes_needs):
    # A rule that takes `needs` and passes it on skips f_bar (the closure's c is not traced);
    # one that does not computes it. The gradient is the closed form 2 c x either way.
    c = 2.0
    xs0 = np.linspace(0.1, 1.0, 5)
    seen = []

    @sr.primitive
    def spy_sum(f, xs):
        return np.sum(f(xs))

    def spy(f, xs, needs):
        y, f_pullback = sr.rrule_via_ad(f, xs, needs=needs)

        def spy_pullback(y_bar):
            f_bar, xs_bar = f_pullback(y_bar * np.ones_like(y))
            seen.append(f_bar)
            return sr.NoTangent(), f_bar, xs_bar

        return np.sum(y), spy_pullback

    if takes_needs:

        @sr.register_rrule(spy_sum)
        def spy_rrule_with_needs(f, xs, *, needs):
            return spy(f, xs, needs.select(1, 2))

    else:

        @sr.register_rrule(spy_sum)
        def spy_rrule(f, xs):
            return spy(f, xs, None)

    g = sr.grad(lambda xs: spy_sum(lambda x: c * x**2, xs))(xs0)
    np.testing.assert_allclose(g, 2 * c * xs0, rtol=SEED_RTOL)
    if takes_needs:
        assert seen == [sr.SkippedTangent()]
    else:
        np.testing.assert_allclose(seen[0].fields["c"], np.sum(xs0**2), rtol=SEED_RTOL)


# ---------------------------------------------------------------------------------------
# malformed rules


def make_primitive_with_pullback(pullback_result):
    @sr.primitive
    def scale(a, x):
        return a * x

    @sr.register_rrule(scale)
    def broken_scale_rrule(a, x):
        return scale(a, x), lambda y_bar: pullback_result(a, x, y_bar)

    return scale


def test_wrong_number_of_cotangents_names_the_rule():
    scale = make_primitive_with_pullback(lambda a, x, y_bar: (y_bar * x, y_bar * a))
    with pytest.raises(sr.RuleError, match=r"broken_scale_rrule.*returned 2 cotangents.*3"):
        sr.grad(lambda a: np.sum(scale(a, np.ones(3))))(2.0)


def test_wrongly_shaped_cotangent_names_the_argument():
    scale = make_primitive_with_pullback(
        lambda a, x, y_bar: (sr.NoTangent(), y_bar * x, y_bar * a)  # a_bar not summed
    )
    message = r"shape \(3,\) for argument 0 \(a\), whose shape is \(\)"
    with pytest.raises(sr.RuleError, match=message):
        sr.grad(lambda a: np.sum(scale(a, np.ones(3))))(2.0)


def test_no_tangent_for_a_traced_float_argument_is_an_error():
    scale = make_primitive_with_pullback(lambda a, x, y_bar: (sr.NoTangent(),) * 3)
    with pytest.raises(sr.MissingCotangentError, match=r"argument 0 \(a\)"):
        sr.grad(lambda a: np.sum(scale(a, np.ones(3))))(2.0)


def test_rule_not_returning_a_pair_is_an_error():
    @sr.primitive
    def ident(x):
        return x

    @sr.register_rrule(ident)
    def bad_ident_rrule(x):
        return x

    with pytest.raises(sr.RuleError, match=r"bad_ident_rrule.*\(y, pullback\)"):
        sr.grad(ident)(1.0)


def test_primitive_without_rule_is_traced_through():
    @sr.primitive
    def softplus(x):
        return np.log1p(np.exp(x))

    np.testing.assert_allclose(sr.grad(softplus)(0.3), 1 / (1 + np.exp(-0.3)), rtol=1e-14)


def test_primitive_closing_over_a_traced_value_is_an_error():
    def loss(a):
        @sr.primitive
        def scaled(x):
            return a * x

        return scaled(a)

    with pytest.raises(sr.TracingError, match="closes over a traced value"):
        sr.grad(loss)(1.0)
