"""The rule cache pins down: a file in the disk cache runs only if it is exactly what symrules
would write for the expression it is named for (a planted, edited, truncated, foreign or stale
file is ignored with a warning, regenerated and rewritten; a symbolic link is never followed,
for reading or writing); the cache directory is private and a shared one is refused; and
threads creating the same new Integrands at once, with or without the disk cache, never fail
and get exactly the single-threaded values and gradients.

The oracles are independent of the cache: closed forms (``3 x**2`` is 12 at 2, its gradient
in ``a`` is ``sum(x**2)``), the text a clean cache writes for the same expression, the file
system's own modes, and a single-threaded run.
"""

import os
import re
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import symrules as sr
from symrules.symbolic import store
from symrules.symbolic.loader import clear_cache, set_cache_dir

# Closed forms evaluated in floating point: a sum of seven squares, in two orders.
EXACT = 1e-12
THREADS = 8
# Enough expressions that the threads overlap while generating, few enough to stay quick.
EXPRESSIONS = 10
EXPR, PARAMS = "a*x**2", {"a": 3.0}  # the planted files stand in for this Integrand's


@pytest.fixture
def cache(tmp_path: Path):
    """A path for the disk cache (not yet created); afterwards the session's cache directory is
    back and the memory cache empty."""
    before = store.cache_dir()
    try:
        yield tmp_path / "cache"
    finally:
        set_cache_dir(before)
        clear_cache()


def _written(directory: Path, expr: str = EXPR, **params: float) -> Path:
    """The file a clean disk cache in ``directory`` writes for ``Integrand(expr, **params)``."""
    before = store.cache_dir()
    set_cache_dir(directory)
    try:
        clear_cache()
        sr.Integrand(expr, **(params or PARAMS))
    finally:
        set_cache_dir(before)
    (path,) = directory.glob("*.py")
    return path


def _use(directory: Path) -> None:
    set_cache_dir(directory)
    clear_cache()


def check_a_x_squared(f: sr.Integrand) -> None:
    """``f`` is ``3 x**2``: by value at 2, and by its gradient in ``a`` over seven nodes."""
    assert f(2.0) == 12.0
    x = np.linspace(0.0, 1.0, 7)
    f_bar = sr.grad(lambda f: np.sum(f(x)))(f)
    np.testing.assert_allclose(f_bar.a, np.sum(x**2), rtol=EXACT)


def test_planted_file_is_not_executed(cache: Path, tmp_path: Path) -> None:
    clean = _written(tmp_path / "clean")
    mark = tmp_path / "executed"
    cache.mkdir(mode=0o700)
    planted = cache / clean.name
    planted.write_text(f"import pathlib\npathlib.Path({str(mark)!r}).touch()\n{clean.read_text()}")
    _use(cache)
    with pytest.warns(RuntimeWarning, match=re.escape(str(planted))):
        f = sr.Integrand(EXPR, backend="numpy", **PARAMS)  # its source: the numpy rules alone
    assert not mark.exists()
    check_a_x_squared(f)
    assert planted.read_text() == clean.read_text() == f.source


def _older_format(directory: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(store, "FORMAT_VERSION", "1")
        return _written(directory).read_text()


@pytest.mark.parametrize(
    "kind", ["edited-body", "missing-trailer", "truncated", "other-expression", "older-format"]
)
def test_invalid_file_is_regenerated(
    kind: str, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = _written(tmp_path / "clean")
    text = clean.read_text()
    if kind == "edited-body":
        planted = text.replace("return y\n", "return -y\n", 1)
    elif kind == "missing-trailer":
        planted = text[: text.rstrip("\n").rfind("\n") + 1]
    elif kind == "truncated":
        planted = text[: len(text) // 2]
    elif kind == "other-expression":
        planted = _written(tmp_path / "other", "a*x**3", a=3.0).read_text()
    else:
        planted = _older_format(tmp_path / "older", monkeypatch)
    assert planted != text
    cache.mkdir(mode=0o700)
    (cache / clean.name).write_text(planted)
    _use(cache)
    with pytest.warns(RuntimeWarning, match=re.escape(clean.name)):
        f = sr.Integrand(EXPR, **PARAMS)
    check_a_x_squared(f)
    assert (cache / clean.name).read_text() == text


def test_symlink_at_the_final_name_is_not_followed(cache: Path, tmp_path: Path) -> None:
    clean = _written(tmp_path / "clean")
    victim = tmp_path / "victim.py"
    victim.write_text(clean.read_text())  # valid content: still refused, being behind a link
    cache.mkdir(mode=0o700)
    link = cache / clean.name
    link.symlink_to(victim)
    _use(cache)
    with pytest.warns(RuntimeWarning, match=re.escape(str(link))):
        f = sr.Integrand(EXPR, **PARAMS)
    check_a_x_squared(f)
    assert victim.read_text() == clean.read_text()
    assert not link.is_symlink() and link.read_text() == clean.read_text()


def test_symlink_at_a_temporary_name_is_not_followed(cache: Path, tmp_path: Path) -> None:
    clean = _written(tmp_path / "clean")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    cache.mkdir(mode=0o700)
    link = cache / f".{clean.stem}.{os.getpid()}.tmp"  # the name a writer once chose
    link.symlink_to(victim)
    _use(cache)
    check_a_x_squared(sr.Integrand(EXPR, **PARAMS))
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in cache.iterdir()) == sorted([link.name, clean.name])
    assert not (cache / clean.name).is_symlink()
    assert (cache / clean.name).read_text() == clean.read_text()


def test_new_cache_directory_and_files_are_private(cache: Path) -> None:
    directory = cache / "nested"
    umask = os.umask(0o022)  # the common default, under which 0o777 becomes 0o755
    try:
        _use(directory)
        check_a_x_squared(sr.Integrand(EXPR, **PARAMS))
    finally:
        os.umask(umask)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (written,) = directory.iterdir()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777], ids=oct)
def test_shared_cache_directory_is_refused(mode: int, cache: Path) -> None:
    cache.mkdir()
    cache.chmod(mode)
    with pytest.warns(RuntimeWarning, match="writable by group or others"):
        _use(cache)
    check_a_x_squared(sr.Integrand(EXPR, **PARAMS))
    assert list(cache.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0,
                    reason="only root can give a directory to another user")  # fmt: skip
def test_cache_directory_of_another_user_is_refused(cache: Path) -> None:
    cache.mkdir(mode=0o700)
    os.chown(cache, 1, 1)
    with pytest.warns(RuntimeWarning, match="owned by another user"):
        _use(cache)
    check_a_x_squared(sr.Integrand(EXPR, **PARAMS))
    assert list(cache.iterdir()) == []


def _new_expressions(rng: np.random.Generator) -> list[str]:
    """Expressions no other test uses: random integer coefficients, a few functions."""
    k = rng.integers(2, 10**9, size=(EXPRESSIONS, 3))
    return [f"{p}*a*x**2 + b*sin({q}*x) + c[0]*exp(-{r}*x) + c[1]*x" for p, q, r in k]


def _values_and_gradients(expressions: list[str]) -> list[tuple[np.ndarray, ...]]:
    """Each Integrand's values on the nodes and the gradient of their sum in its fields."""
    x = np.linspace(0.0, 1.0, 9)
    out = []
    for expr in expressions:
        f = sr.Integrand(expr, a=0.5, b=-1.5, c=np.array([2.0, 0.25]))
        f_bar = sr.grad(lambda f: np.sum(f(x)))(f)
        out.append((f(x), np.asarray(f_bar.a), np.asarray(f_bar.b), f_bar.c))
    return out


def check_threads_agree(expressions: list[str], reference: list[tuple[np.ndarray, ...]]) -> None:
    """``THREADS`` threads, started together, each get exactly ``reference``."""
    barrier = threading.Barrier(THREADS)

    def work(_: int) -> list[tuple[np.ndarray, ...]]:
        barrier.wait(timeout=60)
        return _values_and_gradients(expressions)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    for result in results:
        for got, want in zip(result, reference, strict=True):
            for got_array, want_array in zip(got, want, strict=True):
                np.testing.assert_array_equal(got_array, want_array)


def test_threads_creating_new_integrands(cache: Path, rng: np.random.Generator) -> None:
    memory_only, on_disk = _new_expressions(rng), _new_expressions(rng)

    clear_cache()
    reference = _values_and_gradients(memory_only)
    clear_cache()
    check_threads_agree(memory_only, reference)

    clear_cache()
    reference = _values_and_gradients(on_disk)
    _use(cache)
    check_threads_agree(on_disk, reference)  # all generate and write at once
    assert len(list(cache.glob("*.py"))) == EXPRESSIONS
    assert not list(cache.glob(".*"))  # no temporary file left behind
    clear_cache()
    check_threads_agree(on_disk, reference)  # all read the files at once
