"""The rule checkers accept correct rules and name the input a broken rule gets wrong.

Pins down: check_rrule, check_frule and check_grad pass on rules whose derivatives are known
in closed form (a weighted product, a callable dataclass, a closure, numpy functions), and for
each deliberately broken rule -- a wrong cotangent for one argument, a dropped or zero f_bar,
a missing field, a float given NoTangent, an integer given a number, the wrong arity, shape or
primal -- raise RuleCheckError whose message names that argument or field and no other.
"""

import dataclasses
import re

import numpy as np
import pytest

import symrules as sr
from symrules.errors import RuleCheckError
from symrules.testing import check_frule, check_grad, check_rrule

# A message line reporting one number: "    <label>   =  1.2345678901e+00".
NUMBER_LINE = re.compile(r"=\s+(-?\d\.\d+e[+-]\d+)")
NO_TANGENT = sr.NoTangent()


@sr.primitive
def weighted(x, w, n):
    """``n * w * x**2`` with an integer ``n``."""
    return n * w * x**2


def weighted_rule(wrong_w=False, n_bar=NO_TANGENT):
    def rule(x, w, n):
        def weighted_pullback(y_bar):
            w_bar = np.sum(y_bar * n * x**2)
            return sr.NoTangent(), y_bar * 2 * n * w * x, 2 * w_bar if wrong_w else w_bar, n_bar

        return weighted(x, w, n), weighted_pullback

    return rule


@dataclasses.dataclass
class Bump:
    """``amp[0] * exp(-((x - mu) / amp[1])**2)`` with fields ``mu`` and ``amp``."""

    mu: float
    amp: tuple
    name: str = "bump"

    def __call__(self, x):
        return self.amp[0] * np.exp(-(((x - self.mu) / self.amp[1]) ** 2))


def bump_partials(f, x):
    """Closed-form partials of Bump: d/dx, d/dmu, d/damp[0], d/damp[1]."""
    a, s = f.amp
    e = np.exp(-(((x - f.mu) / s) ** 2))
    dx = -2 * a * e * (x - f.mu) / s**2
    return dx, -dx, e, 2 * a * e * (x - f.mu) ** 2 / s**3


def register_bump(drop=(), scale_amp1=1.0):
    """Register Bump's rules; ``drop``: fields left out of f_bar; a factor != 1 breaks amp[1]."""

    @sr.register_rrule(Bump)
    def bump_rrule(f, x):
        dx, dmu, da0, da1 = bump_partials(f, x)

        def bump_pullback(y_bar):
            amp_bar = (np.sum(y_bar * da0), scale_amp1 * np.sum(y_bar * da1))
            fields = {"mu": np.sum(y_bar * dmu), "amp": amp_bar}
            kept = {k: v for k, v in fields.items() if k not in drop}
            return sr.Tangent(f, **kept), y_bar * dx

        return f(x), bump_pullback

    @sr.register_frule(Bump)
    def bump_frule(dots, f, x):
        f_dot, x_dot = dots
        dx, dmu, da0, da1 = bump_partials(f, x)
        y_dot = dx * x_dot
        if isinstance(f_dot, sr.Tangent):
            y_dot = y_dot + dmu * f_dot.mu
            if f_dot.amp is not sr.ZeroTangent():
                y_dot = y_dot + da0 * f_dot.amp[0] + scale_amp1 * da1 * f_dot.amp[1]
        return f(x), y_dot


sr.primitive(Bump)


def make_scaled(p):
    """A closure ``p * sin(x)``, with its own rrule registered on the closure object."""

    def scaled(x):
        return p * np.sin(x)

    return scaled


def numbers(message):
    return [float(m) for m in NUMBER_LINE.findall(message)]


def test_correct_function_rules_pass(rng):
    sr.register_rrule(weighted)(weighted_rule())
    x, w = rng.standard_normal(4), 0.7
    check_rrule(weighted, x, w, 3, rng=rng)


@pytest.mark.parametrize("fn", [np.sin, np.exp, np.tanh])
def test_numpy_rules_pass(fn, rng):
    x = rng.uniform(0.1, 1.0, size=3)
    check_rrule(fn, x, rng=rng)
    check_frule(fn, x, rng=rng)


def test_correct_object_rules_pass(rng):
    register_bump()
    f = Bump(0.2, (1.5, 0.8))
    x = np.linspace(-1.0, 1.0, 5)
    check_rrule(f, x, rng=rng)
    check_frule(f, x, rng=rng)


def test_correct_closure_rule_passes(rng):
    f = make_scaled(2.0)

    @sr.register_rrule(f)
    def scaled_rrule(x):
        def scaled_pullback(y_bar):
            return sr.Tangent(f, p=np.sum(y_bar * np.sin(x))), y_bar * 2.0 * np.cos(x)

        return f(x), scaled_pullback

    check_rrule(f, rng.standard_normal(3), rng=rng)


def test_wrong_cotangent_names_the_argument(rng):
    sr.register_rrule(weighted)(weighted_rule(wrong_w=True))
    with pytest.raises(RuleCheckError) as info:
        check_rrule(weighted, rng.standard_normal(4), 0.7, 3, rng=rng)
    message = str(info.value)
    assert "rrule(weighted) disagrees with finite differences for argument 1 (w)" in message
    assert "argument 0" not in message
    ad, fd = numbers(message)
    # The broken rule doubles w_bar, so the pullback's number is twice the FD one.
    assert np.isclose(ad, 2 * fd, rtol=1e-8)


def test_integer_argument_must_get_notangent(rng):
    sr.register_rrule(weighted)(weighted_rule(n_bar=sr.ZeroTangent()))
    with pytest.raises(RuleCheckError, match=r"argument 2 \(n\) holds no float value"):
        check_rrule(weighted, rng.standard_normal(2), 0.7, 3, rng=rng)


def test_dropped_field_is_named(rng):
    f = make_scaled(2.0)

    @sr.register_rrule(f)
    def scaled_rrule(x):
        def scaled_pullback(y_bar):
            return sr.NoTangent(), y_bar * 2.0 * np.cos(x)

        return f(x), scaled_pullback

    with pytest.raises(RuleCheckError, match=r"field f\.p is a float, but rrule\(scaled\)"):
        check_rrule(f, rng.standard_normal(3), rng=rng)


def test_zero_f_bar_is_caught_by_finite_differences(rng):
    f = make_scaled(2.0)

    @sr.register_rrule(f)
    def scaled_rrule(x):
        def scaled_pullback(y_bar):
            return sr.ZeroTangent(), y_bar * 2.0 * np.cos(x)

        return f(x), scaled_pullback

    with pytest.raises(RuleCheckError, match=r"for field f\.p:") as info:
        check_rrule(f, rng.standard_normal(3), rng=rng)
    ad, fd = numbers(str(info.value))
    assert ad == 0.0 and abs(fd) > 1e-3


def test_missing_and_wrong_nested_fields_are_named(rng):
    register_bump(drop=("mu",), scale_amp1=1.5)
    with pytest.raises(RuleCheckError) as info:
        check_rrule(Bump(0.2, (1.5, 0.8)), np.linspace(-1.0, 1.0, 4), rng=rng)
    message = str(info.value)
    assert "for field f.mu (absent from the cotangent, taken as zero)" in message
    assert "for field f.amp[1]" in message
    assert "f.amp[0]" not in message and "argument 0" not in message


def test_frule_wrong_field_is_named(rng):
    register_bump(scale_amp1=1.5)
    with pytest.raises(RuleCheckError) as info:
        check_frule(Bump(0.2, (1.5, 0.8)), np.linspace(-1.0, 1.0, 4), rng=rng)
    message = str(info.value)
    assert "frule(Bump) disagrees with finite differences for field f.amp[1]" in message
    assert "f.mu" not in message and "f.amp[0]" not in message and "argument 0" not in message


def test_malformed_pullbacks(rng):
    @sr.primitive
    def twice(x):
        return 2.0 * x

    @sr.register_rrule(twice)
    def twice_rrule(x):
        return twice(x), lambda y_bar: (2.0 * y_bar,)

    with pytest.raises(RuleCheckError, match=r"expected a tuple of 1 \+ 1 cotangents"):
        check_rrule(twice, 1.0, rng=rng)

    @sr.register_rrule(twice)
    def twice_rrule_no_tangent(x):
        return twice(x), lambda y_bar: (sr.NoTangent(), sr.NoTangent())

    with pytest.raises(RuleCheckError, match=r"argument 0 \(x\) is a float, but .* NoTangent"):
        check_rrule(twice, 1.0, rng=rng)

    @sr.register_rrule(twice)
    def twice_rrule_shape(x):
        return twice(x), lambda y_bar: (sr.NoTangent(), np.full((3, 1), 2.0))

    with pytest.raises(RuleCheckError, match=r"argument 0 \(x\) has shape \(3, 1\)"):
        check_rrule(twice, np.ones(3), rng=rng)

    @sr.register_rrule(twice)
    def twice_rrule_primal(x):
        return 3.0 * x, lambda y_bar: (sr.NoTangent(), 2.0 * y_bar)

    with pytest.raises(RuleCheckError, match=r"primal of rrule\(twice\)"):
        check_rrule(twice, 1.0, rng=rng)


def test_no_rule():
    @sr.primitive
    def lonely(x):
        return x

    with pytest.raises(RuleCheckError, match="no rrule for lonely"):
        check_rrule(lonely, 1.0)
    with pytest.raises(RuleCheckError, match="no frule for lonely"):
        check_frule(lonely, 1.0)


def test_check_grad_through_closure_and_object(rng):
    register_bump()
    p = np.array([0.5, -1.2])

    def integral(g):
        xs = np.linspace(0.0, 1.0, 7)
        return np.sum(p[0] * g(xs) + p[1] * np.sin(xs) ** 2)

    check_grad(integral, Bump(0.3, (1.1, 0.6)), rng=rng)
    check_grad(lambda x: np.tanh(p[0] * x) * p[1], np.linspace(-1.0, 1.0, 3), rng=rng)


def test_check_grad_names_a_broken_inner_rule(rng):
    register_bump(scale_amp1=1.5)
    f = Bump(0.3, (1.1, 0.6))

    def integral(x):
        return np.sum(f(x))

    with pytest.raises(RuleCheckError) as info:
        check_grad(integral, np.linspace(0.0, 1.0, 4), rng=rng)
    message = str(info.value)
    assert "the gradient of integral disagrees with finite differences for field f.f.amp[1]" in (
        message
    )
    assert "f.f.mu" not in message and "argument 0" not in message


def test_error_is_a_symrules_assertion():
    assert issubclass(RuleCheckError, sr.SymrulesError)
    assert issubclass(RuleCheckError, AssertionError)
