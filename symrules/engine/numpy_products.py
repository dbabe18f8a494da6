"""The numpy table, continued: products of arrays.

Each product is linear in every factor, so its pushforward is the product with the factor's
tangent in its place, and each factor's cotangent is the product of the output's cotangent
with the other factors, transposed: ``outer`` and ``inner`` through matrix products,
``cross`` through the cross product (any vector axes, 2-vectors as 3-vectors with ``z = 0``),
``kron`` through its blocks, ``tensordot`` through ``tensordot`` over the free axes, ``dot``
as the ``tensordot`` it is, and ``einsum`` (both call forms, ``...`` spelled out in letters)
through an ``einsum`` whose output is the factor's subscripts: a repeated index (a diagonal)
puts the cotangent on the diagonal through an identity, an index summed in that factor alone
is a factor of ones, and one it broadcasts from length one is summed over. All are written
with numpy calls, so they are traced again for second derivatives.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from .broadcasting import shape_of, sum_to, unbroadcast
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

_PAD_Z = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # a 2-vector as a 3-vector, z = 0
_Z = np.array([0.0, 0.0, 1.0])


def _cross_axes(axisa=-1, axisb=-1, axisc=-1, axis=None) -> tuple[int, int, int]:
    """``np.cross``'s vector axes of ``a``, ``b`` and the output (``axis`` sets all three)."""
    return (axisa, axisb, axisc) if axis is None else (axis, axis, axis)


def _as_3_vectors(v: Any, axis: int) -> Any:
    """``v`` with its vector axis last, a 2-vector made a 3-vector with ``z = 0``."""
    v = np.moveaxis(v, axis, -1)
    return np.matmul(v, _PAD_Z) if shape_of(v)[-1] == 2 else v


def _cross_back(v_bar: Any, v: Any, axis: int) -> Any:
    """A 3-vector cotangent, vector axis last, as the cotangent of ``v`` (vector axis ``axis``)."""
    shape = list(shape_of(v))
    n = shape.pop(axis)
    return np.moveaxis(sum_to(v_bar[..., :n], (*shape, n)), -1, axis)


def _cross_cotangent(y_bar: Any, a: Any, b: Any, axes: tuple[int, int, int]) -> Any:
    """The cotangent of the 3-vector product, vector axis last: of ``z`` alone for 2-vectors."""
    if shape_of(a)[axes[0]] == 2 and shape_of(b)[axes[1]] == 2:
        return np.expand_dims(y_bar, -1) * _Z
    return np.moveaxis(y_bar, axes[2], -1)


def _cross_pullback_a(y_bar, y, a, b, **keywords):
    axes = _cross_axes(**keywords)
    c_bar = _cross_cotangent(y_bar, a, b, axes)
    return _cross_back(np.cross(_as_3_vectors(b, axes[1]), c_bar), a, axes[0])


def _cross_pullback_b(y_bar, y, a, b, **keywords):
    axes = _cross_axes(**keywords)
    c_bar = _cross_cotangent(y_bar, a, b, axes)
    return _cross_back(np.cross(c_bar, _as_3_vectors(a, axes[0])), b, axes[1])


_CROSS_KEYWORDS = ("axisa", "axisb", "axisc", "axis")
defvjp(np.cross, _cross_pullback_a, _cross_pullback_b, keywords=_CROSS_KEYWORDS)
defjvp(np.cross, lambda a_dot, y, a, b, **kw: np.cross(a_dot, b, **kw),
       lambda b_dot, y, a, b, **kw: np.cross(a, b_dot, **kw))  # fmt: skip


def _kron_factor(y_bar: Any, other: Any, shape: tuple, first: bool) -> Any:
    """The cotangent of one factor of ``np.kron``: ``y_bar``'s blocks against the other factor.

    Both factors are given as many axes as the larger has (leading ones); ``y_bar`` is then
    reshaped so each axis of the output becomes the pair (factor ``a``'s, factor ``b``'s).
    """
    other_shape = shape_of(other)
    d = max(len(shape), len(other_shape))
    mine = (1,) * (d - len(shape)) + tuple(shape)
    theirs = (1,) * (d - len(other_shape)) + tuple(other_shape)
    sa, sb = (mine, theirs) if first else (theirs, mine)
    blocks = np.reshape(y_bar, [n for pair in zip(sa, sb, strict=True) for n in pair])
    lower, upper = string.ascii_lowercase[:d], string.ascii_uppercase[:d]
    pairs = "".join(i + j for i, j in zip(lower, upper, strict=True))
    spec = f"{pairs},{upper}->{lower}" if first else f"{pairs},{lower}->{upper}"
    return np.reshape(np.einsum(spec, blocks, np.reshape(other, theirs)), shape)


defvjp(np.kron, lambda y_bar, y, a, b: _kron_factor(y_bar, b, shape_of(a), True),
       lambda y_bar, y, a, b: _kron_factor(y_bar, a, shape_of(b), False))  # fmt: skip
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


def _dot_axes(b: Any) -> tuple[list[int], list[int]]:
    """``np.dot`` as ``tensordot``: ``a``'s last axis against ``b``'s second-to-last (or only)."""
    return [-1], [0 if len(shape_of(b)) == 1 else -2]


def _dot_pullback_a(y_bar, y, a, b):
    if not shape_of(a) or not shape_of(b):  # a scalar: dot is multiplication
        return unbroadcast(y_bar * b, a)
    return _tensordot_pullback_a(y_bar, y, a, b, _dot_axes(b))


def _dot_pullback_b(y_bar, y, a, b):
    if not shape_of(a) or not shape_of(b):
        return unbroadcast(y_bar * a, b)
    return _tensordot_pullback_b(y_bar, y, a, b, _dot_axes(b))


defvjp(np.dot, _dot_pullback_a, _dot_pullback_b)
defjvp(np.dot, lambda a_dot, y, a, b: np.dot(a_dot, b), lambda b_dot, y, a, b: np.dot(a, b_dot))


# ---------------------------------------------------------------------------------------
# einsum: multilinear, so an operand's cotangent is the einsum of the cotangent with the others

_EINSUM_OPERANDS = 8  # operands an einsum may have (one rule per position)
_LABELS = string.ascii_uppercase + string.ascii_lowercase  # numpy's order for integer labels


def _labels(sublist: Any) -> str:
    """An interleaved call's sublist (``[0, 1]``, ``[Ellipsis, 2]``) as subscripts."""
    return "".join("..." if k is Ellipsis else _LABELS[int(k)] for k in sublist)


def _einsum_spec(args: tuple) -> tuple[list[str], str, list, list[int]]:
    """A call's operands' subscripts and the output's, each ``...`` spelled out in letters of
    its own; then the operands and their positions among ``args``.

    Both of numpy's forms: ``np.einsum("ij,jk->ik", a, b)`` and the interleaved
    ``np.einsum(a, [0, 1], b, [1, 2], [0, 2])``; without an output, the implicit one (the
    broadcast axes, then the indices seen once, in order).
    """
    if isinstance(args[0], str):
        inputs, arrow, output = args[0].replace(" ", "").partition("->")
        parts, positions = inputs.split(","), list(range(1, len(args)))
    else:
        n = len(args) // 2
        parts, positions = [_labels(s) for s in args[1 : 2 * n : 2]], list(range(0, 2 * n, 2))
        arrow, output = ("->", _labels(args[-1])) if len(args) % 2 else ("", "")
    operands = [args[p] for p in positions]
    if not arrow:
        letters = "".join(parts).replace(".", "")
        singles = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        output = ("..." if any("..." in p for p in parts) else "") + singles
    free = iter(c for c in _LABELS if c not in "".join(parts) + output)
    # how many axes each '...' stands for; the longest gets letters, the others its last ones
    ranks = [len(shape_of(o)) - len(p.replace("...", ""))
             for p, o in zip(parts, operands, strict=True)]  # fmt: skip
    broadcast = "".join(next(free) for _ in range(max(ranks, default=0)))
    parts = [p.replace("...", broadcast[len(broadcast) - r :])
             for p, r in zip(parts, ranks, strict=True)]  # fmt: skip
    return parts, output.replace("...", broadcast), operands, positions


def _einsum_pullback(position: int) -> Any:
    def pullback(y_bar: Any, y: Any, *args: Any, optimize: Any = False) -> Any:
        parts, output, operands, positions = _einsum_spec(args)
        k = positions.index(position)
        sizes: dict[str, int] = {}
        for part, operand in zip(parts, operands, strict=True):
            for letter, n in zip(part, shape_of(operand), strict=True):
                if sizes.get(letter, 1) == 1:  # broadcasting: a length other than 1 wins
                    sizes[letter] = n
        terms = [output, *(p for j, p in enumerate(parts) if j != k)]
        arrays = [y_bar, *(o for j, o in enumerate(operands) if j != k)]
        free = iter(c for c in _LABELS if c not in "".join(parts) + output)
        target = ""
        for letter, n in zip(parts[k], shape_of(operands[k]), strict=True):
            if letter in parts[k][: len(target)]:  # a diagonal: the cotangent lies on it
                target += next(free)
                sizes[target[-1]] = n
                terms.append(letter + target[-1])
                arrays.append(np.eye(n))
            elif n != sizes[letter]:  # broadcast from length 1: summed over
                target += next(free)
                sizes[target[-1]] = 1
            else:
                target += letter
        full = {c for t, a in zip(terms, arrays, strict=True)
                for c, n in zip(t, shape_of(a), strict=True) if n == sizes[c]}  # fmt: skip
        for letter in target:  # y_bar is constant along an index summed in this operand alone
            if letter not in full:  # (or one the others have only broadcast from length 1)
                terms.append(letter)
                arrays.append(np.ones(sizes[letter]))
        return np.einsum(f"{','.join(terms)}->{target}", *arrays)

    pullback.__qualname__ = f"einsum_pullback_{position}"
    return pullback


def _einsum_pushforward(position: int) -> Any:
    def pushforward(x_dot: Any, y: Any, *args: Any, optimize: Any = False) -> Any:
        return np.einsum(*args[:position], x_dot, *args[position + 1 :])

    return pushforward


# one rule per position: a string's operands follow it; interleaved, they take every other one
_POSITIONS = range(2 * _EINSUM_OPERANDS + 1)
defvjp(np.einsum, *map(_einsum_pullback, _POSITIONS), keywords=("optimize",))
defjvp(np.einsum, *map(_einsum_pushforward, _POSITIONS))
