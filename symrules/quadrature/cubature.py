"""Rules over a box in d dimensions, generated in chunks: Product, QMC and MonteCarlo.

This module owns :class:`CubatureRule` and its three kinds: :class:`Product` (the tensor
product of one-dimensional rules), :class:`QMC` (randomised quasi-Monte Carlo on
:mod:`scipy.stats.qmc`, with an error estimate from independent replicates) and
:class:`MonteCarlo` (with its standard error). A rule never builds all its points at once: it
splits them into :class:`Chunk` s, and ``rule.points(chunk, bounds)`` makes the points and
weights of one chunk from nothing else, so chunks can be evaluated in any order, in other
processes, on other machines. :mod:`~symrules.quadrature.chunks` evaluates and reduces them.

How it works: a product rule maps each axis' 1-D rule onto its interval (the 1-D transforms
handle infinite bounds) and a chunk is a range of the flat index into the grid. QMC and Monte
Carlo points are made on the unit cube and mapped axis by axis with
:func:`~symrules.quadrature.transforms.transform` (points where a map is infinite are dropped);
a QMC chunk fast-forwards its replicate's scrambled sequence to its first point, a Monte Carlo
chunk is a run of blocks of :data:`MC_BLOCK` points, each drawn from its own seeded stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, NamedTuple

import numpy as np
from scipy.stats import qmc

from ..engine.tracing import strip
from ..errors import QuadratureInputError
from .adaptive import GaussKronrod
from .rules import QuadratureRule, check_count
from .transforms import transform

__all__ = ["MC_BLOCK", "Chunk", "CubatureRule", "MonteCarlo", "Product", "QMC"]

#: Monte Carlo points come in blocks of this many, each from its own stream, so a chunk (a run
#: of whole blocks) needs no other chunk and the points do not depend on the chunk size.
MC_BLOCK = 2**16
# scipy's Sobol' points have 30 bits (its fast_forward fails at 64): each is a multiple of
# 2**-30, the corner of its cell, so every replicate's mean is off by 2**-31 per axis alike, a
# bias their spread cannot show. The points are moved to their cells' centres.
_SOBOL_BITS = 30
_SOBOL_CENTRE = 2.0 ** -(_SOBOL_BITS + 1)


class Chunk(NamedTuple):
    """Points ``start`` to ``stop`` (exclusive) of replicate ``group`` of a rule."""

    group: int
    start: int
    stop: int


class CubatureRule:
    """Base class of the rules over a box in d dimensions, made and consumed in chunks.

    Examples
    --------
    >>> isinstance(QMC(2**10), CubatureRule), isinstance(Product(), CubatureRule)
    (True, True)
    """

    #: Whether the error estimate needs each chunk's sum of ``(w f)**2`` (Monte Carlo's does).
    needs_squares = False

    # A rule is configuration, never differentiated: the engine finds no fields to walk.
    def __symrules_fields__(self) -> dict[str, Any]:
        return {}

    def __symrules_replace__(self, new_fields: dict[str, Any]) -> CubatureRule:
        return self

    def chunks(self, d: int, chunk_size: int) -> list[Chunk]:
        """The chunks of at most about ``chunk_size`` points that make up the rule in ``d``
        dimensions, in the fixed order their partial results are added."""
        raise NotImplementedError

    def points(self, chunk: Chunk, bounds: tuple[Any, ...]) -> tuple[Any, Any]:
        """Points ``x`` of shape ``(m, d)`` and weights ``w`` of chunk ``chunk`` on the box
        ``bounds = (a0, b0, a1, b1, ...)``."""
        raise NotImplementedError

    def face(self, axis: int) -> CubatureRule:
        """The rule for the box's face across ``axis`` (one dimension fewer)."""
        return self

    def error(self, sums: list[tuple[int, float, float]], n: int) -> float | None:
        """The error estimate from each chunk's ``(group, sum w f, sum (w f)**2)``; ``n`` is
        the number of points; ``None`` for a rule without one."""
        return None


def _unit_cube_map(t: np.ndarray, bounds: tuple[Any, ...], weight: float) -> tuple[Any, Any]:
    """Points ``t`` of the unit cube mapped onto the box, each with ``weight`` times the
    Jacobian; points where a map of an infinite bound is infinite are dropped."""
    maps = [transform(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True)]
    columns, w = [], weight * np.ones(len(t))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k, tr in enumerate(maps):
            columns.append(tr.nodes(t[:, k]))
            w = w * tr.jacobian(t[:, k])
    x = np.stack(columns, axis=1)
    if all(tr.kind == "finite" for tr in maps):
        return x, w
    keep = np.isfinite(strip(x)).all(axis=1) & np.isfinite(strip(w))
    return x[keep], w[keep]


@lru_cache(maxsize=64)
def _axis_nodes(rule: QuadratureRule, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    return rule.nodes_weights(a, b)


@dataclass(frozen=True, init=False)
class Product(CubatureRule):
    """The tensor product of one-dimensional rules, one per axis (or one for every axis).

    ``Product(GaussLegendre(20), Simpson(31))`` integrates over a box in 2 dimensions with
    20 x 31 points; ``Product(GaussLegendre(20))`` uses the same rule on every axis, and
    ``Product()`` is ``Product(GaussLegendre(20))``. Any fixed 1-D rule may be used; its
    infinite-bound transform applies per axis. There is no error estimate.

    Examples
    --------
    >>> from symrules import GaussLegendre, integrate
    >>> rule = Product(GaussLegendre(3))
    >>> value = integrate(lambda x: x[:, 0] * x[:, 1] ** 2, ((0, 1), (0, 2)), rule)
    >>> bool(np.isclose(value, 0.5 * 8 / 3))
    True
    """

    rules: tuple[QuadratureRule, ...]

    def __init__(self, *rules: QuadratureRule) -> None:
        if not rules:
            from .interpolatory import GaussLegendre

            rules = (GaussLegendre(20),)
        for k, rule in enumerate(rules):
            if isinstance(rule, GaussKronrod) or not isinstance(rule, QuadratureRule):
                what = "the adaptive GaussKronrod" if isinstance(rule, GaussKronrod) else repr(rule)
                raise QuadratureInputError(
                    f"Product: rule {k} is {what}; a product needs fixed 1-D rules "
                    "(GaussLegendre, Simpson, Trapezoid, ClenshawCurtis, TanhSinh, Composite)"
                )
        object.__setattr__(self, "rules", tuple(rules))

    def __repr__(self) -> str:
        return f"Product({', '.join(map(repr, self.rules))})"

    def axis_rules(self, d: int) -> tuple[QuadratureRule, ...]:
        """The rule of each of ``d`` axes."""
        if len(self.rules) == 1:
            return self.rules * d
        if len(self.rules) != d:
            raise QuadratureInputError(
                f"{self!r} has {len(self.rules)} rules for a domain in {d} dimensions: give one "
                "rule per axis, or one rule for every axis"
            )
        return self.rules

    def _axes(self, bounds: tuple[Any, ...]) -> list[tuple[Any, Any]]:
        rules = self.axis_rules(len(bounds) // 2)
        pairs = zip(rules, bounds[::2], bounds[1::2], strict=True)
        if all(type(v) is float for v in bounds):
            return [_axis_nodes(r, a, b) for r, a, b in pairs]
        return [r.nodes_weights(a, b) for r, a, b in pairs]

    def chunks(self, d: int, chunk_size: int) -> list[Chunk]:
        """Ranges of the flat index into the grid of ``prod(n_k)`` points."""
        total = math.prod(r.num_nodes for r in self.axis_rules(d))
        return [Chunk(0, s, min(s + chunk_size, total)) for s in range(0, total, chunk_size)]

    def points(self, chunk: Chunk, bounds: tuple[Any, ...]) -> tuple[Any, Any]:
        """The grid points of flat indices ``chunk.start`` to ``chunk.stop``."""
        axes = self._axes(bounds)
        index = np.unravel_index(np.arange(chunk.start, chunk.stop), [len(x) for x, _ in axes])
        x = np.stack([x[i] for (x, _), i in zip(axes, index, strict=True)], axis=1)
        w = math.prod(w[i] for (_, w), i in zip(axes, index, strict=True))
        return x, w

    def face(self, axis: int) -> CubatureRule:
        """The product of the other axes' rules."""
        if len(self.rules) == 1:
            return self
        return Product(*self.rules[:axis], *self.rules[axis + 1 :])


def _seed(seed: int | None) -> int:
    """A fixed seed for the rule: chunks re-create their streams from it on any machine."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise QuadratureInputError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


def _stream(seed: int, key: int) -> np.random.Generator:
    """The ``key``-th independent stream of ``seed`` (``SeedSequence(seed).spawn``'s child)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


#: Chunks of at most this many coordinates keep their unit-cube points in a cache of 64
#: (at most 32 MB): a gradient loop, a sweep or a widget asks for the same points many times.
_CACHED_COORDINATES = 2**16


@lru_cache(maxsize=64)
def _cached(rule: Any, chunk: Chunk, d: int) -> np.ndarray:
    t = rule.unit_points(chunk, d)
    t.setflags(write=False)
    return t


def _cached_unit_points(rule: Any, chunk: Chunk, d: int) -> np.ndarray:
    if (chunk.stop - chunk.start) * d <= _CACHED_COORDINATES:
        return _cached(rule, chunk, d)
    return rule.unit_points(chunk, d)


@dataclass(frozen=True)
class QMC(CubatureRule):
    """Randomised quasi-Monte Carlo: ``replicates`` scrambled sequences of ``n`` points each.

    The value is the mean of the replicates' estimates and its error estimate the standard
    error of that mean, ``std(estimates, ddof=1) / sqrt(replicates)``, as in
    :func:`scipy.stats.qmc` ``qmc_quad``. ``n`` is the number of points per replicate (a
    power of two for Sobol' points, whose balance needs it); ``n * replicates`` points in all.
    ``seed`` fixes the scrambling (``None``: drawn once, when the rule is made, so a rule
    gives the same points wherever its chunks are evaluated).

    Examples
    --------
    >>> from symrules import integrate
    >>> from symrules.quadrature import estimate
    >>> rule = QMC(2**12, seed=1)
    >>> result = estimate(lambda x: np.exp(-(x**2).sum(axis=1)), ((0, 1), (0, 1)), rule)
    >>> bool(abs(result.value - 0.746824132812427**2) < 4 * result.error < 1e-4)
    True
    """

    n: int
    sequence: Literal["sobol", "halton"] = "sobol"
    scramble: bool = True
    replicates: int = 8
    seed: int | None = None

    def __post_init__(self) -> None:
        where = f"QMC(n={self.n!r})"
        check_count(where, "n", self.n, 1)
        check_count(where, "replicates", self.replicates, 1)
        if self.sequence not in ("sobol", "halton"):
            raise QuadratureInputError(
                f"{where}: sequence must be 'sobol' or 'halton', got {self.sequence!r}"
            )
        if self.sequence == "sobol" and (self.n & (self.n - 1) or self.n > 2**_SOBOL_BITS):
            low = 2 ** int(math.log2(self.n))
            raise QuadratureInputError(
                f"{where}: Sobol' points need n to be a power of two, at most 2**{_SOBOL_BITS} "
                f"(their balance properties depend on it): use n={low} or n={2 * low}"
            )
        if not self.scramble and self.replicates > 1:
            raise QuadratureInputError(
                f"{where}: unscrambled replicates are all the same points, so their spread is "
                "no error estimate: use scramble=True, or replicates=1"
            )
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "replicates", int(self.replicates))
        object.__setattr__(self, "seed", _seed(self.seed))

    def chunks(self, d: int, chunk_size: int) -> list[Chunk]:
        """Each replicate's points in runs of ``chunk_size`` (rounded down to a power of two
        for Sobol' points, so every run starts on a balanced block)."""
        if self.sequence == "sobol":
            chunk_size = 2 ** int(math.log2(chunk_size))
        return [
            Chunk(r, s, min(s + chunk_size, self.n))
            for r in range(self.replicates)
            for s in range(0, self.n, chunk_size)
        ]

    def points(self, chunk: Chunk, bounds: tuple[Any, ...]) -> tuple[Any, Any]:
        """The chunk's points: its replicate's sequence fast-forwarded to ``chunk.start``."""
        t = _cached_unit_points(self, chunk, len(bounds) // 2)
        return _unit_cube_map(t, bounds, 1.0 / (self.n * self.replicates))

    def unit_points(self, chunk: Chunk, d: int) -> np.ndarray:
        """The chunk's points in the unit cube (scrambling a sequence costs about 0.2 ms)."""
        rng = _stream(self.seed, chunk.group)  # type: ignore[arg-type]
        if self.sequence == "halton":
            halton = qmc.Halton(d, scramble=self.scramble, rng=rng)
            halton.num_generated = chunk.start  # Halton's fast_forward draws the points skipped
            return halton.random(chunk.stop - chunk.start)
        sobol = qmc.Sobol(d, scramble=self.scramble, rng=rng, bits=_SOBOL_BITS)
        if chunk.start:
            sobol.fast_forward(chunk.start)
        return sobol.random(chunk.stop - chunk.start) + _SOBOL_CENTRE

    def error(self, sums: list[tuple[int, float, float]], n: int) -> float | None:
        """The standard error of the mean of the replicates (``None`` for one replicate)."""
        if self.replicates < 2:
            return None
        per_replicate = np.zeros(self.replicates)
        for group, value, _ in sums:
            per_replicate[group] += value
        return float(np.std(per_replicate * self.replicates, ddof=1) / math.sqrt(self.replicates))


@dataclass(frozen=True)
class MonteCarlo(CubatureRule):
    """Plain Monte Carlo: ``n`` independent uniform points (mapped for infinite bounds).

    The error estimate is the standard error ``std(f * volume) / sqrt(n)`` of the sample. The
    points do not depend on the chunk size (they come in blocks of :data:`MC_BLOCK`, each
    from its own stream of ``seed``).

    Examples
    --------
    >>> from symrules.quadrature import estimate
    >>> cube = ((0, 1), (0, 1), (0, 1))
    >>> result = estimate(lambda x: x.sum(axis=1), cube, MonteCarlo(10**5, seed=2))
    >>> bool(abs(result.value - 1.5) < 4 * result.error), round(result.error, 3)
    (True, 0.003)
    """

    n: int
    seed: int | None = None
    needs_squares = True

    def __post_init__(self) -> None:
        check_count(f"MonteCarlo(n={self.n!r})", "n", self.n, 2)
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "seed", _seed(self.seed))

    def chunks(self, d: int, chunk_size: int) -> list[Chunk]:
        """Runs of whole blocks: ``chunk_size`` rounded up to a multiple of :data:`MC_BLOCK`."""
        size = -(-chunk_size // MC_BLOCK) * MC_BLOCK
        return [Chunk(0, s, min(s + size, self.n)) for s in range(0, self.n, size)]

    def points(self, chunk: Chunk, bounds: tuple[Any, ...]) -> tuple[Any, Any]:
        """The chunk's blocks, each drawn from its own stream."""
        t = _cached_unit_points(self, chunk, len(bounds) // 2)
        return _unit_cube_map(t, bounds, 1.0 / self.n)

    def unit_points(self, chunk: Chunk, d: int) -> np.ndarray:
        """The chunk's points in the unit cube."""
        blocks = []
        for start in range(chunk.start, chunk.stop, MC_BLOCK):
            rng = _stream(self.seed, start // MC_BLOCK)  # type: ignore[arg-type]
            blocks.append(rng.random((min(MC_BLOCK, chunk.stop - start), d)))
        return np.concatenate(blocks)

    def error(self, sums: list[tuple[int, float, float]], n: int) -> float | None:
        """The sample's standard error, from the sums of ``w f`` and of ``(w f)**2``."""
        total, squares = sum(s[1] for s in sums), sum(s[2] for s in sums)
        return math.sqrt(max(self.n * squares - total**2, 0.0) / (self.n - 1))
