"""How a rule learns which cotangents are needed: ``Needs``, passed explicitly.

Pins down that the engine hands a rule the needs of its traced inputs and fields, that
``rrule()`` hands the same object to the same rule (so a user's call behaves as the engine's),
that a skipped cotangent is neither zero nor "no derivative" and cannot be used as a value,
and that a rule skipping a cotangent the engine needs is an error, not a silent zero. Oracles:
closed-form derivatives of small polynomials.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import symrules as sr

needs_seen: list[sr.Needs] = []


@sr.primitive
@dataclass(frozen=True)
class Poly:
    """``a x^2 + b x``: a callable object with two fields."""

    a: float
    b: float

    def __call__(self, x):
        return self.a * x**2 + self.b * x


@sr.register_rrule(Poly)
def poly_rrule(f, x, *, needs):
    needs_seen.append(needs)

    def poly_pullback(y_bar):
        fields = {}
        if needs[0]:
            paths = needs.paths(0)
            if paths is None or ("a",) in paths:
                fields["a"] = np.sum(y_bar * x**2)
            if paths is None or ("b",) in paths:
                fields["b"] = np.sum(y_bar * x)
        f_bar = sr.Tangent(f, **fields) if needs[0] else sr.SkippedTangent()
        x_bar = y_bar * (2 * f.a * x + f.b) if needs[1] else sr.SkippedTangent()
        return f_bar, x_bar

    return f(x), poly_pullback


def test_the_engine_passes_the_traced_fields_and_arguments():
    needs_seen.clear()
    x = np.array([1.0, 2.0])
    g = sr.grad(lambda b: np.sum(Poly(3.0, b)(x)))(0.5)
    assert needs_seen == [sr.Needs({("b",)}, False)]
    assert float(g) == 3.0  # sum(x)
    needs_seen.clear()
    g = sr.grad(lambda x: np.sum(Poly(3.0, 0.5)(x)))(x)
    assert needs_seen == [sr.Needs(False, True)]
    np.testing.assert_array_equal(g, 6.0 * x + 0.5)


def test_rrule_called_by_a_user_behaves_as_the_engine_call():
    x = np.array([1.0, 2.0])
    f = Poly(3.0, 0.5)
    _, pullback = sr.rrule(f, x, needs=sr.Needs({"b"}, False))
    f_bar, x_bar = pullback(np.ones(2))
    assert f_bar.fields == {"b": 3.0} and x_bar is sr.SkippedTangent()
    _, pullback = sr.rrule(f, x)  # no needs: everything
    f_bar, x_bar = pullback(np.ones(2))
    assert f_bar.fields == {"a": 5.0, "b": 3.0}
    np.testing.assert_array_equal(x_bar, 6.0 * x + 0.5)


def test_needs_api():
    needs = sr.Needs(True, {"p", ("q", 0)}, False)
    assert needs[0] and needs[1] and not needs[2] and needs[7]
    assert needs.paths(0) is None and needs.paths(2) == frozenset()
    assert needs.paths(1) == {("p",), ("q", 0)}
    assert needs.select(2, 0) == sr.Needs(False, True)
    assert sr.Needs(set()) == sr.Needs(False)  # no path at all is nothing
    with pytest.raises(TypeError, match="True, False or a set"):
        sr.Needs("p")


def test_a_skipped_tangent_is_not_a_value():
    skipped = sr.SkippedTangent()
    assert skipped is not sr.ZeroTangent() and skipped is not sr.NoTangent()
    for use in (lambda: skipped + 1.0, lambda: 2.0 * skipped, lambda: np.ones(2) + skipped):
        with pytest.raises(sr.RuleError, match="SkippedTangent"):
            use()


def test_a_rule_that_skips_a_needed_cotangent_is_an_error():
    @sr.primitive
    def half(x):
        return 0.5 * x

    @sr.register_rrule(half)
    def lazy_rrule(x, *, needs):
        return half(x), lambda y_bar: (sr.NoTangent(), sr.SkippedTangent())

    with pytest.raises(sr.MissingCotangentError, match=r"lazy_rrule.*argument 0"):
        sr.grad(half)(1.0)


def test_a_rule_without_needs_computes_everything_and_is_still_right():
    calls = []

    @sr.primitive
    def scaled(c, x):
        return c * x

    @sr.register_rrule(scaled)
    def scaled_rrule(c, x):
        calls.append("called")
        return scaled(c, x), lambda y_bar: (sr.NoTangent(), np.sum(y_bar * x), y_bar * c)

    assert float(sr.grad(lambda c: np.sum(scaled(c, np.arange(4.0))))(2.0)) == 6.0
    assert calls == ["called"]


def test_integrate_asks_the_integrand_for_f_bar_only():
    # integrate's rule passes Needs(fields, False) on: x_bar over the nodes is never computed.
    needs_seen.clear()
    g = sr.grad(lambda a: sr.integrate(Poly(a, 1.0), (0.0, 1.0), sr.GaussLegendre(3)))(2.0)
    assert needs_seen == [sr.Needs({("a",)}, False)]
    np.testing.assert_allclose(g, 1 / 3, rtol=1e-14)  # d/da of a/3 + 1/2
