"""A synthetic tracking sequence with exact ground truth.

A textured target (a patch of the ``astronaut`` sample: a face) moves over a real background
(``coffee``) along a smooth seeded path, while its scale and in-plane rotation change; during an
occlusion interval a textured pillar (``chelsea``'s fur) sweeps across it. The ground-truth box
is the axis-aligned box of the rotated target's corners (VOT's rule), and the corners themselves,
the centre, scale, angle and visible fraction of every frame are returned too.

    >>> seq = synthetic_sequence(8, size=(120, 160), seed=1)
    >>> len(seq), seq.read(0).shape, seq.boxes.shape
    (8, (120, 160, 3), (8, 4))
"""

from __future__ import annotations

import math

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError
from oculi.track.datasets import Sequence


def _target_patch(height: int, width: int) -> np.ndarray:
    import cv2

    from oculi.data import load

    face = load("astronaut", mode="rgb")[30:230, 140:320]  # the face and helmet rim
    return cv2.resize(face, (width, height), interpolation=cv2.INTER_AREA)


def _texture(name: str, height: int, width: int, crop: tuple[slice, slice] | None = None
             ) -> np.ndarray:
    import cv2

    from oculi.data import load

    img = load(name, mode="rgb")
    if crop is not None:
        img = img[crop]
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)


def _smooth(rng: np.random.Generator, n: int, cycles: float) -> np.ndarray:
    """(n,) a seeded smooth signal in [-1, 1]: a sine of ``cycles`` periods, random phase."""
    t = np.arange(n, dtype=np.float64)
    return np.sin(2 * math.pi * cycles * t / max(n, 1) + rng.uniform(0, 2 * math.pi))


def _path(rng: np.random.Generator, n: int, size: tuple[int, int], half_diag: float,
          speed: float) -> np.ndarray:
    """(n, 2) centres on a seeded Lissajous path inside the frame at about ``speed`` px/frame."""
    h, w = size
    ax, ay = max(w / 2 - half_diag - 4, 1.0), max(h / 2 - half_diag - 4, 1.0)
    t = np.arange(n, dtype=np.float64)
    phase = rng.uniform(0, 2 * math.pi, 2)
    wx = speed / ax * rng.uniform(0.7, 1.0)
    wy = speed / ay * rng.uniform(0.3, 0.6)
    return np.stack([(w - 1) / 2 + ax * np.sin(wx * t + phase[0]),
                     (h - 1) / 2 + ay * np.sin(wy * t + phase[1])], axis=1)


def _affine(centre: np.ndarray, scale: float, angle: float, patch_hw: tuple[int, int]
            ) -> np.ndarray:
    """2x3 matrix from patch pixels to frame pixels (counter-clockwise on screen, degrees)."""
    t = math.radians(angle)
    rot = scale * np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
    pc = np.array([(patch_hw[1] - 1) / 2, (patch_hw[0] - 1) / 2])
    return np.hstack([rot, (centre - rot @ pc)[:, None]])


def _corners(matrix: np.ndarray, patch_hw: tuple[int, int]) -> np.ndarray:
    """(8,) the target's outer corners in frame pixels (top-left, top-right, bottom-right,
    bottom-left of the patch), as VOT polygons; +0.5 puts them on the box convention."""
    ph, pw = patch_hw
    edges = np.array([[-0.5, -0.5], [pw - 0.5, -0.5], [pw - 0.5, ph - 0.5], [-0.5, ph - 0.5]])
    pts = edges @ matrix[:, :2].T + matrix[:, 2] + 0.5
    return pts.ravel()


def _check(n_frames: int, size: tuple[int, int], target_size: tuple[int, int],
           occlusion: tuple[int, int] | None, scale_range: tuple[float, float]) -> None:
    if n_frames < 2:
        raise ParameterError(f"n_frames: expected at least 2, got {n_frames}")
    if min(target_size) < 8 or min(size) < 2.5 * max(target_size):
        raise ParameterError(f"target_size: expected at least 8 pixels and at most 1/2.5 of the "
                             f"frame's shorter side, got {target_size} in a {size} frame")
    if not 0 < scale_range[0] <= scale_range[1] <= 2:
        raise ParameterError(f"scale_range: expected 0 < low <= high <= 2, got {scale_range}")
    if occlusion is not None and not 0 < occlusion[0] < occlusion[1] <= n_frames:
        raise ParameterError(f"occlusion: expected (start, stop) with 0 < start < stop <= "
                             f"{n_frames}, got {occlusion}")


def synthetic_sequence(
    n_frames: int = 60,
    *,
    size: tuple[int, int] = (240, 320),
    target_size: tuple[int, int] = (44, 40),
    speed: float = 2.5,
    scale_range: tuple[float, float] = (0.85, 1.25),
    max_rotation: float = 12.0,
    occlusion: tuple[int, int] | None = None,
    noise: float = 2.0,
    seed: int = 0,
) -> Sequence:
    """Render a sequence of a moving, scaling, rotating textured target with exact ground truth.

    Args:
        n_frames: number of frames.
        size: frame ``(height, width)``, pixels.
        target_size: the target's ``(height, width)`` at scale 1, pixels.
        speed: the target's typical speed, pixels per frame.
        scale_range: the target's smallest and largest scale over the sequence.
        max_rotation: the largest in-plane rotation, degrees (counter-clockwise on screen).
        occlusion: frames ``(start, stop)`` during which a pillar sweeps across the target
            (fully hiding it in the middle of the interval); None: no occlusion.
        noise: standard deviation of the Gaussian pixel noise, grey levels.
        seed: the random seed (path, phases, noise).

    Returns:
        A :class:`~oculi.track.datasets.Sequence` named ``"synthetic"`` with frames in memory
        (HxWx3 uint8 RGB), boxes (N, 4) float32 xyxy (the rotated target's bounding box),
        polygons (N, 8) (its corners) and ``meta`` holding per-frame ``centre`` (N, 2),
        ``scale`` (N,), ``angle`` (N,, degrees), ``visibility`` (N,, the visible fraction of
        the target, 0..1) and ``occlusion``.

    Raises:
        ParameterError: fewer than 2 frames, a target too small or too large for the frame, a
            bad scale range or occlusion interval.
    """
    import cv2

    _check(n_frames, size, target_size, occlusion, scale_range)
    check_positive(speed, "speed", allow_zero=True)
    rng = np.random.default_rng(seed)
    h, w = size
    patch = _target_patch(*target_size)
    background = _texture("coffee", h, w)
    lo, hi = scale_range
    scales = lo + (hi - lo) * (_smooth(rng, n_frames, 0.75) + 1) / 2
    angles = max_rotation * _smooth(rng, n_frames, 1.0)
    half_diag = hi * math.hypot(*target_size) / 2
    centres = _path(rng, n_frames, size, half_diag, speed)
    pillar = _texture("chelsea", h, w, (slice(40, 260), slice(180, 300)))
    ones = np.ones(target_size, np.float32)
    frames, polygons, visibility = [], [], np.ones(n_frames)
    for i in range(n_frames):
        m = _affine(centres[i], scales[i], angles[i], target_size)
        fg = cv2.warpAffine(patch, m, (w, h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REFLECT)
        alpha = cv2.warpAffine(ones, m, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)[..., None]
        frame = background * (1 - alpha) + fg * alpha
        poly = _corners(m, target_size)
        if occlusion is not None and occlusion[0] <= i < occlusion[1]:
            cols = _pillar_columns(i, occlusion, poly, w)
            covered = alpha[:, cols[0]:cols[1]].sum() / max(alpha.sum(), 1e-9)
            visibility[i] = 1.0 - float(covered)
            frame[:, cols[0]:cols[1]] = pillar[:, cols[0]:cols[1]]
        frame = frame + rng.normal(0.0, noise, frame.shape) if noise > 0 else frame
        frames.append(np.clip(np.rint(frame), 0, 255).astype(np.uint8))
        polygons.append(poly)
    poly_arr = np.asarray(polygons, np.float64)
    boxes = np.stack([poly_arr[:, 0::2].min(1), poly_arr[:, 1::2].min(1),
                      poly_arr[:, 0::2].max(1), poly_arr[:, 1::2].max(1)], axis=1)
    meta = {"format": "synthetic", "centre": centres, "scale": scales, "angle": angles,
            "visibility": visibility, "occlusion": occlusion, "seed": seed}
    return Sequence("synthetic", frames, boxes.astype(np.float32), poly_arr.astype(np.float32),
                    "synthetic", meta)


def _pillar_columns(i: int, occlusion: tuple[int, int], poly: np.ndarray, width: int
                    ) -> tuple[int, int]:
    """Columns ``[a, b)`` of the pillar on frame ``i``: 1.6x the target's box width, sweeping
    from just left of the target to just right of it over the occlusion interval."""
    x1, x2 = float(poly[0::2].min()), float(poly[0::2].max())
    bw = 1.6 * (x2 - x1)
    start, stop = occlusion
    f = (i - start + 0.5) / (stop - start)
    centre = (x1 - bw / 2) + f * (x2 - x1 + bw)
    a = int(np.clip(round(centre - bw / 2), 0, width))
    b = int(np.clip(round(centre + bw / 2), 0, width))
    return a, b


__all__ = ["synthetic_sequence"]
