"""Alignment steps of the planar tracker: pyramidal KLT with a forward-backward check, robust
homographies, re-anchoring to the reference canvas (KLT on the rectified frame), ECC refinement
and feature-based detection of the reference in a frame."""

from __future__ import annotations

import numpy as np


def to_gray(image: np.ndarray) -> np.ndarray:
    """``HxW`` uint8 gray of an RGB or gray uint8 image."""
    import cv2

    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


#: smallest normalised minimum eigenvalue of a KLT window (textureless windows are dropped)
MIN_EIG = 1e-3
#: a point whose window's mean absolute difference exceeds this many times the median (and
#: ERR_FLOOR gray levels) is dropped as occluded
ERR_FACTOR = 3.0
ERR_FLOOR = 8.0


def klt(img_a: np.ndarray, img_b: np.ndarray, pts: np.ndarray, win: int, levels: int,
        fb_threshold: float, guess: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Track ``(N, 2)`` points from gray uint8 image a to b (pyramidal Lucas-Kanade); keep those
    that come back within ``fb_threshold`` pixels when tracked from b to a.

    Returns:
        ``(N, 2)`` float32 positions in b and an ``(N,)`` bool mask of the kept points.
    """
    import cv2

    if len(pts) == 0:
        return np.zeros((0, 2), np.float32), np.zeros(0, bool)
    p0 = np.ascontiguousarray(pts, np.float32).reshape(-1, 1, 2)
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)
    flags = 0
    p1 = None
    if guess is not None:
        p1 = np.ascontiguousarray(guess, np.float32).reshape(-1, 1, 2).copy()
        flags = cv2.OPTFLOW_USE_INITIAL_FLOW
    p1, st1, err = cv2.calcOpticalFlowPyrLK(img_a, img_b, p0, p1, winSize=(win, win),
                                            maxLevel=levels, criteria=crit, flags=flags,
                                            minEigThreshold=MIN_EIG)
    p0b, st2, _ = cv2.calcOpticalFlowPyrLK(img_b, img_a, p1, p0.copy(), winSize=(win, win),
                                           maxLevel=levels, criteria=crit,
                                           flags=cv2.OPTFLOW_USE_INITIAL_FLOW,
                                           minEigThreshold=MIN_EIG)
    fb = np.linalg.norm((p0b - p0).reshape(-1, 2), axis=1)
    ok = (st1.ravel() == 1) & (st2.ravel() == 1) & (fb < fb_threshold)
    e = err.ravel()
    if ok.sum() > 8:  # a window that matches far worse than the typical one is occluded
        ok &= e <= max(ERR_FLOOR, ERR_FACTOR * float(np.median(e[ok])))
    return p1.reshape(-1, 2), ok


def fit_homography(a: np.ndarray, b: np.ndarray, threshold: float,
                   estimator: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Robust homography a -> b (``(N, 2)`` each); ``None`` when it cannot be fitted.

    Args:
        estimator: ``"usac"`` (OpenCV's USAC MAGSAC++) or ``"oculi"``
            (:func:`oculi.geometry.estimate_homography`).

    Returns:
        ``(3, 3)`` float64 with ``H[2, 2] = 1`` and the ``(N,)`` bool inlier mask, or None.
    """
    import cv2

    if len(a) < 8:
        return None
    if estimator == "oculi":
        from oculi.core.errors import NoMatchError
        from oculi.geometry import estimate_homography

        try:
            est = estimate_homography(a, b, threshold=threshold, max_iterations=2000)
        except NoMatchError:
            return None
        h, inl = est.model, est.inliers
    else:
        h, inl = cv2.findHomography(a.astype(np.float64), b.astype(np.float64), cv2.USAC_MAGSAC,
                                    threshold, maxIters=2000, confidence=0.999)
        if h is None:
            return None
        inl = inl.ravel().astype(bool)
    if not np.all(np.isfinite(h)) or abs(h[2, 2]) < 1e-12:
        return None
    return h / h[2, 2], inl


def rectify(gray: np.ndarray, H: np.ndarray, canvas_size: tuple[int, int],
            ) -> tuple[np.ndarray, np.ndarray]:
    """The frame seen in canvas coordinates under ``H`` (canvas -> frame).

    Returns:
        ``(h_ref, w_ref)`` uint8 rectified image and a bool mask of canvas pixels inside the frame.
    """
    import cv2

    h, w = canvas_size
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    rect = cv2.warpPerspective(gray, H, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    ones = np.full(gray.shape[:2], 255, np.uint8)
    valid = cv2.warpPerspective(ones, H, (w, h), flags=flags, borderValue=0) == 255
    return rect, valid


def match_gain(rect: np.ndarray, ref: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Scale ``rect`` so that its median over ``valid`` matches the reference's (uint8)."""
    if valid.sum() < 16:
        return rect
    m_rect = float(np.median(rect[valid]))
    m_ref = float(np.median(ref[valid]))
    if m_rect < 1:
        return rect
    g = m_ref / m_rect
    if abs(g - 1) < 0.01:
        return rect
    return np.clip(rect.astype(np.float32) * g, 0, 255).astype(np.uint8)


def ecc_refine(ref: np.ndarray, rect: np.ndarray, mask: np.ndarray, iterations: int,
               ) -> np.ndarray | None:
    """Homography ``W`` (canvas -> rectified canvas) maximising ECC between the reference and the
    rectified frame over ``mask``; None if ECC fails to converge."""
    import cv2

    warp = np.eye(3, dtype=np.float32)
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, 1e-5)
    try:
        _, warp = cv2.findTransformECC(ref, rect, warp, cv2.MOTION_HOMOGRAPHY, crit,
                                       mask.astype(np.uint8), 3)
    except cv2.error:
        return None
    w = warp.astype(np.float64)
    return w / w[2, 2]


class FeatureIndex:
    """SIFT features of the reference canvas, matched against whole frames to find the plane."""

    def __init__(self, ref_gray: np.ndarray, valid: np.ndarray, max_features: int) -> None:
        import cv2

        self.sift = cv2.SIFT_create(nfeatures=max_features)
        kp, self.desc = self.sift.detectAndCompute(ref_gray, valid.astype(np.uint8) * 255)
        self.xy = np.array([k.pt for k in kp], np.float64).reshape(-1, 2)
        self.matcher = cv2.BFMatcher(cv2.NORM_L2)

    def locate(self, gray: np.ndarray, ratio: float, threshold: float, min_inliers: int,
               max_side: int) -> tuple[np.ndarray, int] | None:
        """Canvas -> frame homography of the reference found in ``gray``, with its inlier count,
        or None (too few features or inliers)."""
        import cv2

        if self.desc is None or len(self.xy) < min_inliers:
            return None
        scale = min(1.0, max_side / max(gray.shape))
        small = gray if scale == 1 else cv2.resize(gray, None, fx=scale, fy=scale,
                                                   interpolation=cv2.INTER_AREA)
        kp, desc = self.sift.detectAndCompute(small, None)
        if desc is None or len(kp) < min_inliers:
            return None
        pairs = self.matcher.knnMatch(self.desc, desc, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < ratio * p[1].distance]
        if len(good) < min_inliers:
            return None
        a = self.xy[[m.queryIdx for m in good]]
        b = (np.array([kp[m.trainIdx].pt for m in good], np.float64) + 0.5) / scale - 0.5
        fit = fit_homography(a, b, threshold, "usac")
        if fit is None or fit[1].sum() < min_inliers:
            return None
        return fit[0], int(fit[1].sum())
