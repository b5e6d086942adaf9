"""oculi.core.jit: a cached kernel loads without numba's typing and lowering tables (and so
without ``scipy.linalg``); a kernel the cache lacks still compiles, tables and BLAS included.

Each case runs in a fresh interpreter on a kernel module written to a temporary folder, with
numba's cache there too (``NUMBA_CACHE_DIR``): the first process compiles and saves, the
second loads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_KERNELS = '''
import numpy as np
from oculi.core.jit import njit, prange


@njit(cache=True)
def ramp(n, step):
    out = np.zeros(n, np.float32)  # allocated by numba's runtime (NRT), returned to Python
    for i in range(n):
        out[i] = i * step
    return out


@njit(cache=True)
def text_hash(s):
    return hash(s)  # links against the hash secret numba.cpython.hashing registers


@njit(cache=True, parallel=True)
def row_sums(a):
    out = np.empty(a.shape[0])
    for i in prange(a.shape[0]):  # loads numba's thread pool with the cached entry
        out[i] = a[i].sum()
    return out
'''

_RUN = '''
import json, sys
import numpy as np
import kernels
r = kernels.ramp(5, np.float32(0.5))
s = kernels.row_sums(np.arange(12.0).reshape(4, 3))
same_hash = kernels.text_hash("oculi") == hash("oculi")
extra = None
if sys.argv[1] == "compile-after":  # a kernel the cache lacks, after the cached ones
    from oculi.core.jit import njit

    @njit
    def dot(a, b):
        return np.dot(a, b)  # needs the tables and SciPy's BLAS, loaded by the compiler
    a, b = np.arange(1.0, 6.0), np.linspace(0.5, 2.0, 5)
    extra = bool(np.isclose(dot(a, b), np.dot(a, b)))
tables = [m for m in ("numba.np.arraymath", "numba.typed.typeddict", "scipy.linalg")
          if m in sys.modules]
hits = {k.__name__: sum(k.stats.cache_hits.values())
        for k in (kernels.ramp, kernels.row_sums, kernels.text_hash)}
print(json.dumps({"ramp": r.tolist(), "sums": s.tolist(), "tables": tables, "hits": hits,
                  "extra": extra, "hash": same_hash}))
'''


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("jit")
    (d / "kernels.py").write_text(_KERNELS)
    return d


def _run(folder: Path, mode: str) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(folder / "cache"),
           "PYTHONPATH": os.pathsep.join([str(folder), *sys.path])}
    res = subprocess.run([sys.executable, "-c", _RUN, mode], capture_output=True, text=True,
                         env=env, cwd=folder, timeout=300)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_cached_kernels_load_without_the_compiler_tables(kernel_dir: Path) -> None:
    first = _run(kernel_dir, "plain")  # compiles and saves (the tables are loaded to compile)
    assert first["hits"] == {"ramp": 0, "row_sums": 0, "text_hash": 0}
    second = _run(kernel_dir, "plain")
    assert second["hits"] == {"ramp": 1, "row_sums": 1, "text_hash": 1}  # all came from the cache
    assert second["tables"] == [], f"a cache load started numba's tables: {second['tables']}"
    for out in (first, second):
        assert out["ramp"] == [0.0, 0.5, 1.0, 1.5, 2.0]
        assert out["sums"] == [3.0, 12.0, 21.0, 30.0]
        assert out["hash"] is True


def test_a_kernel_missing_from_the_cache_still_compiles(kernel_dir: Path) -> None:
    _run(kernel_dir, "plain")  # the cache holds ramp and row_sums
    out = _run(kernel_dir, "compile-after")
    assert out["hits"] == {"ramp": 1, "row_sums": 1, "text_hash": 1}
    assert out["extra"] is True
    assert "numba.np.arraymath" in out["tables"]  # the compiler loaded what it needs


def test_options_and_signatures_pass_through() -> None:
    import numpy as np
    from numba.core.dispatcher import Dispatcher

    from oculi.core.jit import RuntimeOnlyCache, njit

    def twice(x):
        return 2 * x

    cached = njit(twice, cache=True)  # (not called: its cache would go beside this file)
    plain = njit(twice)
    eager = njit("float64(float64)", cache=True)(twice)  # compiled here, numba's own cache
    assert isinstance(cached, Dispatcher) and isinstance(cached._cache, RuntimeOnlyCache)
    assert not isinstance(plain._cache, RuntimeOnlyCache)
    assert not isinstance(eager._cache, RuntimeOnlyCache)
    assert plain(np.float32(1.5)) == eager(1.5) == 3.0


def test_numba_without_the_overridden_internals_keeps_its_own_cache(monkeypatch) -> None:
    """numba is not pinned: where the private methods RuntimeOnlyCache wraps are gone, a kernel
    gets numba's own disk cache (slower to load, same results) instead of failing at first call."""
    from numba.core.caching import FunctionCache

    import oculi.core.jit as jit

    assert jit.SUPPORTED  # the numba this project installs has them
    monkeypatch.setattr(jit, "SUPPORTED", False)

    def thrice(x):
        return 3 * x

    kernel = jit.njit(thrice, cache=True)
    assert type(kernel._cache) is FunctionCache
