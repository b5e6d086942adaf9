"""``python -m oculi.warm`` compiles every numba kernel that Horn–Schunck loads on a real frame.

A kernel the warm-up misses is compiled by the user's first ``oculi flow compute`` instead (many
seconds), and each kernel a call loads from the cache adds to every command's start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

_PROBE = """
import json, sys
import numpy as np
from numba.core.registry import CPUDispatcher
from oculi import warm
from oculi.flow import _hs_blocked, _hs_kernels, compute_flow

def kernels():
    return {f"{m.__name__}.{n}": {str(s) for s in d.signatures}
            for m in (_hs_blocked, _hs_kernels) for n, d in vars(m).items()
            if isinstance(d, CPUDispatcher)}

a = (np.random.default_rng(0).random((300, 320)) * 255).astype(np.uint8)
b = np.roll(a, 1, axis=1)
if sys.argv[1] == "default":  # a fresh process: what one default call loads
    compute_flow(a, b, "hs")  # several row bands on two threads
    print(json.dumps(sorted(k for k, sigs in kernels().items() if sigs)))
else:
    warm.STEPS["flow (Horn-Schunck)"]()
    warmed = kernels()
    compute_flow(a, b, "hs")
    compute_flow(a, b, "hs", solver="jacobi")
    used = kernels()
    print(json.dumps({k: sorted(used[k] - warmed[k]) for k in used if used[k] - warmed[k]}))
"""


def _probe(mode: str) -> object:
    env = {**os.environ, "NUMBA_NUM_THREADS": "2"}  # the bands depend on the thread count
    res = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True,
                         env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_warm_up_covers_the_kernels_of_a_real_size_call() -> None:
    missed = _probe("warmed")
    assert missed == {}, f"compiled on first use, not by oculi.warm: {missed}"


def test_a_default_call_loads_few_kernels() -> None:
    # each cached kernel a call loads adds to every command's start-up: the ROF texture step
    # and one SOR entry with its constants
    assert _probe("default") == ["oculi.flow._hs_blocked._constants",
                                 "oculi.flow._hs_blocked._sor_bands",
                                 "oculi.flow._hs_kernels.rof_structure"]
