"""The loader: compile generated source once, and cache the compiled rules.

The last of code generation's three layers: :func:`load` compiles a module text under a
pseudo file name registered with :mod:`linecache` (tracebacks and ``inspect.getsource`` show
the generated code); :func:`generated_rules` derives, generates and compiles an expression's
rules once, caching them in memory by a structural key and, optionally, on disk as plain
``.py`` files (never pickles). Both caches may be used from many threads at once.

How the disk cache is kept honest
---------------------------------
A file is named by a hash of its *key* (the generator's format version, the declaration and
the canonical expression's ``srepr``) and ends with a trailer line: the SHA-256 of the format
version, the key and the source above it. A file runs only if its trailer is the one this
version of symrules computes for the expression it wants; otherwise (no trailer, an edited
body, another expression's file, an older generator, a symbolic link) it is ignored with a
:class:`RuntimeWarning` naming it, regenerated and replaced. The digest detects corruption,
stale and stray files. It does not stop an attacker who can write to the directory (they can
compute it too): the directory's permissions do. It is created private (``0o700``, files
``0o600``), and an existing one writable by group or others, or owned by another user, is
refused with a warning. A file is written to a fresh temporary file
(:func:`tempfile.mkstemp`, which never follows a link), synced, and renamed into place, so a
reader sees a whole file or none; it is read without following a symbolic link.
"""

from __future__ import annotations

import contextlib
import hashlib
import linecache
import os
import stat
import tempfile
import threading
import warnings
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
_TRAILER = "# symrules content digest: "  # then the hex digest and a newline, the file's end
_MEMORY: dict[Any, GeneratedRules] = {}
_STATS = {"hits": 0, "misses": 0, "disk_hits": 0, "disk_writes": 0}
_DISK: dict[str, Path | None] = {"dir": None}
_LOCK = threading.Lock()  # over writes and snapshots of _MEMORY and _STATS
# Opening ``<digest>.py``: never through a symbolic link (POSIX), never waiting on a FIFO.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


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


def _key(expr: sp.Expr, declaration: Declaration) -> str:
    """What a cached file is for: the declaration and the canonical expression's structure."""
    return f"{declaration.var}\n{declaration.sizes}\n{sp.srepr(expr)}"


def _digest(key: str) -> str:
    """The file name's stem: a short hash of the format version and the key."""
    return hashlib.sha256(f"{_FORMAT_VERSION}\n{key}".encode()).hexdigest()[:20]


def _content_digest(key: str, body: str) -> str:
    """SHA-256 of the format version, the key and the source, each prefixed by its length."""
    sha = hashlib.sha256()
    for part in (_FORMAT_VERSION, key, body):
        data = part.encode()
        sha.update(b"%d:%b" % (len(data), data))
    return sha.hexdigest()


def _count(*names: str) -> None:
    with _LOCK:
        for name in names:
            _STATS[name] += 1


def generated_rules(expr: Any, declaration: Declaration) -> GeneratedRules:
    """The compiled rules of ``expr`` over ``declaration``, from the cache when possible.

    The in-memory cache is keyed by the declaration and the expression (the string as
    given, and the canonical SymPy expression's structure), so a second construction neither
    parses, derives nor compiles again; the optional disk cache (see :func:`set_cache_dir`)
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
    key, directory = _key(expr, declaration), _DISK["dir"]
    digest = _digest(key)
    path = None if directory is None else directory / f"{digest}.py"
    if path is not None:
        text = _read_valid(path, key)
        if text is not None:
            _count("hits", "disk_hits")
            return GeneratedRules(text, digest, declaration, expr)
    _count("misses")
    derivation = derive(expr, declaration.var, dict(declaration.sizes))
    source = generate_source(derivation)
    if path is not None:
        source = _sealed(source, key)
        _write(path, source)
    return GeneratedRules(source, digest, declaration, expr, derivation)


def _sealed(source: str, key: str) -> str:
    """The file's text: the source, then the trailer line recording its content digest."""
    body = source if source.endswith("\n") else source + "\n"
    return f"{body}{_TRAILER}{_content_digest(key, body)}\n"


def _read_valid(path: Path, key: str) -> str | None:
    """The text of ``path`` if it is a regular file whose digest matches ``key``, else ``None``.

    A missing file is ``None`` silently; any other mismatch also warns, naming the file.
    """
    try:
        return _read_checked(path, key)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:  # a link (ELOOP), unreadable, not UTF-8, no match
        warnings.warn(f"symrules: ignoring the rule cache file {path} ({err}); regenerating it",
                      RuntimeWarning, stacklevel=2)  # fmt: skip
        return None


def _read_checked(path: Path, key: str) -> str:
    with os.fdopen(os.open(path, _OPEN_FLAGS), "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ValueError("not a regular file")
        text = file.read().decode()
    body, trailer, digest = text.rpartition(_TRAILER)
    if not trailer or digest != f"{_content_digest(key, body)}\n":
        raise ValueError("its digest is not that of this expression's generated code")
    return text


def _write(path: Path, text: str) -> None:
    """Write ``path`` atomically: a private temporary file, synced, then renamed onto it.

    Renaming replaces a symbolic link at ``path`` rather than following it. A failure warns
    and leaves the memory cache to do the work, unless a concurrent writer made the file.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    except OSError as err:
        return _not_written(path, err)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(text.encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if not isinstance(err, OSError):
            raise
        return _not_written(path, err)
    _count("disk_writes")
    return None


def _not_written(path: Path, err: OSError) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            return  # another writer got there first; its file is checked when read
    warnings.warn(f"symrules: could not write the rule cache file {path}: {err}",
                  RuntimeWarning, stacklevel=3)  # fmt: skip


def _unsafe(directory: Path) -> str | None:
    """Why ``directory`` must not hold code this process will run, or ``None``."""
    info = os.stat(directory)
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return "is owned by another user"
    return None


def set_cache_dir(path: str | os.PathLike | None) -> None:
    """Also cache generated rules on disk, as plain ``.py`` files in ``path`` (``None``: off).

    Files are named by a hash of the canonical expression and its declaration; they hold
    exactly the text of ``Integrand.source``, which ends with a digest of that text: a file
    whose digest does not match is ignored with a :class:`RuntimeWarning` and rewritten.
    Nothing is ever pickled. A new directory is created readable by its owner only; an
    existing one writable by group or others, or owned by another user, is refused with a
    :class:`RuntimeWarning` (the memory cache still works).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     set_cache_dir(tmp)
    ...     _ = generated_rules("x**3 + a", Declaration("x", (("a", None),)))
    ...     files = list(pathlib.Path(tmp).iterdir())
    ...     written = [(p.suffix, oct(p.stat().st_mode & 0o777)) for p in files]
    ...     set_cache_dir(None)
    >>> written
    [('.py', '0o600')]
    """
    if path is None:
        _DISK["dir"] = None
        return
    directory = Path(path)
    try:
        os.makedirs(directory, mode=0o700)
    except FileExistsError:
        pass
    else:
        os.chmod(directory, 0o700)  # makedirs' mode is reduced by the umask
    reason = _unsafe(directory)
    if reason is not None:
        warnings.warn(f"symrules: not using {directory} as the rule cache: it {reason}",
                      RuntimeWarning, stacklevel=2)  # fmt: skip
    _DISK["dir"] = None if reason is not None else directory


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
