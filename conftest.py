"""The test session's disk cache of generated code: a fresh private directory, removed at the
end, so that no test reads or writes the user's cache (notebook kernels inherit it too)."""

import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="symrules-test-cache-")
os.environ["SYMRULES_CACHE_DIR"] = _CACHE


def pytest_unconfigure(config: object) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)
