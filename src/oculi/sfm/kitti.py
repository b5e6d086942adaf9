"""KITTI odometry files: ``poses.txt`` (camera-to-world poses) and a sequence folder.

A KITTI pose line holds the 12 numbers of a row-major 3x4 matrix ``[R | t]`` that maps points of
camera ``i`` into the frame of camera 0 (metres), i.e. a camera-to-world pose. ``calib.txt``
holds one projection matrix ``P0: p11 .. p34`` (the ``P0:`` label optional) per line; line 1 is
the left grey camera, whose left 3x3 block is the intrinsic matrix ``K`` (no distortion).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oculi.core.errors import DataError

__all__ = ["KittiSequence", "read_calib_k", "read_kitti_poses", "read_kitti_sequence",
           "write_kitti_poses"]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def _numbers(path: Path, lineno: int, line: str, count: int) -> np.ndarray:
    parts = line.split()
    if parts and parts[0].endswith(":"):
        parts = parts[1:]
    if len(parts) != count:
        raise DataError(f"{path}: line {lineno}: expected {count} numbers, got {len(parts)}")
    try:
        values = np.array([float(p) for p in parts], dtype=np.float64)
    except ValueError as err:
        raise DataError(f"{path}: line {lineno}: not a number ({err})") from None
    if not np.isfinite(values).all():
        raise DataError(f"{path}: line {lineno}: non-finite value")
    return values


def read_kitti_poses(path: str | Path) -> np.ndarray:
    """Read a KITTI ``poses.txt``.

    Args:
        path: Text file, one pose per line: 12 numbers, row-major 3x4 ``[R | t]`` of camera ``i``
            in camera 0's frame (metres). Blank lines are ignored.

    Returns:
        ``(N, 4, 4)`` float64 camera-to-world poses (last row ``0 0 0 1``).

    Raises:
        DataError: When the file is missing, empty, or a line is not 12 finite numbers or its
            rotation is not orthonormal (to 1e-3); the message names the line.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such poses file")
    poses = []
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        m = _numbers(path, lineno, line, 12).reshape(3, 4)
        r = m[:, :3]
        if np.abs(r @ r.T - np.eye(3)).max() > 1e-3 or np.linalg.det(r) < 0:
            raise DataError(f"{path}: line {lineno}: the 3x3 part is not a rotation")
        pose = np.eye(4)
        pose[:3] = m
        poses.append(pose)
    if not poses:
        raise DataError(f"{path}: no poses in the file")
    return np.stack(poses)


def write_kitti_poses(path: str | Path, poses: np.ndarray) -> Path:
    """Write ``(N, 4, 4)`` (or ``(N, 3, 4)``) camera-to-world poses as KITTI ``poses.txt`` lines.

    Args:
        path: Output text file (written atomically).
        poses: ``(N, 4, 4)`` or ``(N, 3, 4)`` float poses, metres.

    Returns:
        The path written.
    """
    from oculi.core.atomic import write_text_atomic
    from oculi.core.errors import ShapeError

    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] not in ((4, 4), (3, 4)):
        raise ShapeError(f"poses: expected (N, 4, 4) or (N, 3, 4), got {poses.shape}")
    lines = [" ".join(f"{v:.9e}" for v in p[:3].reshape(-1)) for p in poses]
    write_text_atomic(path, "\n".join(lines) + "\n")
    return Path(path)


def read_calib_k(path: str | Path, line: int = 1) -> np.ndarray:
    """Read the intrinsic matrix of one camera from a KITTI ``calib.txt``.

    Args:
        path: KITTI calibration file, one 3x4 projection matrix per line (12 numbers after an
            optional ``P0:`` label).
        line: 1-based line of the camera (1 = P0, the left grey camera).

    Returns:
        ``(3, 3)`` float64 ``K`` (pixels): the left 3x3 block of the projection matrix.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such calibration file")
    lines = [x for x in path.read_text().splitlines() if x.strip()]
    if len(lines) < line:
        raise DataError(f"{path}: line {line}: missing (the file has {len(lines)} lines)")
    p = _numbers(path, line, lines[line - 1], 12).reshape(3, 4)
    k = p[:, :3].copy()
    if k[0, 0] <= 0 or k[1, 1] <= 0 or abs(k[2, 2] - 1) > 1e-6:
        raise DataError(f"{path}: line {line}: not a projection matrix with K = P[:, :3]")
    return k


@dataclass
class KittiSequence:
    """A KITTI-style sequence folder.

    Attributes:
        frames: Image paths in frame order.
        k: ``(3, 3)`` float64 intrinsics of the left camera (pixels).
        poses: ``(N, 4, 4)`` float64 ground-truth camera-to-world poses (metres), or None.
    """

    frames: list[Path]
    k: np.ndarray
    poses: np.ndarray | None

    def __len__(self) -> int:
        return len(self.frames)


def list_frames(folder: str | Path) -> list[Path]:
    """Image files of a folder, sorted by name; DataError when there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such frames folder")
    frames = sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
    if not frames:
        raise DataError(f"{folder}: no image files ({', '.join(_IMAGE_SUFFIXES)})")
    return frames


def read_kitti_sequence(folder: str | Path, images: str = "image_l") -> KittiSequence:
    """Read a sequence folder: ``<images>/000000.png..``, ``calib.txt`` and optional ``poses.txt``.

    Args:
        folder: The sequence folder (e.g. ``shared/data/vo_kitti_seq1``).
        images: Sub-folder of the left grey frames.

    Returns:
        The frame paths, ``K`` and the ground-truth poses (None without ``poses.txt``).

    Raises:
        DataError: Missing folder/calibration, or a poses file whose length differs from the
            number of frames.
    """
    folder = Path(folder)
    frames = list_frames(folder / images)
    k = read_calib_k(folder / "calib.txt")
    poses = None
    if (folder / "poses.txt").is_file():
        poses = read_kitti_poses(folder / "poses.txt")
        if len(poses) != len(frames):
            raise DataError(f"{folder / 'poses.txt'}: {len(poses)} poses for {len(frames)} frames")
    return KittiSequence(frames, k, poses)
