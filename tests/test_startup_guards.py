"""Start-up guards beside tests/cli/test_startup.py: every numba kernel is cached on disk (an
uncached kernel compiles in every process that calls it: seconds per command), and the start-up
benchmark's reading of ``python -X importtime`` (times are measured in bench/startup.py only)."""

from __future__ import annotations

import ast
import contextlib
import subprocess
import sys
from pathlib import Path

from bench.startup import import_profile

SRC = Path(__file__).resolve().parents[1] / "src" / "oculi"
_DECORATORS = {"njit", "jit", "vectorize", "guvectorize", "cfunc", "generated_jit"}


def _name(node: ast.expr) -> str:
    """``njit`` for ``njit``, ``numba.njit`` and ``nb.njit``; '' for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def uncached_kernels(source: str) -> list[str]:
    """Names of the functions in ``source`` compiled by numba without ``cache=True``.

    ``cache`` may be given directly or through ``**NAME`` where ``NAME`` is a module-level dict
    literal (``_NB = {"cache": True, ...}``).
    """
    tree = ast.parse(source)
    consts: dict[str, dict] = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Dict)):
            with contextlib.suppress(ValueError):
                consts[node.targets[0].id] = ast.literal_eval(node.value)
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            if _name(call.func if call else dec) not in _DECORATORS:
                continue
            cached = False
            for kw in call.keywords if call else []:
                if kw.arg == "cache":
                    cached = isinstance(kw.value, ast.Constant) and kw.value.value is True
                elif kw.arg is None and isinstance(kw.value, ast.Name):
                    cached = consts.get(kw.value.id, {}).get("cache") is True or cached
            if not cached:
                bad.append(node.name)
    return bad


def test_every_numba_kernel_is_cached() -> None:
    bad = {str(p.relative_to(SRC)): names for p in sorted(SRC.rglob("*.py"))
           if (names := uncached_kernels(p.read_text(encoding="utf-8")))}
    assert bad == {}, f"numba kernels without cache=True: {bad}"


def test_uncached_kernels_are_found() -> None:
    src = ("import numba\nfrom numba import njit\nOPTS = {'cache': True}\nNOPE = {'nogil': True}\n"
           "@njit\ndef a(x): return x\n"
           "@numba.jit(nopython=True)\ndef b(x): return x\n"
           "@njit(cache=False)\ndef c(x): return x\n"
           "@njit(**NOPE)\ndef d(x): return x\n"
           "@njit(cache=True)\ndef e(x): return x\n"
           "@njit(**OPTS)\ndef f(x): return x\n"
           "@numba.vectorize(['f8(f8)'], cache=True)\ndef g(x): return x\n")
    assert uncached_kernels(src) == ["a", "b", "c", "d"]


def test_import_profile_reads_python_importtime() -> None:
    code = "import json, colorsys"
    res = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                         text=True, check=True)
    prof = import_profile(res.stderr, top=100)
    assert {"json", "colorsys", "site"} <= set(prof["top_imports_s"])
    assert prof["import_s"] >= sum(prof["top_imports_s"].values()) - 1e-3
    assert prof["imports_torch"] is False


def test_import_profile_groups_packages_and_sees_nested_torch() -> None:
    text = ("import time: self [us] | cumulative | imported package\n"
            "import time:    100000 |     100000 |   torch._C\n"
            "import time:    200000 |     300000 |     torch\n"  # nested: counted in its parent
            "import time:    400000 |     700000 | oculi.models\n"
            "import time:   1000000 |    1000000 | numba.core\n"
            "import time:    500000 |     500000 | numba\n"
            "import time:     50000 |      50000 | json\n")
    prof = import_profile(text, top=2)
    assert prof["top_imports_s"] == {"numba": 1.5, "oculi": 0.7}
    assert prof["import_s"] == 2.25
    assert prof["imports_torch"] is True
