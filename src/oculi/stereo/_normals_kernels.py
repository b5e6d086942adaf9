"""Compiled plane-fit kernels of :mod:`oculi.stereo.normals` (private; numba).

Kept apart so ``import oculi.stereo`` does not import numba: :func:`~oculi.stereo.depth_normals`
imports this module on first call.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _smallest_eigvec(a):  # pragma: no cover - compiled
    """Unit eigenvector of the smallest eigenvalue of a symmetric 3x3 matrix (closed form).

    Eigenvalues by the trigonometric solution of the characteristic cubic; the eigenvector is
    the largest cross product of two rows of ``a - lambda I`` (rows span the other two axes).
    """
    p1 = a[0, 1] ** 2 + a[0, 2] ** 2 + a[1, 2] ** 2
    q = (a[0, 0] + a[1, 1] + a[2, 2]) / 3.0
    p2 = (a[0, 0] - q) ** 2 + (a[1, 1] - q) ** 2 + (a[2, 2] - q) ** 2 + 2.0 * p1
    out = np.zeros(3)
    if p2 <= 1e-300:
        out[2] = 1.0
        return out
    p = np.sqrt(p2 / 6.0)
    b = (a - q * np.eye(3)) / p
    r = (b[0, 0] * (b[1, 1] * b[2, 2] - b[1, 2] * b[2, 1])
         - b[0, 1] * (b[1, 0] * b[2, 2] - b[1, 2] * b[2, 0])
         + b[0, 2] * (b[1, 0] * b[2, 1] - b[1, 1] * b[2, 0])) / 2.0
    r = min(max(r, -1.0), 1.0)
    lam = q + 2.0 * p * np.cos(np.arccos(r) / 3.0 + 2.0 * np.pi / 3.0)
    m = a - lam * np.eye(3)
    best = -1.0
    for i, j in ((0, 1), (0, 2), (1, 2)):
        c = np.cross(m[i], m[j])
        nrm = c[0] ** 2 + c[1] ** 2 + c[2] ** 2
        if nrm > best:
            best = nrm
            out = c
    if best <= 0:
        out = np.zeros(3)
        out[2] = 1.0
        return out
    return out / np.sqrt(best)


@njit(cache=True)
def _fit(pts, n):  # pragma: no cover - compiled
    """Unit normal (smallest eigenvector) of the first n rows of pts, and the centroid."""
    c = np.zeros(3)
    for i in range(n):
        for a in range(3):
            c[a] += pts[i, a]
    c /= n
    cov = np.zeros((3, 3))
    for i in range(n):
        q0 = pts[i, 0] - c[0]
        q1 = pts[i, 1] - c[1]
        q2 = pts[i, 2] - c[2]
        cov[0, 0] += q0 * q0
        cov[0, 1] += q0 * q1
        cov[0, 2] += q0 * q2
        cov[1, 1] += q1 * q1
        cov[1, 2] += q1 * q2
        cov[2, 2] += q2 * q2
    cov[1, 0] = cov[0, 1]
    cov[2, 0] = cov[0, 2]
    cov[2, 1] = cov[1, 2]
    return _smallest_eigvec(cov), c


@njit(cache=True)
def normals_kernel(depth, fx, fy, cx, cy, radius, max_step, min_points):  # pragma: no cover
    h, w = depth.shape
    out = np.full((h, w, 3), np.nan, np.float32)
    side = 2 * radius + 1
    pts = np.empty((side * side, 3))
    kept = np.empty((side * side, 3))
    res = np.empty(side * side)
    for y in range(h):
        for x in range(w):
            z0 = depth[y, x]
            if not (z0 > 0):
                continue
            n = 0
            for yy in range(max(y - radius, 0), min(y + radius + 1, h)):
                for xx in range(max(x - radius, 0), min(x + radius + 1, w)):
                    z = depth[yy, xx]
                    if z > 0 and abs(z - z0) <= max_step * z0:
                        pts[n, 0] = (xx - cx) * z / fx
                        pts[n, 1] = (yy - cy) * z / fy
                        pts[n, 2] = z
                        n += 1
            if n < min_points:
                continue
            nv, c = _fit(pts, n)
            for i in range(n):
                res[i] = abs((pts[i, 0] - c[0]) * nv[0] + (pts[i, 1] - c[1]) * nv[1]
                             + (pts[i, 2] - c[2]) * nv[2])
            sigma = 1.4826 * np.median(res[:n]) + 1e-9
            m = 0
            for i in range(n):
                if res[i] <= 2.5 * sigma:
                    kept[m] = pts[i]
                    m += 1
            if m >= min_points and m < n:
                nv, c = _fit(kept, m)
            if nv[0] * (x - cx) * z0 / fx + nv[1] * (y - cy) * z0 / fy + nv[2] * z0 > 0:
                nv = -nv
            for a in range(3):
                out[y, x, a] = nv[a]
    return out
