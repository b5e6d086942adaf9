"""oculi.core.jit: numba started without its scipy.linalg import, and BLAS still there for the
kernels that use it (each case in a fresh interpreter, where numba has not started yet)."""

from __future__ import annotations

import json
import subprocess
import sys

_REPORT = ("import json, sys\n"
           "print(json.dumps({'skipped': jit.BLAS_PROBE_SKIPPED,"
           " 'linalg': 'scipy.linalg' in sys.modules}))")


def _run(code: str) -> dict:
    res = subprocess.run([sys.executable, "-c", code + "\n" + _REPORT], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_numba_starts_without_scipy_linalg_and_blas_still_works() -> None:
    out = _run(
        "import sys\nimport numpy as np\n"
        "from oculi.core import jit\n"
        "assert 'numba.np.arraymath' in sys.modules  # the tables are loaded\n"
        "assert 'scipy.linalg' not in sys.modules\n"
        "@jit.njit\n"
        "def kernel(a, b):\n"
        "    return np.dot(a, b)\n"
        "a, b = np.arange(1.0, 6.0), np.linspace(0.5, 2.0, 5)\n"
        "assert np.isclose(kernel(a, b), np.dot(a, b))\n"
        "from numba.np import arraymath\n"
        "assert arraymath._HAVE_BLAS  # np.correlate's choice, as the probe would have made it\n")
    assert out == {"skipped": True, "linalg": True}  # np.dot imported SciPy's BLAS when compiled


def test_probe_runs_as_usual_when_scipy_linalg_is_loaded() -> None:
    out = _run("import sys, scipy.linalg\nfrom oculi.core import jit\n")
    assert out == {"skipped": False, "linalg": True}


def test_probe_runs_as_usual_beside_other_threads() -> None:
    out = _run("import threading\nstop = threading.Event()\n"
               "t = threading.Thread(target=stop.wait, daemon=True)\nt.start()\n"
               "from oculi.core import jit\nstop.set()\n"
               "from numba.core.registry import cpu_target\n"
               "cpu_target.target_context.refresh()\n")
    assert out == {"skipped": False, "linalg": True}
