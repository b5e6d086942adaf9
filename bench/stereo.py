"""Rectified stereo: oculi's semi-global matcher against OpenCV's StereoSGBM (and SGBM + WLS).

Pairs: Middlebury 2003 Cones and Teddy (``../shared/data/stereo_middlebury``, 450x375, ground
truth x 4 in the PNG, 64 disparities) and skimage's embedded Middlebury 2014 Motorcycle
(741x500, 64 disparities). Methods, each with its defaults:

- ``sgm``: oculi's matcher (census + gradient cost, 8 paths, adaptive P2, LR check, speckle
  removal, scanline hole filling, 3x3 median);
- ``sgbm``: OpenCV StereoSGBM, 8 paths (MODE_HH), 5x5 blocks, uniqueness 10, speckles 100/2 —
  its invalid pixels (including the left band of width max_disparity, which it never matches)
  count as bad;
- ``sgbm+fill``: the same with oculi's scanline hole filling (the like-for-like dense map);
- ``sgbm-wls``: SGBM + right matcher + ximgproc's WLS filter (lambda 8000, sigma 1.5).

Scores over **all known pixels** (occluded included, Middlebury 2003 "all"): bad-1/2/4 (% off
by more than 1/2/4 px, invalid = bad), mean absolute error (px) and density; for Cones and Teddy
also over the non-occluded pixels (those the right view's ground truth ``disp6.png`` sees, see
``oculi.stereo.visible_in_right``). Times are medians of
repeated runs after a warm-up (the methods timed alternately, so that
all see the same machine load), thread pools pinned to ``--threads`` (1 by default: oculi's
matcher is single-threaded). The speed ratio is SGM's time over SGBM's.

Normals figure: surface normals of the TUM RGB-D sensor depth (640x480, fx = fy = 525,
cx = 319.5, cy = 239.5) against those of a smoothed copy (normalised Gaussian, sigma 1.5 px,
holes kept): mean / median angular difference in degrees and the valid fraction.

One JSON line is appended to ``bench/results/stereo.jsonl``.

Run: ``.venv/bin/python -m bench.stereo [--repeat 5] [--threads 1]``
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads, time_call

METHODS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("sgm", "sgm", {}),
    ("sgbm", "sgbm", {}),
    ("sgbm+fill", "sgbm", {"fill": True}),
    ("sgbm-wls", "sgbm-wls", {}),
)


def _pairs() -> list[Any]:
    from oculi.stereo import load_motorcycle, read_middlebury_2003

    pairs = []
    root = SHARED_DATA / "stereo_middlebury"
    for name in ("cones", "teddy"):
        if (root / name).is_dir():
            pairs.append(read_middlebury_2003(root / name))
        else:
            print(f"skip {name}: {root / name} absent")
    pairs.append(load_motorcycle())
    return pairs


def _interleaved_times(calls: dict[str, Any], repeat: int) -> dict[str, float]:
    """Median seconds of each call, the calls alternating so that all see the same load."""
    import statistics
    import time

    for fn in calls.values():
        fn()  # warm-up (numba kernels load from cache)
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(repeat):
        for label, fn in calls.items():
            t0 = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def run_pairs(repeat: int) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """Every method on every pair: scores and median times (methods timed alternately)."""
    from oculi.stereo import compute_disparity, disparity_errors

    results, rows = [], []
    for pair in _pairs():
        calls = {label: (lambda method=method, kw=kw, pair=pair:
                         compute_disparity(pair.left, pair.right, method, 64, **kw))
                 for label, method, kw in METHODS}
        times = _interleaved_times(calls, repeat)
        for label, fn in calls.items():
            disp = fn()
            e = disparity_errors(disp, pair.disparity)
            res = {"pair": pair.name, "method": label, "time_s": round(times[label], 4),
                   "time_vs_sgbm": round(times[label] / times["sgbm"], 2),
                   **{k: round(v * 100, 2) if k.startswith("bad") else round(v, 3)
                      for k, v in e.items()}}
            nonocc = "-"
            if pair.nonoccluded is not None:
                en = disparity_errors(disp, pair.disparity, pair.nonoccluded)
                res["nonocc"] = {k: round(v * 100, 2) if k.startswith("bad") else round(v, 3)
                                 for k, v in en.items()}
                nonocc = f"{res['nonocc']['bad1']:.2f}/{res['nonocc']['bad2']:.2f}"
            results.append(res)
            rows.append([pair.name, label, res["bad1"], res["bad2"], res["bad4"], res["epe"],
                         res["density"], nonocc, f"{times[label] * 1000:.0f}"])
    return results, rows


def normals_figure() -> dict[str, Any] | None:
    """TUM sensor depth vs a smoothed copy: angular difference of their normals."""
    import cv2

    from oculi.stereo import depth_normals, normal_angle_difference, read_depth_png

    path = SHARED_DATA / "rgbd_depth" / "tum" / "TUM_depth.png"
    if not path.is_file():
        print(f"skip normals: {path} absent")
        return None
    depth = read_depth_png(path)
    valid = depth > 0
    num = cv2.GaussianBlur(depth, (0, 0), 1.5)
    den = cv2.GaussianBlur(valid.astype(np.float32), (0, 0), 1.5)
    smooth = np.where(valid, num / np.maximum(den, 1e-6), 0).astype(np.float32)
    intr = {"fx": 525.0, "fy": 525.0, "cx": 319.5, "cy": 239.5}
    t = time_call(lambda: depth_normals(depth, **intr), repeat=3, warmup=1)
    raw_n = depth_normals(depth, **intr)
    diff = normal_angle_difference(raw_n, depth_normals(smooth, **intr))
    return {"mean_deg": round(float(np.nanmean(diff)), 2),
            "median_deg": round(float(np.nanmedian(diff)), 2),
            "valid": round(float(np.isfinite(diff).mean()), 3),
            "time_s": round(t["median_s"], 3), "window": 7, "smooth_sigma": 1.5}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-record", action="store_true", help="print only")
    args = ap.parse_args(argv)
    pin_threads(args.threads)
    results, rows = run_pairs(args.repeat)
    print_table(["pair", "method", "bad1 %", "bad2 %", "bad4 %", "mae px", "density",
                 "nonocc bad1/2 %", "ms"], rows)
    ratios = {r["pair"]: r["time_vs_sgbm"] for r in results if r["method"] == "sgm"}
    print("oculi SGM time / OpenCV SGBM time:", ratios)
    normals = normals_figure()
    if normals:
        print("normals, TUM sensor depth vs smoothed (sigma 1.5):", normals)
    if not args.no_record:
        path = record("stereo", {"threads": args.threads, "repeat": args.repeat,
                                 "max_disparity": 64, "results": results,
                                 "sgm_over_sgbm_time": ratios, "normals_tum": normals})
        print("recorded in", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
