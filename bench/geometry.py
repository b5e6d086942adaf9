"""Homography accuracy on the ground-truth pairs: oculi (MAGSAC++ and MSAC scoring) vs
cv2.findHomography (RANSAC, USAC_MAGSAC), side by side in one run.

Every method gets the SAME correspondences per pair: SIFT (OpenCV, all keypoints) matched with
Lowe's ratio test 0.8. Pairs: every ground-truth pair of ../shared/data read by
:func:`oculi.features.datasets.load_pairs` (HPatches ``hpatches_v_dogman`` and
``hpatches_v_churchill`` 1->2..1->6, Oxford ``oxford_graf_1to3``, EVD ``homography_pairs_evd``),
plus ``planar_box`` as a sanity check only (its homography is an estimate, not ground truth; it
is left out of every summary). Metric: mean corner error (pixels) of the estimate against the
true homography, averaged over the seeds; per pair, whether oculi's is <= MAGSAC's; the median
wall time per estimate and its ratio to MAGSAC's.

Run: ``.venv/bin/python -m bench.geometry [--seeds 5] [--threshold 3]``
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.features.datasets import HomographyPair, load_pairs
from oculi.geometry import corner_error, estimate_homography

SETS = ("hpatches_v_dogman", "hpatches_v_churchill", "oxford_graf_1to3", "homography_pairs_evd")
#: the sets the acceptance numbers are taken on (EVD's extreme views defeat every method here)
CRITERION_SETS = SETS[:3]
#: a pair counts as solved by a method when its corner error is below this (pixels)
SOLVED_PX = 10.0
OURS, ANCHOR = "oculi", "cv2 USAC_MAGSAC"


def gt_pairs() -> list[HomographyPair]:
    """Every ground-truth pair found in the shared data (sets absent on this machine skipped)."""
    return [p for s in SETS if (SHARED_DATA / s).is_dir() for p in load_pairs(SHARED_DATA / s)]


def sanity_pair() -> HomographyPair | None:
    """``planar_box`` with its estimated (not ground-truth) homography, when present."""
    root = SHARED_DATA / "planar_box"
    if not root.is_dir():
        return None
    text = (root / "homography_estimated_by_us_NOT_GT.txt").read_text()
    rows = [ln.split() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    h = np.array(rows[:3], np.float64)  # then the projected corners follow
    return HomographyPair("planar_box (estimate, not GT)", root / "box.png",
                          root / "box_in_scene.png", h)


def sift_correspondences(p1, p2, ratio: float = 0.8):
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

    def ours(scoring):
        def run(a, b, seed):
            try:
                return estimate_homography(a, b, threshold=threshold, seed=seed,
                                           scoring=scoring).model
            except Exception:
                return None
        return run

    return {OURS: ours("magsac"), "oculi msac": ours("msac"), "cv2 RANSAC": cv(cv2.RANSAC),
            ANCHOR: cv(cv2.USAC_MAGSAC)}


def _measure(pair, meths, seeds, times):
    a, b, size = sift_correspondences(pair.image1, pair.image2)
    row = {"pair": pair.name, "matches": len(a)}
    for m, fn in meths.items():
        errs = []
        for seed in range(seeds):
            t0 = time.perf_counter()
            est = fn(a, b, seed) if len(a) >= 4 else None
            if times is not None:
                times[m].append(time.perf_counter() - t0)
            errs.append(corner_error(est, pair.homography, size))
        row[m] = float(np.mean(errs))
    return row


def _summary(per_pair, names, times):
    solved = [r for r in per_pair if min(r[m] for m in names) < SOLVED_PX]
    out = {}
    for m in names:
        out[m] = {
            "median_corner_error_px_all": float(np.median([r[m] for r in per_pair])),
            "median_corner_error_px_solved": float(np.median([r[m] for r in solved]))
            if solved else None,
            "pairs_solved": int(sum(r[m] < SOLVED_PX for r in per_pair)),
            "pairs_le_magsac_all": int(sum(r[m] <= r[ANCHOR] for r in per_pair)),
            "pairs_le_magsac_solved": int(sum(r[m] <= r[ANCHOR] for r in solved)),
            "median_time_ms": 1e3 * float(np.median(times[m])),
        }
    return out, len(solved)


def _print_summary(title, summary, n, n_solved):
    print(f"\n{title}")
    print_table(
        ["method", "median err (all)", f"median err (solved, n={n_solved})",
         f"solved (<{SOLVED_PX:g} px)", f"<= MAGSAC (all, n={n})", "<= MAGSAC (solved)", "ms"],
        [[m, s["median_corner_error_px_all"], s["median_corner_error_px_solved"],
          s["pairs_solved"], s["pairs_le_magsac_all"], s["pairs_le_magsac_solved"],
          s["median_time_ms"]] for m, s in summary.items()],
    )


def run(seeds: int, threshold: float) -> dict:
    pairs = gt_pairs()
    if not pairs:
        print(f"no ground-truth pairs under {SHARED_DATA}; nothing to do")
        return {}
    meths = methods(threshold)
    names = list(meths)
    times = {m: [] for m in meths}
    per_pair = [_measure(p, meths, seeds, times) for p in pairs]
    box = sanity_pair()
    sanity = _measure(box, meths, seeds, None) if box else None
    rows = [[r["pair"], r["matches"], *[r[m] for m in names]] for r in per_pair]
    if sanity:
        rows.append([sanity["pair"], sanity["matches"], *[sanity[m] for m in names]])
    print_table(["pair", "matches", *names], rows)
    crit = [r for r in per_pair if r["pair"].split("/")[0] in CRITERION_SETS]
    summary, n_solved = _summary(crit, names, times)
    summary_all, n_solved_all = _summary(per_pair, names, times)
    _print_summary(f"HPatches + Oxford ({', '.join(CRITERION_SETS)})", summary, len(crit),
                   n_solved)
    _print_summary("every pair (EVD included)", summary_all, len(per_pair), n_solved_all)
    o, g = summary[OURS], summary[ANCHOR]
    time_ratio = o["median_time_ms"] / g["median_time_ms"]
    print(f"\nHPatches + Oxford, oculi vs MAGSAC: median corner error "
          f"{o['median_corner_error_px_all']:.3f} vs {g['median_corner_error_px_all']:.3f} px, "
          f"oculi <= MAGSAC on {o['pairs_le_magsac_all']}/{len(crit)} pairs "
          f"({o['pairs_le_magsac_solved']}/{n_solved} solved), time ratio x{time_ratio:.0f}")
    return {"threshold_px": threshold, "seeds": seeds, "pairs": per_pair,
            "sanity_planar_box": sanity, "criterion_sets": list(CRITERION_SETS),
            "summary": summary, "n_pairs": len(crit), "n_pairs_solved": n_solved,
            "summary_every_pair": summary_all, "time_ratio_vs_magsac": time_ratio}


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
