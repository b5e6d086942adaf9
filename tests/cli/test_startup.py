"""Start-up guards: the light commands never import torch (its import alone costs seconds), and
the numba warm-up drives every kernel family without error. Times live in bench/startup.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

_PROBE = ("import sys; from oculi.cli.main import main; sys.argv = ['oculi'] + sys.argv[1:]\n"
          "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
          "print('TORCH' if 'torch' in sys.modules else 'NOTORCH', code, file=sys.stderr)")


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, Path]:
    from oculi.io import write_image

    d = tmp_path_factory.mktemp("startup")
    rng = np.random.default_rng(0)
    img = (rng.random((64, 80)) * 255).astype(np.uint8)
    write_image(d / "a.png", img)
    write_image(d / "b.png", np.roll(img, 1, axis=1))
    return {"a": d / "a.png", "b": d / "b.png", "dir": d}


@pytest.mark.parametrize("name", ["help", "info", "convert", "features detect", "flow compute"])
def test_light_commands_do_not_import_torch(images, name: str) -> None:
    a, b, d = str(images["a"]), str(images["b"]), images["dir"]
    args = {"help": ["--help"], "info": ["info"], "convert": ["convert", a, str(d / "c.jpg")],
            "features detect": ["features", "detect", a],
            "flow compute": ["flow", "compute", a, b, "-o", str(d / "f.flo")]}[name]
    res = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True,
                         timeout=120)
    verdict, code = res.stderr.strip().splitlines()[-1].split()
    assert code in ("0", "None"), res.stderr
    assert verdict == "NOTORCH", f"oculi {' '.join(args)} imported torch"


def test_info_reports_cuda_without_torch() -> None:
    from oculi.info import collect_info

    info = collect_info()
    assert "cuda" in info and "torch threads" not in info
    assert info["opencv contrib"] == "yes"


def test_warm_drives_every_kernel_family() -> None:
    import io

    from oculi.warm import STEPS, warm

    out = io.StringIO()
    times = warm(out)
    assert set(times) == set(STEPS), out.getvalue()  # no step failed
