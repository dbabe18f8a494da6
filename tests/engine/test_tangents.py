"""Tangent types: two distinct zeros, structural tangents with arithmetic, one accumulation.

Pins down ``NoTangent`` vs ``ZeroTangent`` (distinct singletons, both additive identities),
``Tangent`` arithmetic field by field with missing fields zero, and ``accumulate`` over
arrays, scalars, tuples, dicts and structural tangents. Oracle: the same sums done by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import symrules as sr
from symrules.engine.tangents import accumulate, cotangent_at, tangent_from_leaves


@dataclass
class Affine:
    a: float
    b: np.ndarray

    def __call__(self, x):
        return self.a * x + self.b


def test_zeros_are_distinct_singletons():
    assert sr.NoTangent() is sr.NoTangent() and sr.ZeroTangent() is sr.ZeroTangent()
    assert sr.NoTangent() != sr.ZeroTangent()
    assert sr.ZeroTangent() + 2.0 == 2.0 and 2.0 + sr.NoTangent() == 2.0
    assert 3.0 * sr.ZeroTangent() is sr.ZeroTangent()
    assert repr(sr.NoTangent()) == "NoTangent()"


def test_tangent_arithmetic_is_field_by_field():
    f = Affine(1.0, np.zeros(2))
    t = sr.Tangent(f, a=2.0, b=np.array([1.0, 3.0]))
    u = sr.Tangent(f, a=0.5)
    s = t + u
    assert s.fields["a"] == 2.5
    np.testing.assert_array_equal(s.fields["b"], [1.0, 3.0])
    d = t - u
    assert d.fields["a"] == 1.5
    m = 2.0 * t
    np.testing.assert_array_equal(m.fields["b"], [2.0, 6.0])
    assert (-u).fields["a"] == -0.5


def test_missing_field_reads_as_zero_and_unknown_field_is_an_error():
    f = Affine(1.0, np.zeros(2))
    assert sr.Tangent(f, a=1.0).b is sr.ZeroTangent()
    with pytest.raises(sr.FieldsError, match=r"no field 'c'.*\['a', 'b'\]"):
        sr.Tangent(f, c=1.0)


def test_accumulate_structures():
    assert accumulate((1.0, {"k": 2.0}), (3.0, {"k": 4.0, "j": 1.0})) == (4.0, {"k": 6.0, "j": 1.0})
    np.testing.assert_array_equal(accumulate(np.ones(2), np.ones(2)), [2.0, 2.0])
    assert accumulate(sr.NoTangent(), sr.ZeroTangent()) is sr.ZeroTangent()


def test_cotangent_at_and_tangent_from_leaves_round_trip():
    f = Affine(1.0, np.zeros(2))
    t = tangent_from_leaves(f, {("a",): 5.0})
    assert isinstance(t, sr.Tangent) and cotangent_at(t, ("a",)) == 5.0
    assert cotangent_at(t, ("b",)) is None
    assert cotangent_at(sr.ZeroTangent(), ("a",)) is sr.ZeroTangent()


def test_fields_may_be_named_like_the_arguments_of_tangent_and_with_fields():
    def make(primal, self, f):
        return lambda x: primal * x + self + f

    g = make(1.0, 2.0, 3.0)
    t = sr.Tangent(g, primal=0.5, self=1.0, f=2.0)
    assert t.fields == {"primal": 0.5, "self": 1.0, "f": 2.0}
    assert sr.with_fields(g, primal=2.0, f=0.0)(1.0) == 4.0  # 2*1 + 2 + 0
