"""Which cotangents a pullback must compute: :class:`Needs`, passed to rules explicitly.

A call ``f(x, c)`` inside a differentiated function often needs only some of its cotangents:
the nodes ``x`` of a quadrature are constants, a closure holds one traced field among many.
The engine knows which inputs are traced; a rule learns it through a ``needs`` argument. A
rule that declares a keyword parameter named ``needs`` receives a :class:`Needs` from the
engine and from :func:`symrules.rrule` alike (all cotangents when the caller gives none), so
a rule behaves the same however it is called; a rule without that parameter computes all of
its cotangents, which is always correct.

A cotangent the caller did not ask for may be returned as :class:`~symrules.SkippedTangent`;
it is neither ``ZeroTangent`` (the derivative is zero) nor ``NoTangent`` (none exists), and
the engine never reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .fields import Path

__all__ = ["EVERYTHING", "Needs"]

Want = bool | frozenset[Path]


def _want(value: Any) -> Want:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        raise TypeError(f"Needs entries are True, False or a set of field paths, got {value!r}")
    paths = frozenset((p,) if isinstance(p, str) else tuple(p) for p in value)
    return paths if paths else False


class Needs:
    """Which cotangents of ``(f, *args)`` a pullback must compute.

    Parameters
    ----------
    *wanted : bool or iterable of paths
        One entry per position, ``f`` first: ``True`` for the whole cotangent, ``False`` for
        none, or the field paths whose cotangents are needed (a path is a tuple of field names
        and indices; a plain string names a top-level field). Positions past the end are
        needed in full.

    Examples
    --------
    >>> needs = Needs({"p"}, False)   # f_bar for the field p only, no x_bar
    >>> needs[0], needs[1], needs.paths(0)
    (True, False, frozenset({('p',)}))
    >>> Needs()[3], Needs().paths(3) is None
    (True, True)

    See Also
    --------
    symrules.rrule, symrules.register_rrule, symrules.rrule_via_ad
    """

    __slots__ = ("_wanted",)

    def __init__(self, *wanted: bool | Iterable[Any]) -> None:
        self._wanted: tuple[Want, ...] = tuple(_want(w) for w in wanted)

    @classmethod
    def of_paths(cls, wanted: list[Any]) -> Needs:
        """From entries that are ``True``, ``False`` or sets of path tuples, unchecked.

        The engine's constructor, called once per rule call: it skips the conversions of
        ``Needs(...)``.
        """
        out = object.__new__(cls)
        out._wanted = tuple(w if type(w) is bool else frozenset(w) or False for w in wanted)
        return out

    def __getitem__(self, pos: int) -> bool:
        """Whether any cotangent is needed at position ``pos`` (0 is ``f``)."""
        return pos >= len(self._wanted) or self._wanted[pos] is not False

    def paths(self, pos: int) -> frozenset[Path] | None:
        """The field paths needed at ``pos``: ``None`` for all of them, empty for none."""
        want = self._wanted[pos] if pos < len(self._wanted) else True
        if want is True:
            return None
        return frozenset() if want is False else want

    def select(self, *positions: int) -> Needs:
        """The needs of the positions given, in that order: for a rule calling another.

        Examples
        --------
        >>> Needs(False, {"p"}, True).select(1, 2)
        Needs({('p',)}, True)
        """
        out = object.__new__(Needs)
        out._wanted = tuple(
            self._wanted[p] if p < len(self._wanted) else True for p in positions
        )
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Needs) and self._wanted == other._wanted

    def __hash__(self) -> int:
        return hash(self._wanted)

    def __repr__(self) -> str:
        def show(want: Want) -> str:
            return repr(want) if isinstance(want, bool) else repr(set(sorted(want, key=repr)))

        return f"Needs({', '.join(map(show, self._wanted))})"


#: Every cotangent: what a caller that passes no ``needs`` gets.
EVERYTHING = Needs()
