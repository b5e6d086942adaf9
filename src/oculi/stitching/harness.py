"""A rotating-camera harness with exact ground truth: views of a wide scene rendered by a pinhole
camera that turns in yaw, with a little pitch and roll.

The scene is a 360-degree cylinder textured with embedded photos (two rows of
:mod:`oculi.data` samples). A view is rendered by casting every pixel's ray through the camera
and sampling the texture, so the true homography between views ``i`` and ``j`` is
``H_ij = K R_j R_i^T K^-1`` (``R`` world -> camera). The yaw step is chosen so that neighbouring
views overlap by exactly the requested fraction of their width (on the centre row).

    >>> views = rotating_views(3, overlap=0.4, size=(120, 160), pitch=0, roll=0)
    >>> len(views.images), views.images[0].shape
    (3, (120, 160, 3))
    >>> H = views.homography(0, 1)
    >>> round(float(views.measured_overlap(0, 1)), 2)
    0.4
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError

#: texture rows (embedded sample names), top and bottom; both wrap around 360 degrees
_ROWS = (
    ("astronaut", "coffee", "chelsea", "rocket", "camera", "hubble"),
    ("motorcycle_left", "ihc", "coins", "clock", "retina", "gravel"),
)


def rot_x(deg: float) -> np.ndarray:
    """Rotation about the x axis (pitch; positive looks down, as y points down)."""
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    """Rotation about the y axis (yaw; positive turns right)."""
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1.0, 0], [-s, 0, c]])


def rot_z(deg: float) -> np.ndarray:
    """Rotation about the optical (z) axis (roll)."""
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def make_scene(focal: float, rows: tuple[tuple[str, ...], ...] = _ROWS) -> np.ndarray:
    """The cylinder texture for a camera of ``focal`` pixels: ``2*pi*focal`` wide (one texel per
    pixel at the equator), rows of photos stacked, uint8 RGB."""
    import cv2

    from oculi.data import load

    width = round(2 * math.pi * focal)
    row_h = round(0.55 * focal)
    strips = []
    for names in rows:
        tiles = []
        for name in names:
            im = load(name, mode="rgb")
            w = max(1, round(im.shape[1] * row_h / im.shape[0]))
            tiles.append(cv2.resize(im, (w, row_h), interpolation=cv2.INTER_AREA))
        strip = np.concatenate(tiles, axis=1)
        strips.append(cv2.resize(strip, (width, row_h), interpolation=cv2.INTER_AREA))
    return np.ascontiguousarray(np.concatenate(strips, axis=0))


@dataclass
class SyntheticViews:
    """Rendered views and their exact geometry.

    Attributes:
        images: N uint8 RGB ``(H, W, 3)`` views.
        K: ``(3, 3)`` intrinsics shared by all views (square pixels, centred principal point).
        rotations: N ``(3, 3)`` world -> camera rotations.
        yaw, pitch, roll: per-view angles in degrees.
        overlap: requested overlap fraction of neighbouring views.
        scene: the cylinder texture (uint8 RGB), ``2*pi*f`` wide.
    """

    images: list[np.ndarray]
    K: np.ndarray
    rotations: list[np.ndarray]
    yaw: list[float]
    pitch: list[float]
    roll: list[float]
    overlap: float
    scene: np.ndarray = field(repr=False)

    def homography(self, i: int, j: int) -> np.ndarray:
        """True ``3x3`` homography mapping pixels of view ``i`` to view ``j``."""
        kinv = np.linalg.inv(self.K)
        h = self.K @ self.rotations[j] @ self.rotations[i].T @ kinv
        return h / h[2, 2]

    def measured_overlap(self, i: int, j: int) -> float:
        """Fraction of view ``i``'s centre row that is visible in view ``j``."""
        h, w = self.images[i].shape[:2]
        xs = np.arange(w, dtype=np.float64)
        pts = np.stack([xs, np.full(w, (h - 1) / 2), np.ones(w)])
        q = self.homography(i, j) @ pts
        with np.errstate(divide="ignore", invalid="ignore"):
            x, y = q[0] / q[2], q[1] / q[2]
        inside = (q[2] > 0) & (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
        return float(inside.mean())

    def world_to_view(self, i: int, directions: np.ndarray) -> np.ndarray:
        """Project ``(M, 3)`` world directions into view ``i`` pixels ``(M, 2)``."""
        q = (self.K @ self.rotations[i] @ directions.T).T
        return q[:, :2] / q[:, 2:3]


def render_view(scene: np.ndarray, K: np.ndarray, rotation: np.ndarray,
                size: tuple[int, int]) -> np.ndarray:
    """Render the cylinder ``scene`` through a pinhole camera (``rotation`` world -> camera)."""
    import cv2

    h, w = size
    f = K[0, 0]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    pix = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ np.linalg.inv(K).T
    d = pix @ rotation  # camera -> world: R^T d  (row vectors)
    theta = np.arctan2(d[..., 0], d[..., 2])
    height = d[..., 1] / np.hypot(d[..., 0], d[..., 2])
    tw, th = scene.shape[1], scene.shape[0]
    mx = np.mod(theta / (2 * math.pi), 1.0) * tw - 0.5
    my = th / 2 + height * f - 0.5
    # wrap horizontally: pad the texture by a margin on both sides
    pad = w
    tex = np.concatenate([scene[:, -pad:], scene, scene[:, :pad]], axis=1)
    return cv2.remap(tex, (mx + pad).astype(np.float32), my.astype(np.float32),
                     cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def yaw_step(overlap: float, hfov: float, width: int) -> float:
    """Yaw (degrees) between views whose centre rows overlap by ``overlap`` of the width."""
    half = math.radians(hfov) / 2
    f = (width / 2) / math.tan(half)
    return math.degrees(half + math.atan((width / 2 - overlap * width) / f))


def rotating_views(
    n: int = 4,
    *,
    overlap: float = 0.3,
    size: tuple[int, int] = (360, 480),
    hfov: float = 50.0,
    pitch: float = 3.0,
    roll: float | list[float] = 2.0,
    seed: int = 0,
) -> SyntheticViews:
    """Render ``n`` views of the harness scene from a camera turning right in yaw.

    Args:
        n: number of views (>= 2); the total yaw must stay below 360 degrees.
        overlap: width fraction shared by neighbouring views, in (0, 1).
        size: ``(height, width)`` of each view in pixels.
        hfov: horizontal field of view in degrees.
        pitch: pitch of each view drawn uniformly in ``[-pitch, pitch]`` degrees.
        roll: a bound (drawn uniformly in ``[-roll, roll]``) or the list of per-view rolls.
        seed: random seed for pitch and roll.

    Returns:
        :class:`SyntheticViews`.
    """
    import cv2  # noqa: F401  (fail early when OpenCV is missing)

    if n < 2:
        raise ParameterError(f"n: expected at least 2 views, got {n}")
    if not 0 < overlap < 1:
        raise ParameterError(f"overlap: expected a fraction in (0, 1), got {overlap!r}")
    check_positive(hfov, "hfov")
    h, w = size
    f = (w / 2) / math.tan(math.radians(hfov) / 2)
    K = np.array([[f, 0, (w - 1) / 2], [0, f, (h - 1) / 2], [0, 0, 1.0]])
    step = yaw_step(overlap, hfov, w)
    if step * (n - 1) + hfov >= 360:
        raise ParameterError(
            f"n={n} views at overlap {overlap} span {step * (n - 1) + hfov:.0f} degrees; "
            "keep the panorama under 360 — use fewer views or more overlap"
        )
    rng = np.random.default_rng(seed)
    yaws = [step * (i - (n - 1) / 2) for i in range(n)]
    pitches = rng.uniform(-pitch, pitch, n).tolist()
    rolls = list(roll) if isinstance(roll, (list, tuple)) else rng.uniform(-roll, roll, n).tolist()
    if len(rolls) != n:
        raise ParameterError(f"roll: expected {n} per-view values, got {len(rolls)}")
    scene = make_scene(f)
    rotations, images = [], []
    for yaw_i, pitch_i, roll_i in zip(yaws, pitches, rolls, strict=True):
        cam_to_world = rot_y(yaw_i) @ rot_x(pitch_i) @ rot_z(roll_i)
        r = cam_to_world.T
        rotations.append(r)
        images.append(render_view(scene, K, r, size))
    return SyntheticViews(images, K, rotations, yaws, pitches, rolls, overlap, scene)


def evaluate_panorama(views: SyntheticViews, pano) -> dict:
    """Score a :class:`~oculi.stitching.Panorama` of harness views against the truth.

    Returns:
        ``kept`` (included view indices), ``corner_error_px`` (mean over neighbouring included
        pairs of the corner error of ``H_{i,i+1}``), ``corner_errors_px`` (per pair),
        ``overlap_error_px`` (mean transfer error over the part of view i seen by view i+1),
        ``vertical_tilt_deg`` (largest angle from the panorama's vertical of a world-vertical
        segment drawn through the centre of each included view; rotation model only, else NaN).
    """
    from oculi.geometry import corner_error, transform_points
    from oculi.stitching.cameras import Camera
    from oculi.stitching.warp import RotationTransform

    h, w = views.images[0].shape[:2]
    kept = list(pano.included)
    corner, overlap = [], []
    grid = np.stack(np.meshgrid(np.linspace(0, w - 1, 32), np.linspace(0, h - 1, 24)), -1)
    grid = grid.reshape(-1, 2)
    for i in range(len(views.images) - 1):
        if i in kept and i + 1 in kept:
            est, true = pano.homography(i, i + 1), views.homography(i, i + 1)
            corner.append(corner_error(est, true, (h, w)))
            q = transform_points(true, grid)
            vis = (q[:, 0] >= 0) & (q[:, 0] <= w - 1) & (q[:, 1] >= 0) & (q[:, 1] <= h - 1)
            if vis.any():
                d = np.linalg.norm(transform_points(est, grid[vis]) - q[vis], axis=1)
                overlap.append(float(d.mean()))
    tilt = float("nan")
    if pano.model == "rotation":
        tilts = []
        for t in pano.transforms:
            i = t["index"]
            c = t["camera"]
            tf = RotationTransform(Camera(c["focal"], c["cx"], c["cy"], np.array(c["R"])),
                                   pano.projection, 1.0)
            a = math.radians(views.yaw[i])
            dirs = np.array([[math.sin(a) * math.cos(e), math.sin(e), math.cos(a) * math.cos(e)]
                             for e in (-0.15, 0.15)])
            u, v, _ = tf.to_pano(views.world_to_view(i, dirs))
            tilts.append(abs(math.degrees(math.atan2(u[1] - u[0], v[1] - v[0]))))
        tilt = max(tilts)
    return {
        "kept": kept, "n_views": len(views.images),
        "corner_error_px": float(np.mean(corner)) if corner else float("inf"),
        "corner_errors_px": corner,
        "overlap_error_px": float(np.mean(overlap)) if overlap else float("inf"),
        "vertical_tilt_deg": tilt,
    }
