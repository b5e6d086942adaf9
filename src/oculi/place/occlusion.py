"""What passes in front of a tracked plane: a per-frame occluder mask.

:class:`OcclusionModel` keeps a background model of the plane in the plane's own coordinates
(the rectified canvas, at a reduced working size) and, for each frame and homography:

1. rectifies the frame region the plane covers (area-averaged first when the plane is larger in
   the frame than the working canvas, so both are sampled alike);
2. removes the lighting: a robust per-channel gain (median ratio of the current to the model
   over pixels that were background last frame) and, optionally, a smooth gain field
   (normalised convolution of the log ratio) for spatially varying shading;
3. measures change against the model's tolerance envelope: per channel, how far the colour lies
   outside the model's 3x3 minimum..maximum (so half-pixel misregistration, resampling and blur
   of texture edges are not change), over the model's per-pixel noise (running variance);
4. thresholds with hysteresis: seeds above ``threshold_high`` grown through pixels above
   ``threshold_low``; pixels covered last frame (previous mask carried by optical flow between
   the rectified frames, or simply dilated) are seeds already above ``threshold_low``, which is
   the temporal consistency;
5. cleans up: opening, closing, small holes filled, small blobs dropped;
6. maps the canvas mask to the frame and refines its edge there with a guided filter (the
   frame's grey levels as guide), so the boundary follows the occluder's colour edges at full
   resolution; an optional person segmenter's probability is merged before the cut;
7. clips to the plane's quadrilateral, and updates the model (running mean and variance) only
   where no occluder was found, so occluders are never learned into the background; a flagged
   patch that stands still on the canvas for ``absorb_frames`` is learned (a ghost: the
   reference canvas showed an occluder there), since what is in front of a moving plane moves
   across its canvas.

The person segmenter is MediaPipe's selfie segmentation model (``selfie_segmentation.tflite``,
256 x 256 input, or ``selfie_segmentation_landscape.tflite``, 144 x 256), read by OpenCV's
``cv2.dnn.readNetFromTFLite``. oculi does not ship it: it is inside the npm package
``@mediapipe/selfie_segmentation`` (``npm pack @mediapipe/selfie_segmentation``, unpack the
``.tgz``, use ``package/selfie_segmentation.tflite``; Apache-2.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oculi.core.checks import check_choice, check_in_range, check_path, check_positive
from oculi.core.errors import ImageReadError, MissingDependencyError, ShapeError
from oculi.place._canvas import (
    check_frame,
    check_homography,
    extent_corners,
    frame_roi,
    pixel_scale,
    project,
    quad_mask,
    rectify,
    translation,
)

_TEMPORAL = ("flow", "hysteresis", "none")
_SATURATED = 250  # grey level from which a channel counts as clipped
_STILL_FLOW = 0.35  # work pixels per frame below which a flagged pixel counts as still


@dataclass(frozen=True)
class OcclusionConfig:
    """Settings of :class:`OcclusionModel`.

    Attributes:
        work_size: longest side of the working canvas, pixels (the model's resolution).
        threshold_high: change (in noise standard deviations outside the model's envelope) that
            starts an occluder region.
        threshold_low: change that extends a region (and, with temporal support, starts one).
        noise_floor: smallest noise standard deviation of the model, grey levels (0..255).
        learning_rate: weight of the current frame in the running mean and variance (0: the
            model stays the reference canvas).
        local_gain_sigma: width of the smooth gain field as a fraction of the working canvas's
            longest side; 0 uses one global gain per channel.
        temporal: ``"flow"`` (previous mask carried by DIS optical flow between rectified
            frames), ``"hysteresis"`` (previous mask dilated) or ``"none"``.
        min_area: smallest occluder region kept, fraction of the canvas area.
        max_hole: largest hole filled inside a region, fraction of the canvas area.
        refine_radius: guided-filter radius of the edge refinement in frame pixels (0: off).
        refine_eps: guided-filter regularisation (grey levels in [0, 1], squared).
        person_threshold: person probability above which a pixel counts as an occluder.
        absorb_frames: frames after which a flagged pixel that stays still on the canvas
            (unchanged, and optical flow below 0.35 working pixels per frame) is learned as
            background (a ghost of an occluder in the reference canvas; anything in front of a
            moving plane moves on the canvas); 0 never. With a still camera and plane, an
            occluder that stops is learned after this many frames too.
    """

    work_size: int = 256
    threshold_high: float = 6.0
    threshold_low: float = 3.0
    noise_floor: float = 4.0
    learning_rate: float = 0.05
    local_gain_sigma: float = 0.15
    temporal: str = "flow"
    min_area: float = 0.002
    max_hole: float = 0.01
    refine_radius: int = 4
    refine_eps: float = 1e-3
    person_threshold: float = 0.5
    absorb_frames: int = 5

    def __post_init__(self) -> None:
        check_positive(self.work_size, "work_size")
        if self.work_size < 16:
            raise ShapeError(f"work_size: expected at least 16 pixels, got {self.work_size}")
        check_positive(self.threshold_high, "threshold_high")
        check_in_range(self.threshold_low, "threshold_low", 1e-6, self.threshold_high)
        check_positive(self.noise_floor, "noise_floor")
        check_in_range(self.learning_rate, "learning_rate", 0.0, 1.0)
        check_in_range(self.local_gain_sigma, "local_gain_sigma", 0.0, 10.0)
        check_choice(self.temporal, _TEMPORAL, "temporal")
        check_in_range(self.min_area, "min_area", 0.0, 1.0)
        check_in_range(self.max_hole, "max_hole", 0.0, 1.0)
        check_in_range(self.refine_radius, "refine_radius", 0, 64)
        check_positive(self.refine_eps, "refine_eps")
        check_in_range(self.person_threshold, "person_threshold", 0.0, 1.0)
        check_in_range(self.absorb_frames, "absorb_frames", 0, 1_000_000)


class PersonSegmenter:
    """MediaPipe selfie segmentation (``.tflite``) through ``cv2.dnn.readNetFromTFLite``.

    Args:
        path: the ``selfie_segmentation.tflite`` (256 x 256) or
            ``selfie_segmentation_landscape.tflite`` (144 x 256) file.

    Raises:
        ImageReadError: the file is missing or OpenCV cannot read it as a TFLite model.
        MissingDependencyError: this OpenCV build has no TFLite reader.
    """

    _SIZES = ((256, 256), (144, 256))

    def __init__(self, path: str | Path) -> None:
        import cv2

        path = check_path(path, "person_model")
        if not path.is_file():
            raise ImageReadError(f"person_model: {path}: no such file — get "
                                 "selfie_segmentation.tflite from the npm package "
                                 "@mediapipe/selfie_segmentation")
        if not hasattr(cv2.dnn, "readNetFromTFLite"):
            raise MissingDependencyError("person_model: this OpenCV has no "
                                         "cv2.dnn.readNetFromTFLite (OpenCV >= 4.8 needed)")
        try:
            self._net = cv2.dnn.readNetFromTFLite(str(path))
        except cv2.error as err:
            raise ImageReadError(f"person_model: {path}: not a TFLite model OpenCV can read "
                                 f"({str(err).strip().splitlines()[-1]})") from err
        self._size: tuple[int, int] | None = None

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Person probability of an ``HxWx3`` uint8 RGB image: ``HxW`` float32 in [0, 1]."""
        import cv2

        h, w = image.shape[:2]
        sizes = [self._size] if self._size else list(self._SIZES)
        for size in sizes:
            x = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            blob = (x.astype(np.float32) / 255).transpose(2, 0, 1)[None]
            try:
                self._net.setInput(np.ascontiguousarray(blob))
                out = self._net.forward()
            except cv2.error:
                continue
            self._size = size
            prob = np.clip(out.reshape(size), 0, 1).astype(np.float32)
            return cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
        raise ShapeError("person_model: the network takes neither a 256x256 nor a 144x256 input "
                         "— use MediaPipe's selfie_segmentation(_landscape).tflite")


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter with a grey guide.

    Args:
        guide: ``HxW`` float32 guide in [0, 1].
        src: ``HxW`` float32 image to filter.
        radius: box radius, pixels.
        eps: regularisation (guide units squared).

    Returns:
        ``HxW`` float32 filtered ``src``: locally a linear function of the guide.
    """
    import cv2

    k = (2 * radius + 1, 2 * radius + 1)

    def box(a: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(a, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(guide), box(src)
    var_i = box(guide * guide) - mean_i * mean_i
    cov_ip = box(guide * src) - mean_i * mean_p
    a = cov_ip / (var_i + np.float32(eps))
    b = mean_p - a * mean_i
    return box(a) * guide + box(b)


class OcclusionModel:
    """Per-frame occluder masks for a tracked plane (see the module docs for the method).

    Args:
        reference_canvas: ``(h_ref, w_ref, 3)`` uint8 RGB, the plane's surface as the canvas
            (the rectified reference; its size is the canvas size ``H`` maps from).
        config: the :class:`OcclusionConfig`.
        person_model: optional path of MediaPipe's ``selfie_segmentation.tflite`` (see the
            module docs for where to get it); people found by it inside the plane count as
            occluders.

    Raises:
        ShapeError, DTypeError: a reference canvas that is not ``HxWx3`` uint8 (at least 8x8).
        ImageReadError: an unreadable person model.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> canvas = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
        >>> frame = np.zeros((120, 160, 3), np.uint8)
        >>> frame[20:80, 30:110] = canvas
        >>> H = np.array([[1.0, 0, 30], [0, 1, 20], [0, 0, 1]])
        >>> int(OcclusionModel(canvas).update(frame, H).sum())   # nothing in front
        0
    """

    def __init__(self, reference_canvas: np.ndarray, config: OcclusionConfig | None = None,
                 person_model: str | Path | None = None) -> None:
        import cv2

        ref = check_frame(reference_canvas, "reference_canvas", min_size=8)
        self.config = cfg = config if config is not None else OcclusionConfig()
        self.canvas_size = ref.shape[:2]
        h, w = self.canvas_size
        s = min(1.0, cfg.work_size / max(h, w))
        self._work = (max(8, round(h * s)), max(8, round(w * s)))
        self._to_work = pixel_scale(self._work[1] / w, self._work[0] / h)
        self._reference = cv2.resize(ref, self._work[::-1],
                                     interpolation=cv2.INTER_AREA).astype(np.float32)
        self._person = PersonSegmenter(person_model) if person_model is not None else None
        self._dis = None
        self.reset()

    def reset(self) -> None:
        """Forget the learned background and the previous mask (a new shot)."""
        self._mean = self._reference.copy()
        self._var = np.full_like(self._mean, self.config.noise_floor ** 2)
        self._prev_mask: np.ndarray | None = None
        self._prev_gray: np.ndarray | None = None
        self._prev_norm: np.ndarray | None = None
        self._still = np.zeros(self._work, np.int32)

    def skip(self) -> None:
        """The plane was not seen in a frame (not tracked, or skipped): forget the previous
        frame's mask, image and stillness counts, keep the learned background."""
        self._prev_mask = self._prev_gray = self._prev_norm = None
        self._still[:] = 0

    @property
    def background(self) -> np.ndarray:
        """The background model's mean: ``(h_work, w_work, 3)`` uint8 at the reference's gain."""
        return np.clip(self._mean + 0.5, 0, 255).astype(np.uint8)

    def update(self, frame: np.ndarray, H: np.ndarray) -> np.ndarray:
        """The occluder mask of one frame, then the model learns the frame's background.

        Args:
            frame: ``HxWx3`` uint8 RGB.
            H: ``(3, 3)`` canvas -> frame homography of this frame.

        Returns:
            ``HxW`` bool, True where something is in front of the plane (never outside the
            plane's quadrilateral).

        Raises:
            ShapeError, DTypeError: a bad frame or ``H`` shape.
            ValueRangeError: NaN or infinite entries in ``H``.
            ParameterError: a singular ``H`` or one whose quadrilateral is not finite.
        """
        frame = check_frame(frame, "frame")
        H = check_homography(H, "H")
        out = np.zeros(frame.shape[:2], bool)
        roi = frame_roi(project(H, extent_corners(self.canvas_size)), frame.shape)
        if roi is None:
            self.skip()
            return out
        x0, y0, x1, y1 = roi
        crop = frame[y0:y1, x0:x1]
        H_roi = translation(-x0, -y0) @ H
        current, valid = rectify(crop, H_roi @ np.linalg.inv(self._to_work), self._work)
        mask_c = self._detect(current, valid)
        soft = self._to_frame(mask_c, crop, H_roi)
        mask = soft >= 0.5
        mask &= quad_mask(H_roi, self.canvas_size, crop.shape[:2])
        out[y0:y1, x0:x1] = mask
        return out

    # -- steps ---------------------------------------------------------------------------------

    def _gain(self, current: np.ndarray, use: np.ndarray) -> np.ndarray:
        """Per-pixel, per-channel lighting gain of ``current`` relative to the model."""
        import cv2

        # statistics on a 4x coarser grid: the gain is smooth by assumption
        hw, ww = self._work
        small = (max(4, ww // 4), max(4, hw // 4))
        cur = cv2.resize(current, small, interpolation=cv2.INTER_AREA)
        mean = cv2.resize(self._mean, small, interpolation=cv2.INTER_AREA)
        sel = cv2.resize(use.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST) > 0
        eps = np.float32(8.0)
        log_ratio = np.log((cur + eps) / (mean + eps))
        bright = sel & (mean.min(axis=2) > 12) & (cur.max(axis=2) < 250)
        sel = bright if bright.sum() >= 16 else sel
        if sel.sum() < 16:
            return np.ones_like(current)
        glob = np.median(log_ratio[sel], axis=0).astype(np.float32)
        sigma = self.config.local_gain_sigma * max(small)
        if sigma <= 0:
            return np.broadcast_to(np.exp(glob), current.shape)
        resid = log_ratio - glob
        w = (sel & (np.abs(resid).max(axis=2) < 0.25)).astype(np.float32)
        num = cv2.GaussianBlur(resid * w[..., None], (0, 0), sigma)
        den = cv2.GaussianBlur(w, (0, 0), sigma)[..., None]
        local = np.where(den > 0.05, num / np.maximum(den, 1e-6), 0.0).astype(np.float32)
        local = cv2.resize(local + glob, (ww, hw), interpolation=cv2.INTER_LINEAR)
        return np.exp(local)

    def _change(self, normalised: np.ndarray, model: np.ndarray,
                saturated: np.ndarray | None = None) -> np.ndarray:
        """Change outside ``model``'s 3x3 envelope in noise standard deviations, ``HxW``.
        Where a channel was ``saturated`` (clipped at white) its true value may be higher, so
        only a value above the envelope counts there."""
        import cv2

        k = np.ones((3, 3), np.uint8)
        lo, hi = cv2.erode(model, k), cv2.dilate(model, k)
        below = lo - normalised
        if saturated is not None:
            below[saturated] = 0
        excess = np.maximum(np.maximum(below, normalised - hi), 0)
        sigma = np.sqrt(np.maximum(self._var, self.config.noise_floor ** 2))
        d = np.sqrt(((excess / sigma) ** 2).mean(axis=2))
        return cv2.GaussianBlur(d, (3, 3), 0)

    def _flow(self, gray: np.ndarray) -> np.ndarray | None:
        """DIS flow from this rectified frame to the previous one (``HxWx2`` float32, work
        pixels), or None without a previous frame or a use for it."""
        import cv2

        cfg = self.config
        if self._prev_gray is None or (cfg.temporal != "flow" and cfg.absorb_frames == 0):
            return None
        if self._dis is None:
            self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        return self._dis.calc(gray, self._prev_gray, None)

    def _support(self, flow: np.ndarray | None) -> np.ndarray | None:
        """The previous mask carried to this frame (float32 in [0, 1]) or None."""
        import cv2

        cfg = self.config
        if self._prev_mask is None or cfg.temporal == "none":
            return None
        prev = self._prev_mask.astype(np.float32)
        if cfg.temporal == "hysteresis" or flow is None:
            return cv2.dilate(prev, np.ones((5, 5), np.uint8))
        hw, ww = prev.shape
        gx, gy = np.meshgrid(np.arange(ww, dtype=np.float32), np.arange(hw, dtype=np.float32))
        return cv2.remap(prev, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def _detect(self, current: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """The occluder mask on the working canvas (bool), and the model update."""
        import cv2

        cfg = self.config
        background = valid if self._prev_mask is None else valid & ~self._prev_mask
        if background.sum() < 0.05 * valid.sum():  # (nearly) all covered last frame
            background = valid
        gain = self._gain(current, background)
        normalised = current / gain
        d = self._change(normalised, self._mean, current >= _SATURATED)
        gray = cv2.cvtColor(np.clip(normalised, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
        flow = self._flow(gray)
        support = self._support(flow)
        seeds = d > cfg.threshold_high
        grow = d > cfg.threshold_low
        if support is not None:
            seeds |= grow & (support > 0.5)
        grow &= valid
        mask = _hysteresis(seeds & valid, grow)
        mask = self._clean(mask)
        mask = self._absorb(mask, normalised, valid, flow)
        self._learn(normalised, valid & ~cv2.dilate(mask.astype(np.uint8), np.ones((5, 5),
                                                                                   np.uint8)
                                                    ).astype(bool))
        self._prev_mask, self._prev_gray, self._prev_norm = mask, gray, normalised
        return mask

    def _absorb(self, mask: np.ndarray, normalised: np.ndarray, valid: np.ndarray,
                flow: np.ndarray | None) -> np.ndarray:
        """Learn into the model what has stood still on the canvas for ``absorb_frames``
        while flagged: a stale background (the reference showed an occluder there), since
        anything in front of a moving plane moves on its canvas. Still: unchanged since the
        last frame and optical flow below ``_STILL_FLOW`` work pixels."""
        cfg = self.config
        if cfg.absorb_frames == 0 or self._prev_norm is None or flow is None:
            return mask
        still = self._change(normalised, self._prev_norm) < cfg.threshold_low
        still &= (flow * flow).sum(axis=2) < _STILL_FLOW**2
        self._still = np.where(mask & still & valid, self._still + 1, 0)
        done = self._still >= cfg.absorb_frames
        if not done.any():
            return mask
        self._mean[done] = normalised[done]
        self._var[done] = cfg.noise_floor ** 2
        self._still[done] = 0
        return mask & ~done

    def _clean(self, mask: np.ndarray) -> np.ndarray:
        import cv2

        cfg = self.config
        area = mask.size
        m = mask.astype(np.uint8)
        ell = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, ell)
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                           (5, 5)))
        # holes: background components not touching the border, small enough
        n, labels, stats, _ = cv2.connectedComponentsWithStats(1 - m, connectivity=4)
        h, w = m.shape
        for i in range(1, n):
            x, y, bw, bh, a = stats[i]
            inner = x > 0 and y > 0 and x + bw < w and y + bh < h
            if inner and a <= cfg.max_hole * area:
                m[labels == i] = 1
        n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        keep = np.zeros(n, bool)
        keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= max(1.0, cfg.min_area * area)
        return keep[labels]

    def _learn(self, normalised: np.ndarray, where: np.ndarray) -> None:
        a = np.float32(self.config.learning_rate)
        if a == 0:
            return
        delta = normalised - self._mean
        w = where[..., None]
        self._mean += np.where(w, a * delta, 0)
        self._var += np.where(w, a * (delta * delta - self._var), 0)

    def _to_frame(self, mask_c: np.ndarray, crop: np.ndarray, H_roi: np.ndarray) -> np.ndarray:
        """The canvas mask as a soft ``HxW`` map of the crop, edge-refined and with people."""
        import cv2

        cfg = self.config
        ch, cw = crop.shape[:2]
        M = H_roi @ np.linalg.inv(self._to_work)
        soft = cv2.warpPerspective(mask_c.astype(np.float32), M, (cw, ch), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        if self._person is not None:
            person = self._person(crop)
            soft = np.maximum(soft, (person > cfg.person_threshold).astype(np.float32))
        if cfg.refine_radius > 0 and soft.max() > 0:
            guide = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
            soft = guided_filter(guide, soft, cfg.refine_radius, cfg.refine_eps)
        return soft


def _hysteresis(seeds: np.ndarray, grow: np.ndarray) -> np.ndarray:
    """Components of ``grow`` (8-connected) that contain a seed."""
    import cv2

    n, labels = cv2.connectedComponents((grow | seeds).astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(seeds)
    hit = np.zeros(n, bool)
    hit[np.unique(labels[seeds])] = True
    hit[0] = False
    return hit[labels]
