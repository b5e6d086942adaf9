import warnings

import numpy as np
import pytest

from oculi.core.errors import DataError, NoMatchError
from oculi.sfm import (
    DegenerateMotionError,
    PlanarSceneWarning,
    estimate_essential,
    estimate_fundamental,
    fundamental_from_essential,
    recover_pose,
    relative_pose,
    sampson_errors,
)
from tests.sfm import CAM, angle_deg, rot, scene


def _t_angle(t, t_true):
    c = t @ t_true / np.linalg.norm(t) / np.linalg.norm(t_true)
    return float(np.degrees(np.arccos(np.clip(c, -1, 1))))


def test_fundamental_inliers_and_sampson():
    _, poses, (x1, x2), bad = scene()
    est = estimate_fundamental(x1, x2, threshold=1.5)
    assert est.inliers[~bad].mean() > 0.95 and est.inliers[bad].mean() < 0.05
    # the true F gives Sampson errors at the noise level (0.5 px): so does the estimate
    r, t = poses[1]
    tx = np.array([[0, -t[2], t[1]], [t[2], 0, -t[0]], [-t[1], t[0], 0]])
    f_true = fundamental_from_essential(tx @ r, CAM)
    med_true = np.median(sampson_errors(f_true, x1, x2)[~bad])
    med_est = np.median(est.residuals[~bad])
    assert med_est < 0.5 and med_est <= med_true * 1.05
    # against OpenCV's fundamental matrix on the same data
    import cv2

    _, m = cv2.findFundamentalMat(x1, x2, cv2.FM_RANSAC, 1.5, 0.999)
    truth = sampson_errors(f_true, x1, x2) <= 1.5
    cv_ok = (m.ravel().astype(bool) == truth).mean()
    ours_ok = (est.inliers == truth).mean()   # measured 0.995 vs OpenCV's 0.93
    assert ours_ok >= cv_ok and ours_ok > 0.97


def test_essential_pose_vs_ground_truth_and_opencv():
    import cv2

    _, poses, (x1, x2), bad = scene()
    r_true, t_true = poses[1]
    est = estimate_essential(x1, x2, CAM, threshold=1.5)
    pose = recover_pose(est.model, x1, x2, CAM, mask=est.inliers)
    assert angle_deg(pose.R, r_true) < 0.5   # measured 0.26 deg
    assert _t_angle(pose.t, t_true) < 2.0     # measured 0.02 deg
    assert pose.inliers[bad].sum() <= 3
    cv_e, m = cv2.findEssentialMat(x1, x2, CAM.K, cv2.RANSAC, 0.999, 1.5)
    agree = (m.ravel().astype(bool) == est.inliers).mean()
    assert agree > 0.95
    _, r_cv, _, _ = cv2.recoverPose(cv_e, x1, x2, CAM.K, mask=m.copy())
    # OpenCV's 5-point RANSAC has no refit on the inliers: ours is closer to the truth
    assert angle_deg(pose.R, r_true) <= angle_deg(r_cv, r_true)
    assert angle_deg(pose.R, r_cv) < 1.5
    # the OpenCV path of estimate_essential gives the same pose
    cv_path = estimate_essential(x1, x2, CAM, threshold=1.5, method="opencv")
    pose_cv = recover_pose(cv_path.model, x1, x2, CAM, mask=cv_path.inliers)
    assert angle_deg(pose_cv.R, r_true) < 0.5


def test_relative_pose_points_are_scaled_ground_truth():
    X, poses, (x1, x2), _ = scene(outliers=0.0, noise=0.2)
    pose = relative_pose(x1, x2, CAM)
    scale = np.linalg.norm(poses[1][1])
    ok = pose.inliers
    err = np.linalg.norm(pose.points3d[ok] * scale - X[ok], axis=1)
    rel = err / np.linalg.norm(X[ok], axis=1)
    assert np.median(rel) < 0.03 and pose.median_parallax_deg > 1.0  # measured 1.7 %


def test_too_few_matches():
    x1, x2 = scene(n=7, outliers=0.0)[2]
    with pytest.raises(NoMatchError, match="at least 8"):
        estimate_fundamental(x1, x2)
    with pytest.raises(NoMatchError, match="at least 8"):
        relative_pose(x1, x2, CAM)


def test_non_finite_points_are_named():
    x1, x2 = scene(n=40, outliers=0.0)[2]
    x1 = np.array(x1, dtype=np.float64)
    x1[3] = np.nan  # numpy's SVD failed on it
    with pytest.raises(DataError, match="1 of 40 correspondences hold NaN"):
        estimate_fundamental(x1, x2)
    with pytest.raises(DataError, match="NaN or inf"):
        relative_pose(x1, x2, CAM)


def test_pure_rotation_is_reported():
    poses = [(np.eye(3), np.zeros(3)), (rot([0, 1, 0.2], 8.0), np.zeros(3))]
    x1, x2 = scene(poses=poses, outliers=0.2)[2]
    with pytest.raises(DegenerateMotionError, match="pure rotation"):
        relative_pose(x1, x2, CAM)


def test_planar_scene_warns():
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.uniform(-3, 3, 150), rng.uniform(-2, 2, 150), np.full(150, 8.0)])
    r, t = rot([0, 1, 0], 5.0), np.array([-1.0, 0.0, 0.1])
    x1 = CAM.project(X) + rng.normal(0, 0.3, (150, 2))
    x2 = CAM.project(X @ r.T + t) + rng.normal(0, 0.3, (150, 2))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        pose = relative_pose(x1, x2, CAM)
    assert pose.planar and any(issubclass(x.category, PlanarSceneWarning) for x in w)


def test_collinear_points_fail_cleanly():
    s = np.linspace(0, 1, 30)
    x1 = np.column_stack([100 + 300 * s, 100 + 200 * s])
    x2 = x1 + np.array([5.0, 1.0])
    with pytest.raises(NoMatchError):
        relative_pose(x1, x2, CAM)


def test_kitti_frames_0_1_vs_ground_truth(shared_data):
    import cv2

    from oculi.features import detect_and_describe, match_descriptors
    from oculi.io import read_image
    from oculi.sfm import read_kitti_calib, read_kitti_poses
    from tests.conftest import shared_set

    d = shared_set("vo_kitti_seq1")
    cam = read_kitti_calib(d / "calib.txt")
    T = read_kitti_poses(d / "poses.txt")
    f0, f1 = (detect_and_describe(read_image(d / "image_l" / f"{i:06d}.png", mode="gray"),
                                  "sift") for i in (0, 1))
    x0, x1 = match_descriptors(f0, f1, ratio=0.8, mutual=True).points(f0, f1)
    rel = np.linalg.inv(T[1]) @ T[0]  # camera-to-world poses: X1 = inv(T1) T0 X0
    pose = relative_pose(x0, x1, cam)
    assert angle_deg(pose.R, rel[:3, :3]) < 0.3       # measured 0.14 deg (OpenCV: 0.34)
    assert _t_angle(pose.t, rel[:3, 3]) < 2.0          # measured 0.8 deg (OpenCV: 1.8)
    assert pose.inliers.mean() > 0.8
    e, m = cv2.findEssentialMat(x0, x1, cam.K, cv2.RANSAC, 0.999, 1.0)
    _, r_cv, _, _ = cv2.recoverPose(e, x0, x1, cam.K, mask=m.copy())
    assert angle_deg(pose.R, rel[:3, :3]) <= angle_deg(r_cv, rel[:3, :3]) + 0.05


def test_temple_pair_opencv_path(shared_data):
    from oculi.features import detect_and_describe, match_descriptors
    from oculi.io import read_image
    from oculi.sfm import read_middlebury_par
    from tests.conftest import shared_set

    d = shared_set("mvs_temple_sparse_ring")
    a, b = read_middlebury_par(d / "templeSR_par.txt")[:2]
    fa, fb = (detect_and_describe(read_image(d / v.name, mode="gray"), "sift") for v in (a, b))
    xa, xb = match_descriptors(fa, fb, ratio=0.8, mutual=True).points(fa, fb)
    r_true = b.R @ a.R.T
    t_true = b.t - r_true @ a.t
    pose = relative_pose(xa, xb, a.camera, b.camera, method="opencv")
    assert angle_deg(pose.R, r_true) < 2.0      # measured 1.16 deg of a 23 deg rotation
    assert _t_angle(pose.t, t_true) < 2.0       # measured 0.6 deg
    # known limitation: the "7pt" path finds 64 inliers instead of 132 on this narrow-field
    # pair (f = 1520 px): 7-point F samples projected onto essential matrices are too noisy
