"""Reverse mode: gradients of plain numpy code equal closed forms, into closures and fields too.

Pins down ``grad``, ``value_and_grad``, ``vjp``, ``jacobian``, ``hessian`` and ``rrule_via_ad``:
closed-form oracles for values, structures of cotangents that mirror the inputs, nesting
(reverse over reverse), and the errors for inputs that cannot be differentiated.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pytest

import symrules as sr

# Closed forms evaluated in float64 agree with the engine to a few ulps of the result.
RTOL = 1e-13


def test_grad_of_elementary_function_is_its_derivative():
    x = np.linspace(-1.0, 1.0, 7)
    g = sr.grad(lambda x: np.sum(np.exp(np.sin(x))))(x)
    np.testing.assert_allclose(g, np.cos(x) * np.exp(np.sin(x)), rtol=RTOL)


def test_value_and_grad_returns_value_and_gradient():
    value, g = sr.value_and_grad(lambda x: x**3)(2.0)
    assert value == 8.0
    np.testing.assert_allclose(g, 12.0, rtol=RTOL)


def test_argnums_tuple_gives_tuple_of_gradients():
    ga, gb = sr.grad(lambda a, b: a * np.sin(b), argnums=(0, 1))(2.0, 0.5)
    np.testing.assert_allclose([ga, gb], [np.sin(0.5), 2.0 * np.cos(0.5)], rtol=RTOL)


def test_negative_argnums_counts_from_the_end():
    g = sr.grad(lambda a, b: a * b**2, argnums=-1)(3.0, 2.0)
    np.testing.assert_allclose(g, 12.0, rtol=RTOL)


def test_gradient_of_value_used_twice_accumulates():
    g = sr.grad(lambda x: x * x + np.sin(x) * x)(0.7)
    np.testing.assert_allclose(g, 2 * 0.7 + np.cos(0.7) * 0.7 + np.sin(0.7), rtol=RTOL)


def test_output_independent_of_input_gives_zero_gradient():
    g = sr.grad(lambda x: 3.0)(np.ones(3))
    np.testing.assert_array_equal(g, np.zeros(3))


def test_gradient_through_nested_closures():
    def model(a, b):
        inner = lambda x: a * x  # noqa: E731
        return lambda x: inner(x) ** 2 + b

    g = sr.grad(lambda p: model(p[0], p[1])(3.0))(np.array([2.0, 1.0]))
    np.testing.assert_allclose(g, [2 * 2.0 * 9.0, 1.0], rtol=RTOL)


@dataclass
class Quadratic:
    a: float
    c: np.ndarray

    def __call__(self, x):
        return self.a * x**2 + np.sum(self.c) * x


def test_grad_with_respect_to_a_callable_dataclass_is_a_tangent():
    q = Quadratic(2.0, np.array([1.0, 3.0]))
    t = sr.grad(lambda q: q(1.5))(q)
    assert isinstance(t, sr.Tangent)
    np.testing.assert_allclose(t.fields["a"], 1.5**2, rtol=RTOL)
    np.testing.assert_allclose(t.fields["c"], [1.5, 1.5], rtol=RTOL)


def test_grad_with_respect_to_a_closure_and_a_partial():
    def make(p):
        return lambda x: p * np.exp(x)

    t = sr.grad(lambda f: f(0.5))(make(2.0))
    np.testing.assert_allclose(t.fields["p"], np.exp(0.5), rtol=RTOL)
    part = functools.partial(lambda x, a, b: a * x + b, a=2.0, b=1.0)
    tp = sr.grad(lambda f: f(3.0))(part)
    np.testing.assert_allclose(tp.fields["keywords"]["a"], 3.0, rtol=RTOL)
    np.testing.assert_allclose(tp.fields["keywords"]["b"], 1.0, rtol=RTOL)


def test_grad_of_dict_and_tuple_inputs_mirrors_the_structure():
    g = sr.grad(lambda d: d["w"] * d["v"][0] + d["v"][1] ** 2)({"w": 2.0, "v": (3.0, 4.0)})
    assert set(g) == {"w", "v"}
    np.testing.assert_allclose([g["w"], *g["v"]], [3.0, 2.0, 8.0], rtol=RTOL)


def test_vjp_of_vector_function():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    _y, pullback = sr.vjp(lambda x: A @ np.tanh(x), np.array([0.1, -0.2]))
    u = np.array([1.0, -1.0, 0.5])
    (x_bar,) = pullback(u)
    np.testing.assert_allclose(x_bar, (1 - np.tanh([0.1, -0.2]) ** 2) * (A.T @ u), rtol=RTOL)


def test_vjp_pullback_rejects_wrongly_shaped_cotangent():
    _, pullback = sr.vjp(lambda x: 2 * x, np.ones(3))
    with pytest.raises(sr.InputError, match=r"shape \(2,\)"):
        pullback(np.ones(2))


def test_jacobian_of_elementwise_and_matrix_functions(rng):
    A = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)
    np.testing.assert_allclose(sr.jacobian(lambda x: A @ x)(x), A, rtol=RTOL)
    np.testing.assert_allclose(sr.jacobian(np.sin)(x), np.diag(np.cos(x)), rtol=RTOL)


def test_hessian_matches_closed_form():
    def f(x):
        return np.sum(x**3) + x[0] * x[1]

    x = np.array([1.0, 2.0, 3.0])
    expected = np.diag(6 * x)
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(sr.hessian(f)(x), expected, rtol=RTOL)


def test_second_derivative_of_composite_by_nested_grad():
    d2 = sr.grad(sr.grad(lambda x: np.exp(np.sin(x))))(0.3)
    expected = np.exp(np.sin(0.3)) * (np.cos(0.3) ** 2 - np.sin(0.3))
    np.testing.assert_allclose(d2, expected, rtol=RTOL)


def test_hessian_through_closure_captured_parameters():
    def loss(p):
        f = lambda x: p[0] * x**2 + p[1] ** 3 * x  # noqa: E731
        return f(2.0)

    np.testing.assert_allclose(
        sr.hessian(loss)(np.array([1.0, 2.0])), [[0.0, 0.0], [0.0, 6 * 2.0 * 2.0]], rtol=RTOL
    )


def test_rrule_via_ad_returns_f_bar_first():
    def make(a):
        return lambda x: a * np.sin(x)

    _y, pullback = sr.rrule_via_ad(make(2.0), np.array([0.1, 0.2]))
    f_bar, x_bar = pullback(np.ones(2))
    np.testing.assert_allclose(f_bar.fields["a"], np.sin(0.1) + np.sin(0.2), rtol=RTOL)
    np.testing.assert_allclose(x_bar, 2.0 * np.cos([0.1, 0.2]), rtol=RTOL)


def test_rrule_via_ad_of_plain_function_gives_no_tangent():
    _y, pullback = sr.rrule_via_ad(np.sin, 0.5)
    f_bar, x_bar = pullback(1.0)
    assert f_bar is sr.NoTangent()
    np.testing.assert_allclose(x_bar, np.cos(0.5), rtol=RTOL)


# ---------------------------------------------------------------------------------------
# bad input


def test_grad_of_non_scalar_output_is_an_error():
    with pytest.raises(sr.InputError, match=r"scalar output.*shape \(3,\).*jacobian"):
        sr.grad(lambda x: 2 * x)(np.ones(3))


@pytest.mark.parametrize("x", [3, np.array([2, 1]), np.arange(3)])
def test_integer_input_is_an_error(x):
    with pytest.raises(sr.InputError, match="argument 0 is an integer"):
        sr.grad(lambda x: np.sum(x * 1.5))(x)


def test_argnums_out_of_range_is_an_error():
    with pytest.raises(sr.InputError, match="argnums=3"):
        sr.grad(lambda a, b: a * b, argnums=3)(1.0, 2.0)


def test_input_without_floats_is_an_error():
    with pytest.raises(sr.InputError, match="no float values"):
        sr.grad(lambda s: 1.0)("text")


def test_rrule_via_ad_with_needs_differentiates_only_f():
    def make(a):
        return lambda x: a * np.sin(x)

    xs = np.array([0.1, 0.2])
    y, pullback = sr.rrule_via_ad(make(2.0), xs, needs=sr.Needs(True, False))
    f_bar, x_bar = pullback(np.ones(2))
    assert x_bar is sr.SkippedTangent()
    np.testing.assert_allclose(f_bar.fields["a"], np.sum(np.sin(xs)), rtol=RTOL)
    np.testing.assert_allclose(y, 2.0 * np.sin(xs), rtol=RTOL)


# ---------------------------------------------------------------------------------------
# outputs that are containers: work, or raise; never a silent zero


def test_vjp_of_a_dict_output():
    y, pullback = sr.vjp(lambda x: {"a": 2.0 * x}, 1.0)
    assert y == {"a": 2.0}
    (x_bar,) = pullback({"a": 1.0})
    assert float(x_bar) == 2.0


def test_vjp_of_nested_container_outputs():
    def f(x, w):
        return (x * w, {"sq": [x**2, np.sin(w)], "label": "kept"})

    x, w = np.array([1.0, 2.0]), 0.5
    y, pullback = sr.vjp(f, x, w)
    assert y[1]["label"] == "kept"
    u, v, s = np.array([0.3, -1.0]), np.array([2.0, 0.5]), 1.5
    x_bar, w_bar = pullback((u, {"sq": [v, s], "label": None}))
    # closed form: d<u, x w> = u w dx + <u, x> dw; d<v, x^2> = 2 v x dx; d s sin(w) = s cos(w) dw
    np.testing.assert_allclose(x_bar, u * w + 2 * v * x, rtol=RTOL)
    np.testing.assert_allclose(w_bar, np.dot(u, x) + s * np.cos(w), rtol=RTOL)


def test_vjp_refuses_a_cotangent_of_the_wrong_structure():
    _, pullback = sr.vjp(lambda x: {"a": 2.0 * x, "b": x}, 1.0)
    with pytest.raises(sr.InputError, match=r"y\.b"):
        pullback({"a": 1.0})
    _, pullback = sr.vjp(lambda x: (x, 2 * x), np.ones(2))
    with pytest.raises(sr.InputError, match=r"y\[1\].*shape \(3,\)"):
        pullback((np.ones(2), np.ones(3)))


def test_jacobian_of_container_outputs_has_their_structure():
    x = np.array([1.0, 2.0])
    J = sr.jacobian(lambda x: {"square": x**2, "total": np.sum(x)})(x)
    np.testing.assert_array_equal(J["square"], np.diag(2 * x))
    np.testing.assert_array_equal(J["total"], [1.0, 1.0])
    J = sr.jacobian(lambda x: (x[0] * x[1], [np.sin(x)]))(x)
    np.testing.assert_allclose(J[0], [x[1], x[0]], rtol=RTOL)
    np.testing.assert_allclose(J[1][0], np.diag(np.cos(x)), rtol=RTOL)


def test_grad_of_a_container_output_says_so():
    with pytest.raises(sr.InputError, match=r"returned a list of 2 items.*vjp or jacobian"):
        sr.grad(lambda x: [x, x])(1.0)


