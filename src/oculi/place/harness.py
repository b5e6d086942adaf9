"""Evaluation sequences with exact ground truth for planar tracking and insertion.

:func:`make_sequence` renders a video in which a textured plane (a poster: scikit-image's
astronaut photograph) moves by known homographies over a real-photo background (a mosaic of
scikit-image's photographs, panned by its own camera motion), with motion blur, a global lighting
change and synthetic occluders whose masks are exact. Nothing is downloaded: every image ships
with scikit-image.

Motions (``motion=``), all smooth in time with periods given in frames, so a short clip moves as
fast per frame as a long one:

- ``"pan"``: the plane translates (up to 15 % of the frame width, about 8 px/frame at 720p);
- ``"zoom"``: it comes closer and recedes (scale 0.77 .. 1.43) while drifting a little;
- ``"perspective"``: it turns about its vertical (35 deg) and horizontal (20 deg) axes and rolls;
- ``"shake"``: a slow pan plus camera shake (a fresh random shift of 2 px RMS and 0.3 deg
  rotation every frame, applied to plane and background alike);
- ``"exit"``: the plane slides out of the frame to the right and comes back (recovery tests).

The plane is a flat rectangle seen by a pinhole camera (focal length = frame width); its canvas
(the rectified surface, ``canvas_size = (h_ref, w_ref)``) maps to the frame by ``H_true[i]``
(docs/conventions.md: canvas pixel ``[x, y, 1]`` to frame pixel). Motion blur averages
``blur_samples`` sub-frame renderings over half the frame interval centred on the frame's time,
so ``H_true[i]`` is the pose at the exposure's middle (exactly: the homography of the
exposure-mean corner positions, which differs from the middle pose only where camera shake
turns within the exposure). The lighting gain multiplies the whole
rendered frame (plane, scene and occluders). Occluders are drawn last, unblurred, with hard
edges: a textured blob (a cat photograph in an ellipse) and a grey bar crossing the plane
periodically, and, with ``cover=(start, stop)``, a textured panel hiding the whole plane in
those frames. ``occluder_masks[i]`` is True where an occluder covers the plane's visible
quadrilateral (the frame-size mask a perfect occlusion model returns).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from oculi.core.checks import check_choice
from oculi.core.errors import ParameterError

MOTIONS = ("pan", "zoom", "perspective", "shake", "exit")

#: photographs tiled into the background (oculi.data sample names)
_BACKGROUND = ("rocket", "motorcycle_left", "coffee", "hubble", "retina", "ihc")


@dataclass(frozen=True)
class HarnessSequence:
    """A rendered sequence and its ground truth.

    Attributes:
        frames: N frames, each ``HxWx3`` uint8 RGB.
        H_true: ``(N, 3, 3)`` float64 canvas -> frame homographies (``H[2, 2] = 1``).
        occluder_masks: ``(N, H, W)`` bool, True where an occluder hides the plane.
        plane_texture: ``(h_ref, w_ref, 3)`` uint8, the plane's surface at gain 1 (the reference
            canvas a tracker is given).
        gain: ``(N,)`` float64 lighting factor per frame (1 = the texture's own brightness).
        canvas_size: ``(h_ref, w_ref)``.
        motion: the motion name.
    """

    frames: list[np.ndarray]
    H_true: np.ndarray
    occluder_masks: np.ndarray
    plane_texture: np.ndarray
    gain: np.ndarray
    canvas_size: tuple[int, int]
    motion: str

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def corners_true(self) -> np.ndarray:
        """``(N, 4, 2)`` float64 true frame positions of the canvas corners (TL, TR, BR, BL)."""
        return project_corners(self.H_true, self.canvas_size)


def canvas_corners(canvas_size: tuple[int, int]) -> np.ndarray:
    """``(4, 2)`` float64 canvas corners (0,0), (w-1,0), (w-1,h-1), (0,h-1) for ``(h, w)``."""
    h, w = canvas_size
    return np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64)


def project_corners(H: np.ndarray, canvas_size: tuple[int, int]) -> np.ndarray:
    """Frame positions of the canvas corners under ``H`` (``(3, 3)`` or ``(N, 3, 3)``).

    Returns:
        ``(4, 2)`` or ``(N, 4, 2)`` float64 pixels.
    """
    c = np.c_[canvas_corners(canvas_size), np.ones(4)]
    p = np.einsum("...ij,kj->...ki", np.asarray(H, np.float64), c)
    return p[..., :2] / p[..., 2:3]


@lru_cache(maxsize=4)
def _mosaic(height: int) -> np.ndarray:
    """Real photographs tiled 2 x 3, each tile ``height/2`` high and 4:3, uint8 RGB."""
    import cv2

    from oculi.core.convert import to_rgb
    from oculi.data import load

    th = max(8, height // 2)
    tw = th * 4 // 3
    tiles = []
    for name in _BACKGROUND:
        img = to_rgb(load(name, mode="rgb"))
        tiles.append(cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA))
    rows = [np.concatenate(tiles[i:i + 3], axis=1) for i in (0, 3)]
    return np.ascontiguousarray(np.concatenate(rows, axis=0))


def _texture(name: str, size: tuple[int, int]) -> np.ndarray:
    import cv2

    from oculi.core.convert import to_rgb
    from oculi.data import load

    img = to_rgb(load(name, mode="rgb"))
    h, w = size
    sh, sw = img.shape[:2]
    crop = min(sh, int(sw * h / w)), min(sw, int(sh * w / h))
    y0, x0 = (sh - crop[0]) // 2, (sw - crop[1]) // 2
    img = img[y0:y0 + crop[0], x0:x0 + crop[1]]
    interp = cv2.INTER_AREA if crop[1] > w else cv2.INTER_CUBIC
    return cv2.resize(img, (w, h), interpolation=interp)


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ ry @ rx


class _Motion:
    """Plane pose, background offset and camera shake as continuous functions of time (frames)."""

    def __init__(self, motion: str, size: tuple[int, int], canvas: tuple[int, int],
                 n: int, rng: np.random.Generator) -> None:
        self.motion, (self.h, self.w), (self.ch, self.cw) = motion, size, canvas
        self.f = float(self.w)
        self.z0 = self.f * self.cw / (0.4 * self.w)  # plane 40 % of the frame width at rest
        self.shake = rng.normal(0, 1, (n + 2, 3)) if motion == "shake" else np.zeros((n + 2, 3))

    def _jitter(self, t: float) -> np.ndarray:
        """``(3, 3)`` camera shake about the frame centre (linear between whole frames)."""
        i = int(np.clip(np.floor(t), 0, len(self.shake) - 2))
        a = self.shake[i] + (t - i) * (self.shake[i + 1] - self.shake[i])
        dx, dy, rot = 2.0 * a[0], 2.0 * a[1], np.radians(0.3) * a[2]
        c, s = np.cos(rot), np.sin(rot)
        cx, cy = (self.w - 1) / 2, (self.h - 1) / 2
        return np.array([[c, -s, cx - c * cx + s * cy + dx], [s, c, cy - s * cx - c * cy + dy],
                         [0, 0, 1]])

    def pose(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Plane homography (canvas -> frame) and background homography (mosaic -> frame)."""
        m, tau = self.motion, 2 * np.pi * t
        px = py = 0.0
        yaw = pitch = roll = 0.0
        z = self.z0
        if m in ("pan", "shake", "perspective"):
            k = {"pan": 1.0, "shake": 0.35, "perspective": 0.3}[m]
            px, py = k * 0.15 * self.w * np.sin(tau / 150), k * 0.08 * self.h * np.sin(tau / 110)
        if m == "zoom":
            z = self.z0 / (1 + 0.3 * np.sin(tau / 120))
            px, py = 0.04 * self.w * np.sin(tau / 200), 0.03 * self.h * np.sin(tau / 170)
        if m == "perspective":
            yaw = np.radians(35) * np.sin(tau / 160)
            pitch = np.radians(20) * np.sin(tau / 130)
            roll = np.radians(8) * np.sin(tau / 200)
        if m == "exit":
            # out to the right (centre at 1.25 W) around frames 40..60 of every 160, then back
            px = 0.85 * self.w * np.sin(tau / 160) ** 2 * (np.sin(tau / 160) > 0)
        k_mat = np.array([[self.f, 0, (self.w - 1) / 2], [0, self.f, (self.h - 1) / 2], [0, 0, 1]])
        r = _rotation(yaw, pitch, roll)
        centre = np.array([px * z / self.f, py * z / self.f, z])
        offset = centre - r @ np.array([(self.cw - 1) / 2, (self.ch - 1) / 2, 0.0])
        plane = k_mat @ np.c_[r[:, 0], r[:, 1], offset]
        jit = self._jitter(t)
        bg = np.array([[1, 0, -0.5 * px - 0.1 * self.w * np.sin(tau / 400) - self.w / 4],
                       [0, 1, -0.5 * py - self.h / 4], [0, 0, 1.0]])
        if m == "zoom":
            s = 1 + 0.15 * np.sin(tau / 120)
            cx, cy = (self.w - 1) / 2, (self.h - 1) / 2
            bg = np.array([[s, 0, cx - s * cx], [0, s, cy - s * cy], [0, 0, 1]]) @ bg
        plane, bg = jit @ plane, jit @ bg
        return plane / plane[2, 2], bg


def _occluders(i: int, size: tuple[int, int], blob: np.ndarray, blob_mask: np.ndarray,
               ) -> list[tuple[np.ndarray, tuple[int, int]]]:
    """Occluder sprites (RGBA-like: image, mask) and their top-left positions at frame ``i``."""
    h, w = size
    bh, bw = blob.shape[:2]
    out = []
    # the cat blob crosses left -> right every 120 frames at the plane's height
    u = (i % 120) / 120
    x = int(-bw + u * (w + bw) * 1.0)
    y = int(0.45 * h - bh / 2 + 0.1 * h * np.sin(2 * np.pi * i / 120))
    out.append(((blob, blob_mask), (x, y)))
    # a grey bar (a passing post) crosses right -> left every 90 frames
    bar_w = max(2, int(0.05 * w))
    bar = np.full((int(0.8 * h), bar_w, 3), (96, 104, 112), np.uint8)
    v = ((i + 45) % 90) / 90
    out.append(((bar, np.ones(bar.shape[:2], bool)), (int(w - v * (w + bar_w)), int(0.1 * h))))
    return out


def _paste(frame: np.ndarray, mask: np.ndarray, sprite: np.ndarray, sprite_mask: np.ndarray,
           xy: tuple[int, int]) -> None:
    h, w = frame.shape[:2]
    x, y = xy
    sh, sw = sprite.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + sw), min(h, y + sh)
    if x0 >= x1 or y0 >= y1:
        return
    sub = sprite_mask[y0 - y:y1 - y, x0 - x:x1 - x]
    frame[y0:y1, x0:x1][sub] = sprite[y0 - y:y1 - y, x0 - x:x1 - x][sub]
    mask[y0:y1, x0:x1] |= sub


def _render(motion: _Motion, t: float, mosaic: np.ndarray, texture: np.ndarray) -> np.ndarray:
    """One sharp rendering at time ``t``, ``HxWx3`` uint8 (texture is RGBA, alpha = 255)."""
    import cv2

    plane, bg = motion.pose(t)
    size = (motion.w, motion.h)
    frame = cv2.warpPerspective(mosaic, bg, size, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT)
    quad = project_corners(plane, texture.shape[:2]).astype(np.float32)
    x, y, bw, bh = cv2.boundingRect(quad)
    x0, y0 = max(0, x - 1), max(0, y - 1)
    x1, y1 = min(motion.w, x + bw + 1), min(motion.h, y + bh + 1)
    if x0 >= x1 or y0 >= y1:
        return frame
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]])
    tex = cv2.warpPerspective(texture, shift @ plane, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)
    a = tex[..., 3:].astype(np.float32) / 255
    sub = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = np.rint(sub + (tex[..., :3] - sub) * a).astype(np.uint8)
    return frame


def _exposure_mean(motion: _Motion, i: int, offsets: np.ndarray,
                   canvas: tuple[int, int]) -> np.ndarray:
    """The homography whose corners are the exposure-mean corners of frame ``i`` (the pose at
    the frame's time when the motion is smooth; the centre of the blur when shake kinks it)."""
    import cv2

    corners = np.mean([project_corners(motion.pose(i + dt)[0], canvas) for dt in offsets], 0)
    H = cv2.getPerspectiveTransform(canvas_corners(canvas).astype(np.float32),
                                    corners.astype(np.float32)).astype(np.float64)
    return H / H[2, 2]


def plane_mask(H: np.ndarray, canvas_size: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """``(height, width)`` bool: frame pixels the canvas covers under ``H`` (canvas -> frame)."""
    import cv2

    ones = np.full(canvas_size, 255, np.uint8)
    return cv2.warpPerspective(ones, np.asarray(H, np.float64), (size[1], size[0]),
                               flags=cv2.INTER_LINEAR) >= 128


def make_sequence(
    n_frames: int = 300,
    size: tuple[int, int] = (720, 1280),
    motion: str = "pan",
    occluders: bool = True,
    lighting: bool = True,
    blur: bool = True,
    seed: int = 0,
    *,
    cover: tuple[int, int] | None = None,
    blur_samples: int = 5,
) -> HarnessSequence:
    """Render a planar-tracking sequence with exact ground truth (see the module docs).

    Args:
        n_frames: Number of frames N (>= 1).
        size: ``(height, width)`` of the frames, pixels (>= 32 each). The canvas is
            ``(0.225 * width, 0.3 * width)`` rounded (4:3; 288 x 384 at 720p); at rest the plane
            spans 40 % of the frame width.
        motion: One of :data:`MOTIONS`.
        occluders: Draw the crossing blob and bar.
        lighting: Vary the global gain, ``1 + 0.25 sin(2 pi i / 90)``; otherwise gain 1.
        blur: Motion blur from ``blur_samples`` sub-frame renderings.
        seed: Seed of the camera shake.
        cover: ``(start, stop)``: frames ``start <= i < stop`` have the whole plane hidden by a
            textured panel (counted in ``occluder_masks``).
        blur_samples: Sub-frame renderings per blurred frame (>= 2).

    Returns:
        The :class:`HarnessSequence`.

    Raises:
        ParameterError: a bad frame count, size or motion name.
    """
    import cv2

    check_choice(motion, MOTIONS, "motion")
    if int(n_frames) < 1:
        raise ParameterError(f"n_frames: expected >= 1, got {n_frames}")
    h, w = (int(s) for s in size)
    if h < 32 or w < 32:
        raise ParameterError(f"size: expected (height, width) of at least 32 each, got {size}")
    n = int(n_frames)
    canvas = (max(8, round(0.225 * w)), max(8, round(0.3 * w)))
    texture = _texture("astronaut", canvas)
    rgba = np.dstack([texture, np.full(canvas, 255, np.uint8)])
    mosaic = _mosaic(int(1.6 * h))
    blob_size = (max(4, int(0.3 * h)), max(4, int(0.15 * w)))
    blob = _texture("chelsea", blob_size)
    yy, xx = np.mgrid[:blob_size[0], :blob_size[1]]
    blob_mask = (((yy - (blob_size[0] - 1) / 2) / (blob_size[0] / 2)) ** 2
                 + ((xx - (blob_size[1] - 1) / 2) / (blob_size[1] / 2)) ** 2) <= 1
    panel = _texture("rocket", (h, w))
    mover = _Motion(motion, (h, w), canvas, n, np.random.default_rng(seed))
    k = max(2, int(blur_samples)) if blur else 1
    offsets = np.linspace(-0.25, 0.25, k) if k > 1 else np.zeros(1)
    frames, masks, hs, gains = [], np.zeros((n, h, w), bool), np.zeros((n, 3, 3)), np.ones(n)
    for i in range(n):
        acc = np.zeros((h, w, 3), np.uint16)
        for dt in offsets:
            np.add(acc, _render(mover, i + dt, mosaic, rgba), out=acc)
        hs[i] = _exposure_mean(mover, i, offsets, canvas)
        frame = ((acc + k // 2) // k).astype(np.uint8)
        occ = np.zeros((h, w), bool)
        if occluders:
            for (sprite, smask), xy in _occluders(i, (h, w), blob, blob_mask):
                _paste(frame, occ, sprite, smask, xy)
        if cover is not None and cover[0] <= i < cover[1]:
            x, y, bw, bh = cv2.boundingRect(project_corners(hs[i], canvas).astype(np.float32))
            pad = max(4, w // 40)
            sub = np.zeros((h, w), bool)
            sub[max(0, y - pad):y + bh + pad, max(0, x - pad):x + bw + pad] = True
            frame[sub] = panel[sub]
            occ |= sub
        if lighting:
            gains[i] = 1 + 0.25 * np.sin(2 * np.pi * i / 90)
            frame = np.clip(frame.astype(np.float32) * gains[i], 0, 255).astype(np.uint8)
        frames.append(frame)
        masks[i] = occ & plane_mask(hs[i], canvas, (h, w))
    return HarnessSequence(frames, hs, masks, texture, gains, canvas, motion)
