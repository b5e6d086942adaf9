"""Where could an insert go? Candidate spaces in a video: regions that are large, plain (low in
texture), planar (their points follow one homography over time) and visible for long enough.

The idea follows the candidate-space and advertising-location work of Mademlis et al. (CASE,
arXiv 1903.08943 and 1910.03227) and ALOS (arXiv 1904.07776), which rank places by size, duration
and suitability; the method here is our own, simple and classical:

1. keyframes (the first frame, then every ``keyframe_every`` frames) are reduced to
   ``work_width`` pixels and cut into superpixels (scikit-image's SLIC in Lab), which are merged
   across edges of small mean-colour difference (a region adjacency graph cut);
2. a region is kept when it is large (``min_area``, fraction of the frame) and plain: its
   texture, ``g / (g + 8)`` for its mean Sobel gradient magnitude ``g`` in grey levels per pixel,
   is at most ``max_texture``;
3. the largest axis-aligned rectangle inside the (slightly eroded) region is its quadrilateral;
4. corners found on and around the region are tracked forward (pyramidal Lucas-Kanade with a
   forward-backward check); each frame, a RANSAC homography from the keyframe explains them;
   the track ends when too few points remain, too few are inliers, or the quadrilateral leaves
   the frame. Planarity is the mean inlier fraction, visibility the frames tracked;
5. score = (quadrilateral area / frame area) x (frames visible / frames read) x
   (1 - texture) x planarity; overlapping candidates keep the best; the top ``max`` are
   returned.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from oculi.core.checks import check_in_range, check_positive, check_size
from oculi.core.errors import DataError
from oculi.place._canvas import check_frame, pixel_scale

_TEXTURE_SCALE = 8.0  # grey levels per pixel at which texture = 0.5
_MIN_POINTS = 8
_COLOUR_TOL = 8.0  # Lab units: colour distance to a region's mean that still belongs to it


@dataclass(frozen=True)
class Candidate:
    """A candidate space for an insert.

    Attributes:
        corners: ``(4, 2)`` float64 frame pixels (TL, TR, BR, BL) in frame ``start``.
        start: first frame of the span (index in the frames read).
        stop: one past the last frame the region was tracked in.
        score: ranking score (see the module docs), higher is better.
        area_px: area of the quadrilateral in frame ``start``, pixels.
        texture: 0 (plain) .. 1 (busy).
        planarity: mean fraction of the region's tracked points one homography explains.
        homographies: ``(stop - start, 3, 3)`` float64 maps of frame ``start``'s pixels to each
            frame's of the span (the first is the identity).
    """

    corners: np.ndarray
    start: int
    stop: int
    score: float
    area_px: float
    texture: float
    planarity: float
    homographies: np.ndarray = field(repr=False)

    @property
    def span(self) -> tuple[int, int]:
        """``(start, stop)`` frame indices, ``stop`` exclusive."""
        return self.start, self.stop

    def corners_at(self, index: int) -> np.ndarray:
        """``(4, 2)`` corners in frame ``index`` (within the span)."""
        if not self.start <= index < self.stop:
            raise DataError(f"index: frame {index} is outside the candidate's span "
                            f"{self.start}..{self.stop - 1}")
        import cv2

        pts = self.corners.reshape(-1, 1, 2).astype(np.float64)
        return cv2.perspectiveTransform(pts, self.homographies[index - self.start]).reshape(4, 2)

    def to_dict(self) -> dict:
        """JSON-ready summary (corners as lists, no homographies)."""
        return {"corners": self.corners.round(2).tolist(), "start": self.start, "stop": self.stop,
                "score": round(self.score, 5), "area_px": round(self.area_px, 1),
                "texture": round(self.texture, 4), "planarity": round(self.planarity, 4)}


def find_candidates(
    frames: Iterable[np.ndarray],
    *,
    min_area: float = 0.02,
    min_frames: int = 10,
    max: int = 5,
    max_texture: float = 0.3,
    max_frames: int = 300,
    keyframe_every: int = 60,
    work_width: int = 320,
) -> list[Candidate]:
    """Propose and rank places for an insert (see the module docs for the method).

    Args:
        frames: ``HxWx3`` uint8 RGB frames of one shot (a list or any iterable, read once).
        min_area: smallest region, fraction of the frame area.
        min_frames: fewest frames a candidate must stay visible.
        max: most candidates returned.
        max_texture: busiest texture kept, 0..1.
        max_frames: frames read at most.
        keyframe_every: frames between the keyframes regions are proposed in.
        work_width: width the frames are reduced to for the analysis, pixels.

    Returns:
        Up to ``max`` :class:`Candidate`, best first (possibly none).

    Raises:
        DataError: no frames.
        ShapeError, DTypeError: a frame that is not ``HxWx3`` uint8, or frames of different sizes.
        ParameterError: a bad setting.
    """
    check_in_range(min_area, "min_area", 0.0, 1.0)
    check_size(min_frames, "min_frames", allow_none=False)
    limit = check_size(max, "max", allow_none=False)
    check_in_range(max_texture, "max_texture", 0.0, 1.0)
    check_size(max_frames, "max_frames", allow_none=False)
    check_size(keyframe_every, "keyframe_every", allow_none=False)
    check_positive(work_width, "work_width")
    small, scale, full_shape = _read(frames, int(max_frames), int(work_width))
    n = len(small)
    grays = [_gray(f) for f in small]
    found: list[Candidate] = []
    for key in range(0, builtins.max(1, n - int(min_frames) + 1), int(keyframe_every)):
        regions = _regions(small[key], grays[key], min_area, max_texture)
        if not regions:
            continue
        bands = np.any([_band(r) for r, _ in regions], axis=0).astype(np.uint8)
        track, alive = _track_points(grays, key, bands)
        for region, texture in regions:
            cand = _fit_region(track, alive, key, region, texture, scale, full_shape, n)
            if cand is not None and cand.stop - cand.start >= min_frames:
                found.append(cand)
    found.sort(key=lambda c: -c.score)
    kept: list[Candidate] = []
    for cand in found:
        if all(_overlap(cand, k, full_shape) < 0.3 for k in kept):
            kept.append(cand)
        if len(kept) == limit:
            break
    return kept


def draw_candidates(frame: np.ndarray, candidates: list[Candidate]) -> np.ndarray:
    """A copy of ``frame`` with each candidate's quadrilateral and rank drawn.

    Args:
        frame: ``HxWx3`` uint8 RGB (usually the first frame of the spans).
        candidates: from :func:`find_candidates`; their ``corners`` are drawn as given.

    Returns:
        ``HxWx3`` uint8 RGB.
    """
    import cv2

    out = check_frame(frame, "frame").copy()
    palette = [(255, 64, 64), (64, 200, 64), (64, 128, 255), (255, 200, 0), (200, 64, 255)]
    thick = max(1, round(max(out.shape[:2]) / 400))
    for i, cand in enumerate(candidates):
        colour = palette[i % len(palette)]
        pts = np.round(np.asarray(cand.corners)).astype(np.int32).reshape(-1, 1, 2)
        overlay = out.copy()
        cv2.fillPoly(overlay, [pts], colour)
        out = cv2.addWeighted(overlay, 0.25, out, 0.75, 0)
        cv2.polylines(out, [pts], True, colour, thick, cv2.LINE_AA)
        label = f"#{i + 1} {cand.score:.3f} [{cand.start}-{cand.stop - 1}]"
        x, y = int(pts[:, 0, 0].min()), int(pts[:, 0, 1].min())
        cv2.putText(out, label, (x + 3, max(12, y + 14)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4 * thick, colour, thick, cv2.LINE_AA)
    return out


# -- steps ---------------------------------------------------------------------------------------


def _read(frames: Iterable[np.ndarray], max_frames: int, work_width: int
          ) -> tuple[list[np.ndarray], float, tuple[int, int]]:
    import cv2

    from oculi.core.errors import ShapeError

    small, shape, scale = [], None, 1.0
    for i, frame in enumerate(frames):
        if i >= max_frames:
            break
        frame = check_frame(frame, f"frames[{i}]", min_size=16)
        if shape is None:
            shape = frame.shape[:2]
            scale = min(1.0, work_width / shape[1])
        elif frame.shape[:2] != shape:
            raise ShapeError(f"frames[{i}]: expected {shape[0]}x{shape[1]} like the first frame, "
                             f"got {frame.shape[0]}x{frame.shape[1]}")
        size = (max(16, round(shape[1] * scale)), max(16, round(shape[0] * scale)))
        small.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA) if scale < 1
                     else frame)
    if not small:
        raise DataError("frames: no frames to look at")
    return small, scale, shape


def _gray(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def _regions(frame: np.ndarray, gray: np.ndarray, min_area: float, max_texture: float
             ) -> list[tuple[np.ndarray, float]]:
    """Plain, large regions of one keyframe: ``(bool mask, texture)`` pairs."""
    import cv2
    from skimage.color import rgb2lab
    from skimage.segmentation import slic

    h, w = gray.shape
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3) / 8
    grad = cv2.blur(np.hypot(gx, gy), (5, 5))
    plain = grad <= _TEXTURE_SCALE * max_texture / max(1e-6, 1 - max_texture)
    lab = rgb2lab(frame)
    labels = slic(lab, n_segments=max(16, h * w // 200), compactness=10, start_label=0,
                  convert2lab=False)
    merged = _merge_plain(labels, lab, plain)
    out = []
    min_px = min_area * h * w
    ids, counts = np.unique(merged[merged >= 0], return_counts=True)
    for rid in ids[counts >= min_px]:
        # the plain pixels of the region's colour connected to it (superpixels that straddle
        # its edge are left out of the merge, their plain part comes back here)
        seed = merged == rid
        close = plain & (np.linalg.norm(lab - lab[seed].mean(axis=0), axis=2) < _COLOUR_TOL)
        n_cc, cc = cv2.connectedComponents(close.astype(np.uint8), connectivity=4)
        hit = np.zeros(n_cc, bool)
        hit[np.unique(cc[seed & close])] = True
        hit[0] = False
        region = hit[cc]
        inner = cv2.erode(region.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        if inner.sum() < min_px:
            continue
        g = float(grad[inner].mean())
        out.append((inner, g / (g + _TEXTURE_SCALE)))
    return out


def _merge_plain(labels: np.ndarray, lab: np.ndarray, plain: np.ndarray,
                 threshold: float = 6.0) -> np.ndarray:
    """Merge adjacent superpixels that are mostly plain and differ by less than ``threshold``
    in mean Lab colour (union-find); busy superpixels become -1."""
    n = int(labels.max()) + 1
    flat = labels.ravel()
    count = np.bincount(flat, minlength=n).astype(np.float64)
    mean = np.stack([np.bincount(flat, lab[..., c].ravel(), n) for c in range(3)], 1)
    mean /= np.maximum(count, 1)[:, None]
    is_plain = np.bincount(flat, plain.ravel().astype(np.float64), n) > 0.5 * count
    pairs = np.concatenate([np.c_[labels[:, :-1].ravel(), labels[:, 1:].ravel()],
                            np.c_[labels[:-1].ravel(), labels[1:].ravel()]])
    pairs = np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1), axis=0)
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        if is_plain[a] and is_plain[b] and np.linalg.norm(mean[a] - mean[b]) < threshold:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[rb] = ra
    roots = np.array([root(i) for i in range(n)])
    roots[~is_plain] = -1
    return roots[labels]


def largest_rectangle(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """The largest axis-aligned rectangle of True pixels (histogram-stack method).

    Args:
        mask: ``HxW`` bool.

    Returns:
        ``(x0, y0, x1, y1)`` with exclusive ends, or None for an empty mask.
    """
    h, w = mask.shape
    heights = np.zeros(w + 1, np.int64)
    best, best_area = None, 0
    for y in range(h):
        heights[:w] = np.where(mask[y], heights[:w] + 1, 0)
        stack: list[int] = []
        for x in range(w + 1):
            while stack and heights[stack[-1]] >= heights[x]:
                top = stack.pop()
                height = int(heights[top])
                left = stack[-1] + 1 if stack else 0
                area = height * (x - left)
                if area > best_area:
                    best_area, best = area, (left, y - height + 1, x, y + 1)
            stack.append(x)
    return best


def _band(region: np.ndarray) -> np.ndarray:
    """The region with its rim and surroundings (uint8 0/1): where its tracked corners lie."""
    import cv2

    r = builtins.max(4, round(0.03 * region.shape[1]))
    return cv2.dilate(region.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8))


def _track_points(grays: list[np.ndarray], key: int, mask: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Corners of frame ``key`` inside ``mask`` tracked to the end: ``(T, N, 2)`` float32
    positions and ``(T, N)`` bool alive (forward-backward error below 1 pixel)."""
    import cv2

    pts = cv2.goodFeaturesToTrack(grays[key], 1000, 0.01, 4, mask=mask * 255)
    if pts is None:
        return np.zeros((1, 0, 2), np.float32), np.zeros((1, 0), bool)
    cur = pts.reshape(-1, 2).astype(np.float32)
    track, alive = [cur.copy()], [np.ones(len(cur), bool)]
    lk = {"winSize": (15, 15), "maxLevel": 3}
    for t in range(key + 1, len(grays)):
        ok = alive[-1].copy()
        idx = np.flatnonzero(ok)
        if len(idx) < _MIN_POINTS:
            break
        p = cur[idx].reshape(-1, 1, 2)
        nxt, st, _ = cv2.calcOpticalFlowPyrLK(grays[t - 1], grays[t], p, None, **lk)
        back, st2, _ = cv2.calcOpticalFlowPyrLK(grays[t], grays[t - 1], nxt, None, **lk)
        good = (st.ravel() == 1) & (st2.ravel() == 1) & (
            np.linalg.norm((back - p).reshape(-1, 2), axis=1) < 1.0)
        ok[idx] = good
        cur = cur.copy()
        cur[idx] = nxt.reshape(-1, 2)
        track.append(cur)
        alive.append(ok)
    return np.array(track), np.array(alive)


def _fit_region(track: np.ndarray, alive: np.ndarray, key: int, region: np.ndarray,
                texture: float, scale: float, full_shape: tuple[int, int], n: int
                ) -> Candidate | None:
    """Follow one region with the homographies of its tracked points (see the module docs)."""
    import cv2

    rect = largest_rectangle(region)
    if rect is None or track.shape[1] == 0:
        return None
    x0, y0, x1, y1 = rect
    quad = np.array([[x0 - 0.5, y0 - 0.5], [x1 - 0.5, y0 - 0.5], [x1 - 0.5, y1 - 0.5],
                     [x0 - 0.5, y1 - 0.5]])
    h, w = region.shape
    xy = np.clip(np.round(track[0]).astype(int), 0, [w - 1, h - 1])
    mine = _band(region)[xy[:, 1], xy[:, 0]] > 0
    if mine.sum() < _MIN_POINTS:
        return None
    hs, fracs = [np.eye(3)], []
    for t in range(1, len(track)):
        sel = mine & alive[t]
        if sel.sum() < _MIN_POINTS:
            break
        H, inl = cv2.findHomography(track[0][sel], track[t][sel], cv2.RANSAC, 1.5)
        if H is None:
            break
        frac = float(inl.mean())
        moved = cv2.perspectiveTransform(quad.reshape(-1, 1, 2), H).reshape(4, 2)
        if frac < 0.5 or _inside_fraction(moved, (h, w)) < 0.8:
            break
        fracs.append(frac)
        hs.append(H)
    planarity = float(np.mean(fracs)) if fracs else 0.0
    # to full-resolution frame pixels
    up = pixel_scale(1 / scale, 1 / scale)
    corners = (np.c_[quad, np.ones(4)] @ up.T)[:, :2]
    hs_full = np.array([up @ H @ np.linalg.inv(up) for H in hs])
    area = float(cv2.contourArea(corners.astype(np.float32)))
    score = area / (full_shape[0] * full_shape[1]) * (len(hs) / n) * (1 - texture) * planarity
    return Candidate(corners, key, key + len(hs), score, area, texture, planarity, hs_full)


def _inside_fraction(quad: np.ndarray, shape: tuple[int, int]) -> float:
    """Fraction of a quadrilateral's area inside the frame."""
    import cv2

    h, w = shape
    box = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]],
                   np.float32)
    area = abs(cv2.contourArea(quad.astype(np.float32)))
    if area <= 0:
        return 0.0
    inter, _ = cv2.intersectConvexConvex(quad.astype(np.float32), box)
    return float(inter) / area


def _overlap(a: Candidate, b: Candidate, shape: tuple[int, int]) -> float:
    """Intersection over the smaller area of two candidates' quadrilaterals in a shared frame
    (0 when their spans do not meet)."""
    import cv2

    lo, hi = max(a.start, b.start), min(a.stop, b.stop)
    if lo >= hi:
        return 0.0
    qa, qb = a.corners_at(lo).astype(np.float32), b.corners_at(lo).astype(np.float32)
    inter, _ = cv2.intersectConvexConvex(qa, qb)
    small = min(abs(cv2.contourArea(qa)), abs(cv2.contourArea(qb)))
    return float(inter) / small if small > 0 else 0.0
