"""Trajectory metrics against evo and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from oculi.core.errors import DataError, ShapeError
from oculi.sfm.trajectory import (
    SHORT_LENGTHS,
    align_trajectory,
    ate,
    kitti_errors,
    path_length,
    rpe,
    umeyama,
)


def _poses(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    poses = np.tile(np.eye(4), (n, 1, 1))
    rv = np.cumsum(rng.normal(0, 0.05, (n, 3)), axis=0)
    poses[:, :3, :3] = Rotation.from_rotvec(rv).as_matrix()
    poses[:, :3, 3] = np.cumsum(rng.normal([0, 0, 1.0], 0.3, (n, 3)), axis=0)
    return poses


def _noisy(gt: np.ndarray, seed: int, scale: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    r = Rotation.from_rotvec([0.3, -0.2, 0.5]).as_matrix()
    est = np.array(gt)
    est[:, :3, :3] = r @ gt[:, :3, :3] @ Rotation.from_rotvec(
        rng.normal(0, 0.02, (len(gt), 3))).as_matrix()
    est[:, :3, 3] = scale * (gt[:, :3, 3] + rng.normal(0, 0.1, (len(gt), 3))) @ r.T + [5, -2, 1]
    return est


def _evo(poses: np.ndarray):
    from evo.core import trajectory

    return trajectory.PosePath3D(poses_se3=list(poses))


@pytest.mark.parametrize("with_scale", [False, True])
def test_umeyama_matches_evo(with_scale: bool) -> None:
    from evo.core.geometry import umeyama_alignment

    gt = _poses(40, 0)
    est = _noisy(gt, 1, scale=0.3)
    a = umeyama(est[:, :3, 3], gt[:, :3, 3], with_scale=with_scale)
    r, t, c = umeyama_alignment(est[:, :3, 3].T, gt[:, :3, 3].T, with_scale)
    np.testing.assert_allclose(a.rotation, r, atol=1e-9)
    np.testing.assert_allclose(a.translation, t, atol=1e-9)
    assert a.scale == pytest.approx(c, abs=1e-9)


@pytest.mark.parametrize("mode", ["se3", "sim3"])
def test_ate_matches_evo(mode: str) -> None:
    from evo.core import metrics

    gt = _poses(50, 2)
    est = _noisy(gt, 3, scale=0.5 if mode == "sim3" else 1.0)
    ref_traj, est_traj = _evo(gt), _evo(est)
    est_traj.align(ref_traj, correct_scale=mode == "sim3")
    ape = metrics.APE(metrics.PoseRelation.translation_part)
    ape.process_data((ref_traj, est_traj))
    assert ate(est, gt, mode) == pytest.approx(ape.get_statistic(metrics.StatisticsType.rmse),
                                               abs=1e-6)
    np.testing.assert_allclose(align_trajectory(est, gt, mode), np.stack(est_traj.poses_se3),
                               atol=1e-6)


@pytest.mark.parametrize("delta", [1, 3])
def test_rpe_matches_evo(delta: int) -> None:
    from evo.core import metrics

    gt = _poses(31, 4)
    est = _noisy(gt, 5)
    ours = rpe(est, gt, delta)
    for rel, key in [(metrics.PoseRelation.translation_part, "trans_rmse"),
                     (metrics.PoseRelation.rotation_angle_deg, "rot_rmse")]:
        m = metrics.RPE(rel, delta=delta, delta_unit=metrics.Unit.frames, all_pairs=False)
        m.process_data((_evo(gt), _evo(est)))
        assert ours[key] == pytest.approx(m.get_statistic(metrics.StatisticsType.rmse), abs=1e-6)
        assert ours["pairs"] == len(m.error)


def test_hand_cases() -> None:
    # a straight 10-step path of 1 m; the estimate is 10 % too long
    gt = np.tile(np.eye(4), (11, 1, 1))
    gt[:, 2, 3] = np.arange(11.0)
    est = np.array(gt)
    est[:, 2, 3] *= 1.1
    assert path_length(gt) == pytest.approx(10.0)
    assert ate(est, gt, "none") == pytest.approx(np.sqrt((0.01 * np.arange(11) ** 2).mean()))
    assert ate(est, gt, "sim3") == pytest.approx(0.0, abs=1e-12)
    # se3: the error is 0.1 * (k - 5) after centring
    assert ate(est, gt, "se3") == pytest.approx(np.sqrt((0.01 * (np.arange(11) - 5) ** 2).mean()))
    r = rpe(est, gt, 2)
    assert r["trans_rmse"] == pytest.approx(0.2) and r["rot_rmse"] == pytest.approx(0.0)
    # KITTI errors on 5 m segments: 10 % translation, no rotation (segment of 6 frames: 5 m < d)
    k = kitti_errors(est, gt, lengths=(5.0,), step=1)
    assert k.translation_pct == pytest.approx(100 * 0.6 / 5.0)  # 6 m segment, 0.6 m off, / 5 m
    assert k.rotation_deg_per_100m == pytest.approx(0.0, abs=1e-9)
    assert k.segments == 5  # starts 0..4 reach a frame beyond first + 5 m
    assert np.isnan(kitti_errors(est, gt).translation_pct)  # no 100 m segment on 10 m


def test_kitti_rotation_error() -> None:
    # estimate yaws by 1 degree per metre-step relative to gt -> constant relative error
    gt = np.tile(np.eye(4), (21, 1, 1))
    gt[:, 2, 3] = np.arange(21.0)
    est = np.array(gt)
    est[:, :3, :3] = Rotation.from_euler("y", np.arange(21.0)[:, None], degrees=True).as_matrix()
    k = kitti_errors(est, gt, lengths=(10.0,), step=1)
    # segment f..f+11: rotation error 11 degrees over 10 m -> 110 deg / 100 m
    assert k.rotation_deg_per_100m == pytest.approx(110.0)
    assert SHORT_LENGTHS[0] == 5.0


def test_bad_input() -> None:
    gt = _poses(5, 0)
    with pytest.raises(ShapeError, match="ground truth: 4"):
        ate(gt, gt[:4])
    bad = np.array(gt)
    bad[2, 0, 3] = np.nan
    with pytest.raises(DataError, match="estimate"):
        ate(bad, gt)
    with pytest.raises(DataError, match="equal"):
        umeyama(np.zeros((5, 3)), np.ones((5, 3)))
