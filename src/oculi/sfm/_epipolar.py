"""Epipolar solvers: normalised 8-point, batched 7-point, Sampson errors, essential projection.

Points are ``float64`` ``(N, 2)`` arrays; a fundamental matrix ``F`` satisfies
``[x2, y2, 1] F [x1, y1, 1]^T = 0``.
"""

from __future__ import annotations

import numpy as np

from oculi.geometry import normalize_points


def _design(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """``(..., N, 9)`` rows of the epipolar constraint ``x2^T F x1 = 0``."""
    x1, y1 = p1[..., 0], p1[..., 1]
    x2, y2 = p2[..., 0], p2[..., 1]
    one = np.ones_like(x1)
    return np.stack([x2 * x1, x2 * y1, x2, y2 * x1, y2 * y1, y2, x1, y1, one], axis=-1)


def rank2(f: np.ndarray) -> np.ndarray:
    """Closest rank-2 matrix (Frobenius) of ``(3, 3)`` ``f``."""
    u, s, vt = np.linalg.svd(f)
    return u @ np.diag([s[0], s[1], 0.0]) @ vt


def project_essential(e: np.ndarray) -> np.ndarray:
    """Closest essential matrix: singular values ``(1, 1, 0)``; works on ``(..., 3, 3)``."""
    u, _, vt = np.linalg.svd(e)
    d = np.zeros((*e.shape[:-2], 3, 3))
    d[..., 0, 0] = d[..., 1, 1] = 1.0
    return u @ d @ vt


def eight_point(xy1: np.ndarray, xy2: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Normalised (optionally weighted) 8-point algorithm for ``N >= 8`` pairs.

    Returns:
        ``(3, 3)`` rank-2 fundamental matrix with unit Frobenius norm.
    """
    p1, t1 = normalize_points(xy1)
    p2, t2 = normalize_points(xy2)
    a = _design(p1, p2)
    if weights is not None:
        a = a * np.sqrt(weights)[:, None]
    _, vecs = np.linalg.eigh(a.T @ a)
    f = rank2(vecs[:, 0].reshape(3, 3))
    f = t2.T @ f @ t1
    return f / np.linalg.norm(f)


def seven_point(s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Batched 7-point solver: ``(B, 7, 2)`` samples -> ``(M, 3, 3)`` candidates (1-3 each).

    The 2-D null space ``F = a F1 + (1 - a) F2`` is fixed by ``det F = 0``, a cubic in ``a``
    whose real roots come from the eigenvalues of its companion matrix.
    """
    b = len(s1)
    out = []
    ts1 = [normalize_points(s) for s in s1]
    ts2 = [normalize_points(s) for s in s2]
    p1 = np.stack([t[0] for t in ts1])
    p2 = np.stack([t[0] for t in ts2])
    t1 = np.stack([t[1] for t in ts1])
    t2 = np.stack([t[1] for t in ts2])
    a = _design(p1, p2)  # (B, 7, 9)
    _, _, vt = np.linalg.svd(a, full_matrices=True)
    f1 = vt[:, -1].reshape(b, 3, 3)
    f2 = vt[:, -2].reshape(b, 3, 3)
    # det(a f1 + (1-a) f2) = c3 a^3 + c2 a^2 + c1 a + c0, from 4 samples of a
    xs = np.array([0.0, 1.0, -1.0, 2.0])
    dets = np.stack([np.linalg.det(x * f1 + (1 - x) * f2) for x in xs], axis=1)  # (B, 4)
    coeffs = np.linalg.solve(np.vander(xs, 4), dets.T).T  # (B, 4): c3 c2 c1 c0
    ok = np.abs(coeffs[:, 0]) > 1e-12 * np.abs(coeffs).max(1)
    comp = np.zeros((b, 3, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        comp[:, 0, :] = -coeffs[:, 1:] / coeffs[:, :1]
    comp[:, 1, 0] = comp[:, 2, 1] = 1.0
    comp[~ok] = 0.0
    roots = np.linalg.eigvals(comp)  # (B, 3)
    for j in range(3):
        r = roots[:, j]
        real = ok & (np.abs(r.imag) < 1e-8) & np.isfinite(r.real)
        if not real.any():
            continue
        x = r.real[real][:, None, None]
        f = x * f1[real] + (1 - x) * f2[real]
        f = t2[real].transpose(0, 2, 1) @ f @ t1[real]
        out.append(f / np.linalg.norm(f, axis=(1, 2), keepdims=True))
    return np.concatenate(out) if out else np.zeros((0, 3, 3))


def sampson_sq(f: np.ndarray, xy1: np.ndarray, xy2: np.ndarray) -> np.ndarray:
    """Squared Sampson distances of ``B`` models ``(B, 3, 3)`` on ``N`` pairs -> ``(B, N)``.

    A first-order approximation of the squared geometric (reprojection) error, in the units of
    the points (pixels for pixel coordinates).
    """
    h1 = np.column_stack([xy1, np.ones(len(xy1))])
    h2 = np.column_stack([xy2, np.ones(len(xy2))])
    fx1 = np.einsum("bij,nj->bni", f, h1)
    ftx2 = np.einsum("bji,nj->bni", f, h2)
    num = np.einsum("ni,bni->bn", h2, fx1) ** 2
    den = fx1[..., 0] ** 2 + fx1[..., 1] ** 2 + ftx2[..., 0] ** 2 + ftx2[..., 1] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        e = num / den
    e[~np.isfinite(e)] = np.inf
    return e


def sampson_weights(f: np.ndarray, xy1: np.ndarray, xy2: np.ndarray) -> np.ndarray:
    """``(N,)`` weights ``1 / |grad|^2`` that turn the algebraic error of ``f`` into Sampson's.

    Re-weighting the 8-point algorithm with them (iteratively) minimises the Sampson error.
    """
    h1 = np.column_stack([xy1, np.ones(len(xy1))])
    h2 = np.column_stack([xy2, np.ones(len(xy2))])
    fx1, ftx2 = h1 @ f.T, h2 @ f
    den = fx1[:, 0] ** 2 + fx1[:, 1] ** 2 + ftx2[:, 0] ** 2 + ftx2[:, 1] ** 2
    w = 1.0 / np.maximum(den, 1e-12 * max(float(den.max()), 1e-300))
    return w / w.mean()
