"""Export and import of sparse models: PLY point clouds and COLMAP's text model.

PLY: :func:`write_ply` / :func:`read_ply` are :mod:`oculi.io.ply`'s (one implementation for
stereo and SfM), re-exported here. A model's cloud with its camera centres:
``write_ply(path, rec.points3d, rec.colors, cameras=[rec.center(i) for i in rec.registered])``.

COLMAP text (``cameras.txt``, ``images.txt``, ``points3D.txt``; the format COLMAP's GUI,
``colmap model_converter`` and ``pycolmap.Reconstruction(folder)`` read):

- ids are 1-based: oculi image ``i`` is COLMAP image ``i + 1``, point ``p`` is ``p + 1``;
  cameras are numbered in order of first use (images sharing equal intrinsics and size share one);
- poses are world-to-camera, ``QW QX QY QZ`` a Hamilton unit quaternion of ``R`` (``QW >= 0``);
- COLMAP's pixel origin is the top-left *corner* of the top-left pixel, oculi's its *centre*:
  the writer adds 0.5 to keypoints and principal points, the reader subtracts it;
- cameras are written as ``PINHOLE`` (``fx fy cx cy``) or, with distortion, ``OPENCV``
  (``fx fy cx cy k1 k2 0 0``); the reader takes every model that is an oculi :class:`Camera`
  (``SIMPLE_PINHOLE``, ``PINHOLE``, ``SIMPLE_RADIAL``, ``RADIAL``, ``OPENCV`` with
  ``p1 = p2 = 0``);
- unregistered images are not in ``images.txt``: a model read back holds the registered images
  only, renumbered ``0 .. n-1`` in COLMAP-id order (names kept);
- a point's ``ERROR`` is the mean reprojection error, ``-1`` when unknown (NaN in oculi).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy.spatial.transform import Rotation

from oculi.core.atomic import write_text_atomic
from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.io.ply import PointCloud, read_ply, write_ply
from oculi.sfm.camera import Camera
from oculi.sfm.reconstruction import Reconstruction

__all__ = ["COLMAP_MODELS", "PointCloud", "read_colmap_text", "read_ply", "write_colmap_text",
           "write_ply"]

_CAMERAS_HEAD = ("# Camera list with one line of data per camera:\n"
                 "#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n")
_IMAGES_HEAD = ("# Image list with two lines of data per image:\n"
                "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n"
                "#   POINTS2D[] as (X, Y, POINT3D_ID)\n")
_POINTS_HEAD = ("# 3D point list with one line of data per point:\n"
                "#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n")


def _no_tangential(p: Sequence[float]) -> bool:
    return p[6] == 0 and p[7] == 0


#: COLMAP camera models oculi reads: name -> (number of parameters, params -> (fx, fy, cx, cy,
#: k1, k2) with COLMAP's principal point, a condition on the parameters or None)
COLMAP_MODELS: dict[str, tuple[int, Callable[[Sequence[float]], tuple[float, ...]],
                               Callable[[Sequence[float]], bool] | None]] = {
    "SIMPLE_PINHOLE": (3, lambda p: (p[0], p[0], p[1], p[2], 0.0, 0.0), None),
    "PINHOLE": (4, lambda p: (p[0], p[1], p[2], p[3], 0.0, 0.0), None),
    "SIMPLE_RADIAL": (4, lambda p: (p[0], p[0], p[1], p[2], p[3], 0.0), None),
    "RADIAL": (5, lambda p: (p[0], p[0], p[1], p[2], p[3], p[4]), None),
    "OPENCV": (8, lambda p: tuple(p[:6]), _no_tangential),
}


def _num(v: float) -> str:
    """Shortest text that reads back as the same float64 (``2`` for 2.0)."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


# -- writing ---------------------------------------------------------------------------------


def _check_model(rec: Reconstruction) -> None:
    """ShapeError / ParameterError naming the first inconsistent field of ``rec``."""
    n, p = len(rec.names), len(rec.points3d)
    for name, seq in (("cameras", rec.cameras), ("image_sizes", rec.image_sizes)):
        if len(seq) != n:
            raise ShapeError(f"rec.{name}: expected one per image ({n}), got {len(seq)}")
    if len(rec.keypoints) not in (0, n):
        raise ShapeError(f"rec.keypoints: expected one array per image ({n}), "
                         f"got {len(rec.keypoints)}")
    if np.shape(rec.points3d) != (p, 3) or np.shape(rec.colors) != (p, 3):
        raise ShapeError(f"rec.points3d / rec.colors: expected (P, 3) each, got "
                         f"{np.shape(rec.points3d)} and {np.shape(rec.colors)}")
    if len(rec.tracks) != p or len(rec.errors) not in (0, p):
        raise ShapeError(f"rec.tracks / rec.errors: expected one per point ({p}), got "
                         f"{len(rec.tracks)} and {len(rec.errors)}")
    for i in rec.poses:
        if not 0 <= i < n:
            raise ParameterError(f"rec.poses: image id {i} is not in 0..{n - 1}")
        if re.search(r"\s", rec.names[i]) or not rec.names[i]:
            raise ParameterError(f"rec.names[{i}] {rec.names[i]!r}: COLMAP's text format cannot "
                                 "hold an empty name or one with white space; rename the image")


def _point_refs(rec: Reconstruction) -> dict[int, np.ndarray]:
    """Registered image id -> ``(K,)`` int64 COLMAP point id (-1: none) of each keypoint."""
    refs = {i: np.full(len(rec.keypoints[i]) if rec.keypoints else 0, -1, np.int64)
            for i in rec.poses}
    for p, track in enumerate(rec.tracks):
        for img, kp in np.asarray(track, dtype=np.int64).reshape(-1, 2):
            if img not in refs or not 0 <= kp < len(refs[img]):
                raise ParameterError(f"rec.tracks[{p}]: observation (image {img}, keypoint {kp}) "
                                     "is not a keypoint of a registered image")
            refs[img][kp] = p + 1
    return refs


def _camera_lines(rec: Reconstruction) -> tuple[list[str], dict[int, int]]:
    """``cameras.txt`` data lines and image id -> COLMAP camera id (registered images)."""
    ids: dict[tuple[Camera, tuple[int, int]], int] = {}
    lines, of_image = [], {}
    for i in rec.registered:
        cam, (h, w) = rec.cameras[i], rec.image_sizes[i]
        key = (cam, (int(h), int(w)))
        if key not in ids:
            ids[key] = len(ids) + 1
            params = [cam.fx, cam.fy, cam.cx + 0.5, cam.cy + 0.5]
            model = "OPENCV" if cam.distorted else "PINHOLE"
            params += [cam.k1, cam.k2, 0.0, 0.0] if cam.distorted else []
            lines.append(f"{ids[key]} {model} {int(w)} {int(h)} "
                         + " ".join(map(_num, params)))
        of_image[i] = ids[key]
    return lines, of_image


def write_colmap_text(rec: Reconstruction, folder: str | Path) -> Path:
    """Write ``rec`` as COLMAP's text model: ``cameras.txt``, ``images.txt``, ``points3D.txt``.

    Each file is written atomically (with the user's umask); the folder is created. Only the
    registered images are written; each gets every keypoint on its ``POINTS2D`` line (``X Y``
    in COLMAP pixels, i.e. oculi's + 0.5, and the 1-based point id or ``-1``).

    Args:
        rec: the model (``keypoints`` may be empty when there are no tracks).
        folder: output folder.

    Returns:
        The folder.

    Raises:
        ShapeError: ``rec``'s per-image or per-point fields disagree in length.
        ParameterError: a track names an unregistered image or a missing keypoint, or an image
            name is empty or holds white space (COLMAP cannot read it back).
    """
    _check_model(rec)
    refs = _point_refs(rec)
    cam_lines, cam_of = _camera_lines(rec)
    images = []
    for i in rec.registered:
        r, t = (np.asarray(a, dtype=np.float64) for a in rec.poses[i])
        q = Rotation.from_matrix(r).as_quat(scalar_first=True)
        q = -q if q[0] < 0 else q
        images.append(f"{i + 1} " + " ".join(map(_num, [*q, *t.reshape(3)]))
                      + f" {cam_of[i]} {rec.names[i]}")
        kps = np.asarray(rec.keypoints[i], dtype=np.float64).reshape(-1, 2) + 0.5 \
            if rec.keypoints else np.zeros((0, 2))
        images.append(" ".join(f"{_num(x)} {_num(y)} {pid}"
                               for (x, y), pid in zip(kps, refs[i], strict=True)))
    points = []
    errors = np.asarray(rec.errors, dtype=np.float64) if len(rec.errors) else \
        np.full(len(rec.points3d), np.nan)
    colors = np.asarray(rec.colors).astype(np.int64)
    for p, (xyz, rgb, err, track) in enumerate(zip(rec.points3d, colors, errors, rec.tracks,
                                                    strict=True)):
        obs = np.asarray(track, dtype=np.int64).reshape(-1, 2) + np.array([1, 0])
        points.append(f"{p + 1} " + " ".join(map(_num, xyz)) + " " + " ".join(map(str, rgb))
                      + f" {_num(err) if np.isfinite(err) else '-1'} "
                      + " ".join(map(str, obs.ravel())))
    out = Path(folder)
    mean_obs = sum(len(t) for t in rec.tracks) / max(len(rec.poses), 1)
    write_text_atomic(out / "cameras.txt", _CAMERAS_HEAD + f"# Number of cameras: "
                      f"{len(cam_lines)}\n" + "".join(ln + "\n" for ln in cam_lines))
    write_text_atomic(out / "images.txt", _IMAGES_HEAD + f"# Number of images: {len(rec.poses)},"
                      f" mean observations per image: {mean_obs:g}\n"
                      + "".join(ln + "\n" for ln in images))
    write_text_atomic(out / "points3D.txt", _POINTS_HEAD + f"# Number of points: {len(points)}, "
                      f"mean track length: {rec.mean_track_length():g}\n"
                      + "".join(ln + "\n" for ln in points))
    return out


# -- reading ---------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as err:
        raise DataError(f"{path}: no such file (a COLMAP text model has cameras.txt, images.txt "
                        "and points3D.txt)") from err
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read it as text ({err})") from err


def _bad(path: Path, no: int, line: str, what: str) -> DataError:
    return DataError(f"{path}: line {no}: {what} (got {line.strip()[:60]!r})")


def _check_count(path: Path, lines: list[str], label: str, found: int) -> None:
    """DataError when the header comment ``# Number of <label>: N`` disagrees with ``found``."""
    for line in lines:
        m = re.match(rf"#\s*Number of {label}:\s*(\d+)", line)
        if m and int(m.group(1)) != found:
            raise DataError(f"{path}: the header says {m.group(1)} {label}, the file has {found} "
                            "(truncated?)")


def _data(lines: list[str]) -> list[tuple[int, str]]:
    return [(no, ln) for no, ln in enumerate(lines, 1) if ln.strip() and not ln.startswith("#")]


def _read_cameras(path: Path) -> dict[int, tuple[Camera, tuple[int, int]]]:
    lines = _lines(path)
    cams: dict[int, tuple[Camera, tuple[int, int]]] = {}
    for no, line in _data(lines):
        tok = line.split()
        if len(tok) < 4:
            raise _bad(path, no, line, "expected CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]")
        if tok[1] not in COLMAP_MODELS:
            raise _bad(path, no, line, f"camera model {tok[1]} is not one oculi's Camera "
                       f"holds ({', '.join(COLMAP_MODELS)}); undistort the images with COLMAP's "
                       "image_undistorter first")
        count, convert, ok = COLMAP_MODELS[tok[1]]
        try:
            cid, w, h = int(tok[0]), int(tok[2]), int(tok[3])
            params = [float(v) for v in tok[4:]]
        except ValueError:
            raise _bad(path, no, line, "expected integer id and size, numeric parameters") from None
        if len(params) != count:
            raise _bad(path, no, line, f"{tok[1]} has {count} parameters, found {len(params)}")
        if ok is not None and not ok(params):
            raise _bad(path, no, line, f"{tok[1]} with tangential distortion (p1, p2) is not an "
                       "oculi Camera")
        fx, fy, cx, cy, k1, k2 = convert(params)
        try:
            cams[cid] = (Camera(fx, fy, cx - 0.5, cy - 0.5, k1, k2), (h, w))
        except ParameterError as err:
            raise _bad(path, no, line, str(err)) from None
    _check_count(path, lines, "cameras", len(cams))
    return cams


class _Image(NamedTuple):
    colmap_id: int
    name: str
    camera_id: int
    R: np.ndarray  # (3, 3) world-to-camera
    t: np.ndarray  # (3,)
    keypoints: np.ndarray  # (K, 2) oculi pixels
    point_ids: np.ndarray  # (K,) COLMAP point ids, -1 none
    line: int  # of the POINTS2D line


def _read_images(path: Path, cams: dict[int, tuple[Camera, tuple[int, int]]]) -> list[_Image]:
    """The images of ``images.txt``, sorted by COLMAP id."""
    lines = _lines(path)
    out, no = [], 0
    while no < len(lines):
        line = lines[no]
        no += 1
        if not line.strip() or line.startswith("#"):
            continue
        tok = line.split(maxsplit=9)
        try:
            iid, cid, pose = int(tok[0]), int(tok[8]), np.array(tok[1:8], dtype=np.float64)
            name = tok[9].strip()
        except (ValueError, IndexError):
            raise _bad(path, no, line, "expected IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME") \
                from None
        if cid not in cams:
            raise _bad(path, no, line, f"camera {cid} is not in cameras.txt")
        if not np.linalg.norm(pose[:4]) > 0:
            raise _bad(path, no, line, "the quaternion is zero")
        r = Rotation.from_quat(pose[:4], scalar_first=True).as_matrix()
        pts = lines[no] if no < len(lines) else ""  # the POINTS2D line follows, even when empty
        no += 1
        try:
            xyp = np.array(pts.split(), dtype=np.float64).reshape(-1, 3)
        except ValueError:
            raise _bad(path, no, pts, "expected POINTS2D[] as X Y POINT3D_ID triples") from None
        out.append(_Image(iid, name, cid, r, pose[4:], xyp[:, :2] - 0.5,
                          xyp[:, 2].astype(np.int64), no))
    _check_count(path, lines, "images", len(out))
    if len({o.colmap_id for o in out}) != len(out):
        raise DataError(f"{path}: an IMAGE_ID is used twice")
    return sorted(out, key=lambda o: o.colmap_id)


def _read_points(path: Path, image_of: dict[int, int], sizes: list[int]) -> tuple:
    """``(ids, xyz (P, 3), rgb (P, 3) uint8, errors (P,), tracks)`` with oculi image ids."""
    lines = _lines(path)
    ids, xyz, rgb, err, tracks = [], [], [], [], []
    for no, line in _data(lines):
        tok = line.split()
        if len(tok) < 8 or (len(tok) - 8) % 2:
            raise _bad(path, no, line, "expected POINT3D_ID X Y Z R G B ERROR and "
                       "(IMAGE_ID, POINT2D_IDX) pairs")
        try:
            ids.append(int(tok[0]))
            xyz.append([float(v) for v in tok[1:4]])
            rgb.append([int(v) for v in tok[4:7]])
            err.append(float(tok[7]))
            obs = np.array(tok[8:], dtype=np.int64).reshape(-1, 2)
        except ValueError:
            raise _bad(path, no, line, "a field is not a number") from None
        for img, kp in obs:
            if img not in image_of:
                raise _bad(path, no, line, f"image {img} is not in images.txt")
            if not 0 <= kp < sizes[image_of[img]]:
                raise _bad(path, no, line, f"image {img} has no point2D {kp}")
        obs[:, 0] = [image_of[int(i)] for i in obs[:, 0]]
        tracks.append(obs)
    _check_count(path, lines, "points", len(ids))
    errors = np.array(err, dtype=np.float64)
    errors[errors < 0] = np.nan
    return (ids, np.array(xyz, dtype=np.float64).reshape(-1, 3),
            np.clip(np.array(rgb), 0, 255).astype(np.uint8).reshape(-1, 3), errors, tracks)


def read_colmap_text(folder: str | Path) -> Reconstruction:
    """Read a COLMAP text model (``cameras.txt``, ``images.txt``, ``points3D.txt``).

    Other files in the folder (COLMAP 3.12+'s ``rigs.txt``, ``frames.txt``) are ignored: the
    image lines already hold each camera's world-to-camera pose.

    Args:
        folder: the model folder.

    Returns:
        A :class:`Reconstruction` of the registered images, numbered ``0 .. n-1`` in COLMAP-id
        order; keypoints and principal points in oculi pixels (COLMAP's - 0.5); points in file
        order; ``errors`` NaN where COLMAP wrote ``-1``.

    Raises:
        DataError: a file is missing or unreadable, a line does not parse (the message names the
            file and line), a camera model is not an oculi :class:`Camera`, an id refers to
            nothing, or the header's counts disagree with the lines.
    """
    folder = Path(folder)
    cams = _read_cameras(folder / "cameras.txt")
    images = _read_images(folder / "images.txt", cams)
    image_of = {img.colmap_id: i for i, img in enumerate(images)}
    ids, xyz, rgb, errors, tracks = _read_points(folder / "points3D.txt", image_of,
                                                 [len(img.keypoints) for img in images])
    known = set(ids)
    for img in images:
        missing = sorted(set(img.point_ids[img.point_ids >= 0].tolist()) - known)
        if missing:
            raise DataError(f"{folder / 'images.txt'}: line {img.line}: image {img.colmap_id} "
                            f"refers to point {missing[0]}, which is not in points3D.txt")
    return Reconstruction(
        names=[img.name for img in images],
        cameras=[cams[img.camera_id][0] for img in images],
        image_sizes=[cams[img.camera_id][1] for img in images],
        poses={i: (img.R, img.t.copy()) for i, img in enumerate(images)},
        keypoints=[img.keypoints for img in images],
        points3d=xyz, colors=rgb, tracks=tracks, errors=errors,
    )
