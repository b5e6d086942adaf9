"""numba for oculi's kernels, started without importing ``scipy.linalg``.

The first compiled call of a process (a cached kernel included) makes numba load its typing
and lowering tables; one of them, ``numba.np.arraymath``, probes at import for a BLAS by
importing ``scipy.linalg.cython_blas``, which imports all of ``scipy.linalg`` (0.1-0.2 s on this
machine, more than the whole Horn-Schunck solve of a 512x512 pair). oculi's kernels use no
BLAS, so a kernel module imports numba from here::

    from oculi.core.jit import njit, prange

and numba's tables are loaded with the probe answered "no BLAS" instead. Nothing else changes:
``np.dot`` and ``np.linalg`` in a kernel still import SciPy's BLAS when they are compiled (numba
does that itself, at typing time), and the probe's one effect, ``np.correlate``/``np.convolve``
choosing BLAS for their inner product, is set back afterwards. The probe is skipped only when
it would cost something (``scipy.linalg`` not imported yet, numba's tables not loaded yet) and
only while this is the process's one Python thread: the probe's module is hidden from imports
(``sys.modules`` entry ``None``) for the moment the tables load, and another thread importing
SciPy in that moment would fail.
"""

from __future__ import annotations

import importlib.util
import sys
import threading

from numba import get_num_threads, njit, prange

_PROBE = "scipy.linalg.cython_blas"


def start_without_blas_probe() -> bool:
    """Load numba's CPU typing and lowering tables now, skipping its ``scipy.linalg`` import.

    Returns True when the probe was skipped, False when there was nothing to skip (tables
    already loaded, ``scipy.linalg`` already imported) or it was not safe (other threads
    running); numba then starts as usual at its first compiled call.
    """
    if ("numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules
            or _PROBE in sys.modules or threading.active_count() != 1):
        return False
    from numba.core.registry import cpu_target

    sys.modules[_PROBE] = None  # type: ignore[assignment]  # the probe's import fails at once
    try:
        cpu_target.target_context.refresh()
    finally:
        del sys.modules[_PROBE]
    from numba.np import arraymath

    if hasattr(arraymath, "_HAVE_BLAS"):  # what the probe would have found
        arraymath._HAVE_BLAS = importlib.util.find_spec("scipy") is not None
    return True


#: whether importing this module skipped the probe (see :func:`start_without_blas_probe`)
BLAS_PROBE_SKIPPED = start_without_blas_probe()

__all__ = ["BLAS_PROBE_SKIPPED", "get_num_threads", "njit", "prange", "start_without_blas_probe"]
