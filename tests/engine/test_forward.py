"""Forward mode: ``jvp`` gives directional derivatives equal to closed forms.

Pins down tangents through the numpy table (broadcasting included), through registered frules
(a callable class gets ``f_dot`` as a Tangent over its traced fields), and through primitives
with no frule, which are traced through.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import symrules as sr

RTOL = 1e-13  # closed forms in float64


def test_jvp_of_composite_matches_chain_rule():
    x = np.array([0.1, 0.5, 1.2])
    v = np.array([1.0, -2.0, 0.5])
    y, y_dot = sr.jvp(lambda x: np.exp(np.sin(x)), (x,), (v,))
    np.testing.assert_allclose(y, np.exp(np.sin(x)), rtol=RTOL)
    np.testing.assert_allclose(y_dot, np.cos(x) * np.exp(np.sin(x)) * v, rtol=RTOL)


def test_jvp_broadcasts_scalar_tangent_to_output_shape():
    xs = np.linspace(0.0, 1.0, 4)
    _y, y_dot = sr.jvp(lambda a: a + xs, (2.0,), (1.0,))
    np.testing.assert_allclose(y_dot, np.ones(4), rtol=RTOL)


def test_jvp_through_reductions_and_products():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    x, v = np.array([0.3, -0.4]), np.array([1.0, 1.0])
    _, y_dot = sr.jvp(lambda x: np.sum((A @ x) ** 2), (x,), (v,))
    np.testing.assert_allclose(y_dot, 2 * (A @ x) @ (A @ v), rtol=RTOL)


def test_jvp_agrees_with_reverse_mode_gradient():
    def f(x):
        return np.sum(np.tanh(x) * np.cumsum(x)) / np.prod(1.0 + x**2)

    x = np.array([0.2, -0.7, 1.1])
    v = np.array([0.3, 0.1, -0.5])
    _, y_dot = sr.jvp(f, (x,), (v,))
    np.testing.assert_allclose(y_dot, sr.grad(f)(x) @ v, rtol=1e-12)


def test_jvp_of_independent_output_is_zero():
    _y, y_dot = sr.jvp(lambda x: np.ones(3), (1.0,), (1.0,))
    np.testing.assert_array_equal(y_dot, np.zeros(3))


@sr.primitive
@dataclass(frozen=True)
class Scale:
    a: float

    def __call__(self, x):
        return self.a * x


FRULE_CALLS: list[object] = []


@sr.register_frule(Scale)
def scale_frule(dots, layer, x):
    f_dot, x_dot = dots
    FRULE_CALLS.append(f_dot)
    y = layer.a * x
    return y, f_dot.a * x + layer.a * x_dot


def test_frule_for_a_class_receives_f_dot_for_its_traced_field():
    FRULE_CALLS.clear()
    _, y_dot = sr.jvp(lambda a: Scale(a)(3.0), (2.0,), (1.0,))
    assert isinstance(FRULE_CALLS[0], sr.Tangent)
    np.testing.assert_allclose(y_dot, 3.0, rtol=RTOL)


def test_frule_with_untraced_field_gets_an_empty_tangent():
    # The field reads as zero, and a typo in a field name raises instead of reading as zero.
    FRULE_CALLS.clear()
    _, y_dot = sr.jvp(lambda x: Scale(2.0)(x), (3.0,), (1.0,))
    (f_dot,) = FRULE_CALLS
    assert isinstance(f_dot, sr.Tangent) and f_dot.fields == {} and f_dot.a is sr.ZeroTangent()
    with pytest.raises(AttributeError):
        _ = f_dot.b
    np.testing.assert_allclose(y_dot, 2.0, rtol=RTOL)


def test_a_zero_tangent_does_not_answer_every_field_name():
    with pytest.raises(AttributeError):
        _ = sr.ZeroTangent().a
    with pytest.raises(AttributeError):
        _ = sr.NoTangent().weights


def test_user_frule_call_with_a_zero_f_dot_gets_the_same_empty_tangent():
    FRULE_CALLS.clear()
    y, y_dot = sr.frule((sr.ZeroTangent(), 1.0), Scale(2.0), 3.0)
    assert isinstance(FRULE_CALLS[0], sr.Tangent)
    np.testing.assert_allclose((y, y_dot), (6.0, 2.0), rtol=RTOL)


def test_primitive_without_frule_is_traced_through():
    @sr.primitive
    def softplus(x):
        return np.log1p(np.exp(x))

    _, y_dot = sr.jvp(softplus, (0.3,), (2.0,))
    np.testing.assert_allclose(y_dot, 2.0 / (1 + np.exp(-0.3)), rtol=RTOL)


def test_frule_with_wrong_shape_is_an_error():
    @sr.primitive
    def twice(x):
        return 2 * x

    @sr.register_frule(twice)
    def bad_twice_frule(dots, x):
        return 2 * x, np.ones(5)

    with pytest.raises(sr.RuleError, match=r"bad_twice_frule.*shape \(5,\).*\(3,\)"):
        sr.jvp(twice, (np.ones(3),), (np.ones(3),))


def test_jvp_input_errors():
    with pytest.raises(sr.InputError, match="argument 0"):
        sr.jvp(np.sin, (np.arange(3),), (np.ones(3),))
    with pytest.raises(sr.InputError, match=r"tangent of argument 0 has shape \(2,\)"):
        sr.jvp(np.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(sr.InputError, match="2 primals but 1 tangents"):
        sr.jvp(np.add, (1.0, 2.0), (1.0,))


def test_jvp_of_container_outputs():
    y, y_dot = sr.jvp(lambda x: {"a": 2.0 * x, "b": (x**2, 3.0)}, (1.5,), (1.0,))
    assert y == {"a": 3.0, "b": (2.25, 3.0)}
    assert y_dot == {"a": 2.0, "b": (3.0, 0.0)}  # the constant 3.0 has tangent 0
