"""The numpy table, continued: products of arrays.

Each product is linear in every factor, so its pushforward is the product with the factor's
tangent in its place, and each factor's cotangent is the product of the output's cotangent
with the other factors, transposed: ``outer`` and ``inner`` through matrix products,
``cross`` through the cross product, ``kron`` through its blocks, ``tensordot`` through
``tensordot`` over the free axes, and ``einsum`` through an ``einsum`` whose output is the
factor's subscripts (with ones for an index summed in that factor alone). All are written
with numpy calls, so they are traced again for second derivatives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedFunctionError
from .broadcasting import shape_of, unbroadcast
from .table import defjvp, defvjp

__all__: list[str] = []


# ---------------------------------------------------------------------------------------
# outer and inner: matrix products of the flattened or last-axis factors


def _outer_pullback_a(y_bar, y, a, b):
    return np.reshape(np.matmul(y_bar, np.reshape(b, -1)), shape_of(a))


def _outer_pullback_b(y_bar, y, a, b):
    return np.reshape(np.matmul(np.reshape(a, -1), y_bar), shape_of(b))


def _inner_matrices(y_bar: Any, a: Any, b: Any) -> tuple:
    """``inner(a, b)`` as ``A @ B.T`` over the last axis: ``A``, ``B`` and ``y_bar`` as 2-D."""
    k = shape_of(a)[-1]
    a2, b2 = np.reshape(a, (-1, k)), np.reshape(b, (-1, k))
    return np.reshape(y_bar, (shape_of(a2)[0], shape_of(b2)[0])), a2, b2


def _inner_pullback_a(y_bar, y, a, b):
    if not shape_of(a) or not shape_of(b):  # a scalar: inner is multiplication
        return np.sum(y_bar * b) if not shape_of(a) else y_bar * b
    y2, _, b2 = _inner_matrices(y_bar, a, b)
    return np.reshape(np.matmul(y2, b2), shape_of(a))


def _inner_pullback_b(y_bar, y, a, b):
    if not shape_of(a) or not shape_of(b):
        return np.sum(y_bar * a) if not shape_of(b) else y_bar * a
    y2, a2, _ = _inner_matrices(y_bar, a, b)
    return np.reshape(np.matmul(np.swapaxes(y2, 0, 1), a2), shape_of(b))


defvjp(np.outer, _outer_pullback_a, _outer_pullback_b)
defjvp(np.outer, lambda a_dot, y, a, b: np.outer(a_dot, b),
       lambda b_dot, y, a, b: np.outer(a, b_dot))  # fmt: skip
defvjp(np.inner, _inner_pullback_a, _inner_pullback_b)
defjvp(np.inner, lambda a_dot, y, a, b: np.inner(a_dot, b),
       lambda b_dot, y, a, b: np.inner(a, b_dot))  # fmt: skip


# ---------------------------------------------------------------------------------------
# products: bilinear, so each pullback is the product with the other factor, transposed


def _cross_checked(a: Any, b: Any) -> None:
    if shape_of(a)[-1:] != (3,) or shape_of(b)[-1:] != (3,):
        raise UnsupportedFunctionError(
            "numpy.cross is differentiable for 3-vectors along the last axis only"
        )


def _cross_pullback_a(y_bar, y, a, b):
    _cross_checked(a, b)
    return unbroadcast(np.cross(b, y_bar), a)


def _cross_pullback_b(y_bar, y, a, b):
    _cross_checked(a, b)
    return unbroadcast(np.cross(y_bar, a), b)


defvjp(np.cross, _cross_pullback_a, _cross_pullback_b)
defjvp(np.cross, lambda a_dot, y, a, b: np.cross(a_dot, b),
       lambda b_dot, y, a, b: np.cross(a, b_dot))  # fmt: skip


def _kron_blocks(y_bar: Any, a: Any, b: Any) -> Any:
    """``y_bar`` with the axes of ``a`` and ``b`` apart: ``(m, p)`` or ``(m, p, n, q)``."""
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != len(sb) or len(sa) not in (1, 2):
        raise UnsupportedFunctionError(
            "numpy.kron is differentiable for two vectors or two matrices only"
        )
    return np.reshape(y_bar, [n for pair in zip(sa, sb, strict=True) for n in pair])


def _kron_pullback_a(y_bar, y, a, b):
    blocks = _kron_blocks(y_bar, a, b)
    if len(shape_of(a)) == 1:
        return np.matmul(blocks, b)
    return np.sum(blocks * b[None, :, None, :], axis=(1, 3))


def _kron_pullback_b(y_bar, y, a, b):
    blocks = _kron_blocks(y_bar, a, b)
    if len(shape_of(a)) == 1:
        return np.matmul(a, blocks)
    return np.sum(blocks * a[:, None, :, None], axis=(0, 2))


defvjp(np.kron, _kron_pullback_a, _kron_pullback_b)
defjvp(np.kron, lambda a_dot, y, a, b: np.kron(a_dot, b),
       lambda b_dot, y, a, b: np.kron(a, b_dot))  # fmt: skip


def _contracted(a: Any, b: Any, axes: Any) -> tuple[list[int], list[int]]:
    """``tensordot``'s ``axes`` as two lists of axes (of ``a`` and of ``b``), non-negative."""
    na, nb = len(shape_of(a)), len(shape_of(b))
    if isinstance(axes, int | np.integer):
        return list(range(na - int(axes), na)), list(range(int(axes)))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, int | np.integer) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, int | np.integer) else list(axes_b)
    return [int(i) % na for i in axes_a], [int(i) % nb for i in axes_b]


def _tensordot_pullback_a(y_bar, y, a, b, axes=2):
    axes_a, axes_b = _contracted(a, b, axes)
    free_a = [i for i in range(len(shape_of(a))) if i not in axes_a]
    free_b = [i for i in range(len(shape_of(b))) if i not in axes_b]
    # y_bar's axes are a's free ones then b's: contracting b's free ones away leaves a's free
    # axes, then b's contracted ones in increasing order, each standing for its partner in a
    bar = np.tensordot(y_bar, b, axes=(list(range(len(free_a), len(shape_of(y_bar)))), free_b))
    partners = [axes_a[axes_b.index(j)] for j in sorted(axes_b)]
    return np.transpose(bar, np.argsort(free_a + partners))


def _tensordot_pullback_b(y_bar, y, a, b, axes=2):
    axes_a, axes_b = _contracted(a, b, axes)
    free_a = [i for i in range(len(shape_of(a))) if i not in axes_a]
    bar = np.tensordot(a, y_bar, axes=(free_a, list(range(len(free_a)))))
    free_b = [i for i in range(len(shape_of(b))) if i not in axes_b]
    partners = [axes_b[axes_a.index(i)] for i in sorted(axes_a)]
    return np.transpose(bar, np.argsort(partners + free_b))


defvjp(np.tensordot, _tensordot_pullback_a, _tensordot_pullback_b, keywords=("axes",))
defjvp(np.tensordot, lambda a_dot, y, a, b, axes=2: np.tensordot(a_dot, b, axes),
       lambda b_dot, y, a, b, axes=2: np.tensordot(a, b_dot, axes))  # fmt: skip


# ---------------------------------------------------------------------------------------
# einsum: multilinear, so an operand's cotangent is the einsum of the cotangent with the others

_EINSUM_OPERANDS = 8  # operands an einsum may have (one rule per position)


def _einsum_parts(subscripts: str, operands: tuple) -> tuple[list[str], str, dict[str, int]]:
    """Each operand's subscripts, the output's, and each index's size; refusing what has no
    rule (``...`` and an index repeated within one operand, a diagonal)."""
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise UnsupportedFunctionError("numpy.einsum with '...' is not differentiable yet")
    inputs, arrow, output = spec.partition("->")
    parts = inputs.split(",")
    if not arrow:  # implicit mode: the indices seen once, in alphabetical order
        letters = "".join(parts)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    sizes: dict[str, int] = {}
    for part, operand in zip(parts, operands, strict=True):
        if len(set(part)) != len(part):
            raise UnsupportedFunctionError(
                f"numpy.einsum: the operand {part!r} repeats an index (a diagonal); take "
                "np.diagonal first"
            )
        sizes.update(zip(part, shape_of(operand), strict=True))
    return parts, output, sizes


def _einsum_pullback(i: int) -> Any:
    def pullback(y_bar: Any, y: Any, subscripts: str, *operands: Any, optimize: Any = False):
        parts, output, sizes = _einsum_parts(subscripts, operands)
        terms = [output, *(p for k, p in enumerate(parts) if k != i)]
        arrays = [y_bar, *(o for k, o in enumerate(operands) if k != i)]
        for letter in parts[i]:  # summed over in this operand alone: y_bar is constant along it
            if not any(letter in t for t in terms):
                terms.append(letter)
                arrays.append(np.ones(sizes[letter]))
        return np.einsum(f"{','.join(terms)}->{parts[i]}", *arrays)

    pullback.__qualname__ = f"einsum_pullback_{i}"
    return pullback


def _einsum_pushforward(i: int) -> Any:
    def pushforward(x_dot: Any, y: Any, subscripts: str, *operands: Any, optimize: Any = False):
        return np.einsum(subscripts, *operands[:i], x_dot, *operands[i + 1 :])

    return pushforward


defvjp(np.einsum, None, *(_einsum_pullback(i) for i in range(_EINSUM_OPERANDS)),
       keywords=("optimize",))  # fmt: skip
defjvp(np.einsum, None, *(_einsum_pushforward(i) for i in range(_EINSUM_OPERANDS)))
