"""The loader: compile generated source once, and cache the compiled rules.

The last of code generation's three layers: :func:`load` compiles a module text under a
pseudo file name registered with :mod:`linecache` (tracebacks and ``inspect.getsource`` show
the generated code); :func:`generated_rules` derives, generates and compiles an expression's
rules once, caching them in memory by a structural key and, optionally, on disk as plain
``.py`` files (never pickles).
"""

from __future__ import annotations

import hashlib
import linecache
import os
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from .codegen import generate_source
from .declaration import Declaration
from .derive import Derivation, derive
from .parse import as_expression, plain_string, refuse_non_expression

__all__ = [
    "GeneratedRules",
    "cache_info",
    "clear_cache",
    "generated_rules",
    "load",
    "set_cache_dir",
]

_FORMAT_VERSION = "2"  # of the generated code: names are mangled since version 2
_MEMORY: dict[Any, GeneratedRules] = {}
_STATS = {"hits": 0, "misses": 0, "disk_hits": 0, "disk_writes": 0}
_DISK: dict[str, Path | None] = {"dir": None}


class GeneratedRules:
    """Compiled generated functions of one expression, shared by every Integrand using it.

    Attributes
    ----------
    source : str
        The module text.
    filename : str
        The pseudo file name it is registered under in :mod:`linecache`.
    primal, rrule, frule : callable
        ``primal(x, *params) -> y``; ``rrule(x, *params) -> (y, pullback)`` with
        ``pullback(y_bar, need_x_bar=True) -> (*param_bars, x_bar)``;
        ``frule(x, *params, x_dot, *param_dots) -> (y, y_dot)`` where a ``None`` dot is zero.
    pullback : callable
        ``pullback(y_bar, x, *params, need_x_bar=True) -> (*param_bars, x_bar)``, standalone.
    declaration : Declaration
    expr : sympy.Expr
        The canonical expression.
    derivation : Derivation
        Its partials; derived again on first use after a disk-cache hit.
    """

    def __init__(self, source: str, digest: str, declaration: Declaration, expr: sp.Expr,
                 derivation: Derivation | None = None) -> None:  # fmt: skip
        namespace = load(source, digest)
        self.source, self.filename = source, f"<symrules-generated {digest}>"
        self.primal, self.rrule, self.frule, self.pullback = (
            namespace[k] for k in ("primal", "rrule", "frule", "pullback")
        )
        self.declaration, self.expr, self._derivation = declaration, expr, derivation

    @property
    def derivation(self) -> Derivation:
        if self._derivation is None:
            self._derivation = derive(self.expr, self.declaration.var, dict(self.declaration.sizes))
        return self._derivation


def load(source: str, name: str) -> dict[str, Any]:
    """Compile generated source under the pseudo file ``<symrules-generated name>``.

    The text is registered with :mod:`linecache`, so tracebacks and ``inspect.getsource``
    show it. Returns the module namespace.

    Examples
    --------
    >>> import inspect
    >>> ns = load("def primal(x):\\n    return 2*x\\n", "demo")
    >>> ns["primal"](3.0), inspect.getsource(ns["primal"]).splitlines()[1].strip()
    (6.0, 'return 2*x')
    """
    filename = f"<symrules-generated {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"np": np, "__name__": "symrules.symbolic.generated"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def _digest(expr: sp.Expr, declaration: Declaration) -> str:
    text = f"{_FORMAT_VERSION}\n{declaration.var}\n{declaration.sizes}\n{sp.srepr(expr)}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def generated_rules(expr: Any, declaration: Declaration) -> GeneratedRules:
    """The compiled rules of ``expr`` over ``declaration``, from the cache when possible.

    The in-memory cache is keyed by the declaration and the expression (the string as
    given, and the canonical SymPy expression's structure), so a second construction neither
    parses, derives nor compiles again; the optional disk cache (see :func:`set_cache_dir`)
    is keyed by a hash of the canonical expression and skips derivation and generation.

    Examples
    --------
    >>> d = Declaration("x", (("a", None),))
    >>> rules = generated_rules("a*x**2", d)
    >>> generated_rules("a*x**2", d) is rules, float(rules.primal(3.0, 2.0))
    (True, 18.0)
    """
    refuse_non_expression(expr)  # before hashing: a list is no key, and nothing is sympified
    key = (declaration, plain_string(expr) if isinstance(expr, str) else ("sympy", expr))
    hit = _MEMORY.get(key)
    if hit is not None:
        _STATS["hits"] += 1
        return hit
    canonical = as_expression(expr, declaration)
    canonical_key = (declaration, ("sympy", canonical))
    hit = _MEMORY.get(canonical_key) or _from_disk(canonical, declaration)
    if hit is None:
        _STATS["misses"] += 1
        derivation = derive(canonical, declaration.var, dict(declaration.sizes))
        source = generate_source(derivation)
        digest = _digest(canonical, declaration)
        hit = GeneratedRules(source, digest, declaration, canonical, derivation)
        _to_disk(source, digest)
    else:
        _STATS["hits"] += 1
    _MEMORY[key] = _MEMORY[canonical_key] = hit
    return hit


def _from_disk(expr: sp.Expr, declaration: Declaration) -> GeneratedRules | None:
    directory = _DISK["dir"]
    if directory is None:
        return None
    digest = _digest(expr, declaration)
    path = directory / f"{digest}.py"
    if not path.is_file():
        return None
    _STATS["disk_hits"] += 1
    return GeneratedRules(path.read_text(), digest, declaration, expr)


def _to_disk(source: str, digest: str) -> None:
    directory = _DISK["dir"]
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{digest}.{os.getpid()}.tmp"
    tmp.write_text(source)
    os.replace(tmp, directory / f"{digest}.py")
    _STATS["disk_writes"] += 1


def set_cache_dir(path: str | os.PathLike | None) -> None:
    """Also cache generated rules on disk, as plain ``.py`` files in ``path`` (``None``: off).

    Files are named by a hash of the canonical expression and its declaration; they hold
    exactly the text of ``Integrand.source``. Nothing is ever pickled.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     set_cache_dir(tmp)
    ...     _ = generated_rules("x**3 + a", Declaration("x", (("a", None),)))
    ...     written = [p.suffix for p in pathlib.Path(tmp).iterdir()]
    ...     set_cache_dir(None)
    >>> written
    ['.py']
    """
    _DISK["dir"] = None if path is None else Path(path)


def cache_info() -> dict[str, int]:
    """Counters of the rule cache: ``hits``, ``misses``, ``disk_hits``, ``disk_writes``, ``size``.

    Examples
    --------
    >>> before = cache_info()["hits"]
    >>> d = Declaration("x", ())
    >>> _ = generated_rules("x**5", d)
    >>> _ = generated_rules("x**5", d)
    >>> cache_info()["hits"] - before >= 1
    True
    """
    return {**_STATS, "size": len({id(v) for v in _MEMORY.values()})}


def clear_cache() -> None:
    """Forget every compiled rule held in memory (the disk cache is left as it is).

    Examples
    --------
    >>> clear_cache(); cache_info()["size"]
    0
    """
    _MEMORY.clear()
