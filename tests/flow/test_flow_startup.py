"""What ``oculi flow compute`` imports, per method: the OpenCV methods and dense LK never import
numba (its import costs 0.2-0.4 s a process), the numba-backed default (``hs``) imports it but,
its kernels loaded from the cache, not numba's compiler tables (``numba.np.arraymath`` and the
rest, 0.2-0.3 s; :mod:`oculi.core.jit`) nor the ``scipy.linalg`` their BLAS probe imports, and no
method imports torch. Times are measured in bench/startup.py, not here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from oculi.flow import methods

_PROBE = ("import json, sys; from oculi.cli.main import main; sys.argv = ['oculi'] + sys.argv[1:]\n"
          "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
          "mods = ['numba', 'torch', 'scipy.linalg', 'numba.np.arraymath',"
          " 'numba.typed.typeddict']\n"
          "print(json.dumps({'code': code, 'loaded': [m for m in mods if m in sys.modules]}),"
          " file=sys.stderr)")

#: the modules each method may bring into a process, beyond oculi, numpy, OpenCV and the CLI
_NEEDS = {"hs": {"numba"}, "lk": set(), "farneback": set(), "dis": set(), "tvl1": set()}


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> tuple[Path, Path]:
    from oculi.io import write_image

    d = tmp_path_factory.mktemp("flow_startup")
    rng = np.random.default_rng(0)
    img = (rng.random((48, 64)) * 255).astype(np.uint8)
    write_image(d / "a.png", img)
    write_image(d / "b.png", np.roll(img, 1, axis=1))
    return d / "a.png", d / "b.png"


def test_every_method_is_listed() -> None:
    assert set(_NEEDS) == set(methods.names())


@pytest.mark.parametrize("method", [*sorted(_NEEDS), None])
def test_flow_compute_imports_only_what_its_method_needs(frames, method: str | None,
                                                         tmp_path: Path) -> None:
    a, b = frames
    args = ["flow", "compute", str(a), str(b), "-o", str(tmp_path / "f.flo")]
    if method is not None:  # None: the default method
        args += ["--method", method]
    allowed = _NEEDS[method or "hs"]
    for _ in range(2 if allowed else 1):  # a first run compiles kernels the cache lacks
        res = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True,
                             text=True, timeout=300)
    out = json.loads(res.stderr.strip().splitlines()[-1])
    assert out["code"] in (0, None), res.stderr
    assert set(out["loaded"]) <= allowed, f"oculi flow compute -m {method}: {out['loaded']}"
