"""The test session's disk cache of generated code: a fresh private directory, removed at the
end, so that no test reads or writes the user's cache (notebook kernels inherit it too). And
nbval's sanitize file, named in pyproject's addopts relative to the repository, found from
any directory pytest runs in (``cd notebooks && pytest 01_quick_start.ipynb``)."""

import os
import shutil
import tempfile

import pytest

_CACHE = tempfile.mkdtemp(prefix="symrules-test-cache-")
os.environ["SYMRULES_CACHE_DIR"] = _CACHE


def pytest_configure(config: pytest.Config) -> None:
    """Resolve a relative ``--nbval-sanitize-with`` against the rootdir when the current
    directory has no such file (nbval opens it relative to the current directory)."""
    path = getattr(config.option, "nbval_sanitize_with", None)
    if path and not os.path.exists(path):
        config.option.nbval_sanitize_with = str(config.rootpath / path)


def pytest_unconfigure(config: object) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)
