"""Planar tracking: follow a flat surface through a video as a homography per frame.

Given the plane as four corners in one frame, or as a reference image of the surface, every frame
gets a :class:`PlaneTrack`: the homography ``H`` from the plane's canvas (the rectified reference,
``canvas_size = (h_ref, w_ref)`` pixels; corners TL, TR, BR, BL = (0,0), (w-1,0), (w-1,h-1),
(0,h-1)) to frame pixels.

Method (``mode="full"``, :class:`PlaneTrackerConfig` holds every knob):

1. **Prediction** by frame-to-frame KLT: the reference's good features, placed in the previous
   frame by its homography, are tracked into the new frame (pyramidal Lucas-Kanade with a
   forward-backward check); a robust homography of those moves (OpenCV's USAC MAGSAC++ or
   :func:`oculi.geometry.estimate_homography`) carries the previous ``H`` forward.
2. **Re-anchoring** (every ``anchor_every`` frames): the frame is rectified into canvas
   coordinates by the predicted ``H``, its gain matched to the reference (median ratio), and the
   reference features are tracked from the reference into it; their robust homography corrects
   ``H``. Errors therefore never accumulate: each frame is registered to the reference itself.
   Occluders fail the forward-backward check or the robust fit and drop out.
3. **Sub-pixel refinement** by ECC (``cv2.findTransformECC``, homography model) between the
   reference and the re-rectified frame, over canvas pixels that agree with the reference (an
   occluder's pixels are masked out).
4. **Recovery**: when re-anchoring fails (the plane is covered, or out of the frame) the frame is
   marked not visible and the last good ``H`` is kept; later frames try to re-anchor at it and,
   every ``recover_every`` frames, to find the reference anew by SIFT matching and a robust
   homography.
5. **Smoothing** (:mod:`oculi.place.smoothing`): a local polynomial fit of the corner paths
   whose small corrections are kept and large ones (real shake) dropped.

``mode="klt"`` is the baseline: plain frame-to-frame KLT on corners detected inside the plane,
homographies chained, no re-anchoring, refinement, recovery or smoothing.

Frames before the start frame are tracked backwards from it (the frames up to the start are held
in memory for that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import DataError, NoMatchError, ParameterError, ShapeError
from oculi.place import _align as A
from oculi.place.harness import canvas_corners, project_corners

if TYPE_CHECKING:
    from oculi.place.tracker import PlaneTracker


@dataclass(frozen=True)
class PlaneTrack:
    """The plane in one frame.

    Attributes:
        H: ``(3, 3)`` float64 canvas -> frame homography (``H[2, 2] = 1``).
        corners: ``(4, 2)`` float64 frame pixels of the canvas corners TL, TR, BR, BL.
        visible: False when the plane was not found (covered, out of frame, lost); ``H`` is then
            the last good one.
        confidence: 0..1, the share of reference features that agreed with ``H``.
        note: how the frame was solved: ``start``, ``anchored``, ``klt``, ``recovered``,
            ``lost``.
    """

    H: np.ndarray
    corners: np.ndarray
    visible: bool
    confidence: float
    note: str = ""


@dataclass
class PlaneTrackerConfig:
    """Knobs of the planar tracker.

    Attributes:
        mode: ``"full"`` (prediction, re-anchoring, ECC, recovery, smoothing) or ``"klt"``
            (plain frame-to-frame KLT, the baseline).
        estimator: robust homography fitter: ``"usac"`` (OpenCV USAC MAGSAC++) or ``"oculi"``.
        points: reference features (full mode) or KLT corners (klt mode) tracked.
        min_points: klt mode: detect new corners when fewer remain.
        window: largest Lucas-Kanade window side, pixels (capped at an eighth of the
            canvas's shorter side, so windows do not straddle occluders on small canvases).
        levels: pyramid levels of frame-to-frame KLT.
        predict_side: full mode: the frame-to-frame prediction runs on frames downscaled to
            this longer side, pixels (re-anchoring restores full precision).
        fb_threshold: forward-backward error above which a point is dropped, pixels.
        ransac_threshold: inlier threshold of the frame-to-frame homography, pixels.
        anchor_every: re-anchor every this many frames (full mode; 1 = every frame).
        anchor_levels: pyramid levels of the reference -> frame KLT.
        anchor_threshold: inlier threshold of the anchoring homography, canvas pixels.
        min_inliers: fewest agreeing reference features that make a frame visible.
        min_inlier_ratio: smallest share of the reference features inside the frame that must
            agree (below it the plane counts as covered).
        ecc: refine every anchored frame by ECC.
        ecc_iterations: ECC iteration cap.
        ecc_residual: canvas pixels whose gain-matched difference to the reference exceeds this
            (gray levels) are left out of ECC as occluded.
        recover_every: while lost, look for the reference by SIFT every this many frames.
        sift_features: SIFT features of the reference and of a frame for recovery.
        sift_max_side: frames are downscaled to this longest side for recovery, pixels.
        plain_points: a quadrilateral given by corners with fewer good features than this is
            plain: it is tracked by its surroundings (grown by ``context``), which are taken to
            lie on the same plane; the tracks still describe the quadrilateral itself.
        context: growth of a plain quadrilateral on every side, as a fraction of its size
            (doubled, then quadrupled, while the surroundings hold too few features; 0 disables
            it).
        smooth: smooth the corner paths (full mode).
        smooth_window: frames in the local polynomial fit (odd).
        smooth_order: its degree.
        smooth_threshold: largest corner correction applied in full, pixels.
    """

    mode: str = "full"
    estimator: str = "usac"
    points: int = 300
    min_points: int = 60
    window: int = 21
    levels: int = 3
    predict_side: int = 640
    fb_threshold: float = 1.0
    ransac_threshold: float = 2.0
    anchor_every: int = 1
    anchor_levels: int = 2
    anchor_threshold: float = 1.0
    min_inliers: int = 20
    min_inlier_ratio: float = 0.25
    ecc: bool = True
    ecc_iterations: int = 10
    ecc_residual: float = 40.0
    recover_every: int = 1
    sift_features: int = 2000
    sift_max_side: int = 960
    plain_points: int = 60
    context: float = 0.5
    smooth: bool = True
    smooth_window: int = 9
    smooth_order: int = 2
    smooth_threshold: float = 0.2

    def validate(self) -> PlaneTrackerConfig:
        """Check the values; returns self. Raises ParameterError naming the field."""
        check_choice(self.mode, ("full", "klt"), "mode")
        check_choice(self.estimator, ("usac", "oculi"), "estimator")
        for name in ("points", "min_points", "window", "levels", "anchor_every",
                     "anchor_levels", "min_inliers", "ecc_iterations", "recover_every",
                     "sift_features", "sift_max_side", "predict_side", "plain_points"):
            check_positive(getattr(self, name), name)
        for name in ("fb_threshold", "ransac_threshold", "anchor_threshold", "ecc_residual"):
            check_positive(getattr(self, name), name)
        check_positive(self.context, "context", allow_zero=True)
        return self


def quad_shape(corners: np.ndarray) -> tuple[bool, float]:
    """Whether a ``(4, 2)`` quadrilateral is convex (either orientation) and its area (px²)."""
    c = np.asarray(corners, np.float64)
    e = np.roll(c, -1, axis=0) - c
    cross = e[:, 0] * np.roll(e, -1, axis=0)[:, 1] - e[:, 1] * np.roll(e, -1, axis=0)[:, 0]
    area = 0.5 * abs(np.sum(c[:, 0] * np.roll(c[:, 1], -1) - np.roll(c[:, 0], -1) * c[:, 1]))
    return bool(np.all(cross > 0) or np.all(cross < 0)), float(area)


def check_corners(corners: Any, name: str = "corners") -> np.ndarray:
    """``(4, 2)`` float64 corners (TL, TR, BR, BL) from 8 numbers or a 4x2 array; they must be
    finite and form a convex quadrilateral of positive area (either orientation).

    Raises:
        ShapeError: not 8 numbers.
        ParameterError: not finite, not convex, or of (near) zero area.
    """
    try:
        c = np.asarray(corners, np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name}: expected 8 numbers x1,y1,...,x4,y4, got {corners!r}") from exc
    if c.size != 8:
        raise ShapeError(f"{name}: expected 8 numbers x1,y1,...,x4,y4, got {c.size}")
    c = c.reshape(4, 2)
    if not np.isfinite(c).all():
        raise ParameterError(f"{name}: expected finite numbers, got {c.ravel().tolist()}")
    convex, area = quad_shape(c)
    if not convex:
        raise ParameterError(f"{name}: the quadrilateral is not convex (or its corners are not in "
                             f"order TL, TR, BR, BL): {c.ravel().tolist()}")
    if area < 16:
        raise ParameterError(f"{name}: the quadrilateral has an area of {area:.1f} px, "
                             f"expected at least 16 (corners {c.ravel().tolist()})")
    return c


#: longest side of a default canvas, pixels (a larger quadrilateral or reference is sampled down:
#: the canvas's resolution sets the cost of re-anchoring)
MAX_CANVAS = 800


def cap_canvas(size: tuple[int, int], max_side: int = MAX_CANVAS) -> tuple[int, int]:
    """``(h, w)`` scaled down, aspect kept, so that its longer side is at most ``max_side``."""
    h, w = (int(v) for v in size)
    k = min(1.0, max_side / max(h, w))
    return max(8, round(h * k)), max(8, round(w * k))


def canvas_size_from_corners(corners: np.ndarray) -> tuple[int, int]:
    """``(h_ref, w_ref)`` of a canvas at the quadrilateral's own resolution (longer of each pair
    of opposite sides, at least 8), capped at :data:`MAX_CANVAS`."""
    c = np.asarray(corners, np.float64)
    side = np.linalg.norm(np.roll(c, -1, axis=0) - c, axis=1)
    return cap_canvas((max(8, round(max(side[1], side[3])) + 1),
                       max(8, round(max(side[0], side[2])) + 1)))


def reference_from_corners(frame: np.ndarray, corners: Any,
                           canvas_size: tuple[int, int] | None = None,
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rectify the quadrilateral of ``frame`` into a canvas.

    Returns:
        The canvas ``(h_ref, w_ref, 3)`` (or ``(h_ref, w_ref)`` for a gray frame) uint8, its
        ``(3, 3)`` canvas -> frame homography and a bool mask of canvas pixels inside the frame.
    """
    import cv2

    quad = check_corners(corners)
    size = tuple(canvas_size) if canvas_size else canvas_size_from_corners(quad)
    H = cv2.getPerspectiveTransform(canvas_corners(size).astype(np.float32),
                                    quad.astype(np.float32)).astype(np.float64)
    canvas = cv2.warpPerspective(frame, H, (size[1], size[0]),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    _, valid = A.rectify(A.to_gray(frame), H, size)
    return canvas, H / H[2, 2], valid


def homography_from_corners(corners: np.ndarray, canvas_size: tuple[int, int]) -> np.ndarray:
    """``(3, 3)`` canvas -> frame homography that maps the canvas corners onto ``corners``."""
    import cv2

    H = cv2.getPerspectiveTransform(canvas_corners(canvas_size).astype(np.float32),
                                    np.asarray(corners, np.float32)).astype(np.float64)
    return H / H[2, 2]


def make_track(H: np.ndarray, canvas_size: tuple[int, int], visible: bool, confidence: float,
               note: str) -> PlaneTrack:
    """A :class:`PlaneTrack` whose corners are those of the canvas under ``H``."""
    H = np.asarray(H, np.float64)
    return PlaneTrack(H.copy(), project_corners(H, canvas_size), visible, float(confidence), note)


def smooth_tracks(tracks: list[PlaneTrack], canvas_size: tuple[int, int],
                  config: PlaneTrackerConfig) -> list[PlaneTrack]:
    """Tracks with their visible corners smoothed (:func:`oculi.place.smoothing.smooth_corners`)
    and ``H`` rebuilt from the smoothed corners."""
    from oculi.place.smoothing import smooth_corners

    if not tracks:
        return tracks
    corners = np.stack([t.corners for t in tracks])
    valid = np.array([t.visible for t in tracks])
    sm = smooth_corners(corners, valid, window=config.smooth_window, order=config.smooth_order,
                        threshold=config.smooth_threshold)
    out = []
    for t, c in zip(tracks, sm, strict=True):
        if t.visible and not np.array_equal(c, t.corners):
            t = replace(t, H=homography_from_corners(c, canvas_size), corners=c)
        out.append(t)
    return out


def _no_start(n: int, frame_index: int) -> DataError:
    return DataError(f"frames: the video has {n} frame(s), so it has no start frame "
                     f"{frame_index} (frames count from 0)")


def _start_by_corners(head: list[np.ndarray], it: Any, corners: Any, frame_index: int,
                      canvas_size: tuple[int, int] | None, config: PlaneTrackerConfig,
                      reference: np.ndarray | None) -> tuple[PlaneTracker, np.ndarray]:
    from oculi.place.tracker import PlaneTracker

    for f in it:
        head.append(f)
        if len(head) > frame_index:
            break
    if len(head) <= frame_index:
        raise _no_start(len(head), frame_index)
    if reference is not None:  # the given surface image is the canvas, placed by the corners
        ref = _prepare_reference(reference, canvas_size)
        H0 = homography_from_corners(check_corners(corners), ref.shape[:2])
        return PlaneTracker(ref, config), H0
    ref, H0, valid = reference_from_corners(head[frame_index], corners, canvas_size)
    tracker = PlaneTracker(ref, config, valid=valid)
    if len(tracker.ref_pts) >= config.plain_points or config.context <= 0:
        return tracker, H0
    # a plain quadrilateral: track it by its surroundings, taken to lie on the same plane,
    # grown until they hold enough features
    best = (tracker, H0)
    h, w = ref.shape[:2]
    for m in (config.context, 2 * config.context, 4 * config.context):
        big, T = _context_canvas((h, w), m)
        outer = _apply_h(H0, canvas_corners((h, w)) * (1 + 2 * m) - m * np.array([w - 1, h - 1]))
        ref_b, _, valid_b = reference_from_corners(head[frame_index], outer, big)
        wide = PlaneTracker(ref_b, config, valid=valid_b)
        if len(wide.ref_pts) > len(best[0].ref_pts):
            wide.inner = (T, (h, w))
            best = (wide, homography_from_corners(outer, big))
        if len(wide.ref_pts) >= config.plain_points:
            break
    return best


def _apply_h(H: np.ndarray, xy: np.ndarray) -> np.ndarray:
    p = np.c_[xy, np.ones(len(xy))] @ np.asarray(H, np.float64).T
    return p[:, :2] / p[:, 2:3]


def _context_canvas(size: tuple[int, int], margin: float) -> tuple[tuple[int, int], np.ndarray]:
    """The canvas of a quadrilateral grown by ``margin`` of its size on every side, and the
    ``(3, 3)`` map from the inner canvas's pixels to the grown one's."""
    h, w = size
    big = cap_canvas((round(h * (1 + 2 * margin)), round(w * (1 + 2 * margin))))
    sx = (big[1] - 1) / ((1 + 2 * margin) * (w - 1))
    sy = (big[0] - 1) / ((1 + 2 * margin) * (h - 1))
    T = np.array([[sx, 0, sx * margin * (w - 1)], [0, sy, sy * margin * (h - 1)], [0, 0, 1.0]])
    return big, T


def _to_inner(tracks: list[PlaneTrack], T: np.ndarray, size: tuple[int, int],
              ) -> list[PlaneTrack]:
    return [make_track(t.H @ T / (t.H @ T)[2, 2], size, t.visible, t.confidence, t.note)
            for t in tracks]


def _prepare_reference(reference: np.ndarray, canvas_size: tuple[int, int] | None) -> np.ndarray:
    import cv2

    from oculi.core.checks import check_image

    ref = check_image(reference, "reference")
    if ref.dtype != np.uint8:
        ref = np.clip(np.rint(ref * 255), 0, 255).astype(np.uint8)
    size = tuple(canvas_size) if canvas_size else cap_canvas(ref.shape[:2])
    if size != ref.shape[:2]:
        ref = cv2.resize(ref, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return ref


def _start_by_reference(head: list[np.ndarray], it: Any, reference: np.ndarray,
                        frame_index: int, canvas_size: tuple[int, int] | None,
                        config: PlaneTrackerConfig) -> tuple[PlaneTracker, np.ndarray]:
    from oculi.place.tracker import PlaneTracker

    tracker = PlaneTracker(_prepare_reference(reference, canvas_size), config)
    for f in it:
        head.append(f)
        if len(head) > frame_index:
            H0 = tracker.locate(f)
            if H0 is not None:
                return tracker, H0
    if len(head) <= frame_index:
        raise _no_start(len(head), frame_index)
    raise NoMatchError(f"reference: the plane was never found in the video (searched frames "
                       f"{frame_index}..{len(head) - 1}); give its corners instead")


def track_plane(frames: Iterable[np.ndarray], *, corners: Any = None, frame_index: int = 0,
                reference: np.ndarray | None = None,
                canvas_size: tuple[int, int] | None = None,
                config: PlaneTrackerConfig | None = None,
                progress: Any = None) -> list[PlaneTrack]:
    """Track a plane through frames (see the module docs).

    Args:
        frames: ``HxWx3`` uint8 RGB frames (any iterable; read once).
        corners: the plane's corners in frame ``frame_index``: 8 numbers or ``(4, 2)``, order
            TL, TR, BR, BL, convex. Without ``reference`` the canvas is rectified from that
            frame; with it, the reference image is the canvas and the corners place it.
        frame_index: With ``corners``, the frame they belong to; with ``reference``, the first
            frame searched (the track starts at the first frame where the plane is found).
            Earlier frames are tracked backwards.
        reference: ``(h, w, 3)`` uint8 image of the surface; alone, it is found in the frames by
            feature matching.
        canvas_size: ``(h_ref, w_ref)`` of the canvas; default: the reference's size, else the
            quadrilateral's own resolution, longer side capped at :data:`MAX_CANVAS`.
        config: :class:`PlaneTrackerConfig` (default: full mode).
        progress: optional callable ``progress(n_done)`` called after each frame.

    Returns:
        One :class:`PlaneTrack` per frame.

    Raises:
        ParameterError: neither corners nor reference; bad corners or config.
        ShapeError: corners not 8 numbers.
        DataError: fewer frames than ``frame_index + 1``.
        NoMatchError: the reference never found.
    """
    cfg = (config or PlaneTrackerConfig()).validate()
    if corners is None and reference is None:
        raise ParameterError("corners, reference: give the plane's corners, a reference image "
                             "of its surface, or both")
    if int(frame_index) < 0:
        raise ParameterError(f"frame_index: expected >= 0, got {frame_index}")
    if corners is not None:
        check_corners(corners)
    it = iter(frames)
    head: list[np.ndarray] = []
    if corners is not None:
        tracker, H0 = _start_by_corners(head, it, corners, int(frame_index), canvas_size, cfg,
                                        reference)
    else:
        tracker, H0 = _start_by_reference(head, it, reference, int(frame_index), canvas_size,
                                          cfg)
    start = len(head) - 1
    tracks: list[PlaneTrack] = []
    if start > 0:
        back = tracker.fork()
        back.start(head[start], H0)
        tracks = [back.update(head[i]) for i in range(start - 1, -1, -1)][::-1]
    first = head[start]
    del head
    tracks.append(tracker.start(first, H0))
    if progress:
        progress(len(tracks))
    for f in it:
        tracks.append(tracker.update(f))
        if progress:
            progress(len(tracks))
    canvas = tracker.canvas_size
    inner = tracker.inner
    if inner is not None:  # tracked by the surroundings: report the quadrilateral itself
        tracks = _to_inner(tracks, inner[0], inner[1])
        canvas = inner[1]
    if cfg.mode == "full" and cfg.smooth:
        tracks = smooth_tracks(tracks, canvas, cfg)
    return tracks
