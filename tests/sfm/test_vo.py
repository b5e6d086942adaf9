"""Monocular VO on rendered drives with exact poses; degenerate input; KITTI (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.sfm.tour import SYNTH_K, render_road, road_poses
from oculi.sfm.trajectory import SHORT_LENGTHS, ate, kitti_errors, path_length, rpe
from oculi.sfm.vo import VOConfig, road_height, visual_odometry


@pytest.fixture(scope="module")
def drive() -> tuple[np.ndarray, list[np.ndarray]]:
    gt = road_poses(20)  # 15.2 m forward on a 0.6 deg/frame curve
    return gt, render_road(gt)


@pytest.mark.parametrize(("solvers", "road", "t_pct", "ate_m"), [
    ("oculi", "plane", 6.0, 0.3), ("opencv", "plane", 6.0, 0.3), ("oculi", "homography", 13.0, 0.6)])
def test_height_scale_recovers_the_path(drive, solvers: str, road: str, t_pct: float,
                                        ate_m: float) -> None:
    gt, frames = drive
    res = visual_odometry(frames, SYNTH_K, scale="height",
                          config=VOConfig(solvers=solvers, road_method=road))
    assert res.poses.shape == (20, 4, 4) and res.ok.all() and not res.notes
    k = kitti_errors(res.poses, gt, (5.0, 10.0), step=1)
    # measured: plane: oculi 3.2 %, 2.1 deg/100 m, ATE 0.13 m; opencv 3.2 %, 1.6 deg/100 m,
    # ATE 0.16 m; homography 10.3 %, ATE 0.45 m (this low-resolution road has ~40 road corners
    # per step; on KITTI the homography is the better one: 4.7 % against 8.5 %)
    assert k.translation_pct < t_pct
    assert k.rotation_deg_per_100m < 3.0
    assert ate(res.poses, gt) < ate_m
    assert path_length(res.poses) == pytest.approx(path_length(gt), rel=t_pct / 100)


def test_gt_scale_and_unit_scale(drive) -> None:
    gt, frames = drive
    res = visual_odometry(frames, SYNTH_K, scale="gt", gt_poses=gt)
    assert ate(res.poses, gt) < 0.03  # measured 0.007 m on 15 m
    assert rpe(res.poses, gt)["rot_rmse"] < 0.1  # degrees per frame
    unit = visual_odometry(frames, SYNTH_K, scale="unit")
    steps = np.diff(np.array(unit.keyframes))
    assert path_length(unit.poses) == pytest.approx(len(steps), rel=1e-6)
    assert ate(unit.poses, gt, "sim3") < 0.1 * path_length(gt)


def test_progress_and_failed_frame(drive) -> None:
    gt, frames = drive
    seen = []
    blank = [*frames[:8], np.full_like(frames[0], 128), *frames[9:12]]
    res = visual_odometry(blank, SYNTH_K, scale="gt", gt_poses=gt[:12],
                          progress=lambda i, n: seen.append((i, n)))
    assert seen[-1] == (12, 12)
    assert [i for i, _ in seen] == list(range(2, 13))  # the restart frame (9) reports too
    assert not res.ok[8] and "too few tracks" in res.notes[8]
    last = max(k for k in res.keyframes if k < 8)
    np.testing.assert_allclose(res.poses[8], res.poses[last])
    assert res.ok[: last + 1].all() and not res.ok[last + 1 : 9].any()
    assert ate(res.poses[: last + 1], gt[: last + 1]) < 0.03
    # keyframes only every third frame: the frames before the failure are held, not identity
    sparse = visual_odometry(blank, SYNTH_K, scale="gt", gt_poses=gt[:12],
                             config=VOConfig(min_parallax=30.0, redetect_below=0))
    kf = max(k for k in sparse.keyframes if k < 8)
    assert kf < 7 and all(np.allclose(sparse.poses[j], sparse.poses[kf]) for j in range(kf, 9))
    assert not sparse.ok[kf + 1 : 9].any() and "pose held" in sparse.notes[kf + 1]


def test_static_and_pure_rotation_are_errors(drive) -> None:
    _, frames = drive
    with pytest.raises(DataError, match="static camera or a pure rotation"):
        visual_odometry([frames[0]] * 6, SYNTH_K)
    turn = np.tile(np.eye(4), (6, 1, 1))
    turn[:, :3, :3] = Rotation.from_euler("y", np.arange(6)[:, None] * 2.0,
                                          degrees=True).as_matrix()
    with pytest.raises(DataError, match="no keyframe with translation"):
        visual_odometry(render_road(turn), SYNTH_K)
    with pytest.raises(DataError, match="no keyframe"):
        visual_odometry([np.zeros((100, 100), np.uint8)] * 3, SYNTH_K)
    with pytest.raises(ParameterError, match="gt_poses"):
        visual_odometry(frames[:3], SYNTH_K, scale="gt")
    with pytest.raises(ShapeError, match=r"frames\[1\]: expected the size of frames\[0\]"):
        visual_odometry([frames[0], frames[1][:-8]], SYNTH_K)


def test_road_height() -> None:
    rng = np.random.default_rng(0)
    road = np.column_stack([rng.uniform(-5, 5, 300), np.full(300, 1.65), rng.uniform(4, 30, 300)])
    road[:, 1] += rng.normal(0, 0.01, 300)
    clutter = np.column_stack([rng.uniform(-5, 5, 100), rng.uniform(-2, 1.4, 100),
                               rng.uniform(4, 30, 100)])
    assert road_height(np.concatenate([road, clutter]), rng) == pytest.approx(1.65, abs=0.01)
    assert road_height(clutter[:5], rng) is None


@pytest.mark.slow
def test_kitti_seq1(shared_data: Path) -> None:
    from oculi.sfm.kitti import read_kitti_sequence

    folder = shared_data / "vo_kitti_seq1"
    if not folder.is_dir():
        pytest.skip("vo_kitti_seq1 absent")
    seq = read_kitti_sequence(folder)
    res = visual_odometry(seq.frames, seq.k, scale="height")
    length = path_length(seq.poses)
    k = kitti_errors(res.poses, seq.poses, SHORT_LENGTHS, step=1)
    # measured: 4.7 % translational (short segments), Sim(3) ATE 0.48 % of path (the target is
    # 5 %; the 3-D road-plane fit gave 8.5 %)
    assert k.translation_pct < 5.0
    assert 100 * ate(res.poses, seq.poses, "sim3") / length < 1.0
    gt_scaled = visual_odometry(seq.frames, seq.k, scale="gt", gt_poses=seq.poses)
    assert ate(gt_scaled.poses, seq.poses) < 0.05  # measured 0.013 m on 60 m


def test_cli(drive, tmp_path: Path) -> None:
    import json

    import cv2
    import typer
    from typer.testing import CliRunner

    from oculi.cli.vo import vo
    from oculi.sfm.kitti import read_kitti_poses, write_kitti_poses

    gt, frames = drive
    (tmp_path / "img").mkdir()
    for i, f in enumerate(frames[:12]):
        cv2.imwrite(str(tmp_path / "img" / f"{i:06d}.png"), f)
    p0 = np.column_stack([SYNTH_K, np.zeros(3)]).reshape(-1)
    (tmp_path / "calib.txt").write_text("P0: " + " ".join(map(str, p0)) + "\n")
    write_kitti_poses(tmp_path / "gt.txt", gt[:12])
    app = typer.Typer()
    app.command()(vo)
    out = tmp_path / "traj.txt"
    r = CliRunner().invoke(app, [str(tmp_path / "img"), "--calib", str(tmp_path / "calib.txt"),
                                 "--gt", str(tmp_path / "gt.txt"), "-o", str(out), "--plot",
                                 str(tmp_path / "t.png"), "--json", str(tmp_path / "r.json")])
    assert r.exit_code == 0, r.output
    assert "ATE" in r.output and "n/a (path under 100 m)" in r.output
    est = read_kitti_poses(out)
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["errors"]["ate_se3_m"] == pytest.approx(ate(est, gt[:12]), abs=1e-6)
    # measured 0.35 m over the 8.4 m of 12 frames (road homography scale)
    assert data["errors"]["ate_se3_m"] < 0.5 and data["errors"]["kitti_t_pct"] is None
    assert (tmp_path / "t.png").stat().st_size > 1000
    # a ground truth of another length is refused before the run
    write_kitti_poses(tmp_path / "gt5.txt", gt[:5])
    r = CliRunner().invoke(app, [str(tmp_path / "img"), "--calib", str(tmp_path / "calib.txt"),
                                 "--gt", str(tmp_path / "gt5.txt"), "-o", str(tmp_path / "t2.txt")])
    assert isinstance(r.exception, ShapeError) and "5 poses for 12 frames" in str(r.exception)
    assert not (tmp_path / "t2.txt").exists()


def test_road_height_homography() -> None:
    """Road points seen from two poses: the plane homography gives the height in units of |t|,
    clutter above the road is rejected, too few points give None."""
    from oculi.sfm.bundle import rodrigues
    from oculi.sfm.vo import road_height_homography

    rng = np.random.default_rng(1)
    k = np.array([[700.0, 0, 600], [0, 700.0, 180], [0, 0, 1]])
    road = np.column_stack([rng.uniform(-4, 4, 300), np.full(300, 1.65), rng.uniform(5, 25, 300)])
    clutter = rng.uniform([-4, -1, 5], [4, 1.2, 25], (80, 3))
    pts = np.vstack([road, clutter])
    r = rodrigues(np.array([[0.0, 0.02, 0.0]]))[0]
    t = np.array([0.05, 0.0, -1.2])  # x1 = R x0 + t (the car moves forward)
    x0 = pts @ k.T
    x1 = (pts @ r.T + t) @ k.T
    p0 = x0[:, :2] / x0[:, 2:] + rng.normal(0, 0.3, (len(pts), 2))
    p1 = x1[:, :2] / x1[:, 2:] + rng.normal(0, 0.3, (len(pts), 2))
    unit = t / np.linalg.norm(t)
    h = road_height_homography(p0, p1, k, r, unit, rng)
    assert h * np.linalg.norm(t) == pytest.approx(1.65, rel=0.02)
    assert road_height_homography(p0[:5], p1[:5], k, r, unit, rng) is None
