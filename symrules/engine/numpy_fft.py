"""The numpy table, continued: ``numpy.fft``, every transform with the keywords numpy has.

A discrete Fourier transform is (real-)linear, so its pushforward is the transform of the
tangent, and its pullback is its transpose under the pairing ``Re(sum(a * b))`` (JAX's
convention, no conjugation; jax/_src/lax/fft.py):

- ``fft``, ``ifft``: the DFT matrix is symmetric, so each is its own transpose (same ``norm``);
  numpy first crops or zero-pads the input to ``n``, whose transpose pads or crops back;
- ``rfft`` keeps half of the spectrum of a real signal: ``x_bar = Re fft(y_bar)``, ``y_bar``
  zero-padded to ``n`` (numpy's own ``n`` does that);
- ``irfft`` reads a half spectrum as a Hermitian one, counting each bin twice except the
  first and (``n`` even) the last, whose imaginary parts it ignores:
  ``x_bar = w * conj(rfft(y_bar))`` with ``w = (1, 2, ..., 2[, 1])`` and the opposite ``norm``;
- ``hfft``, ``ihfft``, and the n-D transforms (``fft2``, ``fftn``, ``rfftn``, ``irfftn``,
  ...) are composites: numpy's own definitions in 1-D transforms, traced through, so ``s``
  and ``axes`` (repeated ones included) mean exactly what they mean to numpy.

``fftshift`` and ``ifftshift`` are permutations and live with the other layout functions in
:mod:`~symrules.engine.numpy_arrays`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import UnsupportedFunctionError
from .broadcasting import shape_of
from .table import defcomposite, defjvp, defvjp, linear_jvp, shape_only

__all__: list[str] = []

_KEYWORDS = ("n", "axis", "norm")
# the normalization of the inverse transform that undoes a forward one (numpy's own map)
_SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _resized(x: Any, length: int, axis: int) -> Any:
    """``x`` cropped, or zero-padded at the end, to ``length`` along ``axis`` (numpy's ``n``).

    Examples
    --------
    >>> _resized(np.ones((2, 3)), 1, -1).tolist()
    [[1.0], [1.0]]
    >>> _resized(np.ones(2), 4, 0).tolist()
    [1.0, 1.0, 0.0, 0.0]
    """
    shape = list(shape_of(x))
    axis = axis % len(shape)
    have = shape[axis]
    if have > length:
        return x[(slice(None),) * axis + (slice(0, length),)]
    if have < length:
        shape[axis] = length - have
        return np.concatenate([x, np.zeros(shape)], axis=axis)
    return x


# 1-D transforms: table entries


def _self_transposed(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The pullback of ``fft`` or ``ifft``: the same transform, then back to the input's length."""

    def pullback(y_bar, y, x, n=None, axis=-1, norm=None):
        return _resized(fn(y_bar, axis=axis, norm=norm), shape_of(x)[axis], axis)

    pullback.__qualname__ = f"{fn.__name__}_pullback"
    return pullback


def _rfft_pullback(y_bar, y, x, n=None, axis=-1, norm=None):
    m = shape_of(x)[axis]
    full = np.fft.fft(y_bar, m if n is None else n, axis, norm)  # y_bar zero-padded to n
    return _resized(np.real(full), m, axis)


def _hermitian_weights(n: int, axis: int, ndim: int) -> np.ndarray:
    """How often ``irfft`` of length ``n`` counts each bin of the half spectrum, along ``axis``.

    Examples
    --------
    >>> _hermitian_weights(6, 0, 1).tolist(), _hermitian_weights(5, 0, 1).tolist()
    ([1.0, 2.0, 2.0, 1.0], [1.0, 2.0, 2.0])
    """
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * ndim
    shape[axis] = w.size
    return w.reshape(shape)


def _irfft_pullback(y_bar, y, x, n=None, axis=-1, norm=None):
    shape = shape_of(x)
    m = shape[axis]
    n = 2 * (m - 1) if n is None else n
    half = np.conj(np.fft.rfft(y_bar, axis=axis, norm=_SWAPPED[norm]))  # n // 2 + 1 bins
    x_bar = _resized(half * _hermitian_weights(n, axis, len(shape)), m, axis)
    # a real input read as a spectrum: the engine projects only calls with a complex value
    return x_bar if np.iscomplexobj(x) else np.real(x_bar)


for _fn, _pullback in [
    (np.fft.fft, _self_transposed(np.fft.fft)),
    (np.fft.ifft, _self_transposed(np.fft.ifft)),
    (np.fft.rfft, _rfft_pullback),
    (np.fft.irfft, _irfft_pullback),
]:
    defvjp(_fn, shape_only(_pullback), keywords=_KEYWORDS)
    defjvp(_fn, linear_jvp(_fn))


# composites: numpy's definitions in the 1-D transforms


def _refuse_out(name: str, out: Any) -> None:
    if out is not None:
        raise UnsupportedFunctionError(
            f"numpy.fft.{name}: the argument out={out!r} is not supported while differentiating"
        )


def _hfft(a, n=None, axis=-1, norm=None, out=None):
    _refuse_out("hfft", out)
    return np.fft.irfft(np.conj(a), n, axis, norm=_SWAPPED[norm])


def _ihfft(a, n=None, axis=-1, norm=None, out=None):
    _refuse_out("ihfft", out)
    return np.conj(np.fft.rfft(a, n, axis, norm=_SWAPPED[norm]))


def _lengths_and_axes(shape: tuple, s: Any, axes: Any, inverse_real: bool) -> tuple[list, list]:
    """numpy's reading of an n-D transform's ``s`` and ``axes`` (its deprecations included).

    Examples
    --------
    >>> _lengths_and_axes((4, 5, 6), None, (0, 2), inverse_real=True)
    ([4, 10], [0, 2])
    >>> _lengths_and_axes((4, 5, 6), (7, -1), (1, 0), inverse_real=False)
    ([7, 4], [1, 0])
    """
    if axes is None and s is not None:
        warnings.warn(
            "`axes` should not be `None` if `s` is not `None` (Deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=4,
        )
    axes = list(range(-len(s) if s is not None else -len(shape), 0)) if axes is None else axes
    lengths = [shape[a] for a in axes] if s is None else list(s)
    if len(lengths) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    if inverse_real and s is None:
        lengths[-1] = (shape[axes[-1]] - 1) * 2
    if None in lengths:
        warnings.warn(
            "Passing an array containing `None` values to `s` is deprecated in NumPy 2.0",
            DeprecationWarning,
            stacklevel=4,
        )
    return [shape[a] if n == -1 else n for n, a in zip(lengths, axes, strict=True)], list(axes)


def _transform_nd(name: str, kind: str, default_axes: Any) -> Callable[..., Any]:
    """The composite of ``numpy.fft.<name>``: ``kind`` is ``fft``, ``ifft``, ``rfft`` or
    ``irfft``, the transform along the last axis; the others are ``fft`` (``ifft``)."""
    inner = np.fft.ifft if kind in ("ifft", "irfft") else np.fft.fft

    def transform(a, s=None, axes=default_axes, norm=None, out=None):
        _refuse_out(name, out)
        lengths, axes = _lengths_and_axes(shape_of(a), s, axes, kind == "irfft")
        steps = list(zip(lengths, axes, strict=True))
        if kind == "irfft":  # numpy: the inverse along the first axes in order, irfft last
            for n, axis in steps[:-1]:
                a = inner(a, n, axis, norm)
            return np.fft.irfft(a, steps[-1][0], steps[-1][1], norm)
        if kind == "rfft":  # rfft along the last axis first, then the rest backwards
            a = np.fft.rfft(a, steps[-1][0], steps[-1][1], norm)
            steps = steps[:-1]
        for n, axis in reversed(steps):
            a = inner(a, n, axis, norm)
        return a

    transform.__qualname__ = f"{name}_composite"
    return transform


defcomposite(np.fft.hfft, _hfft)
defcomposite(np.fft.ihfft, _ihfft)
for _name, _kind, _default_axes in [
    ("fftn", "fft", None),
    ("ifftn", "ifft", None),
    ("fft2", "fft", (-2, -1)),
    ("ifft2", "ifft", (-2, -1)),
    ("rfftn", "rfft", None),
    ("irfftn", "irfft", None),
    ("rfft2", "rfft", (-2, -1)),
    ("irfft2", "irfft", (-2, -1)),
]:
    defcomposite(getattr(np.fft, _name), _transform_nd(_name, _kind, _default_axes))
