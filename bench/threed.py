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

Run: ``.venv/bin/python -m bench.threed``
"""

from __future__ import annotations

import math

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.sfm.kitti import read_kitti_sequence
from oculi.sfm.trajectory import SHORT_LENGTHS, path_length, trajectory_errors
from oculi.sfm.vo import VOConfig, visual_odometry


def main() -> None:
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


if __name__ == "__main__":
    main()
