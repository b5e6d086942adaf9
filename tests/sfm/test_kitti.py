"""KITTI pose/calibration/sequence reading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oculi.core.errors import DataError
from oculi.sfm.kitti import read_calib_k, read_kitti_poses, read_kitti_sequence, write_kitti_poses


def test_poses_round_trip(tmp_path: Path) -> None:
    poses = np.tile(np.eye(4), (3, 1, 1))
    poses[:, :3, 3] = [[0, 0, 0], [0.1, -0.2, 1.5], [0.3, -0.1, 3.25]]
    c, s = np.cos(0.1), np.sin(0.1)
    poses[2, :3, :3] = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    path = write_kitti_poses(tmp_path / "poses.txt", poses)
    assert len(path.read_text().splitlines()) == 3
    np.testing.assert_allclose(read_kitti_poses(path), poses, atol=1e-9)


def test_bad_poses_name_the_line(tmp_path: Path) -> None:
    p = tmp_path / "poses.txt"
    p.write_text("1 0 0 0 0 1 0 0 0 0 1 0\n1 0 0 0 0 1 0 0 0 0 1\n")
    with pytest.raises(DataError, match="line 2: expected 12 numbers, got 11"):
        read_kitti_poses(p)
    p.write_text("1 0 0 0 0 1 0 0 0 0 x 0\n")
    with pytest.raises(DataError, match="line 1: not a number"):
        read_kitti_poses(p)
    p.write_text("2 0 0 0 0 1 0 0 0 0 1 0\n")
    with pytest.raises(DataError, match=r"line 1: .* not a rotation"):
        read_kitti_poses(p)
    with pytest.raises(DataError, match="no such"):
        read_kitti_poses(tmp_path / "absent.txt")


def test_calib(tmp_path: Path) -> None:
    p = tmp_path / "calib.txt"
    p.write_text("P0: 700 0 600 0 0 701 180 0 0 0 1 0\n")
    np.testing.assert_allclose(read_calib_k(p), [[700, 0, 600], [0, 701, 180], [0, 0, 1]])
    with pytest.raises(DataError, match="line 2: missing"):
        read_calib_k(p, line=2)


def test_shared_sequence(shared_data: Path) -> None:
    folder = shared_data / "vo_kitti_seq1"
    if not folder.is_dir():
        pytest.skip("vo_kitti_seq1 absent")
    seq = read_kitti_sequence(folder)
    assert len(seq) == 51 and seq.poses is not None and seq.poses.shape == (51, 4, 4)
    assert seq.k[0, 0] == pytest.approx(707.0912) and seq.k[0, 2] == pytest.approx(601.8873)
    np.testing.assert_allclose(seq.poses[0], np.eye(4), atol=1e-9)
    assert seq.poses[-1, 2, 3] == pytest.approx(59.83857)  # the car drives along +z
