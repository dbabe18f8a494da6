"""The disk store of generated code: sealed ``.py`` files in a private directory.

Generated rules (:mod:`~symrules.symbolic.loader`) and compiled kernels
(:mod:`~symrules.symbolic.compiled`) are kept as plain Python files; symrules writes no
pickles. (numba keeps its machine code for a kernel beside it, in ``__pycache__``, in its own
format, which it loads with :mod:`pickle`: like everything here, only the directory's
permissions protect it.) This module owns where the files live and how they are written and
read.

How it is kept honest
---------------------
A file ends with a trailer line: the SHA-256 of the generator's format version, the file's
*key* (what it was generated for) and the source above it. A file is used only if its trailer
is the one this version of symrules computes for the key it wants; otherwise (no trailer, an
edited body, another key's file, an older generator, a symbolic link) it is ignored with a
:class:`RuntimeWarning` naming it, and the caller regenerates and replaces it. The digest
detects corruption, stale and stray files. It does not stop an attacker who can write to the
directory (they can compute it too): the directory's permissions do. It is created private
(``0o700``, files ``0o600``), and an existing one writable by group or others, or owned by
another user, is refused with a warning. A file is written to a fresh temporary file
(:func:`tempfile.mkstemp`, which never follows a link), synced, and renamed into place, so a
reader sees a whole file or none; it is read without following a symbolic link.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT_VERSION",
    "cache_dir",
    "default_cache_dir",
    "read_sealed",
    "sealed",
    "set_cache_dir",
    "write",
]

#: The generated code's format; a file sealed under another version is regenerated.
FORMAT_VERSION = "4"  # 2: mangled names; 3: kernels; 4: numpy error model in kernels
_TRAILER = "# symrules content digest: "  # then the hex digest and a newline, the file's end
_DIRECTORY: dict[str, Any] = {"path": None, "chosen": False}  # chosen: set or defaulted
# Opening a cached file: never through a symbolic link (POSIX), never waiting on a FIFO.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _content_digest(key: str, body: str) -> str:
    """SHA-256 of the format version, the key and the source, each prefixed by its length."""
    sha = hashlib.sha256()
    for part in (FORMAT_VERSION, key, body):
        data = part.encode()
        sha.update(b"%d:%b" % (len(data), data))
    return sha.hexdigest()


def sealed(source: str, key: str) -> str:
    """The file's text: the source, then the trailer line recording its content digest."""
    body = source if source.endswith("\n") else source + "\n"
    return f"{body}{_TRAILER}{_content_digest(key, body)}\n"


def read_sealed(path: Path, key: str) -> str | None:
    """The text of ``path`` if it is a regular file whose digest matches ``key``, else ``None``.

    A missing file is ``None`` silently; any other mismatch also warns, naming the file.
    """
    try:
        return _read_checked(path, key)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:  # a link (ELOOP), unreadable, not UTF-8, no match
        warnings.warn(f"symrules: ignoring the cache file {path} ({err}); regenerating it",
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


def write(path: Path, text: str) -> bool:
    """Write ``path`` atomically: a private temporary file, synced, then renamed onto it.

    Renaming replaces a symbolic link at ``path`` rather than following it. Returns whether
    it wrote; a failure warns (the caller works from memory), unless a concurrent writer
    made the file.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    except OSError as err:
        _not_written(path, err)
        return False
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
        _not_written(path, err)
        return False
    return True


def _not_written(path: Path, err: OSError) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            return  # another writer got there first; its file is checked when read
    warnings.warn(f"symrules: could not write the cache file {path}: {err}",
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


def default_cache_dir() -> Path | None:
    """Where generated code is cached unless :func:`set_cache_dir` says otherwise.

    ``$SYMRULES_CACHE_DIR`` if set (empty: no disk cache), else the user's cache directory:
    ``$XDG_CACHE_HOME/symrules`` or ``~/.cache/symrules`` (``~/Library/Caches/symrules`` on
    macOS, ``%LOCALAPPDATA%\\symrules`` on Windows).

    Examples
    --------
    >>> import os
    >>> default_cache_dir() == (Path(os.environ["SYMRULES_CACHE_DIR"])
    ...                         if "SYMRULES_CACHE_DIR" in os.environ else default_cache_dir())
    True
    """
    chosen = os.environ.get("SYMRULES_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "symrules"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "symrules"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "symrules"


def set_cache_dir(path: str | os.PathLike | None) -> None:
    """Cache generated code on disk, as plain ``.py`` files in ``path`` (``None``: off).

    The default is :func:`default_cache_dir`, used from the first generated file on. Files
    are named by a hash of the canonical expression and its declaration: the numpy rules
    (``<digest>.py``, the text of ``Integrand.source``) and the numba kernel
    (``<digest>_kernel.py``, whose machine code numba caches beside it in ``__pycache__``).
    Each ends with a digest of its text: a file whose digest does not match is ignored with a
    :class:`RuntimeWarning` and rewritten. symrules writes no pickles (numba's
    ``__pycache__`` is its own). A new directory is created readable by its owner only; an
    existing one writable by group or others, or owned by another user, is refused with a
    :class:`RuntimeWarning` (the memory cache still works).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> before = cache_dir()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     set_cache_dir(tmp)
    ...     wrote = write(cache_dir() / "demo.py", sealed("x = 1\\n", "demo"))
    ...     mode = oct((pathlib.Path(tmp) / "demo.py").stat().st_mode & 0o777)
    ...     set_cache_dir(before)
    >>> wrote, mode
    (True, '0o600')
    """
    _DIRECTORY["path"] = None if path is None else _usable(Path(path), stacklevel=3)
    _DIRECTORY["chosen"] = True


def _usable(directory: Path, stacklevel: int) -> Path | None:
    """``directory``, created private if missing, or ``None`` (with a warning) if unsafe."""
    try:
        os.makedirs(directory, mode=0o700)
    except FileExistsError:
        reason = _unsafe(directory)
    except OSError as err:
        reason = f"cannot be created ({err.strerror})"
    else:
        os.chmod(directory, 0o700)  # makedirs' mode is reduced by the umask
        reason = _unsafe(directory)
    if reason is not None:
        warnings.warn(f"symrules: not caching generated code in {directory}: it {reason}",
                      RuntimeWarning, stacklevel=stacklevel)  # fmt: skip
        return None
    return directory


def cache_dir() -> Path | None:
    """The directory of the disk cache, or ``None`` when it is off (see :func:`set_cache_dir`)."""
    if not _DIRECTORY["chosen"]:
        default = default_cache_dir()
        _DIRECTORY["path"] = None if default is None else _usable(default, stacklevel=4)
        _DIRECTORY["chosen"] = True
    return _DIRECTORY["path"]
