"""Tour sections of oculi.sfm. Visual odometry (:func:`section`): a synthetic drive (rendered,
exact poses) and, when the shared data is present and the tour is not quick, KITTI sequence
excerpt 1; top-view trajectory plots and the trajectory errors. Structure from motion
(:func:`reconstruction_section`): rendered views of a road/wall corner with exact poses, the
model in an interactive 3-D view, its pose errors, and the temple benchmark figures of oculi
and COLMAP read from bench/results/threed.jsonl."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from oculi.report import Report

#: intrinsics of the synthetic camera (pixels) and its image size (height, width)
SYNTH_K = np.array([[250.0, 0.0, 192.0], [0.0, 250.0, 80.0], [0.0, 0.0, 1.0]])
SYNTH_SIZE = (192, 384)


def _texture(seed: int, size: int = 512) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    tex = np.zeros((size, size), np.float32)
    for sigma, weight in ((1.0, 1.0), (3.0, 1.5), (8.0, 2.0)):
        tex += weight * cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32),
                                         (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    tex = (tex - tex.mean()) / tex.std()
    return np.clip(128 + 45 * tex, 0, 255).astype(np.float32)


def road_poses(n: int, step: float = 0.8, yaw_deg: float = 0.6) -> np.ndarray:
    """Camera-to-world poses of a car driving forward (``step`` m per frame) on a gentle curve.

    Returns:
        ``(n, 4, 4)`` float64; frame 0 is the identity (x right, y down, z forward).
    """
    from scipy.spatial.transform import Rotation

    poses = np.tile(np.eye(4), (n, 1, 1))
    yaw = np.radians(yaw_deg) * np.arange(n)
    poses[:, :3, :3] = Rotation.from_euler("y", yaw[:, None]).as_matrix()
    heading = np.stack([np.sin(yaw), np.zeros(n), np.cos(yaw)], axis=1)
    poses[1:, :3, 3] = np.cumsum(step * heading[:-1], axis=0)
    return poses


def render_road(poses: np.ndarray, camera_height: float = 1.65, k: np.ndarray = SYNTH_K,
                size: tuple[int, int] = SYNTH_SIZE, seed: int = 0) -> list[np.ndarray]:
    """Render grey frames of a textured road, two side walls and a far wall (ray casting).

    The road is the plane ``y = camera_height`` of frame 0's camera (y down), walls stand at
    ``x = -6`` and ``x = 7`` m and ``z = 120`` m; every plane carries its own random texture with
    texels of 5 cm.

    Args:
        poses: ``(N, 4, 4)`` camera-to-world poses (metres).
        camera_height: Height of the camera above the road, metres.
        k: ``(3, 3)`` intrinsics.
        size: ``(height, width)`` of the frames.
        seed: Texture seed.

    Returns:
        N ``HxW`` uint8 frames.
    """
    import cv2

    h, w = size
    texel = 0.05
    # plane: (normal, offset, texture axes as indices into X, seed offset)
    planes = [((0, 1, 0), camera_height, (0, 2)), ((1, 0, 0), -6.0, (2, 1)),
              ((1, 0, 0), 7.0, (2, 1)), ((0, 0, 1), 120.0, (0, 1))]
    textures = [_texture(seed + i) for i in range(len(planes))]
    u, v = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    rays = np.stack([u, v, np.ones_like(u)], -1) @ np.linalg.inv(k).T
    frames = []
    for pose in poses:
        d = rays @ pose[:3, :3].T
        c = pose[:3, 3]
        best = np.full((h, w), np.inf)
        out = np.zeros((h, w), np.float32)
        for (n, off, axes), tex in zip(planes, textures, strict=True):
            n = np.asarray(n, np.float64)
            denom = d @ n
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (off - n @ c) / denom
            t[~np.isfinite(t) | (t <= 0)] = np.inf
            x = c + d * np.where(np.isfinite(t), t, 0.0)[..., None]
            mx = np.mod(x[..., axes[0]] / texel, 511).astype(np.float32)
            my = np.mod(x[..., axes[1]] / texel, 511).astype(np.float32)
            ok = np.isfinite(t) & (t < best)
            val = cv2.remap(tex, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            out[ok], best[ok] = val[ok], t[ok]
        frames.append(np.clip(out, 0, 255).astype(np.uint8))
    return frames


def _plot(ax, gt: np.ndarray, est: dict[str, np.ndarray], title: str) -> None:
    ax.plot(gt[:, 0, 3], gt[:, 2, 3], "k-", lw=2, label="ground truth")
    for name, p in est.items():
        ax.plot(p[:, 0, 3], p[:, 2, 3], ".-", ms=3, label=name)
    ax.set_xlabel("x (m)")
    ax.set_ylabel("z (m, forward)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title)
    ax.legend(fontsize=7)


def _rows(name: str, gt: np.ndarray, results: dict[str, np.ndarray]) -> list[list[object]]:
    from oculi.sfm.trajectory import SHORT_LENGTHS, ate, kitti_errors, path_length

    rows = []
    length = path_length(gt)
    for mode, poses in results.items():
        k = kitti_errors(poses, gt, SHORT_LENGTHS, step=1)
        sim3 = ate(poses, gt, "sim3")
        rows.append([name, mode, round(ate(poses, gt), 3), round(k.translation_pct, 2),
                     round(k.rotation_deg_per_100m, 2), round(100 * sim3 / length, 2)])
    return rows


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Monocular VO on a rendered drive with exact poses (and on KITTI when not quick)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oculi.sfm.kitti import read_kitti_sequence
    from oculi.sfm.trajectory import align_trajectory
    from oculi.sfm.vo import visual_odometry

    gt = road_poses(10 if quick else 40)
    frames = render_road(gt)
    sets = [("synthetic", frames, SYNTH_K, gt)]
    shared = os.environ.get("OCULI_SHARED_DATA",
                            Path(__file__).resolve().parents[3].parent / "shared" / "data")
    kitti_dir = Path(shared) / "vo_kitti_seq1"
    note = ""
    if not quick and kitti_dir.is_dir():
        seq = read_kitti_sequence(kitti_dir)
        sets.append(("KITTI seq 1 excerpt", seq.frames, seq.k, seq.poses))
    elif not quick:
        note = " The KITTI excerpt (../shared/data/vo_kitti_seq1) is absent, so it is skipped."
    sec = report.section(
        "Visual odometry",
        "Monocular VO (oculi.sfm.vo): KLT tracks with a forward-backward check, an essential "
        "matrix per keyframe pair, and the metric scale from the known camera height (1.65 m) "
        "above a road plane fitted robustly to triangulated points below the horizon. The "
        "synthetic drive is ray-cast from textured planes (road, side walls) along a known "
        "curve, so the true poses are exact. Errors: ATE = RMSE of positions after an SE(3) "
        "alignment (metres); KITTI = the devkit's translational (%) and rotational (deg/100 m) "
        "errors on short segments (5-50 m, every frame a start) since these paths are tens of "
        "metres, not the devkit's 100-800 m; Sim(3) ATE as % of the path length." + note,
    )
    fig, axes = plt.subplots(1, len(sets), figsize=(5 * len(sets), 4.5), squeeze=False)
    rows = []
    for ax, (name, seq_frames, k, truth) in zip(axes[0], sets, strict=True):
        results = {"height scale": visual_odometry(seq_frames, k, scale="height").poses}
        rows += _rows(name, truth, results)
        _plot(ax, truth, {m: align_trajectory(p, truth, "none") for m, p in results.items()},
              f"{name}: top view")
    sec.table(["sequence", "scale", "ATE (m)", "KITTI t (%)", "KITTI r (deg/100 m)",
               "Sim(3) ATE (% of path)"], rows)
    sec.figure(fig)
    plt.close(fig)
    sec.image(np.stack([frames[0]] * 3, -1), caption="synthetic frame 0 (grey, rendered)")


#: benchmark results the structure-from-motion section reads (bench/threed.py writes them)
BENCH_RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results" / "threed.jsonl"


def _latest_temple_line(path: Path) -> dict | None:
    """The last ``sfm_temple`` line of the benchmark results (None when there is none)."""
    import json

    if not path.is_file():
        return None
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    return next((r for r in reversed(lines) if r.get("task") == "sfm_temple"), None)


def _error_row(name: str, e: dict, seconds: float) -> list[object]:
    return [name, f"{e['registered']}/{e['total']}", e["rotation_deg_mean"],
            e["rotation_deg_max"], e["center_pct_mean"], e["center_pct_max"],
            e["reprojection_px"], e["points"], e["mean_track_length"], seconds]


_ERROR_HEADERS = ["run", "registered", "rotation mean (deg)", "rotation max (deg)",
                  "centre mean (% radius)", "centre max (% radius)", "reprojection (px)",
                  "points", "track length", "time (s)"]


def reconstruction_section(report: Report, workdir: Path, quick: bool) -> None:
    """Incremental SfM on rendered views with exact poses: the model in 3-D and its pose
    errors; the temple figures of oculi and COLMAP from the benchmark results."""
    import time

    from oculi.sfm.evaluate import pose_errors
    from oculi.sfm.incremental import SfMConfig, reconstruct
    from oculi.sfm.synthetic import corner_views

    n = 6 if quick else 10
    scene = corner_views(n)
    t0 = time.perf_counter()
    rec = reconstruct(scene.images, scene.camera, names=scene.names)
    seconds = time.perf_counter() - t0
    errors = pose_errors(rec, scene.views).json_dict()
    sec = report.section(
        "Structure from motion",
        "Incremental structure from motion (oculi.sfm.reconstruct): RootSIFT features, "
        "exhaustive matching verified by essential matrices, tracks by union-find, an initial "
        "pair with wide parallax and little homography support, then image after image "
        "registered by PnP, new points triangulated, local bundle adjustments and a global one "
        f"whenever the model has grown by {100 * (SfMConfig().global_ba_growth - 1):.0f} %. "
        f"Here on {n} views rendered by ray casting (a "
        "textured road meeting a wall, cameras on a 60 degree arc 5 m from the corner, known "
        "intrinsics), so the true poses are exact. The model lives in an arbitrary similarity "
        "frame: it is aligned to the true camera centres (Umeyama, Sim(3)) before the rotation "
        "and centre errors are measured; centre errors are given in % of the cameras' mean "
        "distance from their centroid. Drag to orbit, shift-drag to pan, wheel to zoom; the "
        "red pyramids are the cameras.",
    )
    sec.image(np.hstack([scene.images[0], scene.images[n // 2], scene.images[-1]]),
              f"views 1, {n // 2 + 1} and {n} (grey, rendered)", name="sfm-corner-views")
    sec.scene3d(rec, caption=f"{len(rec.points3d)} points, {len(rec.registered)} cameras",
                name="sfm-corner-model")
    sec.table(_ERROR_HEADERS, [_error_row("synthetic corner, oculi", errors, seconds)],
              caption="pose errors against the exact poses; time on this machine")
    line = _latest_temple_line(BENCH_RESULTS)
    if line is None:
        sec.text("No temple result in bench/results/threed.jsonl yet (run "
                 "`python -m bench.threed sfm`).")
        return
    rows = [_error_row(f"temple, {who}", r, r["seconds"]) for who, r in line["results"].items()]
    ratio = line.get("time_ratio_oculi_over_colmap")
    sec.table(_ERROR_HEADERS, rows, caption=(
        f"Middlebury templeSparseRing ({line['images']} views, 640x480, the known camera), "
        f"bench/threed.py on {line['time'][:10]}, medians of {line['repeats']} runs; pose "
        "errors over each backend's registered views"
        + (f"; time oculi / COLMAP = {ratio:.2f}" if ratio else "")
        + ". Read from bench/results/threed.jsonl, not measured by the tour."))
