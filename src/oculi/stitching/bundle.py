"""Global bundle adjustment of all images at once (scipy least squares).

* rotation model (a camera turning about its centre): per image a rotation vector and a focal
  length; the residual of an inlier match ``x_i <-> x_j`` is the transfer error
  ``proj(K_j R_j R_i^T K_i^-1 x_i) - x_j`` in pixels of image j, and the same from j to i;
* homography model (a flat scene, scans): per image a homography to the reference plane; the
  residual is ``proj(H_j^-1 H_i x_i) - x_j`` and its reverse.

The reference image is held fixed (the gauge). Matches are capped per pair (spread over the
inliers) to bound the cost; they are RANSAC inliers already: the cost is least squares (MINPACK
Levenberg–Marquardt), then reweighted with a Cauchy kernel per match (IRLS) so that the few
matches no global model explains do not pull weakly-determined parameters (the focal length).
The result carries the mean transfer error of the inliers in pixels before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import least_squares
from scipy.spatial.transform import Rotation

from oculi.geometry import reprojection_errors
from oculi.stitching._jacobians import homography_jacobian, rotation_jacobian
from oculi.stitching.cameras import Camera

#: matches used per pair in the adjustment (evenly spread over the inliers)
MAX_PER_PAIR = 150


@dataclass
class BundleResult:
    """Adjusted transforms and the inlier transfer errors (pixels) before and after."""

    error_before: float
    error_after: float
    n_residuals: int
    success: bool


@dataclass
class _Terms:
    """All matches of the adjustment, concatenated: homogeneous points ``a`` (of image ``i``) and
    ``b`` (of image ``j``) ``(n, 3)``, and per match its pair's slot in ``ij``."""

    ij: list[tuple[int, int]]
    a: np.ndarray
    b: np.ndarray
    slot: np.ndarray

    def __len__(self) -> int:
        return len(self.a)


def _stack(pairs: list, max_per_pair: int) -> _Terms:
    """The inlier matches of every pair, at most ``max_per_pair`` per pair spread evenly over
    them."""
    ij, a, b, slot = [], [], [], []
    for k, p in enumerate(pairs):
        m = len(p.xy_i)
        sel = np.linspace(0, m - 1, min(m, max_per_pair)).round().astype(int) if m else \
            np.zeros(0, int)
        ij.append((p.i, p.j))
        a.append(p.xy_i[sel])
        b.append(p.xy_j[sel])
        slot.append(np.full(len(sel), k))
    if not ij:
        return _Terms([], np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0, int))
    one = np.ones((sum(len(x) for x in a), 1))
    return _Terms(ij, np.hstack([np.concatenate(a), one]), np.hstack([np.concatenate(b), one]),
                  np.concatenate(slot))


def _apply(h: np.ndarray, slot: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``proj(h[slot] src) - dst`` per row, ``(n, 2)``, with ``h`` a ``(P, 3, 3)`` stack."""
    m = h[slot]
    q = np.einsum("nij,nj->ni", m, src)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = q[:, :2] / q[:, 2:3] - dst[:, :2]
    return np.where(np.isfinite(d), d, 1e6)


def _transfer(terms: _Terms, hfun) -> np.ndarray:
    """Residuals ``proj(H_ij x_i) - x_j`` and ``proj(H_ji x_j) - x_i`` of every match, flattened so
    that ``reshape(-1, 2)`` gives one 2-D residual per row; ``hfun(i, j)`` gives ``H_ij``, or
    ``hfun`` is a ``(P, 3, 3)`` stack in the order of ``terms.ij``."""
    if not len(terms):
        return np.zeros(0)
    h = hfun if isinstance(hfun, np.ndarray) else np.stack([hfun(i, j) for i, j in terms.ij])
    fwd = _apply(h, terms.slot, terms.a, terms.b)
    back = _apply(np.linalg.inv(h), terms.slot, terms.b, terms.a)
    return np.concatenate([fwd.ravel(), back.ravel()])


def _solve(residuals, x0: np.ndarray, iterations: int = 12, jac=None):
    """MINPACK Levenberg–Marquardt (scipy): a few dozen parameters and thousands of residuals,
    where the trust-region solvers' SVD/LSMR cost more. ``jac``: the analytic Jacobian
    (:mod:`oculi.stitching._jacobians`), else forward differences."""
    if jac is None:
        return least_squares(residuals, x0, method="lm", x_scale="jac", ftol=1e-7, xtol=1e-9,
                             max_nfev=iterations * (len(x0) + 1))
    return least_squares(residuals, x0, jac=jac, method="lm", x_scale="jac", ftol=1e-7,
                         xtol=1e-9, max_nfev=iterations)


#: reweighting rounds of the robust adjustment, and the Cauchy scale as a multiple of the median
#: per-match error (2.0 x median ~ 2.4 sigma for Gaussian noise: 95% efficiency)
ROBUST_ROUNDS = 2
ROBUST_SCALE = 2.0


def _solve_robust(residuals, x0: np.ndarray, n: int, rounds: int = ROBUST_ROUNDS,
                  iterations: int = 12, jac=None):
    """Least squares, then ``rounds`` of iteratively reweighted least squares with Cauchy weights
    per match (both directions of a match share one weight): a few matches that no global
    model explains (a patch tracked onto the wrong corner, a moving object) otherwise pull
    weakly-determined parameters such as the focal length when the overlaps are narrow."""
    sol = _solve(residuals, x0, iterations, jac)
    x = sol.x if np.all(np.isfinite(sol.x)) else x0
    for _ in range(rounds if n >= 8 else 0):
        r = residuals(x).reshape(2, n, 2)
        e = np.sqrt((r**2).sum(-1).mean(0))
        c = max(ROBUST_SCALE * float(np.median(e)), 1e-3)
        sw = np.tile(np.repeat(1.0 / np.sqrt(1.0 + (e / c) ** 2), 2), 2)
        cand = _solve(lambda z, sw=sw: residuals(z) * sw, x, jac=None if jac is None else
                      lambda z, sw=sw: jac(z) * sw[:, None])
        if not np.all(np.isfinite(cand.x)):
            break
        sol, x = cand, cand.x
    return sol, x


def adjust_rotations(
    cams: dict[int, Camera], pairs: list, root: int, *, shared_focal: bool = False,
    max_per_pair: int = MAX_PER_PAIR, robust_rounds: int = ROBUST_ROUNDS, iterations: int = 12,
) -> tuple[dict[int, Camera], BundleResult]:
    """Rotation + focal bundle adjustment (see module docs); ``cams`` keyed by image index.

    Parameters: a rotation-vector update for every image but ``root`` (the gauge) and a log
    focal length per image, or one for all with ``shared_focal`` (one camera, one zoom: fewer
    unknowns, and a better-determined focal when the overlaps are narrow). ``robust_rounds``:
    Cauchy reweighting rounds after the least-squares solution (0: plain least squares);
    ``iterations``: cap on the Levenberg–Marquardt iterations of that first solution.
    """
    nodes = sorted(cams)
    free = [v for v in nodes if v != root]
    slot = {v: k for k, v in enumerate(nodes)}
    terms = _stack(pairs, max_per_pair)
    n = len(terms)
    si = np.array([slot[i] for i, _ in terms.ij], dtype=np.int64)
    sj = np.array([slot[j] for _, j in terms.ij], dtype=np.int64)
    rot0 = np.stack([cams[v].R for v in nodes])
    cxy = np.array([[cams[v].cx, cams[v].cy] for v in nodes])
    nf = 3 * len(free)
    focals = np.log([cams[v].focal for v in nodes])
    x0 = np.concatenate([np.zeros(nf), [np.median(focals)] if shared_focal else focals])
    free_idx = np.array([slot[v] for v in free], dtype=np.int64)

    def mats(x: np.ndarray):
        rv = np.zeros((len(nodes), 3))
        rv[free_idx] = x[:nf].reshape(-1, 3)
        r = Rotation.from_rotvec(rv).as_matrix() @ rot0
        f = np.exp(x[nf:]) * np.ones(len(nodes))
        k_mat = np.zeros((len(nodes), 3, 3))
        k_mat[:, 0, 0] = k_mat[:, 1, 1] = f
        k_mat[:, :2, 2] = cxy
        k_mat[:, 2, 2] = 1.0
        k_inv = np.zeros((len(nodes), 3, 3))
        k_inv[:, 0, 0] = k_inv[:, 1, 1] = 1 / f
        k_inv[:, :2, 2] = -cxy / f[:, None]
        k_inv[:, 2, 2] = 1.0
        return k_mat, k_inv, r, f

    def residuals(x: np.ndarray) -> np.ndarray:
        k_mat, k_inv, r, _ = mats(x)
        return _transfer(terms, (k_mat @ r)[sj] @ (r.transpose(0, 2, 1) @ k_inv)[si])

    free_col = np.full(len(nodes), -1, np.int64)
    free_col[free_idx] = 3 * np.arange(len(free))
    focal_col = np.full(len(nodes), nf) if shared_focal else nf + np.arange(len(nodes))
    src, dst = si[terms.slot], sj[terms.slot]

    def jacobian(x: np.ndarray) -> np.ndarray:
        k_mat, k_inv, r, f = mats(x)
        return rotation_jacobian(k_mat, k_inv, r, f, terms.a, terms.b, src, dst, free_col,
                                 focal_col)

    r0 = residuals(x0)
    sol, x = _solve_robust(residuals, x0, n, robust_rounds, iterations,
                           jac=jacobian if n else None)
    _, _, r, f = mats(x)
    out = {v: replace(cams[v], R=r[slot[v]], focal=float(f[slot[v]])) for v in nodes}
    return out, BundleResult(_mean_norm(r0), _mean_norm(residuals(x)), 2 * n, bool(sol.success))


def _mean_norm(r: np.ndarray) -> float:
    d = np.linalg.norm(r.reshape(-1, 2), axis=1)
    return float(d.mean()) if len(d) else float("nan")


def adjust_homographies(
    hs: dict[int, np.ndarray], pairs: list, root: int, *, max_per_pair: int = MAX_PER_PAIR,
) -> tuple[dict[int, np.ndarray], BundleResult]:
    """Homography-model bundle adjustment: ``hs[v]`` maps image v to the reference plane
    (the root's pixels); the root stays the identity."""
    nodes = sorted(hs)
    free = [v for v in nodes if v != root]
    slots = {v: k for k, v in enumerate(free)}
    terms = _stack(pairs, max_per_pair)
    n = len(terms)
    x0 = np.concatenate([(hs[v] / hs[v][2, 2]).reshape(-1)[:8] for v in free]) if free else \
        np.zeros(0)
    all_slots = {v: k for k, v in enumerate(nodes)}

    def mats(x: np.ndarray):
        h = np.zeros((len(nodes), 3, 3))
        for v, k in all_slots.items():
            if v == root:
                h[k] = np.eye(3)
            else:
                h[k] = np.append(x[8 * slots[v]:8 * slots[v] + 8], 1.0).reshape(3, 3)
        return h, np.linalg.inv(h)

    si = np.array([all_slots[i] for i, _ in terms.ij], dtype=np.int64)
    sj = np.array([all_slots[j] for _, j in terms.ij], dtype=np.int64)

    def residuals(x: np.ndarray) -> np.ndarray:
        h, hinv = mats(x)
        return _transfer(terms, hinv[sj] @ h[si])

    r0 = residuals(x0)
    if not free:
        return dict(hs), BundleResult(_mean_norm(r0), _mean_norm(r0), 2 * n, True)
    free_col = np.full(len(nodes), -1, np.int64)
    for v in free:
        free_col[all_slots[v]] = 8 * slots[v]
    src, dst = si[terms.slot], sj[terms.slot]

    def jacobian(x: np.ndarray) -> np.ndarray:
        h, hinv = mats(x)
        return homography_jacobian(h, hinv, terms.a, terms.b, src, dst, free_col)

    sol, x = _solve_robust(residuals, x0, n, jac=jacobian if n else None)
    h, _ = mats(x)
    out = {v: h[all_slots[v]] for v in nodes}
    r1 = residuals(x)
    return out, BundleResult(_mean_norm(r0), _mean_norm(r1), 2 * n, bool(sol.success))


def pair_errors(pairs: list, homography) -> np.ndarray:
    """Mean inlier transfer error (pixels of j) of every pair under ``homography(i, j)``."""
    out = []
    for p in pairs:
        d = reprojection_errors(homography(p.i, p.j), p.xy_i, p.xy_j)
        out.append(float(np.nanmean(d)) if len(d) else 0.0)
    return np.array(out)
