"""Complex values follow JAX's convention: the same cotangents as ``jax.vjp`` on the same function.

JAX's FAQ ("Complex numbers and differentiation"): a pullback is the transpose of the
real-linear pushforward under the pairing ``Re(a * b)``; ``grad`` of a real function of ``z``
is ``df/du - i df/dv``. Each case below is written twice, in numpy and in jax.numpy, and the
engine's ``vjp`` and ``jvp`` are compared with JAX's at random complex (or real) cotangents and
tangents: real inputs with complex intermediates (an oscillatory integrand, a characteristic
function), complex inputs, holomorphic and non-holomorphic functions.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symrules as sr

jax.config.update("jax_enable_x64", True)

RTOL = 1e-12  # both sides evaluate the same closed forms in float64

X = np.array([0.3, 0.55, 0.8])
Z = np.array([0.3 + 0.4j, -0.55 + 0.2j, 0.8 - 0.6j])
W = np.array([0.2 - 0.1j, 0.45 + 0.25j, -0.65 + 0.3j])
K = np.array([1.0, 2.5, 4.0])
A = np.array([[0.3 + 0.1j, 0.6], [0.7j, 0.2 - 0.5j]])

# name: (function of the xp namespace, arguments)
CASES = {
    "oscillatory_integrand": (lambda xp, x: xp.sum(xp.real(xp.exp(1j * K * x)) * x), (X,)),
    "characteristic_function": (
        lambda xp, t: xp.abs(xp.mean(xp.exp(1j * t * X))) ** 2,
        (np.array(0.7),),
    ),
    "holomorphic": (lambda xp, z: xp.sin(z) * z**2 + xp.log(z) / (1 + z), (Z,)),
    "sqrt_and_power": (lambda xp, z, w: xp.sqrt(z) * xp.power(z, w), (Z, W)),
    "abs_real_imag": (lambda xp, z: xp.abs(z) + xp.real(z) * xp.imag(z), (Z,)),
    "conj_angle": (lambda xp, z: xp.conj(z) * xp.angle(z), (Z,)),
    "angle_in_degrees": (lambda xp, z: xp.angle(z, deg=True), (Z,)),
    "abs_squared": (lambda xp, z: xp.abs(z) ** 2, (Z,)),
    "var_std": (lambda xp, z: xp.var(z) + xp.std(z, ddof=1), (Z,)),
    "matmul_sum_prod": (lambda xp, a, z: xp.prod(a @ z[:2]) + xp.sum(a, axis=0), (A, Z)),
    "mixed_real_complex": (lambda xp, x, z: xp.exp(x * z) * xp.cos(x), (X, Z)),
    "inverse_trig": (lambda xp, z: xp.arcsinh(z) + xp.arccosh(z + 2) + xp.arctanh(z / 2), (Z,)),
}


def _random_like(y, rng):
    y = np.asarray(y)
    r = rng.standard_normal(y.shape)
    return r + 1j * rng.standard_normal(y.shape) if np.iscomplexobj(y) else r


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_vjp_equals_jax(case, rng):
    fn, args = case
    y, pullback = sr.vjp(lambda *a: fn(np, *a), *args)
    y_jax, pullback_jax = jax.vjp(lambda *a: fn(jnp, *a), *map(jnp.asarray, args))
    np.testing.assert_allclose(y, y_jax, rtol=RTOL)
    y_bar = _random_like(y, rng)
    for x, x_bar, x_bar_jax in zip(args, pullback(y_bar), pullback_jax(y_bar), strict=True):
        assert np.iscomplexobj(x_bar) == np.iscomplexobj(x)  # a real input's cotangent is real
        np.testing.assert_allclose(x_bar, x_bar_jax, rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_jvp_equals_jax(case, rng):
    fn, args = case
    tangents = tuple(_random_like(a, rng) for a in args)
    _, y_dot = sr.jvp(lambda *a: fn(np, *a), args, tangents)
    _, y_dot_jax = jax.jvp(lambda *a: fn(jnp, *a), tuple(map(jnp.asarray, args)),
                           tuple(map(jnp.asarray, tangents)))  # fmt: skip
    np.testing.assert_allclose(y_dot, y_dot_jax, rtol=RTOL, atol=1e-14)


def test_grad_of_a_real_function_of_z_is_df_du_minus_i_df_dv():
    z = 3.0 + 4.0j
    np.testing.assert_allclose(sr.grad(lambda z: np.abs(z) ** 2)(z), 2 * np.conj(z), rtol=RTOL)
    assert sr.grad(lambda z: np.imag(z))(z) == -1j  # v
    g = sr.grad(lambda x: np.imag(np.exp(1j * x)))(0.3)  # real in, real out: sin(x)
    assert np.isrealobj(g) and np.isclose(g, np.cos(0.3), rtol=RTOL)


def test_second_derivatives_through_complex_intermediates():
    # d^2/dx^2 Re(exp(i k x)) = -k^2 cos(k x)
    d2 = sr.grad(sr.grad(lambda x: np.real(np.exp(2.5j * x))))(0.3)
    np.testing.assert_allclose(d2, -(2.5**2) * np.cos(2.5 * 0.3), rtol=RTOL)


def test_complex_leaves_of_containers_and_fields_get_cotangents():
    (ct,) = sr.vjp(lambda a: np.abs(a[0]) ** 2 + a[1], (1.0 + 1.0j, 2.0))[1](1.0)
    assert ct == (2.0 - 2.0j, 1.0)
    z = 1.0 + 2.0j
    _, pullback = sr.rrule_via_ad(lambda x: np.real(z * x), 1.5)
    f_bar, x_bar = pullback(1.0)
    assert f_bar.z == 1.5 and x_bar == 1.0  # Re(z x): d/du = x, d/dv = 0


def test_grad_refuses_a_complex_output():
    with pytest.raises(sr.InputError, match="real scalar output"):
        sr.grad(lambda x: np.exp(1j * x))(0.5)


def test_a_real_argument_with_a_complex_tangent_is_refused():
    with pytest.raises(sr.InputError, match="tangent of argument 0 is complex"):
        sr.jvp(np.abs, (1.66,), (1j,))


def test_sign_of_a_complex_value_moves_with_it():
    # z / |z| is not piecewise constant off the real line; JAX's sign has a zero derivative
    # there, symrules the derivative finite differences confirm
    sr.testing.check_rrule(np.sign, Z)
    sr.testing.check_frule(np.sign, Z)
    assert sr.rrule(np.sign, X)[1](np.ones(3)) == (sr.NoTangent(), sr.ZeroTangent())  # a step
