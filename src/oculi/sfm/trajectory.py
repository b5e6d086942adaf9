"""Trajectory evaluation: Umeyama alignment, ATE, RPE and the KITTI odometry sequence errors.

Poses are ``(N, 4, 4)`` float64 camera-to-world matrices (metres); estimate and ground truth are
matched by index. ATE and RPE follow the TUM RGB-D benchmark definitions (and agree with ``evo``);
:func:`kitti_errors` follows the KITTI odometry devkit (``evaluate_odometry.cpp``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oculi.core.errors import DataError, ParameterError, ShapeError

__all__ = ["KITTI_LENGTHS", "SHORT_LENGTHS", "Alignment", "KittiErrors", "align_trajectory",
           "ate", "kitti_errors", "path_length", "rpe", "trajectory_errors", "umeyama"]

#: segment lengths of the KITTI devkit (metres)
KITTI_LENGTHS = (100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0)
#: segment lengths of the short variant, for sequences of tens of metres
SHORT_LENGTHS = (5.0, 10.0, 20.0, 30.0, 40.0, 50.0)


def _check_poses(poses: np.ndarray, name: str) -> np.ndarray:
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (4, 4):
        raise ShapeError(f"{name}: expected (N, 4, 4) poses, got {poses.shape}")
    if not np.isfinite(poses).all():
        raise DataError(f"{name}: poses contain NaN or inf (failed frames?)")
    return poses


def _check_pair(est: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    est, gt = _check_poses(est, "estimate"), _check_poses(gt, "ground truth")
    if len(est) != len(gt):
        raise ShapeError(f"estimate: {len(est)} poses, ground truth: {len(gt)}; they must match")
    return est, gt


@dataclass
class Alignment:
    """A similarity ``x -> scale * R @ x + t`` mapping estimate positions onto the reference.

    Attributes:
        rotation: ``(3, 3)`` float64.
        translation: ``(3,)`` float64, metres.
        scale: Scalar (1 for SE(3)).
    """

    rotation: np.ndarray
    translation: np.ndarray
    scale: float = 1.0

    def apply(self, poses: np.ndarray) -> np.ndarray:
        """Apply to ``(N, 4, 4)`` camera-to-world poses (rotations turned, positions mapped)."""
        out = np.array(poses, dtype=np.float64)
        out[:, :3, :3] = self.rotation @ out[:, :3, :3]
        out[:, :3, 3] = self.scale * out[:, :3, 3] @ self.rotation.T + self.translation
        return out


def umeyama(source: np.ndarray, target: np.ndarray, with_scale: bool = False) -> Alignment:
    """Least-squares similarity (Umeyama 1991) mapping ``source`` points onto ``target`` points.

    Args:
        source: ``(N, 3)`` float points.
        target: ``(N, 3)`` float points, same order.
        with_scale: Estimate a scale (Sim(3)); otherwise a rigid motion (SE(3)).

    Returns:
        The :class:`Alignment` minimising ``sum |target - (s R source + t)|^2``.

    Raises:
        DataError: Fewer than 3 points, or all source points equal (no defined rotation/scale).
    """
    x = np.asarray(source, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 2 or x.shape[1] != 3:
        raise ShapeError(f"source/target: expected two (N, 3) arrays, got {x.shape}, {y.shape}")
    if len(x) < 3:
        raise DataError(f"source: need at least 3 points to align, got {len(x)}")
    mx, my = x.mean(0), y.mean(0)
    xc, yc = x - mx, y - my
    var_x = (xc**2).sum() / len(x)
    if var_x < 1e-18:
        raise DataError("source: all positions are equal; the alignment is undefined")
    cov = yc.T @ xc / len(x)
    u, d, vt = np.linalg.svd(cov)
    s = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        s[2, 2] = -1
    r = u @ s @ vt
    c = float(np.trace(np.diag(d) @ s) / var_x) if with_scale else 1.0
    return Alignment(r, my - c * r @ mx, c)


def align_trajectory(est: np.ndarray, gt: np.ndarray, mode: str = "se3") -> np.ndarray:
    """Align an estimated trajectory to the ground truth by its positions.

    Args:
        est: ``(N, 4, 4)`` estimated camera-to-world poses.
        gt: ``(N, 4, 4)`` reference poses (metres).
        mode: ``"se3"`` (rotation + translation), ``"sim3"`` (with scale) or ``"none"``.

    Returns:
        ``(N, 4, 4)`` aligned estimate.
    """
    est, gt = _check_pair(est, gt)
    if mode == "none":
        return est
    if mode not in ("se3", "sim3"):
        raise ParameterError(f"mode: expected 'se3', 'sim3' or 'none', got {mode!r}")
    return umeyama(est[:, :3, 3], gt[:, :3, 3], with_scale=mode == "sim3").apply(est)


def ate(est: np.ndarray, gt: np.ndarray, align: str = "se3") -> float:
    """Absolute trajectory error: RMSE of the position error after alignment.

    Args:
        est: ``(N, 4, 4)`` estimated camera-to-world poses.
        gt: ``(N, 4, 4)`` ground-truth poses (metres).
        align: ``"se3"``, ``"sim3"`` or ``"none"`` (see :func:`align_trajectory`).

    Returns:
        RMSE in metres (ground-truth units).
    """
    aligned = align_trajectory(est, gt, align)
    err = np.linalg.norm(aligned[:, :3, 3] - np.asarray(gt)[:, :3, 3], axis=1)
    return float(np.sqrt((err**2).mean()))


def _angle_deg(r: np.ndarray) -> np.ndarray:
    cos = np.clip((np.trace(r, axis1=-2, axis2=-1) - 1) / 2, -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def rpe(est: np.ndarray, gt: np.ndarray, delta: int = 1) -> dict[str, float]:
    """Relative pose error over a frame delta (TUM definition, consecutive pairs like ``evo``).

    For pairs ``(i, i + delta)`` with ``i = 0, delta, 2 delta, ...`` the error is
    ``E = (Q_i^-1 Q_j)^-1 (P_i^-1 P_j)`` with ``Q`` the ground truth and ``P`` the estimate.

    Args:
        est: ``(N, 4, 4)`` estimated poses (same scale as ``gt``).
        gt: ``(N, 4, 4)`` ground-truth poses (metres).
        delta: Frame distance (>= 1).

    Returns:
        ``trans_rmse`` / ``trans_mean`` (metres) and ``rot_rmse`` / ``rot_mean`` (degrees) of
        ``E``, and ``pairs`` (count).
    """
    est, gt = _check_pair(est, gt)
    if delta < 1 or delta >= len(est):
        raise ParameterError(f"delta: expected 1..{len(est) - 1}, got {delta}")
    i = np.arange(0, len(est), delta)
    i, j = i[:-1], i[1:]
    q_rel = np.linalg.inv(gt[i]) @ gt[j]
    p_rel = np.linalg.inv(est[i]) @ est[j]
    e = np.linalg.inv(q_rel) @ p_rel
    t = np.linalg.norm(e[:, :3, 3], axis=1)
    a = _angle_deg(e[:, :3, :3])
    return {"trans_rmse": float(np.sqrt((t**2).mean())), "trans_mean": float(t.mean()),
            "rot_rmse": float(np.sqrt((a**2).mean())), "rot_mean": float(a.mean()),
            "pairs": len(i)}


def path_length(poses: np.ndarray) -> float:
    """Length of the camera path of ``(N, 4, 4)`` poses (sum of position steps, metres)."""
    p = _check_poses(poses, "poses")[:, :3, 3]
    return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum())


@dataclass
class KittiErrors:
    """KITTI odometry sequence errors.

    Attributes:
        translation_pct: Mean translational error over all segments, % of segment length.
        rotation_deg_per_100m: Mean rotational error, degrees per 100 m.
        segments: Number of evaluated segments.
        lengths: The segment lengths used (metres).
        per_length: ``{length: (translation_pct, rotation_deg_per_100m, count)}``.
    """

    translation_pct: float
    rotation_deg_per_100m: float
    segments: int
    lengths: tuple[float, ...]
    per_length: dict[float, tuple[float, float, int]] = field(default_factory=dict)


def kitti_errors(est: np.ndarray, gt: np.ndarray, lengths: tuple[float, ...] = KITTI_LENGTHS,
                 step: int = 10) -> KittiErrors:
    """The KITTI devkit's sequence errors over path segments.

    For every first frame ``f = 0, step, 2 step, ...`` and every length ``L``, the segment ends at
    the first frame whose ground-truth path distance exceeds ``dist[f] + L``; the error pose is
    ``(P_f^-1 P_l)^-1 (Q_f^-1 Q_l)``; its translation norm and rotation angle are divided by
    ``L``. Segments that run past the end are skipped. The devkit uses
    :data:`KITTI_LENGTHS` and ``step=10``; on short sequences pass :data:`SHORT_LENGTHS`.

    Args:
        est: ``(N, 4, 4)`` estimated poses (metric scale).
        gt: ``(N, 4, 4)`` ground-truth poses (metres).
        lengths: Segment lengths in metres.
        step: Frame step between segment starts (devkit: 10).

    Returns:
        :class:`KittiErrors`; the means are NaN when no segment fits.
    """
    est, gt = _check_pair(est, gt)
    if step < 1:
        raise ParameterError(f"step: expected >= 1, got {step}")
    dist = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(gt[:, :3, 3], axis=0),
                                                           axis=1))])
    per: dict[float, list[tuple[float, float]]] = {float(length): [] for length in lengths}
    for first in range(0, len(gt), step):
        for length in per:
            beyond = np.nonzero(dist[first:] > dist[first] + length)[0]
            if not len(beyond):
                continue
            last = first + int(beyond[0])
            d_gt = np.linalg.inv(gt[first]) @ gt[last]
            d_est = np.linalg.inv(est[first]) @ est[last]
            err = np.linalg.inv(d_est) @ d_gt
            t_err = float(np.linalg.norm(err[:3, 3]))
            r_err = float(np.radians(_angle_deg(err[:3, :3])))
            per[length].append((t_err / length, r_err / length))
    flat = [e for v in per.values() for e in v]
    if not flat:
        return KittiErrors(float("nan"), float("nan"), 0, tuple(per))
    arr = np.array(flat)
    per_length = {length: (100 * float(np.mean([e[0] for e in v])),
                           100 * float(np.degrees(np.mean([e[1] for e in v]))), len(v))
                  for length, v in per.items() if v}
    return KittiErrors(100 * float(arr[:, 0].mean()), 100 * float(np.degrees(arr[:, 1].mean())),
                       len(flat), tuple(per), per_length)


def trajectory_errors(est: np.ndarray, gt: np.ndarray,
                      short_lengths: tuple[float, ...] = SHORT_LENGTHS) -> dict[str, float]:
    """Every error of this module for one estimate, as a flat dict (for the CLI and benches).

    Args:
        est: ``(N, 4, 4)`` estimated camera-to-world poses (metric scale).
        gt: ``(N, 4, 4)`` ground-truth poses (metres).
        short_lengths: Segment lengths of the short KITTI variant (metres).

    Returns:
        ``path_m``, ``ate_se3_m``, ``ate_sim3_m``, ``ate_sim3_pct_path``, ``rpe_trans_m`` /
        ``rpe_rot_deg`` (delta 1 frame), ``kitti_t_pct`` / ``kitti_r_deg_100m`` (devkit segments
        100..800 m, NaN when the path is shorter) and ``kitti_short_t_pct`` /
        ``kitti_short_r_deg_100m`` (``short_lengths``, every frame a start).
    """
    length = path_length(gt)
    full = kitti_errors(est, gt)
    short = kitti_errors(est, gt, short_lengths, step=1)
    r = rpe(est, gt, 1)
    sim3 = ate(est, gt, "sim3")
    return {"path_m": length, "ate_se3_m": ate(est, gt, "se3"), "ate_sim3_m": sim3,
            "ate_sim3_pct_path": 100 * sim3 / length, "rpe_trans_m": r["trans_rmse"],
            "rpe_rot_deg": r["rot_rmse"], "kitti_t_pct": full.translation_pct,
            "kitti_r_deg_100m": full.rotation_deg_per_100m,
            "kitti_short_t_pct": short.translation_pct,
            "kitti_short_r_deg_100m": short.rotation_deg_per_100m}
