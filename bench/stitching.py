"""Panorama stitching: oculi vs OpenCV's Stitcher (PANORAMA mode, defaults) on the same inputs.

(a) The shared real sets ``../shared/data/stitch_*``: both at full output resolution (oculi
    ``compose_scale=1``, OpenCV ``compositingResol=-1``, its default); median wall time of the
    whole call over repetitions after a warm-up, the time ratio, success, images kept, panorama
    size; for oculi also the mean inlier reprojection error after bundle adjustment (input
    pixels) and the seam colour difference (mean |difference| of the two gain-compensated images
    meeting at each seam pixel, 8-bit units). The Stitcher exposes neither figure. oculi runs
    with its default features (``auto``: ORB, SIFT when ORB places an image through fewer than
    50 inliers) and, as a second row, with SIFT only. The 1-minute load average is recorded
    with each set (the machine is shared: ratios taken at a load above ~3 are noisy).
(b) The rotating-camera harness (exact homographies): 5 views at overlaps 50% .. 10%, with a
    little pitch/roll, and with the camera rolled by +-30 degrees; views kept, mean corner error
    and transfer error in the overlaps against the true homographies, largest tilt of a world
    vertical in the panorama. For OpenCV: status, views kept (``component()``) and the corner
    error from its estimated cameras (``cameras()``: ``H_ij = K_j R_j^T R_i K_i^-1``).

Run: ``.venv/bin/python -m bench.stitching [--repeat 3] [--seeds 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import cv2
import numpy as np

from bench._common import ROOT, SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.geometry import corner_error
from oculi.io import read_image, write_image
from oculi.stitching import rotating_views, stitch
from oculi.stitching.harness import evaluate_panorama


def _cv2_stitch(images_rgb):
    st = cv2.Stitcher_create(cv2.Stitcher_PANORAMA)
    status, pano = st.stitch([cv2.cvtColor(im, cv2.COLOR_RGB2BGR) for im in images_rgb])
    return st, status, pano


def real_sets(repeat: int) -> list[dict]:
    rows = []
    for folder in sorted(SHARED_DATA.glob("stitch_*")):
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png"))
        images = [read_image(p) for p in paths]
        names = [p.name for p in paths]
        stitch(images, names=names)  # warm-up (imports, numba/OpenCV initialisation)
        _cv2_stitch(images)
        stitch(images, names=names, features="sift")
        t_ours, t_cv, t_sift = [], [], []
        load = os.getloadavg()[0]
        for _ in range(repeat):  # interleaved, so all see the same machine load
            t0 = time.perf_counter()
            pano = stitch(images, names=names)
            t_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            st, status, cv_pano = _cv2_stitch(images)
            t_cv.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sift = stitch(images, names=names, features="sift")
            t_sift.append(time.perf_counter() - t0)
        measured = stitch(images, names=names, measure_seams=True)
        out = ROOT / "out" / "bench_stitching"  # derived from third-party photos: not committed
        write_image(out / f"{folder.name}_oculi.jpg", pano.image, quality=90)
        if status == cv2.Stitcher_OK:
            write_image(out / f"{folder.name}_opencv.jpg",
                        cv2.cvtColor(cv_pano, cv2.COLOR_BGR2RGB), quality=90)
        to, tc = statistics.median(t_ours), statistics.median(t_cv)
        rows.append({
            "set": folder.name, "images": len(images),
            "input_size": list(images[0].shape[:2]),
            "oculi_s": to, "opencv_s": tc, "ratio_oculi_over_opencv": to / tc,
            "oculi_ok": True, "oculi_kept": len(pano.included),
            "oculi_size": list(pano.image.shape[:2]), "oculi_model": pano.model,
            "oculi_reprojection_error_px": measured.reprojection_error,
            "oculi_seam_difference": measured.seam_difference,
            "oculi_timings_s": pano.timings,
            "oculi_sift_s": statistics.median(t_sift),
            "ratio_oculi_sift_over_opencv": statistics.median(t_sift) / tc,
            "oculi_sift_kept": len(sift.included),
            "oculi_sift_model": sift.model,
            "oculi_sift_reprojection_error_px": sift.reprojection_error,
            "load_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
            "opencv_ok": status == cv2.Stitcher_OK,
            "opencv_kept": len(st.component()) if status == cv2.Stitcher_OK else 0,
            "opencv_size": list(cv_pano.shape[:2]) if status == cv2.Stitcher_OK else None,
        })
    return rows


def _cv2_corner_error(st, views, kept_cv) -> float:
    cams = st.cameras()
    ws = st.workScale()
    h, w = views.images[0].shape[:2]
    errs = []
    idx = {v: k for k, v in enumerate(kept_cv)}
    for i in range(len(views.images) - 1):
        if i in idx and i + 1 in idx:
            a, b = cams[idx[i]], cams[idx[i + 1]]
            s = np.diag([1 / ws, 1 / ws, 1.0])
            ka, kb = s @ a.K(), s @ b.K()
            hij = kb @ b.R.T @ a.R @ np.linalg.inv(ka)
            errs.append(corner_error(hij, views.homography(i, i + 1), (h, w)))
    return float(np.mean(errs)) if errs else float("inf")


def harness(seeds: int) -> list[dict]:
    rows = []
    cases = [(ov, "pitch/roll jitter", None) for ov in (0.5, 0.3, 0.2, 0.1)]
    cases += [(0.3, "roll +30", [30.0] * 5), (0.3, "roll -30", [-30.0] * 5),
              (0.3, "roll alternating +-30", [30.0, -30.0, 30.0, -30.0, 30.0])]
    for overlap, label, roll in cases:
        agg: dict[str, list] = {k: [] for k in ("kept", "corner", "overlap_err", "tilt", "cv_ok",
                                                "cv_kept", "cv_corner")}
        for seed in range(seeds):
            kw = {"roll": roll} if roll is not None else {}
            views = rotating_views(5, overlap=overlap, seed=seed, **kw)
            try:
                r = evaluate_panorama(views, stitch(views.images))
            except Exception:  # nothing stitched
                r = {"kept": [], "corner_error_px": float("inf"),
                     "overlap_error_px": float("inf"), "vertical_tilt_deg": float("nan")}
            agg["kept"].append(len(r["kept"]))
            agg["corner"].append(r["corner_error_px"])
            agg["overlap_err"].append(r["overlap_error_px"])
            agg["tilt"].append(r["vertical_tilt_deg"])
            st, status, _ = _cv2_stitch(views.images)
            ok = status == cv2.Stitcher_OK
            kept_cv = list(st.component()) if ok else []
            agg["cv_ok"].append(ok)
            agg["cv_kept"].append(len(kept_cv))
            agg["cv_corner"].append(_cv2_corner_error(st, views, kept_cv) if ok else float("inf"))
        rows.append({
            "overlap": overlap, "case": label, "seeds": seeds,
            "oculi_min_kept": min(agg["kept"]), "oculi_mean_kept": float(np.mean(agg["kept"])),
            "oculi_corner_error_px": float(np.median(agg["corner"])),
            "oculi_overlap_error_px": float(np.median(agg["overlap_err"])),
            "oculi_max_vertical_tilt_deg": float(np.nanmax(agg["tilt"])),
            "opencv_success": int(sum(agg["cv_ok"])),
            "opencv_min_kept": min(agg["cv_kept"]),
            "opencv_corner_error_px": float(np.median(agg["cv_corner"])),
        })
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    pin_threads()
    real = real_sets(args.repeat) if SHARED_DATA.is_dir() else []
    if real:
        print_table(
            ["set", "oculi s", "opencv s", "ratio", "kept (oculi/cv)", "reproj px", "seam diff",
             "oculi-sift s", "sift ratio", "sift reproj px", "load"],
            [[r["set"], r["oculi_s"], r["opencv_s"], r["ratio_oculi_over_opencv"],
              f"{r['oculi_kept']}/{r['opencv_kept']} of {r['images']}",
              r["oculi_reprojection_error_px"], r["oculi_seam_difference"], r["oculi_sift_s"],
              r["ratio_oculi_sift_over_opencv"], r["oculi_sift_reprojection_error_px"],
              "/".join(str(x) for x in r["load_1min"])]
             for r in real],
        )
    else:
        print(f"no stitch_* sets under {SHARED_DATA}; real-set comparison skipped")
    synth = harness(args.seeds)
    print()
    print_table(
        ["overlap", "case", "oculi kept (min)", "corner px", "overlap px", "tilt deg",
         "cv ok", "cv kept (min)", "cv corner px"],
        [[r["overlap"], r["case"], r["oculi_min_kept"], r["oculi_corner_error_px"],
          r["oculi_overlap_error_px"], r["oculi_max_vertical_tilt_deg"],
          f"{r['opencv_success']}/{r['seeds']}", r["opencv_min_kept"],
          r["opencv_corner_error_px"]] for r in synth],
    )
    if not args.no_record:
        record("stitching", {"bench": "stitching", "real_sets": real, "harness": synth})


if __name__ == "__main__":
    main()
