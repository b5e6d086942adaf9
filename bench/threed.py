"""Monocular visual odometry on KITTI sequence excerpt 1 (51 frames, ~60 m): oculi.sfm.vo.

Three runs of the same pipeline that differ only in the scale of each keyframe step:
``height`` (metric, from the camera height 1.65 m above a road plane fitted to triangulated
points: the real monocular result), ``gt`` (step lengths read from the ground truth: an upper
bound for the rotation/direction part, evaluation only) and ``unit``. Reported: ATE (SE(3)
alignment, metres), ATE after Sim(3) alignment as % of the path length, RPE per frame, the KITTI
devkit errors (segments 100..800 m: undefined on a 60 m path, so NaN) and the same definition on
short segments (5, 10, 20, 30, 40, 50 m, every frame a start), and the time per frame (reading
the PNG included). ``implied_camera_height_m`` is 1.65 m times true / estimated path length:
the road plane the estimate saw lies that far below the camera (with the ground-truth relative
poses the fitted road plane is ~1.54 m below camera 0 on this excerpt, hence the ~7 % scale
bias of the 1.65 m prior). The essential matrix / pose come from oculi.sfm.twoview
(``solvers="oculi"``, the default) and, for comparison, OpenCV (MAGSAC + recoverPose) in a
fourth run with the height scale.

Structure from motion on the Middlebury temple sparse ring (16 views, 640x480, known camera;
``sfm`` part): oculi's incremental mapper (``oculi.sfm.reconstruct``) and COLMAP's
(``pycolmap``, through ``oculi.sfm.reconstruct_colmap``) on the same image files with the same
fixed intrinsics, each run ``SFM_REPEATS`` times; every figure is the median over the runs:
registered images, rotation and camera-centre errors against ``templeSR_par.txt`` (after a
Sim(3) alignment of the centres; centre errors in % of the ring radius), mean reprojection
error, points, mean track length, wall time (reading the images included), and the time ratio
oculi / COLMAP. COLMAP uses all cores, oculi's BLAS too (``pin_threads`` is not applied to it).

Run: ``.venv/bin/python -m bench.threed`` (both parts), ``... -m bench.threed vo`` or
``... -m bench.threed sfm``.
"""

from __future__ import annotations

import math
import statistics
import sys
import time

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.sfm.kitti import read_kitti_sequence
from oculi.sfm.trajectory import SHORT_LENGTHS, path_length, trajectory_errors
from oculi.sfm.vo import VOConfig, visual_odometry

#: runs of each SfM backend; the figures are medians over them
SFM_REPEATS = 3


def vo() -> None:
    folder = SHARED_DATA / "vo_kitti_seq1"
    if not folder.is_dir():
        print(f"skipped: {folder} not found")
        return
    pin_threads()
    seq = read_kitti_sequence(folder)
    rows, results = [], {}
    for name, scale, solvers in (("height", "height", "oculi"), ("gt", "gt", "oculi"),
                                 ("unit", "unit", "oculi"), ("height/opencv", "height", "opencv")):
        res = visual_odometry(seq.frames, seq.k, scale=scale, gt_poses=seq.poses,
                              config=VOConfig(solvers=solvers))
        e = trajectory_errors(res.poses, seq.poses)
        e = {k: (None if isinstance(v, float) and math.isnan(v) else round(v, 4))
             for k, v in e.items()}
        e["ms_per_frame"] = round(1000 * res.seconds / len(seq), 1)
        e["keyframes"] = len(res.keyframes)
        e["failed_frames"] = int((~res.ok).sum())
        if scale == "height":  # the camera height the ground truth implies for this estimate
            e["implied_camera_height_m"] = round(1.65 * e["path_m"] / path_length(res.poses), 3)
        results[name] = e
        rows.append([name, e["ate_se3_m"], e["ate_sim3_pct_path"], e["kitti_short_t_pct"],
                     e["kitti_short_r_deg_100m"], e["rpe_trans_m"], e["ms_per_frame"]])
    print(f"KITTI seq 1 excerpt: {len(seq)} frames, path {results['gt']['path_m']:.1f} m")
    print_table(["scale", "ATE m", "Sim3 ATE % path", "KITTI short t %", "KITTI short r deg/100m",
                 "RPE m/frame", "ms/frame"], rows)
    record("threed", {"task": "vo_kitti_seq1", "frames": len(seq), "config": vars(VOConfig()),
                      "short_lengths_m": list(SHORT_LENGTHS),
                      "results": results,
                      "targets": {"kitti_t_pct_height": 5.0, "ate_sim3_pct_path": 1.0}})


def _sfm_runs(run, reference, repeats: int) -> dict:
    """Medians over ``repeats`` calls of ``run() -> Reconstruction`` of the pose errors and the
    model figures (``seconds``: wall time of each call; all runs kept in ``seconds_all``)."""
    from oculi.sfm import pose_errors

    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        rec = run()
        seconds = time.perf_counter() - t0
        runs.append({**pose_errors(rec, reference).json_dict(), "seconds": seconds})
    out = {k: round(statistics.median(r[k] for r in runs), 4) for k in runs[0]}
    out["registered_all"] = [r["registered"] for r in runs]
    out["seconds_all"] = [round(r["seconds"], 3) for r in runs]
    return out


def sfm() -> None:
    from oculi.sfm import (
        SfMConfig,
        colmap_available,
        read_middlebury_par,
        reconstruct,
        reconstruct_colmap,
    )
    from oculi.sfm.kitti import list_frames

    folder = SHARED_DATA / "mvs_temple_sparse_ring"
    if not folder.is_dir():
        print(f"skipped sfm: {folder} not found")
        return
    views = read_middlebury_par(folder / "templeSR_par.txt")
    images = list_frames(folder)
    camera = views[0].camera
    runs = {"oculi": lambda: reconstruct(images, camera)}
    if colmap_available():
        import pycolmap

        pycolmap.logging.minloglevel = 2
        runs["colmap"] = lambda: reconstruct_colmap(images, camera)
    else:
        print("pycolmap is not installed: oculi only")
    results = {who: _sfm_runs(run, views, SFM_REPEATS) for who, run in runs.items()}
    ratio = (round(results["oculi"]["seconds"] / results["colmap"]["seconds"], 3)
             if "colmap" in results else None)
    print(f"temple sparse ring: {len(images)} views, known camera, medians of {SFM_REPEATS} runs")
    print_table(["backend", "registered", "rot mean deg", "rot max deg", "centre mean %",
                 "centre max %", "reproj px", "points", "track len", "s"],
                [[who, r["registered"], r["rotation_deg_mean"], r["rotation_deg_max"],
                  r["center_pct_mean"], r["center_pct_max"], r["reprojection_px"], r["points"],
                  r["mean_track_length"], r["seconds"]] for who, r in results.items()])
    if ratio is not None:
        print(f"time oculi / colmap: {ratio:.2f}")
    payload = {"task": "sfm_temple", "images": len(images), "repeats": SFM_REPEATS,
               "config": vars(SfMConfig()), "results": results,
               "time_ratio_oculi_over_colmap": ratio}
    if "colmap" in results:
        payload["pycolmap"] = pycolmap.__version__
    record("threed", payload)


PARTS = {"vo": vo, "sfm": sfm}


def main(parts: list[str] | None = None) -> None:
    chosen = parts or list(PARTS)
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown part(s) {', '.join(unknown)}; known: {', '.join(PARTS)}")
    for part in chosen:
        PARTS[part]()


if __name__ == "__main__":
    main(sys.argv[1:])
