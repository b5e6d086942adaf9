"""Timing helpers shared by benchmarks and the tour: warm-up, repetitions, medians."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def time_call(fn: Callable[[], Any], *, repeat: int = 7, warmup: int = 1) -> dict[str, float]:
    """Run ``fn`` ``warmup`` times, then ``repeat`` times; return median/min/max seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "n": repeat,
    }


def pin_threads(n: int | None = None) -> int:
    """Pin OpenCV, torch, numba and BLAS thread pools to ``n`` (default: the machine's cores)."""
    n = n or os.cpu_count() or 1
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    try:
        import cv2

        cv2.setNumThreads(n)
    except ImportError:  # pragma: no cover
        pass
    try:
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ImportError:  # pragma: no cover
        pass
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:  # pragma: no cover
        pass
    return n


def machine() -> dict[str, Any]:
    """A short description of the machine for benchmark JSON lines."""
    import platform

    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
    }
