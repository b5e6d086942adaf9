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
import json
import numpy as np
from numba.core.registry import CPUDispatcher
from oculi import warm
from oculi.flow import _hs_blocked, _hs_kernels, compute_flow

def kernels():
    return {f"{m.__name__}.{n}": {str(s) for s in d.signatures}
            for m in (_hs_blocked, _hs_kernels) for n, d in vars(m).items()
            if isinstance(d, CPUDispatcher)}

warm.STEPS["flow (Horn-Schunck)"]()
warmed = kernels()
a = (np.random.default_rng(0).random((300, 320)) * 255).astype(np.uint8)
compute_flow(a, np.roll(a, 1, axis=1), "hs")  # several row bands on two threads
used = kernels()
print(json.dumps({"missed": {k: sorted(used[k] - warmed[k]) for k in used if used[k] - warmed[k]},
                  "loaded": sorted(k for k in warmed if warmed[k])}))
"""


def _probe() -> dict:
    env = {**os.environ, "NUMBA_NUM_THREADS": "2"}  # the bands depend on the thread count
    res = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_warm_up_covers_the_kernels_of_a_real_size_call() -> None:
    out = _probe()
    assert out["missed"] == {}, f"compiled on first use, not by oculi.warm: {out['missed']}"
    # what the default path loads: the ROF texture step and one SOR entry with its constants
    assert out["loaded"] == ["oculi.flow._hs_blocked._constants",
                             "oculi.flow._hs_blocked._sor_bands",
                             "oculi.flow._hs_kernels.rof_structure"]
