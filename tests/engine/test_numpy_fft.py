"""numpy.fft: every transform's pullback is JAX's, and its pushforward the transform itself.

A discrete Fourier transform is real-linear, so its pullback is its transpose under the pairing
``Re(sum(a * b))`` (JAX's convention): ``jax.vjp`` and ``jax.jvp`` of ``jax.numpy.fft`` are the
oracle for complex inputs and outputs, cotangent for cotangent, across cropping and zero-padding
(``n``, ``s``), axes and every ``norm``. Real compositions (a power spectrum, a filter) are
checked against finite differences, to first and second order.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrules as sr

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

EXACT = 1e-10  # JAX and the table compute the same sums in float64, in a different order
NORMS = [None, "backward", "ortho", "forward"]


@pytest.fixture(autouse=True)
def float64():
    with jax.enable_x64(True):
        yield


def _complex(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _check_against_jax(name, x, kwargs, rng):
    """Primal, pullback and pushforward of ``numpy.fft.<name>`` against jax's, at ``x``."""
    fn, jax_fn = getattr(np.fft, name), getattr(jnp.fft, name)
    y, pullback = sr.vjp(lambda z: fn(z, **kwargs), x)
    y_ref, jax_pullback = jax.vjp(lambda z: jax_fn(z, **kwargs), x)
    np.testing.assert_allclose(y, y_ref, atol=EXACT)
    y_bar = _complex(rng, y.shape) if np.iscomplexobj(y) else rng.standard_normal(y.shape)
    (x_bar,) = pullback(y_bar)
    np.testing.assert_allclose(x_bar, jax_pullback(y_bar)[0], atol=EXACT)
    x_dot = _complex(rng, x.shape) if np.iscomplexobj(x) else rng.standard_normal(x.shape)
    _, y_dot = sr.jvp(lambda z: fn(z, **kwargs), (x,), (x_dot,))
    np.testing.assert_allclose(y_dot, jax.jvp(lambda z: jax_fn(z, **kwargs), (x,), (x_dot,))[1],
                               atol=EXACT)  # fmt: skip


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 3, 6, 9], ids=["n=None", "crop_odd", "same", "pad"])
@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
def test_one_dimensional_transforms_match_jax(name, n, norm, rng):
    # irfft and hfft read a half spectrum: n = 6 crops it, 9 pads it, odd lengths included
    real_input = name in ("rfft", "ihfft")
    x = rng.standard_normal((4, 6)) if real_input else _complex(rng, (4, 6))
    _check_against_jax(name, x, {"n": n, "axis": 0, "norm": norm}, rng)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
def test_one_dimensional_transforms_of_real_input_match_jax(name, rng):
    # the engine takes the real part of a real argument's cotangent
    _check_against_jax(name, rng.standard_normal((3, 5)), {"n": 8}, rng)


ND_CASES = {
    "all_axes": {},
    "axes": {"axes": (0, 2)},
    "s_crop_and_pad": {"s": (7, 3), "axes": (2, 0), "norm": "ortho"},
    "s_negative_one": {"s": (-1, 4), "axes": (1, 2), "norm": "forward"},
}


@pytest.mark.parametrize("kwargs", ND_CASES.values(), ids=ND_CASES.keys())
@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
def test_n_dimensional_transforms_match_jax(name, kwargs, rng):
    if "s" in kwargs and -1 in kwargs["s"]:  # jax reads no -1 in s: give it numpy's meaning
        jax_kwargs = {**kwargs, "s": (5, 4)}
        x = rng.standard_normal((3, 5, 6))
        y, pullback = sr.vjp(lambda z: getattr(np.fft, name)(z, **kwargs), x)
        _, jax_pullback = jax.vjp(lambda z: getattr(jnp.fft, name)(z, **jax_kwargs), x)
        y_bar = _complex(rng, y.shape) if np.iscomplexobj(y) else rng.standard_normal(y.shape)
        np.testing.assert_allclose(pullback(y_bar)[0], jax_pullback(y_bar)[0], atol=EXACT)
        return
    x = rng.standard_normal((3, 5, 6)) if name == "rfftn" else _complex(rng, (3, 5, 6))
    _check_against_jax(name, x, kwargs, rng)


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
def test_two_dimensional_transforms_match_jax(name, rng):
    x = rng.standard_normal((2, 4, 5)) if name == "rfft2" else _complex(rng, (2, 4, 5))
    _check_against_jax(name, x, {}, rng)
    _check_against_jax(name, x, {"s": (6, 3), "norm": "ortho"}, rng)


# real compositions, against finite differences


H = np.array([1.0, 0.5 - 0.2j, 0.25j, -0.3, 0.1 + 0.1j])  # a filter, 5 = 8 // 2 + 1 bins

COMPOSITIONS = {
    "real_of_fft": lambda x: np.sum(np.real(np.fft.fft(x, n=6, norm="ortho")) * np.arange(6.0)),
    "power_spectrum": lambda x: np.sum(np.abs(np.fft.rfft(x)) ** 2 * np.arange(5.0)),
    "filter": lambda x: np.sum(np.sin(np.fft.irfft(np.fft.rfft(x) * H, n=8))),
    "imag_of_ifft_cropped": lambda x: np.sum(
        np.imag(np.fft.ifft(x, n=5, norm="forward")) ** 3 * np.arange(5.0)
    ),
    "hfft_of_ihfft": lambda x: np.sum(np.cos(np.fft.hfft(np.fft.ihfft(x) * H, n=8))),
    "fft2_magnitude": lambda x: np.sum(np.abs(np.fft.fft2(np.reshape(x, (2, 4)), s=(3, 5)))),
    "irfftn_of_rfftn": lambda x: np.sum(
        np.tanh(np.fft.irfftn(np.fft.rfftn(np.reshape(x, (2, 4))) * H[:3], s=(2, 4), axes=(0, 1)))
    ),
}
X = np.array([0.3, -0.8, 1.2, 0.45, -0.1, 0.9, 0.6, -0.35])


@pytest.mark.parametrize("fun", COMPOSITIONS.values(), ids=COMPOSITIONS.keys())
def test_real_compositions_agree_with_finite_differences(fun, rng):
    sr.testing.check_grad(fun, X, rng=rng)
    x_dot = rng.standard_normal(X.shape)
    np.testing.assert_allclose(sr.jvp(fun, (X,), (x_dot,))[1], sr.grad(fun)(X) @ x_dot,
                               rtol=EXACT, atol=EXACT)  # fmt: skip


@pytest.mark.parametrize("fun", COMPOSITIONS.values(), ids=COMPOSITIONS.keys())
def test_second_derivatives_agree_with_finite_differences(fun, rng):
    v = rng.standard_normal(X.shape)
    sr.testing.check_grad(lambda x: sr.grad(fun)(x) @ v, X, rng=rng)


def test_repeated_axes_are_transformed_in_numpys_order(rng):
    # fftn(s=(7, 3), axes=(0, 0)): crop to 3 and transform, then pad to 7 and transform again
    def fun(x):
        return np.sum(np.abs(np.fft.fftn(x, s=(7, 3), axes=(0, 0))) ** 2 * np.arange(7.0)[:, None])

    x = rng.standard_normal((5, 2))
    sr.testing.check_grad(fun, x, rng=rng)


@pytest.mark.parametrize("name", ["fft", "rfft", "fftn", "rfft2", "hfft"])
def test_an_output_array_is_refused_by_name(name):
    fn, x = getattr(np.fft, name), np.reshape(X, (2, 4))
    out = fn(x)
    with pytest.raises(sr.UnsupportedFunctionError, match=r"out="):
        sr.grad(lambda x: np.sum(np.real(fn(x, out=out))))(x)


def test_numpys_deprecated_forms_mean_what_they_mean_to_numpy(rng):
    # s without axes: numpy warns and transforms the last len(s) axes; traced, the same
    x = rng.standard_normal((3, 4))
    with pytest.warns(DeprecationWarning, match="axes"):
        expected = np.sum(np.abs(np.fft.fftn(x, s=(5,))))
    with pytest.warns(DeprecationWarning, match="axes"):
        y, _ = sr.vjp(lambda z: np.sum(np.abs(np.fft.fftn(z, s=(5,)))), x)
    np.testing.assert_allclose(y, expected, rtol=EXACT)
