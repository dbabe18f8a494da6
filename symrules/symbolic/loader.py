"""The loader: compile generated source once, and cache the compiled rules.

The last of code generation's three layers: :func:`load` compiles a module text under a
pseudo file name registered with :mod:`linecache` (tracebacks and ``inspect.getsource`` show
the generated code); :func:`generated_rules` derives, generates and compiles an expression's
rules once, caching them in memory by a structural key and on disk as sealed ``.py`` files
(:mod:`~symrules.symbolic.store`; symrules writes no pickles). Both caches may be used from
many threads at once. The rules carry their compiled kernel, built on first use
(:mod:`~symrules.symbolic.compiled`).
"""

from __future__ import annotations

import hashlib
import linecache
import math
import threading
import warnings
from typing import Any

import numpy as np
import scipy.special
import sympy as sp

from ..engine.staging import Stale
from ..errors import InputError, KernelError
from .arguments import as_points
from .codegen import generate_source
from .compiled import Kernel, numba_available
from .declaration import Declaration
from .derive import Derivation, derive
from .kernels import generate_kernel, kernel_refusal
from .parse import as_expression, plain_string, refuse_non_expression
from .store import FORMAT_VERSION, cache_dir, read_sealed, sealed, set_cache_dir, write

__all__ = [
    "JIT_FUSED_NODES",
    "fused_step",
    "GeneratedRules",
    "cache_info",
    "clear_cache",
    "generated_rules",
    "load",
    "set_cache_dir",
]

_MEMORY: dict[Any, GeneratedRules] = {}
_STATS = {"hits": 0, "misses": 0, "disk_hits": 0, "disk_writes": 0}
_LOCK = threading.Lock()  # over writes and snapshots of _MEMORY and _STATS


class GeneratedRules:
    """Compiled generated functions of one expression, shared by every Integrand using it.

    Attributes
    ----------
    source : str
        The module text; with the disk cache on, the file's text, ending with its digest.
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
    kernel : Kernel or None
        The fused numba kernel, compiled on its first call; ``None`` where there is none.
    no_kernel : str or None
        Why there is no kernel: numba is missing, too many parameter entries, or it failed to
        compile.
    breakpoints : Breakpoints or None
        Where the expression's pieces meet, found by its first Integrand's ``breakpoints_in``.
    """

    def __init__(self, source: str, key: str, declaration: Declaration, expr: sp.Expr,
                 derivation: Derivation | None = None) -> None:  # fmt: skip
        digest = _digest(key)
        namespace = load(source, digest)
        self.source, self.filename = source, f"<symrules-generated {digest}>"
        self.primal, self.rrule, self.frule, self.pullback = (
            namespace[k] for k in ("primal", "rrule", "frule", "pullback")
        )
        self.declaration, self.expr, self._derivation = declaration, expr, derivation
        self.kernel: Kernel | None = None
        self.breakpoints: Any = None
        self.no_kernel = kernel_refusal(declaration, expr, numba_available())
        if self.no_kernel is None:
            self.kernel = Kernel(digest, f"{key}\nkernel",
                                 lambda cache: generate_kernel(self.derivation, cache))  # fmt: skip

    def fused(self, x: Any, w: Any, params: list[Any]) -> tuple[float, list[Any]] | None:
        """``(sum_i w_i f(x_i), [sum_i w_i df/dp(x_i) per parameter])`` in one pass of the
        kernel, on plain values; ``None`` without a kernel, where it failed to compile (then
        for every Integrand of this expression, with a warning), or where a sum is not finite
        (the numpy rules then name the node and the field)."""
        if self.kernel is None:
            return None
        params = [np.ascontiguousarray(v, dtype=float) if np.ndim(v) else float(v)
                  for v in params]  # fmt: skip
        x, w = np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(w, dtype=float)
        if self.declaration.several:  # the kernel reads rows of x and w unchecked
            x = as_points(x, self.declaration.variables)
            if w.shape != x.shape[:1]:
                raise InputError(f"{len(x)} points take {len(x)} weights, got shape {w.shape}")
        try:
            value, *bars = self.kernel(w, x, *params)
        except KernelError as err:
            self.kernel, self.no_kernel = None, f"it failed to compile: {err}"
            warnings.warn(f"symrules: {err}; using the numpy rules of {self.expr}",
                          RuntimeWarning, stacklevel=3)  # fmt: skip
            return None
        if not (math.isfinite(value) and all(np.isfinite(bar).all() for bar in bars)):
            return None
        return np.float64(value), bars

    @property
    def derivation(self) -> Derivation:
        if self._derivation is None:
            self._derivation = derive(self.expr, self.declaration.var, dict(self.declaration.sizes))
        return self._derivation


#: Under ``jit``, the fused kernel's pass (a fixed cost of a few microseconds a call) is one
#: step of the program from this many nodes; below, the numpy rules, which ``jit`` partly
#: computes while tracing (a gradient linear in the parameters is a constant), cost less.
JIT_FUSED_NODES = 1000


def fused_step(rules: GeneratedRules, x: Any, w: Any, params: list[Any]) -> tuple[Any, ...]:
    """``(value, *param_bars)`` of the fused kernel: what ``jit`` records as one step of its
    program; a sum that is not finite on a later call makes the program stale (traced again,
    the numpy rules then name the node)."""
    out = rules.fused(x, w, params)
    if out is None:
        raise Stale("a sum of the fused kernel is not finite")
    return (out[0], *out[1])


def load(source: str, name: str) -> dict[str, Any]:
    """Compile generated source under the pseudo file ``<symrules-generated name>``.

    The text is registered with :mod:`linecache`, so tracebacks and ``inspect.getsource``
    show it. The source runs with ``np`` (numpy) and ``special`` (:mod:`scipy.special`) in its
    namespace. Returns the module namespace.

    Examples
    --------
    >>> import inspect
    >>> ns = load("def primal(x):\\n    return 2*x\\n", "demo")
    >>> ns["primal"](3.0), inspect.getsource(ns["primal"]).splitlines()[1].strip()
    (6.0, 'return 2*x')
    """
    filename = f"<symrules-generated {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"np": np, "special": scipy.special,
                                 "__name__": "symrules.symbolic.generated"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def _key(expr: sp.Expr, declaration: Declaration) -> str:
    """What a cached file is for: the declaration and the canonical expression's structure."""
    return f"{declaration.var}\n{declaration.sizes}\n{sp.srepr(expr)}"


def _digest(key: str) -> str:
    """The file name's stem: a short hash of the format version and the key."""
    return hashlib.sha256(f"{FORMAT_VERSION}\n{key}".encode()).hexdigest()[:20]


def _count(*names: str) -> None:
    with _LOCK:
        for name in names:
            _STATS[name] += 1


def generated_rules(expr: Any, declaration: Declaration) -> GeneratedRules:
    """The compiled rules of ``expr`` over ``declaration``, from the cache when possible.

    The in-memory cache is keyed by the declaration and the expression (the string as
    given, and the canonical SymPy expression's structure), so a second construction neither
    parses, derives nor compiles again; the disk cache (see :func:`set_cache_dir`, on by default)
    is keyed by a hash of the canonical expression and skips derivation and generation.
    Threads racing on a new expression may each generate it; all get the first one stored.

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
        _count("hits")
        return hit
    canonical = as_expression(expr, declaration)
    canonical_key = (declaration, ("sympy", canonical))
    hit = _MEMORY.get(canonical_key)
    if hit is None:
        hit = _from_disk_or_generated(canonical, declaration)
    else:
        _count("hits")
    with _LOCK:
        hit = _MEMORY.setdefault(canonical_key, hit)
        _MEMORY[key] = hit
    return hit


def _from_disk_or_generated(expr: sp.Expr, declaration: Declaration) -> GeneratedRules:
    """The rules from a valid cache file, or derived, generated and (disk cache on) written."""
    key, directory = _key(expr, declaration), cache_dir()
    digest = _digest(key)
    path = None if directory is None else directory / f"{digest}.py"
    if path is not None:
        text = read_sealed(path, key)
        if text is not None:
            _count("hits", "disk_hits")
            return GeneratedRules(text, key, declaration, expr)
    _count("misses")
    derivation = derive(expr, declaration.var, dict(declaration.sizes))
    source = generate_source(derivation)
    if path is not None:
        source = sealed(source, key)
        if write(path, source):
            _count("disk_writes")
    return GeneratedRules(source, key, declaration, expr, derivation)


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
    with _LOCK:
        return {**_STATS, "size": len({id(v) for v in _MEMORY.values()})}


def clear_cache() -> None:
    """Forget every compiled rule held in memory (the disk cache is left as it is).

    Examples
    --------
    >>> clear_cache(); cache_info()["size"]
    0
    """
    with _LOCK:
        _MEMORY.clear()
