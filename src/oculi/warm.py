"""Compile oculi's numba kernels once, so that no command pays for it on first use.

Every kernel is compiled with ``cache=True``: the machine code lands in ``__pycache__`` beside the
source (or numba's user cache when that is read-only) and later processes load it in
milliseconds. Without this step the first ``oculi features detect --method surf`` of a fresh
install compiled for 14-19 s. ``make install`` runs ``python -m oculi.warm``; it drives each
public entry point that uses numba on a tiny input (the same argument types as real calls), so
the cached signatures are the ones the commands need.

    python -m oculi.warm            # prints each topic and its time
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np


def _image(h: int = 64, w: int = 80, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    from scipy.ndimage import gaussian_filter

    img = gaussian_filter(rng.random((h, w)), 2.0)
    img = (img - img.min()) / (np.ptp(img) + 1e-12)
    return (255 * img).astype(np.uint8)


def _features() -> None:
    from oculi.features import detect_and_describe

    img = _image()
    for method in ("surf", "usurf", "fast"):
        detect_and_describe(img, method)


def _flow() -> None:
    from oculi.flow import compute_flow

    a = _image()
    b = np.roll(a, 1, axis=1)
    compute_flow(a, b, "hs")
    compute_flow(a.astype(np.float32) / 255, b.astype(np.float32) / 255, "hs")
    compute_flow(a, b, "hs", solver="jacobi")  # the solver's one entry point, any frame size


def _stereo() -> None:
    from oculi.stereo import compute_disparity, depth_normals

    left = _image(48, 96)
    compute_disparity(left, np.roll(left, -4, axis=1), "sgm", max_disparity=16)
    depth = np.full((32, 32), 2.0, np.float32)
    depth_normals(depth, 100.0)


def _preprocess() -> None:
    from oculi.preprocess import clahe

    img = _image()
    clahe(img)
    clahe(img.astype(np.uint16) * 257)


def _track() -> None:
    from oculi.track import create_tracker

    frame = np.dstack([_image()] * 3)
    tracker = create_tracker("dcf")
    tracker.init(frame, (20, 20, 44, 40))
    tracker.update(np.roll(frame, 1, axis=1))


#: topic -> warm-up; each drives the public calls whose kernels it compiles
STEPS: dict[str, Callable[[], None]] = {
    "features (SURF, FAST)": _features,
    "flow (Horn-Schunck)": _flow,
    "stereo (SGM, normals)": _stereo,
    "preprocess (CLAHE)": _preprocess,
    "track (DCF)": _track,
}


def warm(out=sys.stdout) -> dict[str, float]:
    """Run every warm-up; returns seconds per topic. A failing step is reported, not raised
    (warming is an optimisation: a later call compiles what was missed)."""
    times = {}
    for name, step in STEPS.items():
        t0 = time.perf_counter()
        try:
            step()
        except Exception as err:
            print(f"  {name}: not warmed ({type(err).__name__}: {err})", file=out)
            continue
        times[name] = time.perf_counter() - t0
        print(f"  {name}: {times[name]:.1f} s", file=out)
    return times


if __name__ == "__main__":
    print("compiling oculi's numba kernels (cached for later runs):")
    warm()
