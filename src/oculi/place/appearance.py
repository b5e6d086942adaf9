"""Render an insert onto a tracked plane in the scene's colour, light, blur and grain.

:func:`render_insert` warps the insert (resized to the plane's canvas) into the frame and
matches it to the scene in this order:

1. **colour**: with a ``reference_canvas`` (the plane's surface as first seen), the change of the
   surface's colours from the reference to this frame is applied to the insert — a per-channel
   gain (``"gain"``: median ratio of current to reference), Reinhard's Lab mean/std mapping
   from the reference's statistics to the current ones (``"reinhard"``), or the histogram
   mapping between them (``"histogram"``). Without a reference, the insert's own statistics are
   moved towards the region's by ``strength`` (classic Reinhard or histogram matching);
2. **shading** (needs the reference): the low-pass luminance ratio of the current rectified
   surface to the reference, divided by its median (the global part is the colour step's), so
   shadows and light falloff across the plane fall on the insert;
3. **motion blur**: with ``prev_H``, a line kernel along the mean displacement of the plane's
   corners since the previous frame, ``shutter`` times its length;
4. **grain**: Gaussian noise bringing the insert's noise level up to the frame's (a robust
   estimate: the median absolute value of a Laplacian-like high-pass, Immerkaer's kernel);
5. **edges**: the coverage is feathered over ``feather`` pixels inside the plane's edge
   (``blend="feather"``), or the insert is Poisson-blended (``cv2.seamlessClone``,
   ``blend="poisson"``), or pasted with anti-aliased edges (``"none"``);
6. the **occluder** mask is kept on top: those pixels stay the frame's.

Occluded and out-of-frame pixels never enter the colour and shading statistics. An insert with
an alpha channel (``HxWx4``) is composited by its alpha (premultiplied while warping and
blurring, so its edges do not darken).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from oculi.core.checks import check_choice, check_image, check_in_range, check_positive
from oculi.core.errors import ShapeError
from oculi.place._canvas import (
    check_frame,
    check_homography,
    extent_corners,
    frame_roi,
    pixel_scale,
    project,
    rectify,
    translation,
)
from oculi.place.colour import (
    histogram_lut,
    lab_statistics,
    lab_to_rgb,
    reinhard_transfer,
    rgb_to_lab,
)

COLOUR_METHODS = ("gain", "reinhard", "histogram", "none")
BLENDS = ("feather", "poisson", "none")
_STATS_SIZE = 96  # longest side of the canvas the colour statistics are taken on
_NOISE_SAMPLES = 10000  # pixels the noise estimate looks at, at most
_TILE = 256  # side of the grain tile, pixels
_STD_FLOOR = 4.0  # Lab units: prior spread of the relative Reinhard ratio (colour.py)


@dataclass(frozen=True)
class AppearanceOptions:
    """Settings of :func:`render_insert`.

    Attributes:
        colour: ``"gain"``, ``"reinhard"``, ``"histogram"`` or ``"none"`` (see the module docs).
        strength: without a reference canvas, how far (0..1) the insert's colour statistics move
            towards the region's.
        shading: apply the surface's low-pass luminance ratio (needs a reference canvas).
        shading_sigma: low-pass width of the shading, fraction of the canvas's longest side.
        motion_blur: blur along the plane's motion (needs ``prev_H``).
        shutter: exposure as a fraction of the frame interval (blur length = shutter x motion).
        grain: add noise up to the frame's noise level.
        blend: ``"feather"``, ``"poisson"`` or ``"none"``.
        feather: feather width inside the plane's edge, frame pixels.
        seed: seed of the grain.
    """

    colour: str = "gain"
    strength: float = 0.5
    shading: bool = True
    shading_sigma: float = 0.08
    motion_blur: bool = True
    shutter: float = 0.5
    grain: bool = True
    blend: str = "feather"
    feather: float = 1.5
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice(self.colour, COLOUR_METHODS, "colour")
        check_in_range(self.strength, "strength", 0.0, 1.0)
        check_positive(self.shading_sigma, "shading_sigma")
        check_in_range(self.shutter, "shutter", 0.0, 1.0)
        check_choice(self.blend, BLENDS, "blend")
        check_in_range(self.feather, "feather", 0.0, 100.0)


def render_insert(
    frame: np.ndarray,
    insert: np.ndarray,
    H: np.ndarray,
    *,
    occluder: np.ndarray | None = None,
    reference_canvas: np.ndarray | None = None,
    prev_H: np.ndarray | None = None,
    canvas_size: tuple[int, int] | None = None,
    options: AppearanceOptions | None = None,
) -> np.ndarray:
    """Composite ``insert`` onto the plane ``H`` maps into ``frame``, matched to the scene.

    Args:
        frame: ``HxWx3`` uint8 RGB.
        insert: ``hxwx3`` uint8 RGB, or ``hxwx4`` RGBA composited by its alpha; it is stretched
            to the canvas.
        H: ``(3, 3)`` canvas -> frame homography.
        occluder: optional ``HxW`` bool, True where something is in front of the plane (kept).
        reference_canvas: optional ``(h_ref, w_ref, 3)`` uint8, the plane's surface at the
            reference lighting; enables the relative colour step and the shading.
        prev_H: optional ``(3, 3)`` homography of the previous frame (motion blur).
        canvas_size: ``(h_ref, w_ref)`` when no reference canvas gives it; default: the
            reference's size, else the insert's.
        options: the :class:`AppearanceOptions`.

    Returns:
        ``HxWx3`` uint8 RGB, a new frame (the input is not modified).

    Raises:
        ShapeError, DTypeError: a bad frame, insert, occluder or reference.
        ValueRangeError, ParameterError: a NaN, singular or non-finite-quadrilateral ``H``.
    """
    import cv2

    opts = options if options is not None else AppearanceOptions()
    frame = check_frame(frame, "frame")
    insert = check_frame(insert, "insert", channels=(3, 4))
    H = check_homography(H, "H")
    prev = None if prev_H is None else check_homography(prev_H, "prev_H")
    occ = _check_mask(occluder, frame.shape[:2])
    ref = None if reference_canvas is None else check_frame(reference_canvas, "reference_canvas")
    size = _canvas_size(ref, canvas_size, insert)
    roi = frame_roi(project(H, extent_corners(size)), frame.shape)
    if roi is None:
        return frame.copy()
    x0, y0, x1, y1 = roi
    crop = frame[y0:y1, x0:x1]
    occ_crop = None if occ is None else occ[y0:y1, x0:x1]
    H_roi = translation(-x0, -y0) @ H
    colour, alpha = _warp_insert(insert, size, H_roi, crop.shape[:2])
    edge = _antialiased(H_roi, size, crop.shape[:2])
    inside = edge >= 0.5
    surface = _Surface(crop, H_roi, size, occ_crop, ref)
    shading = None
    if opts.shading and ref is not None:
        shading = surface.shading(opts.shading_sigma)  # also de-shades the surface statistics
    colour = _match_colour(colour, alpha > 0, surface, opts)
    if shading is not None:
        colour = colour * surface.to_roi(shading, H_roi, crop.shape[:2])[..., None]
    if opts.motion_blur and prev is not None and opts.shutter > 0:
        colour, alpha = _motion_blur(colour, alpha, H, prev, size, opts.shutter)
    if opts.grain:
        colour = _add_grain(colour, alpha, crop, inside, opts.seed)
    coverage = _coverage(edge, inside, opts)
    alpha = alpha * coverage
    if occ_crop is not None:
        alpha[occ_crop] = 0
    out = frame.copy()
    rendered = np.clip(colour, 0, 255)
    if opts.blend == "poisson":
        blended = _poisson(rendered, crop, inside, alpha, occ_crop)
        if blended is not None:
            out[y0:y1, x0:x1] = blended
            return out
    out[y0:y1, x0:x1] = cv2.blendLinear(np.rint(rendered).astype(np.uint8), crop, alpha,
                                        1 - alpha)
    return out


# -- inputs ------------------------------------------------------------------------------------


def _check_mask(occluder: object, shape: tuple[int, int]) -> np.ndarray | None:
    if occluder is None:
        return None
    m = check_image(occluder, "occluder", channels=(1,), dtypes=("bool", "uint8"))
    if m.shape[:2] != shape:
        raise ShapeError(f"occluder: expected a {shape[0]}x{shape[1]} mask (the frame's size), "
                         f"got {m.shape[0]}x{m.shape[1]}")
    return m.reshape(shape).astype(bool)


def _canvas_size(ref: np.ndarray | None, canvas_size: object, insert: np.ndarray
                 ) -> tuple[int, int]:
    if ref is not None:
        return ref.shape[:2]
    if canvas_size is None:
        return insert.shape[:2]
    try:
        h, w = (int(v) for v in canvas_size)  # type: ignore[union-attr]
    except (TypeError, ValueError) as err:
        raise ShapeError(f"canvas_size: expected (height, width), got {canvas_size!r}") from err
    if h < 1 or w < 1:
        raise ShapeError(f"canvas_size: expected positive (height, width), got {canvas_size!r}")
    return h, w


# -- geometry ----------------------------------------------------------------------------------


def _warp_insert(insert: np.ndarray, size: tuple[int, int], H_roi: np.ndarray,
                 roi_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The insert in ROI pixels: un-premultiplied float32 RGB (0..255) and float32 alpha."""
    import cv2

    h, w = roi_shape
    ih, iw = insert.shape[:2]
    M = H_roi @ pixel_scale(size[1] / iw, size[0] / ih)  # insert pixels -> ROI pixels
    img = insert
    if insert.shape[2] == 4:  # premultiplied while resampled, so edges do not darken
        a = insert[..., 3:].astype(np.float32) / 255
        img = np.concatenate([insert[..., :3] * a, a * 255], axis=2)
    # shrink a much larger insert first so the warp does not alias
    quad = project(M, extent_corners((ih, iw)))
    shrink = max(np.ptp(quad[:, 0]), np.ptp(quad[:, 1]), 1.0) / max(ih, iw)
    if shrink < 0.66:
        small = (max(1, round(iw * shrink)), max(1, round(ih * shrink)))
        img = cv2.resize(img, small, interpolation=cv2.INTER_AREA)
        M = M @ np.linalg.inv(pixel_scale(small[0] / iw, small[1] / ih))
    # coverage comes from the plane's quadrilateral (see _coverage); the replicated border
    # keeps the insert's edge colours from mixing with black there
    warped = cv2.warpPerspective(img, M, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    if insert.shape[2] == 3:
        return warped, np.ones((h, w), np.float32)
    alpha = np.clip(warped[..., 3] / 255, 0, 1)
    colour = warped[..., :3] / np.maximum(alpha, 1e-3)[..., None]
    colour[alpha <= 1e-3] = 0
    return colour, alpha


def _antialiased(H_roi: np.ndarray, size: tuple[int, int], roi_shape: tuple[int, int]
                 ) -> np.ndarray:
    """Float32 coverage of the plane in ROI pixels, anti-aliased (0..1; >= 0.5 inside)."""
    import cv2

    h, w = roi_shape
    ones = np.full(size, 255, np.uint8)
    aa = cv2.warpPerspective(ones, H_roi, (w, h), flags=cv2.INTER_LINEAR)
    return aa.astype(np.float32) / 255


def _coverage(edge: np.ndarray, inside: np.ndarray, opts: AppearanceOptions) -> np.ndarray:
    """The anti-aliased coverage, feathered inwards over ``opts.feather`` pixels."""
    import cv2

    if opts.blend != "feather" or opts.feather <= 0:
        return edge
    dist = cv2.distanceTransform(np.pad(inside, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]
    return np.minimum(edge, np.clip((dist - 0.5) / opts.feather, 0, 1)).astype(np.float32)


# -- colour and light ----------------------------------------------------------------------------


class _Surface:
    """The plane's current surface on a small canvas (and the reference's), for statistics."""

    def __init__(self, crop: np.ndarray, H_roi: np.ndarray, size: tuple[int, int],
                 occluder: np.ndarray | None, ref: np.ndarray | None) -> None:
        import cv2

        h, w = size
        s = min(1.0, _STATS_SIZE / max(h, w))
        self.work = (max(4, round(h * s)), max(4, round(w * s)))
        self.to_work = pixel_scale(self.work[1] / w, self.work[0] / h)
        ok = None
        if occluder is not None:
            ok = np.full(crop.shape[:2], 255, np.uint8)
            ok[cv2.dilate(occluder.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0] = 0
        self.current, self.valid = rectify(crop, H_roi @ np.linalg.inv(self.to_work),
                                           self.work, ok)
        wh, area = self.work[::-1], cv2.INTER_AREA
        self.reference = None if ref is None else cv2.resize(
            ref, wh, interpolation=area).astype(np.float32)
        if not self.valid.any():  # all covered: statistics from the reference alone
            self.current = self.reference if ref is not None else self.current
            self.valid[:] = True

    def pixels(self) -> tuple[np.ndarray, np.ndarray | None]:
        """``(N, 3)`` float32 valid current pixels (0..255) and the reference's there."""
        cur = self.current[self.valid]
        return cur, None if self.reference is None else self.reference[self.valid]

    def shading(self, sigma_frac: float) -> np.ndarray:
        """Low-pass luminance ratio current / reference, median-normalised, on the small
        canvas; the current surface is divided by it (its statistics are then the light's
        global part only)."""
        import cv2

        sigma = sigma_frac * max(self.work)
        w = self.valid.astype(np.float32)
        lum_c = cv2.cvtColor(self.current, cv2.COLOR_RGB2GRAY) + 4
        lum_r = cv2.cvtColor(self.reference, cv2.COLOR_RGB2GRAY) + 4
        den = cv2.GaussianBlur(w, (0, 0), sigma) + 1e-6
        ratio = (cv2.GaussianBlur(lum_c * w, (0, 0), sigma) / den) / (
            cv2.GaussianBlur(lum_r * w, (0, 0), sigma) / den)
        ratio = (ratio / np.median(ratio[self.valid])).astype(np.float32)
        self.current = self.current / ratio[..., None]
        return ratio

    def to_roi(self, image: np.ndarray, H_roi: np.ndarray, roi_shape: tuple[int, int]
               ) -> np.ndarray:
        """A small-canvas image in ROI pixels."""
        import cv2

        M = H_roi @ np.linalg.inv(self.to_work)
        h, w = roi_shape
        return cv2.warpPerspective(image, M, (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)


def _match_colour(colour: np.ndarray, where: np.ndarray, surface: _Surface,
                  opts: AppearanceOptions) -> np.ndarray:
    """The insert's colours (float32 0..255, ROI pixels) moved to the scene's."""
    import cv2

    if opts.colour == "none" or not where.any():
        return colour
    cur, ref = surface.pixels()
    relative = ref is not None
    if not relative:  # absolute transfer: from the insert's own statistics, by strength
        step = max(1, int(np.sqrt(where.sum() / _NOISE_SAMPLES)))
        ref = colour[::step, ::step][where[::step, ::step]]
    cur, ref = np.clip(cur, 0, 255), np.clip(ref, 0, 255)
    if opts.colour == "gain":
        g = (np.median(cur, axis=0) + 1) / (np.median(ref, axis=0) + 1)
        mapped = colour * g.astype(np.float32)
    elif opts.colour == "reinhard":
        lab = cv2.cvtColor(np.clip(colour, 0, 255) / np.float32(255), cv2.COLOR_RGB2Lab)
        src, dst = lab_statistics(rgb_to_lab(ref / 255)), lab_statistics(rgb_to_lab(cur / 255))
        floor = _STD_FLOOR if relative else 0.0
        mapped = lab_to_rgb(reinhard_transfer(lab, src, dst, std_floor=floor)) * 255
    else:
        lut = histogram_lut(ref, cur)
        v = np.clip(colour, 0, 255)
        i0 = np.minimum(v.astype(np.int32), 254)
        frac = v - i0
        chan = np.arange(3)
        mapped = lut[i0, chan] * (1 - frac) + lut[i0 + 1, chan] * frac
    if not relative:
        mapped = colour + np.float32(opts.strength) * (mapped - colour)
    return mapped.astype(np.float32, copy=False)


def _motion_blur(colour: np.ndarray, alpha: np.ndarray, H: np.ndarray, prev: np.ndarray,
                 size: tuple[int, int], shutter: float) -> tuple[np.ndarray, np.ndarray]:
    """Premultiplied line blur along the mean corner displacement (frame pixels)."""
    import cv2

    corners = extent_corners(size)
    d = (project(H, corners) - project(prev, corners)).mean(axis=0) * shutter
    length = float(np.hypot(*d))
    if length < 0.75:
        return colour, alpha
    kernel = line_kernel(d)
    if (alpha >= 1).all():  # opaque: the colour alone
        return cv2.filter2D(colour, cv2.CV_32F, kernel, borderType=cv2.BORDER_REPLICATE), alpha
    pre = np.concatenate([colour * alpha[..., None], alpha[..., None]], axis=2)
    pre = cv2.filter2D(pre, cv2.CV_32F, kernel, borderType=cv2.BORDER_CONSTANT)
    a = pre[..., 3]
    return pre[..., :3] / np.maximum(a, 1e-3)[..., None], a


def line_kernel(displacement: np.ndarray) -> np.ndarray:
    """A normalised line blur kernel centred on the origin.

    Args:
        displacement: ``(dx, dy)``, the blur's full length and direction in pixels.

    Returns:
        ``(k, k)`` float32 kernel, odd ``k``, summing to 1.
    """
    dx, dy = (float(v) for v in displacement)
    length = np.hypot(dx, dy)
    half = int(np.ceil(length / 2)) + 1
    k = 2 * half + 1
    kernel = np.zeros((k, k), np.float32)
    n = max(2, int(np.ceil(length * 4)))
    for t in np.linspace(-0.5, 0.5, n):
        x, y = half + t * dx, half + t * dy
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        fx, fy = x - x0, y - y0
        kernel[y0, x0] += (1 - fx) * (1 - fy)
        kernel[y0, x0 + 1] += fx * (1 - fy)
        kernel[y0 + 1, x0] += (1 - fx) * fy
        kernel[y0 + 1, x0 + 1] += fx * fy
    return kernel / kernel.sum()


def noise_sigma(image: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Noise standard deviation of an image, grey levels: 1.4826 x the median absolute response
    to Immerkaer's 3x3 Laplacian difference kernel over ``mask``, divided by the kernel's norm
    (6), averaged over the channels. Texture raises it less than a mean would.

    Args:
        image: ``HxW`` or ``HxWxC``, any numeric dtype, grey levels.
        mask: optional ``HxW`` bool of the pixels measured.

    Returns:
        The estimate per channel, averaged (0 for an empty mask).
    """
    import cv2

    img = np.asarray(image)
    img = img[..., None] if img.ndim == 2 else img
    h, w = img.shape[:2]
    if h < 3 or w < 3:
        return 0.0
    m = (np.ones((h, w), bool) if mask is None else
         cv2.erode(np.asarray(mask, np.uint8), np.ones((3, 3), np.uint8)) > 0)
    # the kernel evaluated only at a regular subsample of centres (enough for a median)
    st = max(1, int(np.sqrt(m.sum() / _NOISE_SAMPLES)))

    def at(dy: int, dx: int) -> np.ndarray:
        return img[1 + dy:h - 1 + dy:st, 1 + dx:w - 1 + dx:st].astype(np.float32)

    resp = (4 * at(0, 0) - 2 * (at(-1, 0) + at(1, 0) + at(0, -1) + at(0, 1))
            + at(-1, -1) + at(-1, 1) + at(1, -1) + at(1, 1))
    resp = np.abs(resp[m[1:h - 1:st, 1:w - 1:st]])
    if resp.size == 0:
        return 0.0
    per_channel = np.median(np.ascontiguousarray(resp.T), axis=1)
    return float(np.mean(1.4826 * per_channel / 6.0))


@lru_cache(maxsize=4)
def _noise_tile(seed: int) -> np.ndarray:
    """A ``(256, 256, 3)`` float32 tile of standard normal noise (tiled over the insert)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((_TILE, _TILE, 3), dtype=np.float32)


def _add_grain(colour: np.ndarray, alpha: np.ndarray, crop: np.ndarray, inside: np.ndarray,
               seed: int) -> np.ndarray:
    target = noise_sigma(crop, inside)
    own = noise_sigma(colour, inside & (alpha > 0.99))
    sigma = np.sqrt(max(0.0, target**2 - own**2))
    if sigma < 0.2:
        return colour
    h, w = colour.shape[:2]
    tile = _noise_tile(int(seed))
    noise = np.tile(tile, (-(-h // _TILE), -(-w // _TILE), 1))[:h, :w]
    return colour + noise * np.float32(sigma)


def _poisson(rendered: np.ndarray, crop: np.ndarray, inside: np.ndarray, alpha: np.ndarray,
             occluder: np.ndarray | None) -> np.ndarray | None:
    """Poisson blending of the rendered insert into the crop (``cv2.seamlessClone``), occluder
    and alpha kept; None when the plane touches the crop's border (no room for the solver)."""
    import cv2

    mask = cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    if len(xs) < 16 or xs.min() < 2 or ys.min() < 2 or xs.max() > w - 3 or ys.max() > h - 3:
        return None
    x, y, bw, bh = cv2.boundingRect(mask)
    centre = (x + bw // 2, y + bh // 2)
    src = np.ascontiguousarray(rendered.astype(np.uint8))
    cloned = cv2.seamlessClone(src, np.ascontiguousarray(crop), mask * 255, centre,
                               cv2.NORMAL_CLONE).astype(np.float32)
    frac = alpha.copy()
    if occluder is not None:
        frac[occluder] = 0
    frac = frac[..., None]
    out = crop * (1 - frac) + cloned * frac
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
