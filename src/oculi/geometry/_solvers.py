"""Model solvers: Hartley normalisation, the (weighted) normalised DLT, batched minimal solvers.

Everything works on ``float64`` ``(N, 2)`` arrays of ``(x, y)`` pixels and returns ``3x3`` matrices
mapping column vectors ``[x, y, 1]`` of the first point set to the second. The minimal solvers take
``B`` samples at once (``(B, k, 2)``) so RANSAC evaluates hundreds of hypotheses per numpy call.
"""

from __future__ import annotations

import numpy as np


def normalize_points(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hartley normalisation: centroid to the origin, mean distance sqrt(2).

    Args:
        xy: ``(N, 2)`` points.

    Returns:
        ``(normalised (N, 2), T (3, 3))`` with ``normalised = T @ [x, y, 1]``.
    """
    c = xy.mean(axis=0)
    d = np.sqrt(((xy - c) ** 2).sum(axis=1)).mean()
    s = np.sqrt(2.0) / d if d > 0 else 1.0
    t = np.array([[s, 0.0, -s * c[0]], [0.0, s, -s * c[1]], [0.0, 0.0, 1.0]])
    return (xy - c) * s, t


def dlt_homography(
    xy1: np.ndarray, xy2: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Normalised DLT (Hartley & Zisserman, alg. 4.2), optionally weighted, for N >= 4 pairs.

    Returns:
        ``(3, 3)`` float64 homography with ``H[2, 2] = 1`` (or NaNs when the system is degenerate).
    """
    p1, t1 = normalize_points(xy1)
    p2, t2 = normalize_points(xy2)
    # the 9x9 normal matrix sum_i w_i (r1 r1^T + r2 r2^T) of the rows r1 = [q, 0, -u q],
    # r2 = [0, q, -v q], q = [x, y, 1], from four weighted sums of q q^T (one matrix product)
    n = len(p1)
    q = np.empty((n, 3))
    q[:, :2], q[:, 2] = p1, 1.0
    qq = (q[:, :, None] * q[:, None, :]).reshape(n, 9)
    u, v = p2[:, 0], p2[:, 1]
    c = np.stack([np.ones(n), u, v, u * u + v * v])
    if weights is not None:
        c = c * weights
    s0, su, sv, s2 = (c @ qq).reshape(4, 3, 3)
    m = np.zeros((9, 9))
    m[0:3, 0:3] = m[3:6, 3:6] = s0
    m[0:3, 6:9] = -su
    m[3:6, 6:9] = -sv
    m[6:9, 0:3] = -su
    m[6:9, 3:6] = -sv
    m[6:9, 6:9] = s2
    # the right singular vector of the smallest singular value (eigenvector of the normal matrix)
    _, vecs = np.linalg.eigh(m)
    hn = vecs[:, 0].reshape(3, 3)
    h = np.linalg.inv(t2) @ hn @ t1
    return _unit(h)


def _unit(h: np.ndarray) -> np.ndarray:
    s = h[..., 2:3, 2:3]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = h / np.where(np.abs(s) > 1e-12, s, np.nan)
    return out


def _basis(p: np.ndarray) -> np.ndarray:
    """``(B, 3, 3)`` maps of the canonical projective basis to the 4 points ``p (B, 4, 2)``."""
    ph = np.concatenate([p, np.ones((*p.shape[:2], 1))], axis=2)  # (B, 4, 3)
    m = ph[:, :3].transpose(0, 2, 1)  # columns p1 p2 p3
    lam = _solve3(m, ph[:, 3])  # m @ lam = p4
    return m * lam[:, None, :]


def _adjugate3(m: np.ndarray) -> np.ndarray:
    """Adjugate of ``(B, 3, 3)`` matrices (inverse times determinant), no division."""
    a, b, c = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    d, e, f = m[:, 1, 0], m[:, 1, 1], m[:, 1, 2]
    g, h, i = m[:, 2, 0], m[:, 2, 1], m[:, 2, 2]
    out = np.empty_like(m)
    out[:, 0, 0], out[:, 0, 1], out[:, 0, 2] = e * i - f * h, c * h - b * i, b * f - c * e
    out[:, 1, 0], out[:, 1, 1], out[:, 1, 2] = f * g - d * i, a * i - c * g, c * d - a * f
    out[:, 2, 0], out[:, 2, 1], out[:, 2, 2] = d * h - e * g, b * g - a * h, a * e - b * d
    return out


def _solve3(m: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``m @ x = b`` for ``(B, 3, 3)`` m, ``(B, 3)`` b; rows with det 0 give inf/nan."""
    adj = _adjugate3(m)
    det = np.einsum("bi,bi->b", m[:, :, 0], adj[:, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.einsum("bij,bj->bi", adj, b) / det[:, None]


def minimal_homography(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Homographies from B samples of 4 pairs: ``p1, p2 (B, 4, 2)`` -> ``(B, 3, 3)``, H[2,2]=1.

    Exact through the projective bases of both quadruples (``H = B2 @ inv(B1)``); degenerate
    samples (three collinear points) give NaN matrices.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        b1 = _basis(p1)
        b2 = _basis(p2)
        h = b2 @ _adjugate3(b1)  # the adjugate is the inverse up to scale
        return _unit(h)


def minimal_affine(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Affine maps from B samples of 3 pairs: ``(B, 3, 2)`` each -> ``(B, 3, 3)``."""
    ph = np.concatenate([p1, np.ones((*p1.shape[:2], 1))], axis=2)  # (B, 3, 3) rows [x y 1]
    adj = _adjugate3(ph)
    det = np.einsum("bi,bi->b", ph[:, :, 0], adj[:, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = adj / det[:, None, None]
    top = (inv @ p2).transpose(0, 2, 1)  # (B, 2, 3): solves ph @ X = p2
    last = np.broadcast_to(np.array([0.0, 0.0, 1.0]), (len(p1), 1, 3))
    return np.concatenate([top, last], axis=1)


def minimal_similarity(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Similarities (rotation, uniform scale, shift) from B samples of 2 pairs ``(B, 2, 2)``."""
    z1 = p1[..., 0] + 1j * p1[..., 1]
    z2 = p2[..., 0] + 1j * p2[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (z2[:, 1] - z2[:, 0]) / (z1[:, 1] - z1[:, 0])
    b = z2[:, 0] - a * z1[:, 0]
    return _similarity_matrix(a, b)


def _similarity_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.atleast_1d(a)
    b = np.atleast_1d(b)
    m = np.zeros((len(a), 3, 3))
    m[:, 0, 0], m[:, 0, 1], m[:, 0, 2] = a.real, -a.imag, b.real
    m[:, 1, 0], m[:, 1, 1], m[:, 1, 2] = a.imag, a.real, b.imag
    m[:, 2, 2] = 1.0
    return m


def lstsq_affine(xy1: np.ndarray, xy2: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Least-squares affine map (optimal for the one-sided reprojection error), ``(3, 3)``."""
    a = np.column_stack([xy1, np.ones(len(xy1))])
    b = xy2
    if weights is not None:
        w = np.sqrt(weights)[:, None]
        a, b = a * w, b * w
    x, *_ = np.linalg.lstsq(a, b, rcond=None)
    return np.vstack([x.T, [0.0, 0.0, 1.0]])


def lstsq_similarity(
    xy1: np.ndarray, xy2: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Least-squares similarity (Umeyama without reflection), ``(3, 3)``."""
    w = np.ones(len(xy1)) if weights is None else weights
    z1 = xy1[:, 0] + 1j * xy1[:, 1]
    z2 = xy2[:, 0] + 1j * xy2[:, 1]
    m1 = (w * z1).sum() / w.sum()
    m2 = (w * z2).sum() / w.sum()
    d1, d2 = z1 - m1, z2 - m2
    den = (w * np.abs(d1) ** 2).sum()
    a = (w * np.conj(d1) * d2).sum() / den if den > 0 else np.nan + 0j
    return _similarity_matrix(a, m2 - a * m1)[0]


def _cross2(p: np.ndarray, i: int, j: int, m: int) -> np.ndarray:
    """z of ``(p_j - p_i) x (p_m - p_i)`` per sample."""
    ax, ay = p[:, j, 0] - p[:, i, 0], p[:, j, 1] - p[:, i, 1]
    bx, by = p[:, m, 0] - p[:, i, 0], p[:, m, 1] - p[:, i, 1]
    return ax * by - ay * bx


def collinear_any(p: np.ndarray, tol: float) -> np.ndarray:
    """Whether any 3 of the k points of each sample are (nearly) collinear; ``p (B, k, 2)``.

    The test is ``|cross| <= tol * (longest side)**2`` for every triple, scale invariant.
    """
    k = p.shape[1]
    bad = np.zeros(len(p), bool)
    for i in range(k):
        for j in range(i + 1, k):
            for m in range(j + 1, k):
                a2 = (p[:, j, 0] - p[:, i, 0]) ** 2 + (p[:, j, 1] - p[:, i, 1]) ** 2
                b2 = (p[:, m, 0] - p[:, i, 0]) ** 2 + (p[:, m, 1] - p[:, i, 1]) ** 2
                scale = np.maximum(np.maximum(a2, b2), 1e-300)
                bad |= np.abs(_cross2(p, i, j, m)) <= tol * scale
    return bad


def orientation_flipped(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Whether a 4-point sample flips the orientation of some triples but not all, ``(B, 4, 2)``.

    A homography of points in front of both cameras keeps the sign of every triple's cross
    product, or flips all of them (a mirror); a mix means no valid homography (OpenCV's check).
    """
    flips = np.zeros(len(p1), np.int64)
    for i, j, m in ((0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)):
        flips += (_cross2(p1, i, j, m) * _cross2(p2, i, j, m)) < 0
    return (flips > 0) & (flips < 4)
