"""``oculi vo FRAMES_DIR --calib calib.txt -o traj.txt``: monocular visual odometry on a folder of
frames; with ``--gt`` it prints the trajectory errors."""

from __future__ import annotations

import math
from pathlib import Path

import typer


def vo(
    frames_dir: Path = typer.Argument(..., help="Folder of the frames (sorted by name)."),
    calib: Path = typer.Option(..., "--calib", help="KITTI calib.txt (line 1: P0, its left 3x3 "
                               "block is K)."),
    out: Path = typer.Option(..., "-o", "--out", help="Trajectory in KITTI poses.txt format."),
    gt: Path = typer.Option(None, "--gt", help="Ground-truth poses.txt: print ATE, RPE and the "
                            "KITTI errors."),
    scale: str = typer.Option("height", "--scale", help="height (metric, from --camera-height "
                              "above the road), gt (step lengths from --gt: evaluation only) or "
                              "unit."),
    camera_height: float = typer.Option(1.65, "--camera-height", help="Camera height above the "
                                        "road, metres (KITTI: 1.65)."),
    plot: Path = typer.Option(None, "--plot", help="Top-view plot (PNG) of the trajectory."),
    json_path: Path = typer.Option(None, "--json", help="Poses, notes and errors as JSON."),
) -> None:
    """Estimate the camera path (camera-to-world, metres) of a monocular sequence. Frames whose
    pose could not be estimated are listed at the end (exit 2); the trajectory is written anyway.
    """
    from oculi.cli._common import report_failures, write_json
    from oculi.core.progress import progress_bar
    from oculi.sfm.kitti import list_frames, read_calib_k, read_kitti_poses, write_kitti_poses
    from oculi.sfm.vo import visual_odometry

    frames = list_frames(frames_dir)
    k = read_calib_k(calib)
    truth = read_kitti_poses(gt) if gt else None
    if truth is not None and len(truth) != len(frames):  # before the run, not after it
        from oculi.core.errors import ShapeError

        raise ShapeError(f"--gt: {len(truth)} poses for {len(frames)} frames")
    with progress_bar("frames") as bar:
        task = bar.add_task("frames", total=len(frames))
        res = visual_odometry(frames, k, scale=scale, camera_height=camera_height,
                              gt_poses=truth,
                              progress=lambda done, _total: bar.update(task, completed=done))
    write_kitti_poses(out, res.poses)
    typer.echo(f"{frames_dir}: {len(frames)} frames, {len(res.keyframes)} keyframes, scale "
               f"{scale}{' (from ground truth: evaluation only)' if scale == 'gt' else ''}, "
               f"{1000 * res.seconds / len(frames):.0f} ms/frame; wrote {out}")
    payload = res.as_dict()
    if truth is not None:
        payload["errors"] = _errors(res.poses, truth)
    if plot:
        _plot(plot, res.poses, truth)
    if json_path:
        write_json(json_path, payload)
    report_failures({f"frame {i}": res.notes.get(i, "failed") for i in range(len(frames))
                     if not res.ok[i]}, what="frame")


def _errors(est, truth) -> dict[str, float]:
    from oculi.sfm.trajectory import SHORT_LENGTHS, trajectory_errors

    e = trajectory_errors(est, truth)
    short = "/".join(f"{x:g}" for x in SHORT_LENGTHS)
    typer.echo(f"path {e['path_m']:.1f} m: ATE {e['ate_se3_m']:.3f} m (SE(3)), "
               f"{e['ate_sim3_m']:.3f} m = {e['ate_sim3_pct_path']:.2f} % of the path (Sim(3)); "
               f"RPE {e['rpe_trans_m']:.3f} m, {e['rpe_rot_deg']:.3f} deg per frame")
    devkit = ("n/a (path under 100 m)" if math.isnan(e["kitti_t_pct"]) else
              f"{e['kitti_t_pct']:.2f} %, {e['kitti_r_deg_100m']:.2f} deg/100 m")
    typer.echo(f"KITTI errors, segments 100..800 m: {devkit}; segments {short} m: "
               f"{e['kitti_short_t_pct']:.2f} %, {e['kitti_short_r_deg_100m']:.2f} deg/100 m")
    return {key: None if math.isnan(v) else v for key, v in e.items()}


def _plot(path: Path, est, truth) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 6))
    if truth is not None:
        ax.plot(truth[:, 0, 3], truth[:, 2, 3], "k-", lw=2, label="ground truth")
    ax.plot(est[:, 0, 3], est[:, 2, 3], "r.-", ms=3, label="estimate")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("z (m, forward)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
