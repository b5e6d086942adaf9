import numpy as np
import pytest

from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.sfm import Camera, read_kitti_calib, read_middlebury_par
from tests.conftest import shared_set


def test_project_unproject_roundtrip_with_distortion(rng):
    cam = Camera(600.0, 610.0, 300.0, 200.0, k1=-0.2, k2=0.05)
    X = rng.uniform([-1, -1, 2], [1, 1, 5], (100, 3))
    xy = cam.project(X)
    back = cam.unproject(xy, depth=X[:, 2])
    assert np.abs(back - X).max() < 1e-9
    assert np.abs(cam.normalise(xy) - X[:, :2] / X[:, 2:]).max() < 1e-12


def test_distortion_matches_opencv(rng):
    import cv2

    cam = Camera(600.0, 610.0, 300.0, 200.0, k1=-0.2, k2=0.05)
    X = rng.uniform([-1, -1, 2], [1, 1, 5], (50, 3))
    ref = cv2.projectPoints(X, np.zeros(3), np.zeros(3), cam.K,
                            np.array([cam.k1, cam.k2, 0, 0]))[0].reshape(-1, 2)
    assert np.abs(cam.project(X) - ref).max() < 1e-9
    und = cv2.undistortPoints(ref[:, None], cam.K, np.array([cam.k1, cam.k2, 0, 0]))
    truth = X[:, :2] / X[:, 2:]
    ours = np.abs(cam.normalise(ref) - truth).max()
    theirs = np.abs(und.reshape(-1, 2) - truth).max()
    assert ours < 1e-9 and ours <= theirs + 1e-12  # OpenCV stops after 5 iterations


def test_bad_camera_and_shapes():
    with pytest.raises(ParameterError):
        Camera(0.0, 1.0, 0.0, 0.0)
    with pytest.raises(ShapeError, match="xy"):
        Camera(1.0, 1.0, 0.0, 0.0).normalise(np.zeros((3, 3)))


def test_kitti_calib(shared_data):
    cam = read_kitti_calib(shared_set("vo_kitti_seq1") / "calib.txt")
    assert cam.fx == pytest.approx(707.0912) and cam.cx == pytest.approx(601.8873)
    assert cam.cy == pytest.approx(183.1104, abs=1e-3)


def test_broken_kitti_calib(tmp_path):
    p = tmp_path / "calib.txt"
    p.write_text("P0: 1 0 0 0 0 1 0 0 0 0 1 0\nP1: 1 2 three\n")
    with pytest.raises(DataError, match="line 2"):
        read_kitti_calib(p)
    with pytest.raises(DataError, match="no 'P2'"):
        p.write_text("P0: 1 0 0 0 0 1 0 0 0 0 1 0\n")
        read_kitti_calib(p, "P2")


def test_temple_par_projects_the_bounding_box(shared_data):
    views = read_middlebury_par(shared_set("mvs_temple_sparse_ring") / "templeSR_par.txt")
    assert len(views) == 16
    # the temple's bounding box (README.txt) projects inside every 640x480 image
    lo, hi = np.array([-0.073568, 0.021728, -0.012445]), np.array([0.028855, 0.181892, 0.062736])
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])
    for v in views:
        assert np.abs(v.R @ v.R.T - np.eye(3)).max() < 1e-9
        xy = v.camera.project(corners @ v.R.T + v.t)
        assert (xy > 0).all() and (xy[:, 0] < 640).all() and (xy[:, 1] < 480).all()
        assert 0.5 < np.linalg.norm(v.center - (lo + hi) / 2) < 0.7
