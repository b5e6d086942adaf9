"""The stateful planar tracker behind :func:`oculi.place.track_plane` (method in
:mod:`oculi.place.planar`): ``start(frame, H)`` once, then ``update(frame)`` per frame."""

from __future__ import annotations

import numpy as np

from oculi.core.errors import ShapeError
from oculi.place import _align as A
from oculi.place.planar import (
    PlaneTrack,
    PlaneTrackerConfig,
    _apply_h,
    make_track,
    quad_shape,
)


def _in_frame(xy: np.ndarray, shape: tuple[int, ...], margin: float) -> np.ndarray:
    h, w = shape[:2]
    return ((xy[:, 0] >= margin) & (xy[:, 0] <= w - 1 - margin) & (xy[:, 1] >= margin)
            & (xy[:, 1] <= h - 1 - margin))


def _plausible(H: np.ndarray, canvas: tuple[int, int], shape: tuple[int, ...]) -> bool:
    """A convex, non-degenerate quadrilateral not absurdly larger than the frame."""
    from oculi.place.harness import project_corners

    c = project_corners(H, canvas)
    if not np.isfinite(c).all():
        return False
    convex, area = quad_shape(c)
    return convex and 16 < area < 25 * shape[0] * shape[1]


class PlaneTracker:
    """Track one plane given its reference canvas.

    Args:
        reference: ``(h_ref, w_ref, 3)`` or ``(h_ref, w_ref)`` uint8 canvas of the surface.
        config: :class:`~oculi.place.planar.PlaneTrackerConfig`.
        valid: ``(h_ref, w_ref)`` bool, canvas pixels that show the surface (default: all).
    """

    def __init__(self, reference: np.ndarray, config: PlaneTrackerConfig | None = None, *,
                 valid: np.ndarray | None = None) -> None:
        import cv2

        self.cfg = (config or PlaneTrackerConfig()).validate()
        ref = np.asarray(reference)
        if ref.dtype != np.uint8 or ref.ndim not in (2, 3) or min(ref.shape[:2]) < 8:
            raise ShapeError(f"reference: expected an HxW(x3) uint8 image of at least 8x8 "
                             f"pixels, got {ref.shape} {ref.dtype}")
        self.reference = ref
        self.ref = A.to_gray(ref)
        self.canvas_size = self.ref.shape[:2]
        self.ref_valid = np.ones(self.canvas_size, bool) if valid is None else valid
        # a window much larger than the canvas allows straddles occluders: cap it at an eighth
        self.win = max(5, min(self.cfg.window, (min(self.canvas_size) // 8) | 1))
        inner = cv2.erode(self.ref_valid.astype(np.uint8), np.ones((5, 5), np.uint8))
        gap = max(3.0, min(self.canvas_size) / 40)
        pts = cv2.goodFeaturesToTrack(self.ref, self.cfg.points, 0.005, gap, mask=inner,
                                      blockSize=5)
        self.ref_pts = np.zeros((0, 2), np.float32) if pts is None else pts.reshape(-1, 2)
        self._index: A.FeatureIndex | None = None
        #: set when this tracker follows a plain quadrilateral by its surroundings: the map from
        #: the quadrilateral's canvas to this tracker's and the quadrilateral's canvas size
        self.inner: tuple[np.ndarray, tuple[int, int]] | None = None
        self.H: np.ndarray | None = None
        self.prev: np.ndarray | None = None
        self.prev_small: np.ndarray | None = None
        self._small_cache: tuple[np.ndarray, np.ndarray] | None = None
        self.klt_pts = np.zeros((0, 2), np.float32)
        self.lost = 0

    def fork(self) -> PlaneTracker:
        """A fresh tracker of the same reference (shares the precomputed features)."""
        other = object.__new__(PlaneTracker)
        other.__dict__.update(self.__dict__)
        other.H, other.prev, other.lost = None, None, 0
        other.klt_pts = np.zeros((0, 2), np.float32)
        return other

    # -- steps -------------------------------------------------------------------------------
    def _index_lazy(self) -> A.FeatureIndex:
        if self._index is None:
            self._index = A.FeatureIndex(self.ref, self.ref_valid, self.cfg.sift_features)
        return self._index

    def anchor(self, gray: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, float] | None:
        """Register the frame to the reference starting from ``H``: the corrected ``H`` and the
        share of agreeing reference features, or None when too few agree."""
        cfg = self.cfg
        rect, valid = A.rectify(gray, H, self.canvas_size)
        valid &= self.ref_valid
        half = self.win // 2
        r = self.ref_pts.astype(int)
        keep = valid[r[:, 1], r[:, 0]] & _in_frame(self.ref_pts, self.canvas_size, half)
        if keep.sum() < cfg.min_inliers:
            return None
        rect = A.match_gain(rect, self.ref, valid)
        src = self.ref_pts[keep]
        dst, ok = A.klt(self.ref, rect, src, self.win, cfg.anchor_levels, cfg.fb_threshold)
        if ok.sum() < cfg.min_inliers:
            return None
        fit = A.fit_homography(src[ok], dst[ok], cfg.anchor_threshold, cfg.estimator)
        if fit is None:
            return None
        C, inl = fit
        share = float(inl.sum()) / float(keep.sum())
        if inl.sum() < cfg.min_inliers or share < cfg.min_inlier_ratio:
            return None
        Hc = H @ C
        if cfg.ecc:
            Hc = self._ecc(gray, Hc)
        return Hc / Hc[2, 2], share

    def _ecc(self, gray: np.ndarray, H: np.ndarray) -> np.ndarray:
        import cv2

        rect, valid = A.rectify(gray, H, self.canvas_size)
        valid &= self.ref_valid
        rect = A.match_gain(rect, self.ref, valid)
        diff = cv2.absdiff(cv2.blur(rect, (5, 5)), cv2.blur(self.ref, (5, 5)))
        mask = valid & (diff < self.cfg.ecc_residual)
        mask = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        if mask.mean() < 0.2:
            return H
        W = A.ecc_refine(self.ref, rect, mask, self.cfg.ecc_iterations)
        if W is None:
            return H
        from oculi.place.harness import canvas_corners

        c = canvas_corners(self.canvas_size)
        if np.abs(_apply_h(W, c) - c).max() > 2.0:  # ECC is a refinement, not a re-registration
            return H
        return H @ W

    def _predict(self, gray: np.ndarray) -> np.ndarray | None:
        """Frame-to-frame KLT of the reference features placed in the previous frame."""
        cfg = self.cfg
        prev = _apply_h(self.H, self.ref_pts.astype(np.float64))
        keep = _in_frame(prev, gray.shape, 2)
        if keep.sum() < 8:
            return None
        a = prev[keep]
        small, sc = self._small(gray)
        a_s = ((a + 0.5) * sc - 0.5).astype(np.float32)
        b_s, ok = A.klt(self.prev_small, small, a_s, self.win, cfg.levels, cfg.fb_threshold)
        b = (b_s.astype(np.float64) + 0.5) / sc - 0.5
        fit = A.fit_homography(a[ok], b[ok], cfg.ransac_threshold / sc, cfg.estimator)
        return None if fit is None else fit[0] @ self.H

    def _small(self, gray: np.ndarray) -> tuple[np.ndarray, float]:
        """The frame downscaled for the prediction (longer side <= ``predict_side``)."""
        import cv2

        sc = min(1.0, self.cfg.predict_side / max(gray.shape))
        if sc == 1.0:
            return gray, 1.0
        if self._small_cache is not None and self._small_cache[0] is gray:
            return self._small_cache[1], sc
        small = cv2.resize(gray, None, fx=sc, fy=sc, interpolation=cv2.INTER_AREA)
        self._small_cache = (gray, small)
        return small, sc

    def locate(self, frame: np.ndarray) -> np.ndarray | None:
        """Find the reference in a frame by SIFT matching, refined by anchoring: the canvas ->
        frame ``H`` or None."""
        cfg = self.cfg
        gray = A.to_gray(frame)
        found = self._index_lazy().locate(gray, 0.8, 4.0, max(cfg.min_inliers, 12),
                                          cfg.sift_max_side)
        if found is None or not _plausible(found[0], self.canvas_size, gray.shape):
            return None
        H = found[0]
        for _ in range(2):  # a coarse SIFT fit may need two anchoring passes
            res = self.anchor(gray, H)
            if res is None:
                return None
            H = res[0]
        return H if _plausible(H, self.canvas_size, gray.shape) else None

    # -- the per-frame loop ------------------------------------------------------------------
    def start(self, frame: np.ndarray, H: np.ndarray) -> PlaneTrack:
        """Begin at a frame whose ``H`` (canvas -> frame) is known."""
        cfg = self.cfg
        gray = A.to_gray(frame)
        self.H = np.asarray(H, np.float64) / H[2, 2]
        self.prev = gray
        self.prev_small = self._small(gray)[0] if cfg.mode == "full" else None
        self.lost = 0
        if cfg.mode == "klt":
            self.klt_pts = self._detect(gray)
        return make_track(self.H, self.canvas_size, True, 1.0, "start")

    def update(self, frame: np.ndarray) -> PlaneTrack:
        """Track into the next frame."""
        if self.H is None:
            raise RuntimeError("PlaneTracker.update called before start")
        gray = A.to_gray(frame)
        try:
            if self.cfg.mode == "klt":
                return self._update_klt(gray)
            return self._update_full(gray)
        finally:
            self.prev = gray
            if self.cfg.mode == "full":
                self.prev_small = self._small(gray)[0]

    def _update_full(self, gray: np.ndarray) -> PlaneTrack:
        cfg = self.cfg
        pred = self._predict(gray) if not self.lost else None
        guess = pred if pred is not None and _plausible(pred, self.canvas_size, gray.shape) \
            else self.H
        res = None
        self._since_anchor = getattr(self, "_since_anchor", 0) + 1
        if self.lost or pred is None or self._since_anchor >= cfg.anchor_every:
            res = self.anchor(gray, guess)
            self._since_anchor = 0
            if res is None and self.lost and self.lost % cfg.recover_every == 0:
                found = self.locate(gray)
                res = None if found is None else (found, 1.0)
        elif pred is not None:
            self.H = guess
            return make_track(self.H, self.canvas_size, True, 1.0, "klt")
        if res is None:
            self.lost += 1
            return make_track(self.H, self.canvas_size, False, 0.0, "lost")
        note = "recovered" if self.lost else "anchored"
        self.H, self.lost = res[0], 0
        return make_track(self.H, self.canvas_size, True, res[1], note)

    def _detect(self, gray: np.ndarray) -> np.ndarray:
        """klt mode: good features inside the current quadrilateral."""
        import cv2

        from oculi.place.harness import project_corners

        mask = np.zeros(gray.shape, np.uint8)
        quad = project_corners(self.H, self.canvas_size)
        cv2.fillConvexPoly(mask, np.rint(quad).astype(np.int32), 255)
        mask = cv2.erode(mask, np.ones((7, 7), np.uint8))
        gap = max(3.0, min(gray.shape) / 80)
        pts = cv2.goodFeaturesToTrack(gray, self.cfg.points, 0.005, gap, mask=mask, blockSize=5)
        return np.zeros((0, 2), np.float32) if pts is None else pts.reshape(-1, 2)

    def _update_klt(self, gray: np.ndarray) -> PlaneTrack:
        cfg = self.cfg
        if self.lost:
            return make_track(self.H, self.canvas_size, False, 0.0, "lost")
        a = self.klt_pts
        b, ok = A.klt(self.prev, gray, a, self.win, cfg.levels, cfg.fb_threshold)
        fit = A.fit_homography(a[ok], b[ok], cfg.ransac_threshold, cfg.estimator)
        if fit is None or not _plausible(fit[0] @ self.H, self.canvas_size, gray.shape):
            self.lost = 1
            return make_track(self.H, self.canvas_size, False, 0.0, "lost")
        self.H = fit[0] @ self.H
        self.H /= self.H[2, 2]
        inl = np.zeros(len(a), bool)
        inl[np.flatnonzero(ok)[fit[1]]] = True
        self.klt_pts = b[inl]
        if len(self.klt_pts) < cfg.min_points:
            self.klt_pts = self._detect(gray)
        return make_track(self.H, self.canvas_size, True, float(inl.sum()) / max(1, len(a)),
                          "klt")
