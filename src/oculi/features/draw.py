"""Drawings of keypoints and matches (RGB uint8 arrays, ready for ``oculi.io.write_image``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from oculi.features.types import Features, Keypoints, Matches


def _rgb8(image: Any) -> np.ndarray:
    from oculi.core.convert import ensure_uint8, to_rgb

    return np.ascontiguousarray(ensure_uint8(to_rgb(image)))


def draw_keypoints(image: Any, keypoints: Keypoints | Features, *, max_keypoints: int = 1000,
                   color: tuple[int, int, int] = (0, 255, 0)) -> np.ndarray:
    """Circles of each keypoint's size, with a radius line along its angle when it has one.

    Args:
        image: HW or HWC image (uint8, uint16 or float in [0, 1]).
        keypoints: :class:`Keypoints` or :class:`Features`.
        max_keypoints: draw only the strongest ones.
        color: RGB colour.

    Returns:
        HxWx3 uint8 RGB drawing.
    """
    import cv2

    feats = keypoints if isinstance(keypoints, Features) else Features(keypoints)
    kp = feats.strongest(max_keypoints).keypoints
    out = _rgb8(image).copy()
    for (x, y), s, a in zip(kp.xy, kp.size, kp.angle, strict=True):
        r = max(float(s) / 2, 2.0)
        c = (round(float(x)), round(float(y)))
        cv2.circle(out, c, round(r), color, 1, cv2.LINE_AA)
        if a == a:  # not NaN
            t = np.deg2rad(float(a))
            end = (round(float(x) + r * np.cos(t)), round(float(y) + r * np.sin(t)))
            cv2.line(out, c, end, color, 1, cv2.LINE_AA)
    return out


def draw_matches(image1: Any, image2: Any, features1: Features, features2: Features,
                 matches: Matches, *, inliers: np.ndarray | None = None,
                 max_matches: int = 300) -> np.ndarray:
    """The two images side by side with a line per match (green inliers, red outliers).

    Args:
        image1, image2: the images the features come from.
        features1, features2: their :class:`Features`.
        matches: :class:`Matches` between them.
        inliers: optional ``(M,)`` bool mask (e.g. geometrically verified); all green if absent.
        max_matches: draw at most this many (evenly spaced).

    Returns:
        ``H x (W1 + W2) x 3`` uint8 RGB, ``H = max(H1, H2)``.
    """
    import cv2

    a, b = _rgb8(image1), _rgb8(image2)
    h = max(a.shape[0], b.shape[0])
    out = np.zeros((h, a.shape[1] + b.shape[1], 3), np.uint8)
    out[: a.shape[0], : a.shape[1]] = a
    out[: b.shape[0], a.shape[1]:] = b
    sel = np.arange(len(matches))
    if len(sel) > max_matches:
        sel = np.linspace(0, len(sel) - 1, max_matches).astype(int)
    p1, p2 = matches.points(features1, features2)
    ok = np.ones(len(matches), bool) if inliers is None else np.asarray(inliers, bool)
    for i in sel:
        c = (0, 220, 0) if ok[i] else (230, 0, 0)
        q1 = (round(float(p1[i, 0])), round(float(p1[i, 1])))
        q2 = (round(float(p2[i, 0])) + a.shape[1], round(float(p2[i, 1])))
        cv2.line(out, q1, q2, c, 1, cv2.LINE_AA)
        cv2.circle(out, q1, 2, c, -1)
        cv2.circle(out, q2, 2, c, -1)
    return out
