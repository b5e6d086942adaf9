"""Scores of a plane track against ground truth: corner error, jitter, drift, mask IoU, speed.

Corner error of a frame is the mean distance (pixels) between the four tracked corners and the
true ones (``H_true`` applied to the canvas corners). A frame the tracker marks not visible, or
whose track is missing, counts as NaN in the per-frame errors and is reported separately
(``lost``), so a tracker cannot hide a failure by declaring the plane gone while it is in view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oculi.core.errors import ShapeError
from oculi.place.harness import project_corners


def _tracked_corners(tracks: Sequence[Any]) -> np.ndarray:
    """``(N, 4, 2)`` corners of the tracks, NaN where a track is None or not visible."""
    out = np.full((len(tracks), 4, 2), np.nan)
    for i, t in enumerate(tracks):
        if t is not None and t.visible:
            out[i] = t.corners
    return out


def corner_errors(tracks: Sequence[Any], H_true: np.ndarray,
                  canvas_size: tuple[int, int]) -> np.ndarray:
    """Per-frame mean corner distance in pixels.

    Args:
        tracks: N :class:`~oculi.place.planar.PlaneTrack` (``corners (4, 2)``, ``visible``).
        H_true: ``(N, 3, 3)`` true canvas -> frame homographies.
        canvas_size: ``(h_ref, w_ref)``.

    Returns:
        ``(N,)`` float64, NaN where the track is not visible.
    """
    est = _tracked_corners(tracks)
    true = project_corners(H_true, canvas_size)
    if est.shape != true.shape:
        raise ShapeError(f"tracks: expected {len(true)} tracks (one per frame of H_true), "
                         f"got {len(est)}")
    return np.linalg.norm(est - true, axis=2).mean(axis=1)


def error_summary(errors: np.ndarray) -> dict[str, float]:
    """Mean, median, 95th percentile and max of per-frame errors (NaN frames left out),
    and ``lost``, the fraction of NaN frames."""
    e = np.asarray(errors, np.float64)
    ok = e[np.isfinite(e)]
    if not len(ok):
        return {"mean": float("nan"), "median": float("nan"), "p95": float("nan"),
                "max": float("nan"), "lost": 1.0}
    return {"mean": float(ok.mean()), "median": float(np.median(ok)),
            "p95": float(np.percentile(ok, 95)), "max": float(ok.max()),
            "lost": float(1 - len(ok) / len(e))}


def jitter(tracks: Sequence[Any], H_true: np.ndarray, canvas_size: tuple[int, int]) -> float:
    """RMS corner-acceleration error in pixels/frame^2.

    The acceleration of each corner is its second difference over frames ``i-1, i, i+1``; the
    error is that of the track minus that of the truth, so real shake in the truth is no jitter
    but a tracker that smooths it away is. Triples with a frame not visible are left out.

    Returns:
        The RMS over corners and frames (NaN with no full triple).
    """
    est = _tracked_corners(tracks)
    true = project_corners(H_true, canvas_size)
    if len(est) < 3:
        return float("nan")
    acc = (est[2:] - 2 * est[1:-1] + est[:-2]) - (true[2:] - 2 * true[1:-1] + true[:-2])
    d = np.linalg.norm(acc, axis=2)
    d = d[np.isfinite(d)]
    return float(np.sqrt(np.mean(d**2))) if len(d) else float("nan")


def drift(errors: np.ndarray, *, last: int = 5) -> float:
    """Error after the run: the median corner error over the last ``last`` frames (pixels; NaN
    frames left out, NaN if all are)."""
    tail = np.asarray(errors, np.float64)[-int(last):]
    tail = tail[np.isfinite(tail)]
    return float(np.median(tail)) if len(tail) else float("nan")


def mask_iou(pred: np.ndarray, true: np.ndarray) -> float:
    """Intersection over union of two bool masks of one shape (``(H, W)`` or ``(N, H, W)``,
    pooled over all pixels); 1.0 when both are empty."""
    p, t = np.asarray(pred, bool), np.asarray(true, bool)
    if p.shape != t.shape:
        raise ShapeError(f"pred and true: expected one shape, got {p.shape} and {t.shape}")
    union = np.logical_or(p, t).sum()
    return 1.0 if union == 0 else float(np.logical_and(p, t).sum() / union)


def fps(n_frames: int, seconds: float) -> float:
    """Frames per second (inf for zero time)."""
    return float(n_frames / seconds) if seconds > 0 else float("inf")


def track_report(tracks: Sequence[Any], H_true: np.ndarray, canvas_size: tuple[int, int], *,
                 seconds: float | None = None) -> dict[str, float]:
    """Every score of one run: ``mean/median/p95/max`` corner error, ``lost`` fraction,
    ``drift``, ``jitter`` and ``fps`` (when ``seconds`` is given)."""
    errs = corner_errors(tracks, H_true, canvas_size)
    out = error_summary(errs)
    out["drift"] = drift(errs)
    out["jitter"] = jitter(tracks, H_true, canvas_size)
    if seconds is not None:
        out["fps"] = fps(len(tracks), seconds)
    return out
