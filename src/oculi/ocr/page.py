"""Document-page preprocessing for OCR: borders, orientation, deskew, rescale, binarize, denoise.

Every step is optional, measured, and recorded in :class:`PreparedPage.steps`; the geometric steps
also compose :attr:`PreparedPage.matrix`, the 3x3 affine map from original pixel coordinates to
the prepared image, so boxes found on the prepared page can be drawn on the original
(:meth:`PreparedPage.to_original`).

Conventions: input HxW gray or HxWxC RGB, ``uint8`` (or float in [0, 1], converted); the prepared
image is HxW ``uint8`` with dark text (0) on white (255). Angles are degrees, counter-clockwise
positive as displayed (the OpenCV convention); ``skew`` is the angle the text lines make with the
horizontal, and deskewing rotates by ``-skew``.

    >>> import numpy as np, cv2
    >>> page = np.full((200, 400), 255, np.uint8)
    >>> for y in range(30, 180, 30):
    ...     _ = cv2.putText(page, "skewed text line", (20, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    >>> rot = cv2.getRotationMatrix2D((200, 100), 4.0, 1.0)
    >>> tilted = cv2.warpAffine(page, rot, (400, 200), borderValue=255)
    >>> round(estimate_skew(text_mask(tilted)))
    4
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oculi.core.checks import check_choice, check_image
from oculi.core.convert import ensure_uint8, to_gray
from oculi.core.errors import MissingDependencyError

__all__ = [
    "PageStep",
    "PreparedPage",
    "binarize",
    "denoise",
    "detect_orientation",
    "estimate_skew",
    "estimate_x_height",
    "prepare_page",
    "remove_border",
    "rotate",
    "text_mask",
]

#: target x-height in pixels (Tesseract is most accurate with lower-case letters 20-40 px high)
TARGET_X_HEIGHT = 30.0
_MIN_PAGE_SIDE = 200


class _Skip(Exception):
    pass


@dataclass
class PageStep:
    """One preprocessing step as it ran: name, what it found or did, its time, an optional image."""

    name: str
    params: dict[str, Any]
    seconds: float
    image: np.ndarray | None = None


@dataclass
class PreparedPage:
    """The output of :func:`prepare_page`.

    Attributes:
        image: HxW uint8, dark text on white, ready for a recognizer.
        matrix: 3x3 float64 affine map from original ``(x, y, 1)`` to prepared-image coordinates.
        original_size: ``(height, width)`` of the input.
        orientation: counter-clockwise rotation (0, 90, 180, 270) the input page had (as
            :func:`rotate` would produce it); it has been undone.
        skew: measured text-line angle in degrees (after orientation), undone by deskewing.
        x_height: estimated x-height of the input in pixels (``nan`` when no text was found).
        scale: the resize factor applied.
        steps: the steps in the order they ran.
    """

    image: np.ndarray
    matrix: np.ndarray
    original_size: tuple[int, int]
    orientation: int = 0
    skew: float = 0.0
    x_height: float = float("nan")
    scale: float = 1.0
    steps: list[PageStep] = field(default_factory=list)

    def to_original(self, boxes: np.ndarray) -> np.ndarray:
        """Map Nx4 ``xyxy`` boxes of the prepared image to axis-aligned boxes on the original.

        Returns:
            Nx4 float32 ``xyxy`` boxes in original pixels, clipped to the original image.
        """
        b = np.asarray(boxes, np.float64).reshape(-1, 4)
        if not len(b):
            return np.zeros((0, 4), np.float32)
        inv = np.linalg.inv(self.matrix)
        corners = np.stack(
            [b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1
        )  # N x 4 x 2
        pts = corners @ inv[:2, :2].T + inv[:2, 2]
        h, w = self.original_size
        out = np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, w)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, h)
        return out.astype(np.float32)


def _as_gray_u8(image: np.ndarray) -> np.ndarray:
    check_image(image, "image")
    return ensure_uint8(to_gray(image))


def text_mask(gray: np.ndarray) -> np.ndarray:
    """Ink mask (True = dark text) by Otsu's threshold on a lightly blurred page.

    Args:
        gray: HxW uint8 (or RGB, converted).

    Returns:
        HxW bool.
    """
    import cv2

    g = _as_gray_u8(gray)
    if int(g.max()) - int(g.min()) < 16:  # a blank page: Otsu would split noise
        return np.zeros(g.shape, bool)
    blur = cv2.GaussianBlur(g, (3, 3), 0)
    _, binary = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return binary > 0


def estimate_x_height(mask: np.ndarray) -> float:
    """Estimate the x-height (pixels) from the heights of the connected components of ``mask``.

    Lower-case letters without ascenders or descenders (a c e m n o r s u v w x z) are the most
    frequent character shape in running text, so the mode of component heights (between 4 px and
    1/8 of the page, aspect ratio plausible for a glyph) is the x-height.

    Returns:
        The x-height in pixels, or ``nan`` when fewer than 10 glyph-like components exist.
    """
    import cv2

    m = np.ascontiguousarray(mask, np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return float("nan")
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    limit = max(8, min(mask.shape) // 8)
    keep = (h >= 4) & (h <= limit) & (w <= 3 * h) & (w * 5 >= h)
    hs = h[keep]
    if hs.size < 10:
        return float("nan")
    counts = np.bincount(hs)
    # smooth over +-1 px so a mode split between two neighbouring heights is found
    smooth = np.convolve(counts, [1, 2, 1], mode="same")
    mode = int(np.argmax(smooth))
    lo, hi = max(mode - 1, 0), mode + 2
    vals = np.arange(lo, hi)
    weights = counts[lo:hi]
    return float((vals * weights).sum() / max(weights.sum(), 1))


def remove_border(gray: np.ndarray, *, mask: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Whiten dark scanner borders: large ink components that touch the image edge.

    A component is a border when it touches an edge and is either longer than 1/3 of that edge or
    covers more than 2% of the page (a scanner band, the facing page, a bleeding photograph);
    text and figures inside the page are kept. Images with a side under 200 px are crops, not
    pages, and are returned unchanged.

    Args:
        gray: HxW uint8 page.
        mask: its ink mask (computed with :func:`text_mask` when omitted).

    Returns:
        The cleaned HxW uint8 page and the number of pixels whitened.
    """
    import cv2

    g = _as_gray_u8(gray)
    h, w = g.shape
    if min(h, w) < _MIN_PAGE_SIDE:  # a word or line crop: its glyphs touch the edges
        return g, 0
    m = text_mask(g) if mask is None else mask
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8), connectivity=8)
    out = g.copy()
    removed = 0
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        if not touches:
            continue
        long_edge = (bw > w / 3 and (y == 0 or y + bh == h)) or (
            bh > h / 3 and (x == 0 or x + bw == w)
        )
        if long_edge or area > 0.02 * h * w:
            sel = labels == i
            sel = cv2.dilate(sel.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
            out[sel] = 255
            removed += int(sel.sum())
    return out, removed


_MIN_ORIENTATION_CONF = {"osd": 1.0, "profile": 1.5}  # default ``min_confidence`` per method


def detect_orientation(
    gray: np.ndarray, *, method: str = "auto", min_confidence: float | None = None
) -> tuple[int, float]:
    """Detect a page rotated by 0, 90, 180 or 270 degrees.

    Args:
        gray: HxW uint8 page (or RGB).
        method: ``"osd"`` (Tesseract's orientation and script detection), ``"profile"``
            (oculi's own: line direction from projection profiles, up/down from ascenders
            outnumbering descenders in Latin script; see ``oculi/ocr/_orientation.py``) or
            ``"auto"`` (OSD when ``osd.traineddata`` is installed, else profile).
        min_confidence: below this confidence the page is taken as upright (default 1.0 for
            OSD's confidence, 1.5 for the profile method's).

    Returns:
        ``(rotation, confidence)``: the counter-clockwise rotation the page *has* (OSD's
        "Rotate", the clockwise turn that fixes it; undo with :func:`rotate` by ``-rotation``)
        and the method's confidence; ``(0, confidence)`` when it is below ``min_confidence``
        and ``(0, 0.0)`` when there are too few characters.

    Raises:
        MissingDependencyError: ``method="osd"`` without the tesseract binary or osd data.
    """
    check_choice(method, ("auto", "osd", "profile"), "method")
    g = _as_gray_u8(gray)
    if method == "auto":
        from oculi.ocr._tesseract import available_languages

        try:
            method = "osd" if "osd" in available_languages() else "profile"
        except MissingDependencyError:
            method = "profile"
    threshold = _MIN_ORIENTATION_CONF[method] if min_confidence is None else min_confidence
    if method == "profile":
        from oculi.ocr._orientation import profile_orientation

        rot, conf = profile_orientation(binarize(g, "sauvola", window=31) == 0)
    else:
        from oculi.ocr._tesseract import osd

        info = osd(g)
        if info is None:
            return 0, 0.0
        rot, conf = int(info["rotate"]) % 360, float(info["orientation_conf"])
    return (rot, conf) if conf >= threshold else (0, conf)


def _ink_points(mask: np.ndarray, max_points: int = 200_000, seed: int = 0) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    if xs.size > max_points:
        idx = np.random.default_rng(seed).choice(xs.size, max_points, replace=False)
        xs, ys = xs[idx], ys[idx]
    return np.stack([xs, ys], axis=1).astype(np.float64)


def _profile_score(pts: np.ndarray, angle: float, bin_px: float) -> float:
    t = math.radians(angle)
    # row coordinate of each ink pixel after rotating the page by -angle (deskewing)
    r = pts[:, 1] * math.cos(t) + pts[:, 0] * math.sin(t)
    hist = np.bincount(((r - r.min()) / bin_px).astype(np.int64))
    return float(np.square(hist.astype(np.float64)).sum())


def estimate_skew(mask: np.ndarray, *, max_angle: float = 15.0, step: float = 0.1) -> float:
    """Text-line skew (degrees, counter-clockwise positive) by projection profiles.

    The ink pixels are projected onto the page's vertical axis rotated by each candidate angle;
    aligned text lines make the profile peaky, so the angle maximising the sum of squared bin
    counts wins. A coarse 1-degree search is refined with ``step``.

    Args:
        mask: HxW bool ink mask (see :func:`text_mask`).
        max_angle: search range ``[-max_angle, max_angle]``.
        step: final resolution in degrees.

    Returns:
        The skew angle; 0.0 when the mask has fewer than 50 ink pixels.
    """
    pts = _ink_points(mask)
    if len(pts) < 50:
        return 0.0
    bin_px = max(1.0, min(mask.shape) / 1500)
    coarse = np.arange(-max_angle, max_angle + 1e-9, 1.0)
    best = max(coarse, key=lambda a: _profile_score(pts, a, bin_px))
    fine = np.arange(best - 1.0, best + 1.0 + 1e-9, step)
    best = max(fine, key=lambda a: _profile_score(pts, a, bin_px))
    return float(round(best, 3))


def rotate(image: np.ndarray, angle: float, *, fill: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """Rotate counter-clockwise by ``angle`` degrees on a canvas large enough to keep every pixel.

    Multiples of 90 are exact (``np.rot90``); other angles use bicubic interpolation and fill the
    new corners with ``fill``.

    Returns:
        The rotated image (same dtype) and the 3x3 float64 matrix mapping input to output pixels.
    """
    import cv2

    h, w = image.shape[:2]
    k = angle / 90.0
    if abs(k - round(k)) < 1e-9:
        k = round(k) % 4
        out = np.ascontiguousarray(np.rot90(image, k))
        mats = {
            0: [[1, 0, 0], [0, 1, 0]],
            1: [[0, 1, 0], [-1, 0, w - 1]],
            2: [[-1, 0, w - 1], [0, -1, h - 1]],
            3: [[0, -1, h - 1], [1, 0, 0]],
        }
        return out, np.vstack([np.array(mats[k], np.float64), [0, 0, 1]])
    t = math.radians(angle)
    c, s = abs(math.cos(t)), abs(math.sin(t))
    nw, nh = math.ceil(w * c + h * s), math.ceil(w * s + h * c)
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    m[0, 2] += (nw - w) / 2
    m[1, 2] += (nh - h) / 2
    value = (fill,) * (image.shape[2] if image.ndim == 3 else 1)
    out = cv2.warpAffine(
        image, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
        borderValue=value,
    )
    return out, np.vstack([m, [0, 0, 1]])


def binarize(
    gray: np.ndarray, method: str = "sauvola", *, window: int = 51, k: float = 0.2
) -> np.ndarray:
    """Binarize a page to uint8 0 (ink) / 255 (paper).

    Args:
        gray: HxW uint8 page.
        method: ``"sauvola"`` (local mean and deviation, robust to uneven light), ``"adaptive"``
            (OpenCV Gaussian adaptive threshold) or ``"otsu"`` (one global threshold).
        window: odd local window in pixels (about two text-line heights works well).
        k: Sauvola's sensitivity (0.2 is the usual value).

    Returns:
        HxW uint8 with values 0 and 255.
    """
    import cv2

    check_choice(method, ("sauvola", "adaptive", "otsu"), "method")
    g = _as_gray_u8(gray)
    window = max(3, int(window) | 1)
    if method == "otsu":
        _, out = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        return out
    if method == "adaptive":
        return cv2.adaptiveThreshold(
            g, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, window, 10
        )
    # Sauvola: T = m * (1 + k * (s / R - 1)), local mean m and deviation s over the window
    # (box filters, the same result as skimage.filters.threshold_sauvola with R = 128)
    f = g.astype(np.float32)
    mean = cv2.boxFilter(f, -1, (window, window), borderType=cv2.BORDER_REFLECT)
    sq = cv2.boxFilter(f * f, -1, (window, window), borderType=cv2.BORDER_REFLECT)
    std = np.sqrt(np.maximum(sq - mean * mean, 0))
    thr = mean * (1 + k * (std / 128.0 - 1))
    return np.where(g > thr, 255, 0).astype(np.uint8)


def denoise(binary: np.ndarray, *, min_area: int = 4) -> tuple[np.ndarray, int]:
    """Remove isolated ink specks smaller than ``min_area`` pixels from a 0/255 page.

    Returns:
        The cleaned page and the number of specks removed.
    """
    import cv2

    ink = (binary < 128).astype(np.uint8)
    _n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = np.nonzero(stats[1:, cv2.CC_STAT_AREA] < min_area)[0] + 1
    out = binary.copy()
    if small.size:
        out[np.isin(labels, small)] = 255
    return out, int(small.size)


_Record = Callable[..., None]


def _orientation_step(page: PreparedPage, gray: np.ndarray, mask: np.ndarray, method: str,
                      record: _Record) -> tuple[np.ndarray, np.ndarray]:
    """Detect and undo a 90/180/270-degree rotation (skipped, and recorded so, on a crop, an
    empty page or without Tesseract)."""
    t0 = time.perf_counter()
    try:
        if min(gray.shape) < _MIN_PAGE_SIDE or not mask.any():
            raise _Skip("a crop or an empty page: too little text for OSD")
        rot, conf = detect_orientation(gray, method=method)
    except (MissingDependencyError, _Skip) as exc:
        record("orientation", t0, None, skipped=str(exc))
        return gray, mask
    if rot:
        gray, m = rotate(gray, -rot)  # the page is turned counter-clockwise by rot
        mask = np.ascontiguousarray(np.rot90(mask, -rot // 90))
        page.matrix = m @ page.matrix
    page.orientation = rot
    record("orientation", t0, gray, rotation=rot, confidence=round(conf, 2))
    return gray, mask


def _deskew_step(page: PreparedPage, gray: np.ndarray, mask: np.ndarray, max_skew: float,
                 min_skew: float, record: _Record) -> tuple[np.ndarray, np.ndarray]:
    """Measure the skew and undo it when at least ``min_skew`` degrees."""
    t0 = time.perf_counter()
    skew = estimate_skew(mask, max_angle=max_skew)
    if abs(skew) >= min_skew:
        gray, m = rotate(gray, -skew)
        mask = text_mask(gray)
        page.matrix = m @ page.matrix
    else:
        skew = 0.0
    page.skew = skew
    record("deskew", t0, gray, angle=skew)
    return gray, mask


def _rescale_step(page: PreparedPage, gray: np.ndarray, mask: np.ndarray, rescale: bool,
                  x_height: float, record: _Record) -> tuple[np.ndarray, float]:
    """Measure the x-height (always) and resize towards ``x_height`` (``rescale``); returns
    the page and the measured x-height."""
    import cv2

    t0 = time.perf_counter()
    xh = estimate_x_height(mask)
    page.x_height = xh
    if rescale and math.isfinite(xh):
        s = float(np.clip(x_height / xh, 0.25, 4.0))
        if abs(s - 1) > 0.1:
            hh, ww = gray.shape
            size = (max(1, round(ww * s)), max(1, round(hh * s)))
            interp = cv2.INTER_CUBIC if s > 1 else cv2.INTER_AREA
            gray = cv2.resize(gray, size, interpolation=interp)
            sm = np.diag([size[0] / ww, size[1] / hh, 1.0])
            page.matrix = sm @ page.matrix
            page.scale = s
        record("rescale", t0, gray, x_height=round(xh, 1), scale=round(page.scale, 3))
    elif rescale:
        record("rescale", t0, None, skipped="no text found to measure the x-height")
    return gray, xh


def _binarize_step(page: PreparedPage, gray: np.ndarray, xh: float, binarization: str,
                   clean: bool, x_height: float, record: _Record) -> np.ndarray:
    """Binarize with a window of ~2.5 x-heights, then remove specks (``clean``)."""
    t0 = time.perf_counter()
    xh_now = (xh * page.scale) if math.isfinite(xh) else x_height
    window = int(max(15, 2.5 * xh_now)) | 1
    gray = binarize(gray, binarization, window=window)
    record("binarize", t0, gray, method=binarization, window=window)
    if clean:
        t0 = time.perf_counter()
        min_area = max(2, int(0.01 * xh_now * xh_now))
        gray, specks = denoise(gray, min_area=min_area)
        record("denoise", t0, gray, specks_removed=specks, min_area=min_area)
    return gray


def prepare_page(
    image: np.ndarray,
    *,
    border: bool = True,
    orientation: bool = True,
    orientation_method: str = "auto",
    deskew: bool = True,
    rescale: bool = True,
    binarization: str | None = "sauvola",
    clean: bool = True,
    x_height: float = TARGET_X_HEIGHT,
    max_skew: float = 15.0,
    min_skew: float = 1.0,
    keep_images: bool = False,
) -> PreparedPage:
    """Clean a document page for OCR; each step optional, all recorded.

    Order: gray -> border removal -> orientation (Tesseract OSD) -> deskew (projection profiles)
    -> rescale to ``x_height`` -> binarization -> speck removal.

    Args:
        image: HxW or HxWx3 page, uint8 (float in [0, 1] is converted).
        border: whiten dark scanner borders touching the edges.
        orientation: detect and undo 90/180/270-degree rotation (Tesseract OSD, or oculi's
            profile method when osd.traineddata is missing; see :func:`detect_orientation`).
        orientation_method: ``"auto"``, ``"osd"`` or ``"profile"``.
        deskew: measure and undo a skew of up to ``max_skew`` degrees.
        rescale: resize so the estimated x-height becomes ``x_height`` pixels (factor in
            [1/4, 4]).
        binarization: ``"sauvola"``, ``"adaptive"``, ``"otsu"`` or ``None`` (keep gray).
        clean: remove specks smaller than ~1% of the x-height squared (after binarization).
        x_height: target x-height in pixels.
        max_skew: deskew search range in degrees.
        min_skew: smaller skews are left alone: Tesseract's line finder copes with them and
            resampling would blur the glyphs (measured on eurotext: 0.8 degrees undone cost
            0.7 CER points).
        keep_images: keep each step's output image in ``steps`` (for reports).

    Returns:
        A :class:`PreparedPage`.
    """
    gray = _as_gray_u8(image)
    h0, w0 = gray.shape
    page = PreparedPage(gray, np.eye(3), (h0, w0))
    steps = page.steps

    def record(name: str, t0: float, img: np.ndarray | None = None, **params: Any) -> None:
        steps.append(PageStep(name, params, time.perf_counter() - t0,
                              img.copy() if keep_images and img is not None else None))

    t0 = time.perf_counter()
    mask = text_mask(gray)
    if border:
        gray, removed = remove_border(gray, mask=mask)
        if removed:
            mask = text_mask(gray)
        record("border", t0, gray, pixels_whitened=removed)
    if orientation:
        gray, mask = _orientation_step(page, gray, mask, orientation_method, record)
    if deskew:
        gray, mask = _deskew_step(page, gray, mask, max_skew, min_skew, record)
    gray, xh = _rescale_step(page, gray, mask, rescale, x_height, record)
    if binarization:
        gray = _binarize_step(page, gray, xh, binarization, clean, x_height, record)
    page.image = gray
    return page
