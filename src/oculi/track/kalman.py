"""A constant-velocity Kalman filter for axis-aligned boxes, batched over tracks.

State per track: ``[cx, cy, w, h, vx, vy, vw, vh]`` — box centre, width and height in pixels and
their velocities in pixels per frame; the measurement is ``[cx, cy, w, h]``.

Why ``cx, cy, w, h`` and not SORT's ``[cx, cy, s, r]`` (area, fixed aspect ratio):

* the noise is scale-aware: every standard deviation is a fraction of the box's own width or
  height, so a 30-pixel and a 300-pixel pedestrian get the same relative uncertainty (SORT's fixed
  pixel noise is too loose for small boxes and too tight for large ones);
* the measurement is linear in the box (no ``sqrt(s * r)`` round trip, no negative-area fix-up)
  and width and height move independently, so a person turning sideways changes aspect ratio.

All methods take stacks of ``K`` tracks (``mean (K, 8)``, ``covariance (K, 8, 8)``) so a tracker
predicts and corrects every track with a handful of matrix products.

    >>> import numpy as np
    >>> kf = BoxKalmanFilter()
    >>> mean, cov = kf.initiate(np.array([[10.0, 20.0, 30.0, 60.0]]))
    >>> for step in range(1, 11):              # the box moves 4 px right per frame
    ...     mean, cov = kf.predict(mean, cov)
    ...     mean, cov = kf.update(mean, cov, np.array([[10.0 + 4 * step, 20, 30 + 4 * step, 60]]))
    >>> bool(abs(mean[0, 4] - 4.0) < 0.5)      # after 10 frames it has learnt vx ~ 4 px/frame
    True
"""

from __future__ import annotations

import numpy as np

from oculi.core.errors import ParameterError, ShapeError

__all__ = ["BoxKalmanFilter", "cxcywh_to_xyxy", "xyxy_to_cxcywh"]


def xyxy_to_cxcywh(boxes: np.ndarray) -> np.ndarray:
    """``(N, 4)`` ``x0, y0, x1, y1`` pixels -> ``(N, 4)`` float64 ``cx, cy, w, h``."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    wh = b[:, 2:] - b[:, :2]
    return np.concatenate([b[:, :2] + wh / 2, wh], axis=1)


def cxcywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """``(N, 4)`` ``cx, cy, w, h`` pixels -> ``(N, 4)`` float64 ``x0, y0, x1, y1``."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    half = b[:, 2:] / 2
    return np.concatenate([b[:, :2] - half, b[:, :2] + half], axis=1)


class BoxKalmanFilter:
    """Constant-velocity Kalman filter on ``[cx, cy, w, h]`` with size-proportional noise.

    Every standard deviation is a fraction of the box size: ``cx`` and ``w`` scale with the
    width, ``cy`` and ``h`` with the height.

    Args:
        std_position: position/size noise per frame, as a fraction of the box size (process
            and measurement noise of ``cx, cy, w, h``; the initial position uncertainty is
            twice this).
        std_velocity: velocity noise per frame, as a fraction of the box size (the initial
            velocity uncertainty is ten times this: a new track's velocity is unknown).
        dt: frames per step (1: one prediction per frame).

    Raises:
        ParameterError: a non-positive noise or step.
    """

    ndim = 4

    def __init__(self, std_position: float = 1 / 20, std_velocity: float = 1 / 160,
                 dt: float = 1.0) -> None:
        for name, value in (("std_position", std_position), ("std_velocity", std_velocity),
                            ("dt", dt)):
            if not value > 0:
                raise ParameterError(f"{name}: expected a number > 0, got {value!r}")
        self.std_position = float(std_position)
        self.std_velocity = float(std_velocity)
        self.motion = np.eye(8)
        self.motion[:4, 4:] = dt * np.eye(4)

    @staticmethod
    def _scale(size: np.ndarray) -> np.ndarray:
        """``(K, 2)`` ``w, h`` -> ``(K, 4)`` ``w, h, w, h`` (each state term's own scale)."""
        size = np.maximum(size, 1e-3)
        return np.concatenate([size, size], axis=1)

    def initiate(self, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start tracks at boxes, with zero velocity.

        Args:
            boxes: ``(K, 4)`` ``xyxy`` pixels.

        Returns:
            ``mean (K, 8)`` and ``covariance (K, 8, 8)``, float64.
        """
        z = xyxy_to_cxcywh(_check_boxes(boxes, "boxes"))
        mean = np.concatenate([z, np.zeros_like(z)], axis=1)
        scale = self._scale(z[:, 2:])
        std = np.concatenate([2 * self.std_position * scale, 10 * self.std_velocity * scale],
                             axis=1)
        return mean, _diag(std**2)

    def predict(self, mean: np.ndarray, covariance: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
        """One step of the motion model: ``x' = F x``, ``P' = F P Fᵀ + Q``.

        A width or height that would shrink to zero or below keeps its current value (its
        velocity is set to zero).

        Args:
            mean: ``(K, 8)`` states.
            covariance: ``(K, 8, 8)`` covariances.

        Returns:
            The predicted ``mean (K, 8)`` and ``covariance (K, 8, 8)`` (new arrays).
        """
        mean = np.array(mean, dtype=np.float64).reshape(-1, 8)
        shrink = mean[:, 2:4] + mean[:, 6:8] <= 1e-3
        mean[:, 6:8][shrink] = 0.0
        scale = self._scale(mean[:, 2:4])
        std = np.concatenate([self.std_position * scale, self.std_velocity * scale], axis=1)
        mean = mean @ self.motion.T
        covariance = self.motion @ covariance @ self.motion.T + _diag(std**2)
        return mean, covariance

    def project(self, mean: np.ndarray, covariance: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
        """The predicted measurement ``H x`` and its covariance ``H P Hᵀ + R``.

        Returns:
            ``(K, 4)`` ``cx, cy, w, h`` and ``(K, 4, 4)``.
        """
        scale = self._scale(mean[:, 2:4])
        noise = _diag((self.std_position * scale) ** 2)
        return mean[:, :4].copy(), covariance[:, :4, :4] + noise

    def update(self, mean: np.ndarray, covariance: np.ndarray, boxes: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """Correct each track with its own measured box.

        Args:
            mean: ``(K, 8)`` predicted states.
            covariance: ``(K, 8, 8)`` predicted covariances.
            boxes: ``(K, 4)`` ``xyxy`` pixels, row ``k`` measures track ``k``.

        Returns:
            The corrected ``mean (K, 8)`` and ``covariance (K, 8, 8)``.

        Raises:
            ShapeError: ``boxes`` is not ``(K, 4)``.
        """
        z = xyxy_to_cxcywh(_check_boxes(boxes, "boxes"))
        if len(z) != len(mean):
            raise ShapeError(f"boxes: expected one box per track ({len(mean)}), got {len(z)}")
        projected, s = self.project(mean, covariance)
        # gain K = P Hᵀ S⁻¹, solved rather than inverted (S is symmetric positive definite)
        gain = np.linalg.solve(s, covariance[:, :4, :]).transpose(0, 2, 1)
        innovation = z - projected
        mean = mean + np.einsum("kij,kj->ki", gain, innovation)
        covariance = covariance - gain @ s @ gain.transpose(0, 2, 1)
        covariance = (covariance + covariance.transpose(0, 2, 1)) / 2
        return mean, covariance

    @staticmethod
    def boxes(mean: np.ndarray) -> np.ndarray:
        """The ``(K, 4)`` ``xyxy`` boxes of states ``mean (K, 8)``."""
        return cxcywh_to_xyxy(np.asarray(mean)[:, :4])


def _diag(values: np.ndarray) -> np.ndarray:
    """``(K, n)`` -> ``(K, n, n)`` diagonal matrices."""
    out = np.zeros((*values.shape, values.shape[-1]))
    idx = np.arange(values.shape[-1])
    out[:, idx, idx] = values
    return out


def _check_boxes(boxes: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ShapeError(f"{name}: expected (N, 4) xyxy boxes, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ParameterError(f"{name}: boxes must be finite (found NaN or inf)")
    return arr
