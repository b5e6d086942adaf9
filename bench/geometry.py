"""Homography accuracy on the ground-truth pairs: oculi vs cv2.findHomography (RANSAC, USAC_MAGSAC).

Every method gets the SAME correspondences per pair: SIFT (OpenCV, all keypoints) matched with
Lowe's ratio test 0.8, on the pairs of ../shared/data (hpatches_v_dogman, hpatches_v_churchill,
homography_pairs_evd, oxford_graf_1to3). Metric: mean corner error (pixels) of the estimate against
the true homography, averaged over seeds. Also the median wall time per estimate.

Run: ``.venv/bin/python -m bench.geometry [--seeds 5] [--threshold 3]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.geometry import corner_error, estimate_homography

SETS = ("hpatches_v_dogman", "hpatches_v_churchill", "homography_pairs_evd", "oxford_graf_1to3")
#: a pair counts as solved by a method when its corner error is below this (pixels)
SOLVED_PX = 10.0


def read_h(path: Path) -> np.ndarray:
    """A 3x3 ground-truth homography: plain text, or the ``<data>`` of an OpenCV FileStorage."""
    text = path.read_text()
    if "<data>" in text:
        text = text.split("<data>")[1].split("</data>")[0]
    return np.array([float(v) for v in text.split()], np.float64).reshape(3, 3)


def gt_pairs() -> list[tuple[str, Path, Path, np.ndarray]]:
    """(name, image1, image2, H) for every ground-truth pair found in the shared data."""
    out = []
    for s in SETS:
        root = SHARED_DATA / s
        if not root.is_dir():
            continue
        if s.startswith("hpatches"):
            for j in range(2, 7):
                out.append((f"{s}/1-{j}", root / "1.png", root / f"{j}.png",
                            read_h(root / f"H_1_{j}")))
        elif s == "oxford_graf_1to3":
            out.append((f"{s}", root / "graf1.png", root / "graf3.png",
                        read_h(root / "H1to3p.xml")))
        else:
            for hp in sorted((root / "h").glob("*.txt")):
                out.append((f"{s}/{hp.stem}", root / "1" / f"{hp.stem}.png",
                            root / "2" / f"{hp.stem}.png", read_h(hp)))
    return out


def sift_correspondences(p1: Path, p2: Path, ratio: float = 0.8):
    """Ratio-test SIFT matches: two (M, 2) float64 arrays and the size of image 1."""
    from oculi.io import read_image

    g1, g2 = read_image(p1, mode="gray"), read_image(p2, mode="gray")
    sift = cv2.SIFT_create()
    k1, d1 = sift.detectAndCompute(g1, None)
    k2, d2 = sift.detectAndCompute(g2, None)
    knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(d1, d2, k=2)
    good = [m for m, n in (p for p in knn if len(p) == 2) if m.distance < ratio * n.distance]
    xy1 = np.array([k1[m.queryIdx].pt for m in good], np.float64).reshape(-1, 2)
    xy2 = np.array([k2[m.trainIdx].pt for m in good], np.float64).reshape(-1, 2)
    return xy1, xy2, g1.shape[:2]


def methods(threshold: float):
    def cv(method):
        def run(a, b, seed):
            cv2.setRNGSeed(seed)
            h, _ = cv2.findHomography(a, b, method, threshold, maxIters=10000, confidence=0.999)
            return h
        return run

    def ours(a, b, seed):
        try:
            return estimate_homography(a, b, threshold=threshold, seed=seed).model
        except Exception:
            return None

    return {"oculi": ours, "cv2 RANSAC": cv(cv2.RANSAC), "cv2 USAC_MAGSAC": cv(cv2.USAC_MAGSAC)}


def run(seeds: int, threshold: float) -> dict:
    pairs = gt_pairs()
    if not pairs:
        print(f"no ground-truth pairs under {SHARED_DATA}; nothing to do")
        return {}
    meths = methods(threshold)
    per_pair = []
    times = {m: [] for m in meths}
    for name, p1, p2, h in pairs:
        a, b, size = sift_correspondences(p1, p2)
        row = {"pair": name, "matches": len(a)}
        for m, fn in meths.items():
            errs = []
            for seed in range(seeds):
                t0 = time.perf_counter()
                est = fn(a, b, seed) if len(a) >= 4 else None
                times[m].append(time.perf_counter() - t0)
                errs.append(corner_error(est, h, size))
            row[m] = float(np.mean(errs))
        per_pair.append(row)
    names = list(meths)
    solved_by_all = [r for r in per_pair if all(r[m] < SOLVED_PX for m in names)]
    summary = {}
    for m in names:
        summary[m] = {
            "mean_corner_error_px_solved": float(np.mean([r[m] for r in solved_by_all]))
            if solved_by_all else None,
            "median_corner_error_px_all": float(np.median([r[m] for r in per_pair])),
            "pairs_solved": int(sum(r[m] < SOLVED_PX for r in per_pair)),
            "median_time_ms": 1e3 * float(np.median(times[m])),
        }
    rows = [[r["pair"], r["matches"], *[r[m] for m in names]] for r in per_pair]
    print_table(["pair", "matches", *names], rows)
    print()
    print_table(
        ["method", f"mean err (pairs all solve, n={len(solved_by_all)})", "median err (all)",
         f"solved (<{SOLVED_PX:g} px)", "ms"],
        [[m, s["mean_corner_error_px_solved"], s["median_corner_error_px_all"],
          s["pairs_solved"], s["median_time_ms"]] for m, s in summary.items()],
    )
    o = summary["oculi"]["mean_corner_error_px_solved"]
    r = summary["cv2 RANSAC"]["mean_corner_error_px_solved"]
    g = summary["cv2 USAC_MAGSAC"]["mean_corner_error_px_solved"]
    if o is not None:
        print(f"\noculi / cv2 RANSAC = {o / r:.3f}   oculi / MAGSAC = {o / g:.3f}")
    return {"threshold_px": threshold, "seeds": seeds, "pairs": per_pair, "summary": summary,
            "ratio_vs_ransac": o / r if o else None, "ratio_vs_magsac": o / g if o else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threshold", type=float, default=3.0)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    pin_threads()
    result = run(args.seeds, args.threshold)
    if result and not args.no_record:
        record("geometry", {"bench": "homography_corner_error", **result})


if __name__ == "__main__":
    main()
