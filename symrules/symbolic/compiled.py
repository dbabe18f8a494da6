"""Compiled kernels: an expression's fused numba kernel, compiled once, cached on disk.

:class:`Kernel` holds the source of :func:`~symrules.symbolic.kernels.generate_kernel` and
compiles it with numba on its first call, recording how long that took. With a cache
directory (:func:`~symrules.symbolic.store.cache_dir`) the source is kept there as a sealed
``<digest>_kernel.py`` file and loaded from it, so numba's own cache (``cache=True``, the
machine code in the directory's ``__pycache__``) serves the next process; without one the
kernel is compiled in memory, once per process.

numba is imported on a kernel's first use, not with symrules. Where numba is missing, or an
expression uses something numba cannot compile, the rules have no kernel (their ``no_kernel``
says why) or the kernel raises :class:`~symrules.errors.KernelError` on its first call, and
the Integrand falls back to its numpy rules with a :class:`RuntimeWarning` saying why.
"""

from __future__ import annotations

import importlib.util
import linecache
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import KernelError
from .store import cache_dir, read_sealed, sealed, write

__all__ = ["Kernel", "numba_available"]

_LOCK = threading.Lock()  # one compilation of a kernel at a time


def numba_available() -> bool:
    """Whether numba can be imported (without importing it).

    Examples
    --------
    >>> numba_available()
    True
    """
    return importlib.util.find_spec("numba") is not None


class Kernel:
    """The fused kernel of one expression: ``kernel(w, x, *params) -> (value, *param_bars)``.

    Parameters
    ----------
    digest : str
        The expression's file stem (as for its numpy rules).
    key : str
        What the kernel is for (the expression's canonical key); it seals the disk file.
    source : callable
        Returns the kernel's module text; called only when no valid cached file has it.

    Attributes
    ----------
    compile_seconds : float or None
        How long the first call took: compiling (or loading from numba's disk cache) and one
        run; ``None`` before it.
    path : pathlib.Path or None
        The file the kernel was loaded from, when the disk cache is on.

    Examples
    --------
    >>> import numpy as np
    >>> from symrules.symbolic.derive import derive
    >>> from symrules.symbolic.kernels import generate_kernel
    >>> d = derive("a*x**2", "x", {"a": None})
    >>> k = Kernel("doctest", "a*x**2", lambda cache: generate_kernel(d, cache))
    >>> value, a_bar = k(np.array([0.5, 0.5]), np.array([1.0, 2.0]), 3.0)
    >>> float(value), float(a_bar), k.compile_seconds > 0
    (7.5, 2.5, True)
    """

    def __init__(self, digest: str, key: str, source: Callable[[bool], str]) -> None:
        self.digest, self._key, self._generate = digest, key, source
        self._fused: Callable[..., Any] | None = None
        self._source: str | None = None
        self.compile_seconds: float | None = None
        self.path: Path | None = None

    @property
    def source(self) -> str:
        """The kernel's module text (generated, or read from the disk cache)."""
        if self._source is None:
            self._source = self._text()
        return self._source

    def __call__(self, w: Any, x: Any, *params: Any) -> tuple:
        fused = self._fused
        if fused is None:
            return self._first_call(w, x, params)
        return fused(w, x, *params)

    def _text(self) -> str:
        directory = cache_dir()
        if directory is None:
            return self._generate(False)
        path = directory / f"{self.digest}_kernel.py"
        text = read_sealed(path, self._key)
        if text is None:
            text = sealed(self._generate(True), self._key)
            if not write(path, text):
                return self._generate(False)  # numba's cache needs the file
        self.path = path
        return text

    def _first_call(self, w: Any, x: Any, params: tuple) -> tuple:
        """Compile (or load from numba's disk cache) for these types, and run once."""
        with _LOCK:
            if self._fused is not None:  # another thread got here first
                return self._fused(w, x, *params)
            start = time.perf_counter()
            text = self.source
            filename = (
                str(self.path) if self.path is not None else f"<symrules-kernel-{self.digest}>"
            )
            if self.path is None:
                linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
            # A module in sys.modules: numba's cache names it, and finds it again on loading.
            module = types.ModuleType(f"symrules_kernel_{self.digest}")
            module.__file__ = filename
            sys.modules[module.__name__] = module
            try:
                exec(compile(text, filename, "exec"), module.__dict__)
                fused = module.fused
                out = fused(w, x, *params)
            except Exception as err:  # numba's typing and lowering errors have no common base
                del sys.modules[module.__name__]
                raise KernelError(
                    f"numba could not compile the kernel in {filename}: "
                    f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
                ) from err
            self.compile_seconds = time.perf_counter() - start
            self._fused = fused
            return out
