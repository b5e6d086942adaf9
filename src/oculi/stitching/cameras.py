"""Camera models for stitching: a rotating pinhole camera (focal + rotation) per image, the initial
focal length from pairwise homographies, placement along a spanning tree, and wave correction.

Conventions: ``R`` maps world directions to camera coordinates (x right, y down, z forward), so a
pixel ``x`` of image i sees the world ray ``R_i^T K_i^-1 [x, y, 1]`` and the homography from image
i to image j is ``K_j R_j R_i^T K_i^-1``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: focal length and principal point in pixels, rotation world -> camera."""

    focal: float
    cx: float
    cy: float
    R: np.ndarray

    @property
    def K(self) -> np.ndarray:
        """``(3, 3)`` intrinsics."""
        return np.array([[self.focal, 0, self.cx], [0, self.focal, self.cy], [0, 0, 1.0]])

    def scaled(self, s: float) -> Camera:
        """The same camera for an image resized by ``s`` (``x' = s (x + 0.5) - 0.5``)."""
        return replace(self, focal=self.focal * s, cx=s * (self.cx + 0.5) - 0.5,
                       cy=s * (self.cy + 0.5) - 0.5)

    def homography_to(self, other: Camera) -> np.ndarray:
        """``3x3`` homography from this camera's pixels to ``other``'s."""
        h = other.K @ other.R @ self.R.T @ np.linalg.inv(self.K)
        return h / h[2, 2]

    def as_dict(self) -> dict:
        """Plain numbers for JSON."""
        return {"focal": self.focal, "cx": self.cx, "cy": self.cy, "R": self.R.tolist()}


def _focal_candidates(h: np.ndarray) -> tuple[float | None, float | None]:
    """Focal lengths (source, destination) implied by a homography between two rotated pinhole
    cameras with centred coordinates (Szeliski & Shum 1997): ``R ~ diag(1/f1,1/f1,1) H
    diag(f0,f0,1)`` must have orthogonal columns / rows of equal norm."""
    h = h / h[2, 2]

    def pick(num1, den1, num2, den2):
        vals = []
        for num, den in ((num1, den1), (num2, den2)):
            if abs(den) > 1e-12:
                v = num / den
                if v > 0:
                    vals.append((abs(den), v))
        if not vals:
            return None
        return float(np.sqrt(max(vals)[1]))  # the better-conditioned equation

    # destination focal f1 from the columns
    f1 = pick(-(h[0, 0] * h[0, 1] + h[1, 0] * h[1, 1]), h[2, 0] * h[2, 1],
              h[0, 0] ** 2 + h[1, 0] ** 2 - h[0, 1] ** 2 - h[1, 1] ** 2,
              h[2, 1] ** 2 - h[2, 0] ** 2)
    # source focal f0 from the rows
    f0 = pick(-h[0, 2] * h[1, 2], h[0, 0] * h[1, 0] + h[0, 1] * h[1, 1],
              h[1, 2] ** 2 - h[0, 2] ** 2,
              h[0, 0] ** 2 + h[0, 1] ** 2 - h[1, 0] ** 2 - h[1, 1] ** 2)
    return f0, f1


def estimate_focal(pairs: list, sizes: list[tuple[int, int]]) -> float:
    """Median focal length (pixels) over the pairwise homographies; falls back to the mean image
    diagonal-ish ``(w + h)`` when none is informative (pure translations / affine pairs)."""
    vals = []
    for p in pairs:
        (hi, wi), (hj, wj) = sizes[p.i], sizes[p.j]
        ci = np.array([[1, 0, (wi - 1) / 2], [0, 1, (hi - 1) / 2], [0, 0, 1.0]])
        cj = np.array([[1, 0, (wj - 1) / 2], [0, 1, (hj - 1) / 2], [0, 0, 1.0]])
        hc = np.linalg.inv(cj) @ p.homography @ ci  # centred coordinates
        f0, f1 = _focal_candidates(hc)
        if f0 is not None and f1 is not None:
            vals.append(np.sqrt(f0 * f1))
    good = [v for v in vals if np.isfinite(v) and v > 0]
    if good:
        return float(np.median(good))
    return float(np.mean([h + w for h, w in sizes]))


def orthonormalize(m: np.ndarray) -> np.ndarray:
    """Nearest rotation matrix (SVD), with det +1."""
    u, _, vt = np.linalg.svd(m)
    r = u @ vt
    if np.linalg.det(r) < 0:
        u[:, -1] *= -1
        r = u @ vt
    return r


def place_on_tree(
    root: int, tree: list[tuple[int, int]], pairs: dict[tuple[int, int], np.ndarray],
    cams: dict[int, Camera],
) -> dict[int, Camera]:
    """Initial rotations along the spanning tree: ``R_child = orth(K_c^-1 H_pc K_p) R_parent``.

    Args:
        root: the tree root (keeps the identity rotation).
        tree: ``(parent, child)`` edges in breadth-first order.
        pairs: homographies ``(a, b) -> H_ab`` (image a -> image b), both directions.
        cams: cameras with focal and principal point; rotations are replaced.
    """
    out = dict(cams)
    out[root] = replace(cams[root], R=np.eye(3))
    for parent, child in tree:
        h = pairs[(parent, child)]
        rel = np.linalg.inv(out[child].K) @ h @ out[parent].K
        rel = rel / np.cbrt(np.linalg.det(rel))
        out[child] = replace(out[child], R=orthonormalize(rel) @ out[parent].R)
    return out


_COS_45 = float(np.cos(np.pi / 4))


def _sweep_axis(xs: np.ndarray, zs: np.ndarray) -> tuple[np.ndarray, bool]:
    """The axis of a yaw sweep from camera x axes and viewing directions (rows, world coords).

    ``u`` is the smallest eigenvector of ``C_x + C_z`` (centred scatters): the direction in which
    both axes vary least, whatever the common pitch and roll. When the x axes still scatter by
    more than 8 degrees about it (rolls that differ by tens of degrees), they say nothing about
    the vertical, and the centred scatter of the viewing directions alone does not fix it
    either (an arc of less than 180 degrees fits a family of cones, tilted about its chord);
    the vertical is then the normal of the plane through the centre closest to the viewing
    directions (smallest eigenvector of ``sum z_i z_i^T``): the common pitch is taken as zero,
    as when the horizon is kept in the middle of the frames. Returns ``(u, well_defined)``.
    """
    xc, zc = xs - xs.mean(0), zs - zs.mean(0)
    cx, cz = xc.T @ xc / len(xs), zc.T @ zc / len(zs)
    # equal weights: right when roll and pitch jitter alike (hand-held, small tilts)
    u = np.linalg.eigh(cx + cz)[1][:, 0]
    if float(u @ cx @ u) > np.radians(8.0) ** 2:
        u = np.linalg.eigh(zs.T @ zs)[1][:, 0]
    # a sweep: the x axes and viewing directions must vary much more across u than along it
    spread = np.linalg.eigvalsh(cx + cz)
    return u, bool(spread[1] > 1e-3)


def wave_correct(rotations: list[np.ndarray]) -> list[np.ndarray]:
    """Horizontal wave correction: turn the world so that its up axis is the axis the camera
    turned about, keeping the mean view direction.

    A photographer turns about the vertical, so the x axes and the viewing directions ``z_i``
    sweep horizontal circles, whatever the (common) roll and pitch; roll and pitch only jitter
    about their common values. The vertical ``u`` is the direction in which both vary least
    (see :func:`_sweep_axis`, also for rolls that differ by tens of degrees). When that is
    ill-defined (fewer than four views, no clear sweep, or an
    axis far from the cameras' mean "down") the method of
    Brown & Lowe (2007) is used
    instead: the direction most perpendicular to every camera's x axis (smallest eigenvector of
    ``sum x_i x_i^T``), or, when the x axes are nearly parallel, the mean camera "down" axis
    made perpendicular to them.

    Returns:
        The corrected world -> camera rotations (``R_i @ W^T``).
    """
    xs = np.array([r[0] for r in rotations])  # camera x axes in world coordinates
    ys = np.array([r[1] for r in rotations])  # camera y (down) axes
    zs = np.array([r[2] for r in rotations])  # viewing directions
    down_mean = ys.sum(0)
    if len(rotations) >= 4:  # with 3 views the two variances can both be driven to zero
        down, ok = _sweep_axis(xs, zs)
    else:
        ok = False
    dm = down_mean / np.linalg.norm(down_mean)
    # cameras are held roughly upright: a vertical more than 45 degrees from their mean "down"
    # axis means no sweep defines it (e.g. a grid of shots of a flat scene): fall back
    if ok and abs(down @ dm) < _COS_45:
        ok = False
    if not ok:
        vals, vecs = np.linalg.eigh(xs.T @ xs)
        if vals[1] > 0.05 * vals[2]:  # x axes span a plane: its normal is up
            down = vecs[:, 0]
        else:
            xm = vecs[:, 2]
            down = down_mean - xm * (down_mean @ xm)
        if abs(down @ dm) / np.linalg.norm(down) < _COS_45:
            down = dm
    down = down / np.linalg.norm(down)
    if down @ down_mean < 0:
        down = -down
    fwd = zs.sum(0)
    fwd = fwd - down * (fwd @ down)
    if np.linalg.norm(fwd) < 1e-9:  # views all around: any horizontal direction will do
        fwd = np.cross(down, np.array([1.0, 0, 0]))
    fwd /= np.linalg.norm(fwd)
    right = np.cross(down, fwd)
    w = np.stack([right, down, fwd])  # rows: new world axes in old world coordinates
    return [r @ w.T for r in rotations]
