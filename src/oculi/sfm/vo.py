"""Monocular visual odometry: KLT tracks, essential matrix per keyframe pair, metric scale from
the camera height above the road.

Pipeline (:func:`visual_odometry`):

1. Corners (Shi-Tomasi, spread over a grid of cells) are tracked frame to frame with pyramidal
   Lucas-Kanade; a track is kept when tracking back lands within ``fb_threshold`` px of its start.
2. A new keyframe is taken when the median displacement since the last keyframe reaches
   ``min_parallax`` px (or the tracks run low). Its relative pose comes from an essential matrix
   (MAGSAC) and the cheirality check; a homography that explains the motion as a pure rotation
   turns the step into a rotation-only update (reported per frame).
3. Scale per keyframe pair: ``"height"`` finds the road plane below the principal point and sets
   the translation so that the camera is ``camera_height`` metres above it. The default
   (``road_method="homography"``) fits the plane's homography ``H = R + t nᵀ / h`` to the road
   correspondences with ``R`` and the unit ``t`` known (3 unknowns ``n / h``, linear per point;
   RANSAC on 3-point samples with the normal within 20 degrees of the down axis, inliers by
   transfer error in pixels, least-squares refits): errors are measured in the image, where the
   noise is. ``road_method="plane"`` triangulates the inliers and fits a 3-D plane (RANSAC).
   On KITTI excerpt 1 (per-step heights with the true step lengths): plane median 1.54 m,
   spread 0.16 m; homography 1.74 m, spread 0.13 m, for the true 1.65 m; KITTI translational
   error over 5-50 m: 8.5 % (plane), 4.7 % (homography). On the low-resolution synthetic drive of
   the tests (384x192 px, about 40 road corners per step) the order flips: 3.2 % against 10.3 %.
   Two-view road estimates are noisy either way; the median over ``scale_window`` steps tames
   them;
   ``"gt"`` takes the length of the true relative translation (evaluation only: it reads the
   answer); ``"unit"`` leaves every keyframe step of length 1.
4. Frames between keyframes are interpolated (slerp of the rotation, linear position).

The essential matrix and pose recovery are oculi's (:mod:`oculi.sfm.twoview`) by default, or
OpenCV's (``cv2.findEssentialMat`` with ``USAC_MAGSAC``, ``cv2.recoverPose``) with
``VOConfig(solvers="opencv")``; triangulation for the road plane (``cv2.triangulatePoints``) and
the rotation-only test (``cv2.findHomography``) are OpenCV's. Each solver sits behind one private
function below.

Poses are ``(N, 4, 4)`` float64 camera-to-world matrices in the first camera's frame (x right,
y down, z forward), like KITTI's ``poses.txt``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from oculi.core.errors import DataError, ParameterError, ShapeError

__all__ = ["VOConfig", "VOResult", "visual_odometry"]

Frame = np.ndarray | str | Path


@dataclass
class VOConfig:
    """Settings of :func:`visual_odometry`.

    Attributes:
        max_features: Corners kept per keyframe (tracked + new).
        grid: ``(rows, cols)`` cells over which new corners are spread.
        min_distance: Minimum distance between corners, px.
        fb_threshold: Forward-backward tracking error above which a track is dropped, px.
        min_parallax: Median track displacement since the keyframe that makes a new keyframe, px.
        min_tracks: Fewer surviving tracks than this fail the frame (pose held, chain restarts).
        redetect_below: Fewer tracks than this force a keyframe (and new corners).
        ransac_threshold: Epipolar inlier threshold, px.
        rotation_only_px: Median homography residual (px) under which a step whose homography is
            a rotation counts as a pure rotation.
        road_margin: Road points lie this many px below the principal point.
        road_half_width: ... and at most this fraction of the image width left or right of it.
        scale_window: With ``scale="height"``, the speed (metres per frame) of a keyframe step is
            the median of the road-plane estimates of the last ``scale_window`` steps (the
            vehicle's speed changes slowly; one step's road plane is noisy). 1 = no smoothing.
        road_method: ``"homography"`` (road-plane homography with known motion, pixels) or
            ``"plane"`` (3-D plane through triangulated road points).
        road_threshold: Transfer-error inlier threshold of the road homography, px. On KITTI
            excerpt 1, 1 / 2 px give a per-step height spread of 0.14 / 0.13 m (chosen by the
            smaller spread, a criterion that does not read the true height).
        solvers: ``"opencv"`` (``cv2.findEssentialMat`` USAC_MAGSAC + ``cv2.recoverPose``) or
            ``"oculi"`` (:func:`oculi.sfm.twoview.estimate_essential`, 7-point LO-MSAC with a
            Sampson polish, + :func:`oculi.sfm.twoview.recover_pose`).
    """

    max_features: int = 1500
    grid: tuple[int, int] = (4, 8)
    min_distance: int = 8
    fb_threshold: float = 1.0
    min_parallax: float = 8.0
    min_tracks: int = 30
    redetect_below: int = 400
    ransac_threshold: float = 0.75
    rotation_only_px: float = 0.5
    road_margin: float = 20.0
    road_half_width: float = 0.167
    scale_window: int = 5
    road_method: str = "homography"
    road_threshold: float = 2.0
    solvers: str = "oculi"


@dataclass
class VOResult:
    """Output of :func:`visual_odometry`.

    Attributes:
        poses: ``(N, 4, 4)`` float64 camera-to-world poses, one per frame (metres with
            ``scale="height"``/``"gt"``, keyframe steps of 1 with ``"unit"``).
        ok: ``(N,)`` bool, False where the pose is held after a failure.
        keyframes: Indices of the keyframes.
        notes: ``{frame: message}`` for failed or special frames (rotation-only, scale
            fallback, too few tracks).
        scale: The scale mode used.
        tracks: ``(N,)`` int surviving tracks per frame.
        seconds: Wall time of the run (reading included).
    """

    poses: np.ndarray
    ok: np.ndarray
    keyframes: list[int]
    notes: dict[int, str] = field(default_factory=dict)
    scale: str = "height"
    tracks: np.ndarray | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (poses as nested lists)."""
        return {"poses": self.poses.tolist(), "ok": self.ok.tolist(), "keyframes": self.keyframes,
                "notes": {str(k): v for k, v in self.notes.items()}, "scale": self.scale,
                "seconds": self.seconds}


# --- solvers (OpenCV for now; one line each to swap) -------------------------------------------

def _essential(p0: np.ndarray, p1: np.ndarray, k: np.ndarray, thr: float, solvers: str):
    if solvers == "oculi":
        from oculi.sfm.camera import Camera
        from oculi.sfm.twoview import estimate_essential

        # KITTI's wide field of view suits the 7-point LO-MSAC (measured: 8.5 % vs 10.2 %);
        # narrow fields of view need the 5-point path (docs/sfm.md)
        est = estimate_essential(p0, p1, Camera.from_matrix(k), threshold=thr, method="7pt")
        return est.model, est.inliers
    return cv2.findEssentialMat(p0, p1, k, method=cv2.USAC_MAGSAC, prob=0.999, threshold=thr)


def _recover_pose(e: np.ndarray, p0: np.ndarray, p1: np.ndarray, k: np.ndarray, mask,
                  solvers: str):
    if solvers == "oculi":
        from oculi.sfm.camera import Camera
        from oculi.sfm.twoview import recover_pose

        rel = recover_pose(e, p0, p1, Camera.from_matrix(k), mask=np.asarray(mask).reshape(-1) > 0)
        return rel.R, rel.t, rel.inliers
    _, r, t, mask = cv2.recoverPose(e, p0, p1, k, mask=mask)
    return r, t.reshape(3), mask.reshape(-1) > 0


def _triangulate(k: np.ndarray, r: np.ndarray, t: np.ndarray, p0: np.ndarray, p1: np.ndarray):
    x = cv2.triangulatePoints(k @ np.eye(3, 4), k @ np.column_stack([r, t]), p0.T, p1.T)
    return (x[:3] / x[3]).T


def _homography(p0: np.ndarray, p1: np.ndarray, thr: float):
    return cv2.findHomography(p0, p1, cv2.RANSAC, thr)


# --- tracking -----------------------------------------------------------------------------------

def _gray(frame: Frame, index: int) -> np.ndarray:
    from oculi.core.convert import to_gray

    if isinstance(frame, (str, Path)):
        from oculi.io import read_image

        return read_image(frame, mode="gray")
    img = np.asarray(frame)
    if img.ndim == 3:
        img = to_gray(img, name=f"frames[{index}]")
    if img.ndim != 2:
        raise ShapeError(f"frames[{index}]: expected HxW or HxWx3, got {img.shape}")
    if img.dtype != np.uint8:
        from oculi.core.convert import ensure_uint8

        img = ensure_uint8(img, f"frames[{index}]")
    return img


def _detect(img: np.ndarray, existing: np.ndarray, cfg: VOConfig) -> np.ndarray:
    """New corners in grid cells, away from existing tracks; ``(M, 2)`` float32."""
    h, w = img.shape
    rows, cols = cfg.grid
    mask = np.full((h, w), 255, np.uint8)
    for x, y in existing.astype(int):
        cv2.circle(mask, (int(x), int(y)), cfg.min_distance, 0, -1)
    per_cell = max(1, (cfg.max_features - len(existing)) // (rows * cols))
    found = []
    for r in range(rows):
        for c in range(cols):
            y0, y1, x0, x1 = r * h // rows, (r + 1) * h // rows, c * w // cols, (c + 1) * w // cols
            pts = cv2.goodFeaturesToTrack(img[y0:y1, x0:x1], per_cell, 0.01, cfg.min_distance,
                                          mask=mask[y0:y1, x0:x1], blockSize=5)
            if pts is not None:
                found.append(pts.reshape(-1, 2) + np.array([x0, y0], np.float32))
    return np.concatenate(found).astype(np.float32) if found else np.zeros((0, 2), np.float32)


#: Pyramidal Lucas-Kanade settings of :func:`_track`.
_LK = {"winSize": (21, 21), "maxLevel": 3,
       "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)}


def _track(prev: np.ndarray, cur: np.ndarray, pts: np.ndarray, cfg: VOConfig):
    """KLT forward and backward; returns the new positions and the kept mask."""
    if not len(pts):
        return pts, np.zeros(0, bool)
    p0 = pts.reshape(-1, 1, 2).astype(np.float32)
    p1, st1, _ = cv2.calcOpticalFlowPyrLK(prev, cur, p0, None, **_LK)
    pb, st2, _ = cv2.calcOpticalFlowPyrLK(cur, prev, p1, None, **_LK)
    fb = np.linalg.norm((pb - p0).reshape(-1, 2), axis=1)
    h, w = cur.shape
    p1 = p1.reshape(-1, 2)
    inside = (p1[:, 0] >= 0) & (p1[:, 0] < w - 1) & (p1[:, 1] >= 0) & (p1[:, 1] < h - 1)
    keep = (st1.reshape(-1) == 1) & (st2.reshape(-1) == 1) & (fb < cfg.fb_threshold) & inside
    return p1, keep


# --- geometry of one keyframe step -------------------------------------------------------------

def _rotation_only(p0: np.ndarray, p1: np.ndarray, k: np.ndarray, cfg: VOConfig):
    """The rotation when a homography that is a pure rotation explains the motion, else None."""
    hmat, _ = _homography(p0, p1, 1.0)
    if hmat is None:
        return None
    m = np.linalg.inv(k) @ hmat @ k
    u, s, vt = np.linalg.svd(m)
    if s[0] / s[2] > 1.01:
        return None
    proj = cv2.perspectiveTransform(p0.reshape(-1, 1, 2).astype(np.float64), hmat).reshape(-1, 2)
    if np.median(np.linalg.norm(proj - p1, axis=1)) > cfg.rotation_only_px:
        return None
    r = u @ vt
    return r if np.linalg.det(r) > 0 else None


def road_height(points: np.ndarray, rng: np.random.Generator, iters: int = 300,
                max_tilt_deg: float = 20.0) -> float | None:
    """Distance from the camera centre to the dominant near-horizontal plane below it.

    Args:
        points: ``(N, 3)`` float points in the camera frame (y down), any scale.
        rng: Random generator for the RANSAC samples.
        iters: RANSAC iterations.
        max_tilt_deg: Largest angle between the plane normal and the camera's y axis.

    Returns:
        The height in the points' units, or None without a plane of at least 10 inliers.
    """
    pts = points[(points[:, 1] > 0) & (points[:, 2] > 0)]
    if len(pts) < 10:
        return None
    thr = 0.03 * float(np.median(pts[:, 1]))
    cos_max = np.cos(np.radians(max_tilt_deg))
    best, best_n = None, 0
    for _ in range(iters):
        a, b, c = pts[rng.choice(len(pts), 3, replace=False)]
        n = np.cross(b - a, c - a)
        norm = np.linalg.norm(n)
        if norm < 1e-12:
            continue
        n = n / norm * np.sign(n[1] or 1.0)
        if n[1] < cos_max:
            continue
        inl = np.abs(pts @ n - n @ a) < thr
        if inl.sum() > best_n:
            best, best_n = inl, int(inl.sum())
    if best is None or best_n < 10:
        return None
    q = pts[best]
    centre = q.mean(0)
    n = np.linalg.svd(q - centre)[2][2]
    n = n * np.sign(n[1] or 1.0)
    return float(n @ centre) if n[1] >= cos_max else None


def road_height_homography(p0: np.ndarray, p1: np.ndarray, k: np.ndarray, rotation: np.ndarray,
                           translation: np.ndarray, rng: np.random.Generator, *,
                           threshold: float = 1.0, iters: int = 200,
                           max_tilt_deg: float = 20.0, min_parallax: float = 0.0) -> float | None:
    """Camera height above the road plane, in units of ``|translation|``, from the plane's
    homography between two views of known relative motion.

    A road point ``X0`` (camera-0 frame, ``nᵀ X0 = h``) maps as ``x1 ~ (R + t mᵀ) x0`` with
    ``m = n / h``; per correspondence ``mᵀ x0 = s`` with
    ``s = -((x1 × R x0)·(x1 × t)) / |x1 × t|²`` (normalised homogeneous coordinates), linear in
    ``m``. RANSAC on 3-point samples (normal within ``max_tilt_deg`` of the camera's y axis),
    inliers by transfer error, three least-squares refits on the inliers, each equation weighted
    by ``|x1 × t|`` (the algebraic error; near the epipole ``s`` itself is ill-conditioned).

    Args:
        p0, p1: ``(N, 2)`` road-region pixels in views 0 and 1.
        k: ``(3, 3)`` intrinsics.
        rotation, translation: ``x1 = R x0 + t`` (``t`` of any length; the height is in its
            units).
        rng: random generator for the samples.
        threshold: transfer-error inlier threshold, pixels.
        iters: RANSAC samples.
        max_tilt_deg: largest angle between the plane normal and the y axis.

    Returns:
        ``h = 1 / |m|``, or None without a plane of at least 10 inliers.
    """
    if len(p0) < 10:
        return None
    ki = np.linalg.inv(k)
    x0 = np.column_stack([p0, np.ones(len(p0))]) @ ki.T
    x1 = np.column_stack([p1, np.ones(len(p1))]) @ ki.T
    a = x0 @ np.asarray(rotation).T
    t = np.asarray(translation, np.float64).reshape(3)
    c2 = np.cross(x1, t[None])
    w = np.linalg.norm(c2, axis=1)  # near the epipole s is ill-conditioned: weight by |x1 × t|
    s = -(np.cross(x1, a) * c2).sum(1) / (w * w).clip(1e-300)
    focal = 0.5 * (k[0, 0] + k[1, 1])

    def transfer(m: np.ndarray) -> np.ndarray:
        h = a + np.outer(x0 @ m, t)
        with np.errstate(divide="ignore", invalid="ignore"):
            err = np.linalg.norm(h[:, :2] / h[:, 2:3] - x1[:, :2], axis=1) * focal
        return np.where(np.isfinite(err), err, np.inf)

    keep = transfer(np.zeros(3)) >= min_parallax  # far points carry no height information
    if keep.sum() < 10:
        return None
    x0, x1, a, s, w = x0[keep], x1[keep], a[keep], s[keep], w[keep]
    cos_max = np.cos(np.radians(max_tilt_deg))
    best, best_n = None, 0
    for _ in range(iters):
        idx = rng.choice(len(x0), 3, replace=False)
        try:
            m = np.linalg.solve(x0[idx], s[idx])
        except np.linalg.LinAlgError:
            continue
        if m[1] <= 0 or m[1] < cos_max * np.linalg.norm(m):
            continue
        inl = transfer(m) < threshold
        if inl.sum() > best_n:
            best, best_n = inl, int(inl.sum())
    if best is None or best_n < 10:
        return None
    for _ in range(3):
        m = np.linalg.lstsq(x0[best] * w[best, None], s[best] * w[best], rcond=None)[0]
        new = transfer(m) < threshold
        if new.sum() < 10:
            break
        best = new
    norm = float(np.linalg.norm(m))
    return 1.0 / norm if m[1] >= cos_max * norm and norm > 0 else None


@dataclass
class _Step:
    rotation: np.ndarray
    translation: np.ndarray  # unit length, or zero for a pure rotation
    inliers: np.ndarray
    note: str = ""


def _relative_pose(p0: np.ndarray, p1: np.ndarray, k: np.ndarray, cfg: VOConfig) -> _Step | str:
    """Keyframe-to-frame motion (``x1 = R x0 + t``), or the reason it failed."""
    r = _rotation_only(p0, p1, k, cfg)
    if r is not None:
        return _Step(r, np.zeros(3), np.ones(len(p0), bool), "rotation only (no parallax)")
    from oculi.core.errors import NoMatchError

    try:
        e, mask = _essential(p0, p1, k, cfg.ransac_threshold, cfg.solvers)
        if e is None or e.shape != (3, 3):
            return "essential matrix: no solution"
        r, t, inl = _recover_pose(e, p0, p1, k, mask, cfg.solvers)
    except NoMatchError as err:
        return f"essential matrix: {err}"
    if inl.sum() < cfg.min_tracks // 2:
        return f"essential matrix: {int(inl.sum())} inliers pass the cheirality check"
    return _Step(r, t / np.linalg.norm(t), inl)


def _scale(step: _Step, p0, p1, k, mode: str, ctx: dict[str, Any]) -> tuple[float, str]:
    """Length of the step's translation (metres) and a note when it fell back."""
    if mode == "unit" or not step.translation.any():
        return 1.0, ""
    if mode == "gt":
        gt = ctx["gt"]
        rel = np.linalg.inv(gt[ctx["kf"]]) @ gt[ctx["frame"]]
        return float(np.linalg.norm(rel[:3, 3])), ""
    inl = step.inliers
    cfg = ctx["cfg"]
    region = (p0[inl, 1] > k[1, 2] + cfg.road_margin) & (
        np.abs(p0[inl, 0] - k[0, 2]) < ctx["width"] * cfg.road_half_width)
    if cfg.road_method == "homography":
        h = road_height_homography(p0[inl][region], p1[inl][region], k, step.rotation,
                                   step.translation, ctx["rng"], threshold=cfg.road_threshold)
    else:
        x = _triangulate(k, step.rotation, step.translation, p0[inl], p1[inl])
        h = road_height(x[region], ctx["rng"])
    frames = ctx["frame"] - ctx["kf"]
    speeds = ctx["speeds"]
    note = ""
    if h is None or h <= 0:
        note = "road plane not found: recent speed kept"
    else:
        speeds.append(ctx["camera_height"] / h / frames)
    if not speeds:
        return 1.0, "road plane not found yet: unit step"
    return float(np.median(speeds[-cfg.scale_window:])) * frames, note


# --- driver -------------------------------------------------------------------------------------

def _check_args(frames: Sequence[Frame], k: Any, scale: str, gt_poses: Any,
                cfg: VOConfig) -> np.ndarray:
    from oculi.core.checks import check_choice

    check_choice(scale, ("height", "gt", "unit"), "scale")
    check_choice(cfg.solvers, ("opencv", "oculi"), "config.solvers")
    check_choice(cfg.road_method, ("homography", "plane"), "config.road_method")
    k = np.asarray(k, dtype=np.float64)
    if k.shape != (3, 3):
        raise ShapeError(f"k: expected (3, 3) intrinsics, got {k.shape}")
    if len(frames) < 2:
        raise DataError(f"frames: need at least 2 frames, got {len(frames)}")
    if scale == "gt":
        if gt_poses is None:
            raise ParameterError("gt_poses: required with scale='gt'")
        if len(gt_poses) != len(frames):
            raise ShapeError(f"gt_poses: {len(gt_poses)} poses for {len(frames)} frames")
    return k


def _interpolate(poses: np.ndarray, keyframes: list[int]) -> None:
    from scipy.spatial.transform import Rotation, Slerp

    for a, b in itertools.pairwise(keyframes):
        if b - a < 2:
            continue
        slerp = Slerp([a, b], Rotation.from_matrix(poses[[a, b], :3, :3]))
        idx = np.arange(a + 1, b)
        f = ((idx - a) / (b - a))[:, None]
        poses[idx, :3, :3] = slerp(idx).as_matrix()
        poses[idx, :3, 3] = (1 - f) * poses[a, :3, 3] + f * poses[b, :3, 3]


def _hold(poses: np.ndarray, ok: np.ndarray, notes: dict[int, str], last_kf: int,
          stop: int) -> None:
    """Frames ``last_kf + 1 .. stop - 1`` keep the last keyframe's pose, flagged as failed."""
    for j in range(last_kf + 1, stop):
        poses[j], ok[j] = poses[last_kf], False
        notes.setdefault(j, "no keyframe since frame "
                            f"{last_kf} (too little parallax or a failed step): pose held")


def visual_odometry(
    frames: Sequence[Frame],
    k: Any,
    *,
    scale: str = "height",
    camera_height: float = 1.65,
    gt_poses: Any = None,
    config: VOConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
    seed: int = 0,
) -> VOResult:
    """Estimate the camera path of a monocular sequence.

    Args:
        frames: Images (HxW or HxWx3 uint8, or float in [0, 1]) or image paths, in order.
        k: ``(3, 3)`` intrinsics, pixels (no distortion).
        scale: ``"height"`` (metric, from ``camera_height`` above a road plane), ``"gt"``
            (length of each keyframe step from ``gt_poses``: for evaluation only) or ``"unit"``.
        camera_height: Height of the camera above the ground plane, metres (KITTI: 1.65).
        gt_poses: ``(N, 4, 4)`` ground-truth camera-to-world poses; needed for ``scale="gt"``.
        config: Tracking and keyframe settings (:class:`VOConfig`).
        progress: Called as ``progress(done, total)`` after every frame.
        seed: Seed of the road-plane RANSAC.

    Returns:
        :class:`VOResult` with one ``(4, 4)`` camera-to-world pose per frame; frames after a
        failure are flagged in ``ok`` and ``notes``.

    Raises:
        DataError: No keyframe with translation (a static camera or a pure rotation): the path
            is undefined.
    """
    cfg = config or VOConfig()
    k = _check_args(frames, k, scale, gt_poses, cfg)
    start = time.perf_counter()
    n = len(frames)
    poses = np.tile(np.eye(4), (n, 1, 1))
    ok = np.ones(n, bool)
    tracks = np.zeros(n, int)
    notes: dict[int, str] = {}
    prev = _gray(frames[0], 0)
    cur_pts = _detect(prev, np.zeros((0, 2), np.float32), cfg)
    kf_pts, kf = cur_pts.copy(), 0
    keyframes = [0]
    ctx: dict[str, Any] = {"gt": None if gt_poses is None else np.asarray(gt_poses, np.float64),
                           "cfg": cfg, "width": prev.shape[1], "camera_height": camera_height,
                           "rng": np.random.default_rng(seed), "speeds": []}
    translated = False
    tracks[0] = len(cur_pts)
    for i in range(1, n):
        img = _gray(frames[i], i)
        if img.shape != prev.shape:
            raise ShapeError(f"frames[{i}]: expected the size of frames[0], "
                             f"{prev.shape[1]}x{prev.shape[0]}, got {img.shape[1]}x{img.shape[0]}")
        cur_pts, keep = _track(prev, img, cur_pts, cfg)
        cur_pts, kf_pts = cur_pts[keep], kf_pts[keep]
        tracks[i] = len(cur_pts)
        if len(cur_pts) < cfg.min_tracks:
            notes[i] = f"too few tracks ({len(cur_pts)}): pose held, tracking restarted"
            _hold(poses, ok, notes, keyframes[-1], i + 1)
            keyframes.append(i)
            cur_pts = _detect(img, np.zeros((0, 2), np.float32), cfg)
            kf_pts, kf, prev = cur_pts.copy(), i, img
            if progress is not None:
                progress(i + 1, n)
            continue
        parallax = float(np.median(np.linalg.norm(cur_pts - kf_pts, axis=1)))
        want = parallax >= cfg.min_parallax or (
            (len(cur_pts) < cfg.redetect_below or i == n - 1) and parallax >= 1.0)
        if want:
            p0, p1 = kf_pts.astype(np.float64), cur_pts.astype(np.float64)
            step = _relative_pose(p0, p1, k, cfg)
            if isinstance(step, str):
                notes[i] = step
            else:
                ctx.update(kf=kf, frame=i)
                s, note = _scale(step, p0, p1, k, scale, ctx)
                rel = np.eye(4)
                rel[:3, :3], rel[:3, 3] = step.rotation, s * step.translation
                poses[i] = poses[kf] @ np.linalg.inv(rel)
                translated |= bool(step.translation.any())
                if step.note or note:
                    notes[i] = "; ".join(x for x in (step.note, note) if x)
                keyframes.append(i)
                cur_pts = np.concatenate([cur_pts, _detect(img, cur_pts, cfg)])
                kf_pts, kf = cur_pts.copy(), i
        prev = img
        if progress is not None:
            progress(i + 1, n)
    _hold(poses, ok, notes, keyframes[-1], n)
    _interpolate(poses, keyframes)
    if not translated:
        raise DataError("frames: no keyframe with translation (a static camera or a pure "
                        "rotation); the camera path is undefined for monocular odometry")
    return VOResult(poses, ok, keyframes, notes, scale, tracks, time.perf_counter() - start)
