"""The symbols of an expression: its variables and parameters, their names, checked and mangled.

A :class:`Declaration` says which names an expression may use -- one variable (or a tuple of
them, for an integrand in several variables) and scalar or 1-D array parameters -- and gives
each a real SymPy symbol (an array parameter ``c`` of length ``n`` becomes ``c_0 ...
c_{n-1}``). Every name passes :func:`check_name`; generated code uses each name only mangled
(:meth:`Declaration.identifier`), never as given.

Those real symbols are the declaration's own: rules are derived and cached over them, so an
expression means the same whatever assumptions its author's symbols carry. A SymPy user's own
symbols are remembered (:func:`user_symbols`) and put back into what the user sees.
"""

from __future__ import annotations

import difflib
import functools
import keyword
import types
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..errors import ParameterNameError, ParameterValueError

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "Declaration",
    "check_name",
    "declared",
    "only_calls",
    "user_symbols",
]

#: Functions a string expression may call, by the name it uses.
FUNCTIONS: dict[str, Any] = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "atan2": sp.atan2,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "arctan2": sp.atan2,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "asinh": sp.asinh, "acosh": sp.acosh, "atanh": sp.atanh,
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt,
    "Abs": sp.Abs, "abs": sp.Abs, "sign": sp.sign,
    "Max": sp.Max, "Min": sp.Min, "max": sp.Max, "min": sp.Min,
    "maximum": sp.Max, "minimum": sp.Min,
}  # fmt: skip
CONSTANTS = {"pi": sp.pi, "E": sp.E}
# Names SymPy reads as numbers: a symbol so named would be confused with them.
_SYMPY_NUMBERS = {"I", "oo", "zoo", "nan"}


@dataclass(frozen=True)
class Declaration:
    """The symbols of an expression: its variables and named scalar or 1-D array parameters.

    Every name is checked (:func:`check_name`) and taken in Unicode NFKC form, as Python reads
    identifiers; two names equal in that form are refused. Generated code never uses a name
    as given: :meth:`identifier` mangles it (``a`` becomes ``a_``), so a user's ``y`` or
    ``np`` cannot collide with the code's own names, which never end in an underscore.

    Parameters
    ----------
    var : str or tuple of str
        Name of the variable (the quadrature node), e.g. ``"x"``; or the names of several,
        ``("x", "y")``, for points of shape ``(n, d)`` (a tuple of one name is not the same
        declaration as the name: its points have shape ``(n, 1)``).
    sizes : tuple of (str, int or None)
        Each parameter's name and length; ``None`` for a scalar.

    Examples
    --------
    >>> d = Declaration("x", (("a", None), ("c", 2)))
    >>> d.symbols("c")
    (c_0, c_1)
    >>> d.describe(), d.identifier("c")
    ('x (the variable), a, c[0..1]', 'c_')
    >>> Declaration(("x", "y"), (("a", None),)).describe()
    'x, y (the variables), a'
    """

    var: str | tuple[str, ...]
    sizes: tuple[tuple[str, int | None], ...]
    _table: dict[str, Any] = field(init=False, repr=False, compare=False)
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _variables: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: Whether ``var`` is a tuple: points of shape ``(n, d)``, not nodes of any shape.
    several: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        several = type(self.var) is tuple
        given_vars: tuple[Any, ...] = self.var if type(self.var) is tuple else (self.var,)
        if several and not given_vars:
            raise ParameterNameError("var=() names no variable; give at least one name")
        variables = tuple(check_name(v, "the variable name (var)") for v in given_vars)
        given: dict[str, Any] = {}
        for name, original in zip(variables, given_vars, strict=True):
            if name in given:
                raise ParameterNameError(
                    f"the variable {original!r} appears twice in var={self.var!r}; the "
                    "variables' names must differ"
                )
            given[name] = original
        sizes = tuple((check_name(name, "a parameter name"), size) for name, size in self.sizes)
        for (name, size), (original, _) in zip(sizes, self.sizes, strict=True):
            if name in given:
                what = "the variable" if name in variables else "the parameter"
                same = "" if given[name] == original else " after Unicode NFKC normalization"
                raise ParameterNameError(
                    f"the parameter {original!r} has the name of {what} {given[name]!r}{same}; "
                    "rename one of them"
                )
            given[name] = original
            if size is not None and (isinstance(size, bool) or not isinstance(size, int)
                                     or size < 1):  # fmt: skip
                raise ParameterValueError(
                    f"the array parameter {original!r} has length {size!r}; an array "
                    "parameter holds at least one value"
                )
        object.__setattr__(self, "var", variables if several else variables[0])
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "_variables", variables)
        object.__setattr__(self, "several", several)
        table: dict[str, Any] = {v: sp.Symbol(v, real=True) for v in variables}
        for name, size in sizes:
            if size is None:
                table[name] = sp.Symbol(name, real=True)
            else:
                table[name] = tuple(sp.Symbol(f"{name}_{k}", real=True) for k in range(size))
        seen: set[str] = set()
        for sym in _flatten(table.values()):
            if sym.name in seen:
                raise ParameterNameError(
                    f"parameter {sym.name!r} has the name of a component of an array parameter"
                )
            seen.add(sym.name)
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_names", tuple(name for name, _ in sizes))

    @property
    def x(self) -> sp.Symbol:
        """The variable's symbol (the first variable's, of several)."""
        return self._table[self._variables[0]]

    @property
    def variables(self) -> tuple[str, ...]:
        """The variables' names, in the order of the points' columns (one for ``var="x"``)."""
        return self._variables

    @property
    def xs(self) -> tuple[sp.Symbol, ...]:
        """The variables' symbols, in the order of :attr:`variables`."""
        return tuple(self._table[v] for v in self._variables)

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in declaration order."""
        return self._names

    def symbols(self, name: str) -> Any:
        """The symbol of ``name``: a ``Symbol``, or a tuple of them for an array parameter."""
        return self._table[name]

    def by_name(self) -> dict[str, sp.Symbol]:
        """Every symbol (variable, scalars, array components) by its SymPy name."""
        return {s.name: s for s in _flatten(self._table.values())}

    def identifier(self, name: str) -> str:
        """The Python identifier generated code uses for the declared ``name``: ``name_``."""
        return f"{name}_"

    def describe(self) -> str:
        """The declared symbols as a message lists them."""
        several = "s" if self.several else ""
        out = [f"{', '.join(self._variables)} (the variable{several})"]
        for name, size in self.sizes:
            out.append(name if size is None else f"{name}[0..{size - 1}]")
        return ", ".join(out)


def _flatten(values: Any) -> list[sp.Symbol]:
    out: list[sp.Symbol] = []
    for value in values:
        out.extend(value if isinstance(value, tuple) else (value,))
    return out


@functools.lru_cache(maxsize=1024)
def declared(var: str | tuple[str, ...], sizes: tuple[tuple[str, int | None], ...]) -> Declaration:
    """``Declaration(var, sizes)``, built once per distinct declaration.

    An Integrand is often rebuilt on every call of a loss function; its declaration, like its
    compiled rules, is then a dictionary lookup.

    Examples
    --------
    >>> declared("x", (("a", None),)) is declared("x", (("a", None),))
    True
    """
    return Declaration(var, sizes)


@functools.lru_cache(maxsize=1024)  # an Integrand is often rebuilt per call, on one expression
def user_symbols(expr: sp.Basic, declaration: Declaration) -> Mapping[sp.Basic, sp.Basic]:
    """The user's own symbols in ``expr``, by the declared symbol each stands for.

    A symbol of ``expr`` stands for the declared symbol of its name, whatever its assumptions
    (``Symbol("a", positive=True)`` for the real ``a``); ``c[k]`` of an ``IndexedBase("c")``
    for the component ``c_k``. Only symbols that differ from the declared ones are listed, so
    ``canonical.xreplace(user_symbols(expr, d))`` is the canonical expression in the user's
    symbols. ``expr`` is taken as already checked against ``declaration``
    (:func:`~symrules.symbolic.parse.as_expression`).

    Raises
    ------
    ParameterNameError
        Two different symbols of ``expr`` stand for one declared symbol (same name, other
        assumptions): which one the user means is unknown.

    Examples
    --------
    >>> import sympy as sp
    >>> a, x = sp.symbols("a x", positive=True)
    >>> d = Declaration("x", (("a", None),))
    >>> theirs = user_symbols(a * x, d)
    >>> theirs[d.symbols("a")] is a, (d.symbols("a") * d.x).xreplace(theirs) == a * x
    (True, True)
    """
    known = declaration.by_name()
    out: dict[sp.Basic, sp.Basic] = {}
    for atom in expr.atoms(sp.Symbol, sp.Indexed):
        if isinstance(atom, sp.Indexed):
            own = declaration.symbols(str(atom.base.label))[int(atom.indices[0])]
        elif atom.name in known:
            own = known[atom.name]
        else:
            continue  # an IndexedBase's label, or an index
        if own in out and out[own] != atom:
            raise ParameterNameError(
                f"two different symbols stand for {own.name!r} in {str(expr)[:60]}: "
                f"{sp.srepr(out[own])} and {sp.srepr(atom)}; use one symbol for each name"
            )
        out[own] = atom
    return types.MappingProxyType({own: atom for own, atom in out.items() if own != atom})


def check_name(name: Any, role: str) -> str:
    """``name`` in Unicode NFKC form, or a :class:`~symrules.errors.ParameterNameError`.

    A name is a string that is a Python identifier, not a keyword, not private (``_a``), not
    the name of a function or constant expressions use (``exp``, ``pi``, SymPy's ``I``) and
    not ending in ``_bar`` or ``_dot`` (the names of cotangents and tangents).

    Examples
    --------
    >>> check_name("\uff41", "a parameter name")  # a full-width a, read as Python reads it
    'a'
    >>> try:
    ...     check_name("lambda", "the variable name (var)")
    ... except ParameterNameError as err:
    ...     print(err)
    the variable name (var) 'lambda' is a Python keyword; rename it
    """
    if type(name) is not str:  # a subclass could hash or compare its own way
        raise ParameterNameError(
            f"{role} must be a string, got {type(name).__name__} {repr(name)[:60]}"
        )
    return _checked_name(name, role)


@functools.lru_cache(maxsize=4096)  # names recur: an Integrand is often rebuilt per call
def _checked_name(name: str, role: str) -> str:
    norm = unicodedata.normalize("NFKC", name)
    why = None
    if not norm:
        why = "is empty"
    elif keyword.iskeyword(norm):
        why = "is a Python keyword"
    elif not norm.isidentifier():
        why = "is not a Python identifier"
    elif norm.startswith("_"):
        why = "starts with an underscore (private names are not accepted)"
    elif norm in FUNCTIONS or norm in CONSTANTS or norm in _SYMPY_NUMBERS:
        why = "names a function or constant of expressions"
    elif norm.endswith(("_bar", "_dot")):
        why = "ends in _bar or _dot (the names of cotangents and tangents)"
    if why is not None:
        raise ParameterNameError(f"{role} {name[:60]!r} {why}; rename it")
    return norm


def only_calls(name: str, functions: Iterable[str]) -> str:
    """What to tell the author of a call of ``name``, which is none of ``functions``.

    The close matches of a misspelt name first ("did you mean exp?"), then every function that
    may be called, as the parser knows them.

    Examples
    --------
    >>> only_calls("epx", FUNCTIONS).split(";")[0]
    "'epx' cannot be called (did you mean exp?)"
    >>> only_calls("os.system", ["exp", "log"])
    "'os.system' cannot be called; only exp, log may be called"
    """
    known, name = sorted(functions), name[:60]
    close = difflib.get_close_matches(name, known, n=3) or difflib.get_close_matches(
        name.lower(), known, n=3
    )
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return f"{name!r} cannot be called{hint}; only {', '.join(known)} may be called"
