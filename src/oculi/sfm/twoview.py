"""Two-view geometry: fundamental and essential matrices, relative pose, degeneracy checks.

* :func:`estimate_fundamental`: LO-MSAC with the 7-point minimal solver and the normalised
  8-point algorithm for local optimisation and the final refit; residuals are Sampson distances
  in pixels.
* :func:`estimate_essential`: the same engine on normalised coordinates (``method="7pt"``: the
  7-point solutions projected onto the essential manifold, singular values ``(1, 1, 0)``;
  refits by the 8-point algorithm + projection), or ``method="opencv"``: OpenCV's 5-point
  solver (``cv2.findEssentialMat``) as the reference path. oculi has no own 5-point solver yet.
* :func:`recover_pose`: the four ``(R, t)`` decompositions of ``E``, the one with most points in
  front of both cameras (cheirality).
* :func:`relative_pose`: all of it plus the degeneracy checks: too few matches, pure rotation
  (a rotation-only model explains the matches: :class:`DegenerateMotionError` instead of a
  meaningless ``t``) and a planar scene (a homography explains the ``E`` inliers: a warning).

``F`` and ``E`` satisfy ``x2^T F x1 = 0``; the pose ``(R, t)`` maps camera-1 coordinates to
camera 2: ``X2 = R X1 + t``, ``|t| = 1``.

    >>> import numpy as np
    >>> from oculi.sfm.camera import Camera
    >>> rng = np.random.default_rng(0)
    >>> cam = Camera(600.0, 600.0, 320.0, 240.0)
    >>> X = rng.uniform([-2, -2, 4], [2, 2, 8], (100, 3))
    >>> R = np.array([[0.995, 0.0, 0.0998], [0.0, 1.0, 0.0], [-0.0998, 0.0, 0.995]])
    >>> t = np.array([-1.0, 0.0, 0.1])
    >>> x1, x2 = cam.project(X), cam.project(X @ R.T + t)
    >>> pose = relative_pose(x1, x2, cam, threshold=1.0)
    >>> bool(np.degrees(np.arccos(np.clip(pose.t @ t / np.linalg.norm(t), -1, 1))) < 1.0)
    True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import DataError, NoMatchError, ParameterError, ShapeError
from oculi.geometry.ransac import ransac_iterations
from oculi.sfm import _epipolar as E_
from oculi.sfm.camera import Camera, as_xy
from oculi.sfm.triangulate import depths, triangulate


class DegenerateMotionError(NoMatchError):
    """The matches do not determine a translation (pure rotation / no parallax)."""


class PlanarSceneWarning(UserWarning):
    """A homography explains the two-view matches: the pose may be ambiguous."""


@dataclass(frozen=True)
class EpipolarEstimate:
    """A robustly estimated fundamental or essential matrix.

    Attributes:
        model: ``(3, 3)`` float64 matrix, unit Frobenius norm (``E``: singular values ``s, s, 0``).
        inliers: ``(N,)`` bool, Sampson distance <= ``threshold``.
        residuals: ``(N,)`` float64 Sampson distances in pixels (``E``: normalised distances times
            the mean focal length).
        threshold: inlier threshold in pixels.
        kind: ``"fundamental"`` or ``"essential"``.
        iterations: hypotheses drawn (0 for the OpenCV path).
    """

    model: np.ndarray
    inliers: np.ndarray
    residuals: np.ndarray
    threshold: float
    kind: str
    iterations: int

    @property
    def n_inliers(self) -> int:
        """Number of inliers."""
        return int(self.inliers.sum())


def _pairs(xy1: Any, xy2: Any, need: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = as_xy(xy1, "xy1"), as_xy(xy2, "xy2")
    if a.shape != b.shape:
        raise ShapeError(f"xy1 and xy2: expected the same number of points, got {len(a)} and "
                         f"{len(b)}")
    bad = int((~(np.isfinite(a).all(1) & np.isfinite(b).all(1))).sum())
    if bad:
        raise DataError(f"{what}: {bad} of {len(a)} correspondences hold NaN or inf; drop them "
                        "first")
    if len(a) < need:
        raise NoMatchError(f"{what}: need at least {need} correspondences, got {len(a)}")
    return a, b


def _refit(fit, err, model, a, b, t2, rounds: int = 4):
    """Iteratively re-weighted refit on the inliers of a threshold shrinking from 3 t to t."""
    best, best_score = model, float(np.minimum(err(model[None], a, b)[0], t2).sum())
    for i in range(rounds):
        e2 = err(model[None], a, b)[0]
        sel = e2 <= t2 * (3.0 - 2.0 * i / max(rounds - 1, 1)) ** 2
        if sel.sum() < 16:
            break
        w = E_.sampson_weights(model, a[sel], b[sel]) / (1.0 + e2[sel] / t2)
        cand = fit(a[sel], b[sel], w)
        if not np.all(np.isfinite(cand)):
            break
        model = cand
        score = float(np.minimum(err(model[None], a, b)[0], t2).sum())
        if score < best_score:
            best, best_score = model, score
    return best, best_score


def _lo_msac(a, b, minimal: Callable, fit: Callable, t2: float, confidence: float,
             max_iterations: int, seed: int | None, k: int = 7):
    """LO-MSAC over 7-point samples; returns ``(model, iterations)``."""
    err = E_.sampson_sq
    rng = np.random.default_rng(seed)
    n = len(a)
    best, best_score, needed, iters = None, np.inf, max_iterations, 0
    while iters < needed:
        idx = np.stack([rng.choice(n, k, replace=False) for _ in range(min(32, needed - iters))])
        iters += len(idx)
        hyp = minimal(a[idx], b[idx])
        if len(hyp) == 0:
            continue
        scores = np.minimum(err(hyp, a, b), t2).sum(1)
        j = int(np.argmin(scores))
        if scores[j] < best_score:
            best, best_score = _refit(fit, err, hyp[j], a, b, t2)
            n_in = int((err(best[None], a, b)[0] <= t2).sum())
            needed = ransac_iterations(n_in, n, k, confidence, max_iterations)
    if best is None:
        raise NoMatchError(f"no epipolar model among {n} correspondences ({iters} samples)")
    best, _ = _refit(fit, err, best, a, b, t2, rounds=8)
    return best, iters


def _check_common(threshold: float, confidence: float) -> None:
    check_positive(threshold, "threshold")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence: expected a number in (0, 1), got {confidence!r}")


def estimate_fundamental(
    xy1: Any, xy2: Any, *, threshold: float = 1.0, confidence: float = 0.999,
    max_iterations: int = 5000, seed: int | None = 0,
) -> EpipolarEstimate:
    """Robust fundamental matrix (7-point LO-MSAC, normalised 8-point refits).

    Args:
        xy1, xy2: ``(N, 2)`` matched pixels ``(x, y)`` in images 1 and 2, ``N >= 8``.
        threshold: inlier threshold on the Sampson distance, pixels.
        confidence: probability of drawing one all-inlier sample, in (0, 1).
        max_iterations: cap on the samples.
        seed: random seed.

    Returns:
        :class:`EpipolarEstimate` of kind ``"fundamental"``.

    Raises:
        NoMatchError: fewer than 8 matches or no model.
    """
    a, b = _pairs(xy1, xy2, 8, "fundamental matrix")
    _check_common(threshold, confidence)
    t2 = float(threshold) ** 2
    f, iters = _lo_msac(a, b, E_.seven_point, E_.eight_point, t2, confidence, max_iterations,
                        seed)
    res = np.sqrt(E_.sampson_sq(f[None], a, b)[0])
    return EpipolarEstimate(f, res <= threshold, res, float(threshold), "fundamental", iters)


def _essential_fit(a, b, w=None):
    return E_.project_essential(E_.eight_point(a, b, w))


def _essential_minimal(s1, s2):
    f = E_.seven_point(s1, s2)
    return E_.project_essential(f) if len(f) else f


def estimate_essential(
    xy1: Any, xy2: Any, camera: Camera, camera2: Camera | None = None, *,
    threshold: float = 1.0, confidence: float = 0.999, max_iterations: int = 5000,
    seed: int | None = 0, method: str = "opencv", refine: bool = True,
) -> EpipolarEstimate:
    """Robust essential matrix between two calibrated views.

    Args:
        xy1, xy2: ``(N, 2)`` matched pixels, ``N >= 8`` (``"opencv"``: ``N >= 5``).
        camera: intrinsics of image 1 (and of image 2 unless ``camera2`` is given).
        camera2: intrinsics of image 2.
        threshold: inlier threshold in pixels (divided by the mean focal length internally).
        confidence: RANSAC confidence in (0, 1).
        max_iterations: cap on the samples.
        seed: random seed (``"opencv"`` uses OpenCV's own generator).
        method: ``"opencv"`` (default: ``cv2.findEssentialMat``, Nistér's 5-point solver in
            RANSAC, then oculi's polish) or ``"7pt"`` (oculi: 7-point + essential projection, LO,
            8-point refits; better on wide fields of view such as KITTI's, but it can settle on a
            near-identity rotation when the field of view is narrow, e.g. the temple views at
            f = 1520 px on 640 px images).
        refine: polish the model on the matches within 3x the threshold: the Sampson error
            minimised over ``(R, t)`` (5 dof, soft-L1 loss, ``scipy.optimize.least_squares``).
            OpenCV's model is not refit on its inliers otherwise; measured on the synthetic
            scene: rotation error 0.77 -> 0.05 degrees.

    Returns:
        :class:`EpipolarEstimate` of kind ``"essential"``; residuals are Sampson distances in
        normalised coordinates times the mean focal length (about pixels).
    """
    cam2 = camera2 or camera
    need = 5 if method == "opencv" else 8
    a, b = _pairs(xy1, xy2, need, "essential matrix")
    _check_common(threshold, confidence)
    na, nb = camera.normalise(a), cam2.normalise(b)
    focal = 0.25 * (camera.fx + camera.fy + cam2.fx + cam2.fy)
    tn = float(threshold) / focal
    if method == "7pt":
        e, iters = _lo_msac(na, nb, _essential_minimal, _essential_fit, tn**2, confidence,
                            max_iterations, seed)
    elif method == "opencv":
        import cv2

        e, _ = cv2.findEssentialMat(na, nb, np.eye(3), method=cv2.RANSAC, prob=confidence,
                                    threshold=tn, maxIters=max_iterations)
        if e is None or e.shape[0] < 3:
            raise NoMatchError("essential matrix: OpenCV found no model")
        e, iters = e[:3].astype(np.float64), 0
    else:
        raise ParameterError(f"method: expected '7pt' or 'opencv', got {method!r}")
    e = e / np.linalg.norm(e)
    if refine:
        e = _refine_essential(e, na, nb, tn)
    res = np.sqrt(E_.sampson_sq(e[None], na, nb)[0]) * focal
    return EpipolarEstimate(e, res <= threshold, res, float(threshold), "essential", iters)


def _skew(v: np.ndarray) -> np.ndarray:
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def _refine_essential(e: np.ndarray, na: np.ndarray, nb: np.ndarray, tn: float) -> np.ndarray:
    """Minimise the Sampson error over ``E = [t]x R`` (rotation + unit translation, 5 dof)."""
    import cv2
    from scipy.optimize import least_squares

    sel = E_.sampson_sq(e[None], na, nb)[0] <= 9.0 * tn**2
    if sel.sum() < 8:
        return e
    a, b = na[sel], nb[sel]
    r0, t0 = decompose_essential(e)[0]
    basis = np.linalg.svd(t0[None])[2][1:]  # two unit vectors orthogonal to t0
    h1 = np.column_stack([a, np.ones(len(a))])
    h2 = np.column_stack([b, np.ones(len(b))])

    def model(p):
        r = cv2.Rodrigues(p[:3])[0] @ r0
        t = t0 + basis.T @ p[3:]
        return _skew(t / np.linalg.norm(t)) @ r

    def fun(p):
        m = model(p)
        fx1, ftx2 = h1 @ m.T, h2 @ m
        num = (h2 * fx1).sum(1)
        den = fx1[:, 0] ** 2 + fx1[:, 1] ** 2 + ftx2[:, 0] ** 2 + ftx2[:, 1] ** 2
        return num / np.sqrt(np.maximum(den, 1e-300))

    sol = least_squares(fun, np.zeros(5), loss="soft_l1", f_scale=tn, x_scale=1.0)
    out = model(sol.x)
    score = lambda m: np.minimum(E_.sampson_sq(m[None], na, nb)[0], tn**2).sum()  # noqa: E731
    return out / np.linalg.norm(out) if score(out) <= score(e) * 1.001 else e


def sampson_errors(F: Any, xy1: Any, xy2: Any) -> np.ndarray:
    """``(N,)`` Sampson distances of matches under ``F`` ``(3, 3)``, in the points' units."""
    f = np.asarray(F, dtype=np.float64).reshape(1, 3, 3)
    return np.sqrt(E_.sampson_sq(f, as_xy(xy1, "xy1"), as_xy(xy2, "xy2"))[0])


def fundamental_from_essential(E: Any, camera: Camera, camera2: Camera | None = None):
    """``F = K2^-T E K1^-1`` (unit Frobenius norm)."""
    k1, k2 = camera.K, (camera2 or camera).K
    f = np.linalg.inv(k2).T @ np.asarray(E, dtype=np.float64) @ np.linalg.inv(k1)
    return f / np.linalg.norm(f)


def decompose_essential(E: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """The four ``(R, t)`` candidates of an essential matrix (``|t| = 1``)."""
    u, _, vt = np.linalg.svd(np.asarray(E, dtype=np.float64))
    if np.linalg.det(u) < 0:
        u = -u
    if np.linalg.det(vt) < 0:
        vt = -vt
    w = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    r1, r2 = u @ w @ vt, u @ w.T @ vt
    t = u[:, 2]
    return [(r1, t), (r1, -t), (r2, t), (r2, -t)]


@dataclass(frozen=True)
class RelativePose:
    """Relative pose of camera 2 w.r.t. camera 1: ``X2 = R X1 + t``.

    Attributes:
        R: ``(3, 3)`` rotation.
        t: ``(3,)`` unit translation (the scale is unobservable).
        inliers: ``(N,)`` bool, epipolar inliers in front of both cameras.
        points3d: ``(N, 3)`` triangulated points in camera-1 coordinates (units of ``|t| = 1``;
            NaN outside ``inliers``).
        median_parallax_deg: median triangulation angle of the inliers, degrees.
        planar: a homography explains the inliers (pose may be ambiguous).
        E: ``(3, 3)`` the essential matrix used.
    """

    R: np.ndarray
    t: np.ndarray
    inliers: np.ndarray
    points3d: np.ndarray
    median_parallax_deg: float
    planar: bool = False
    E: np.ndarray | None = None


def recover_pose(
    E: Any, xy1: Any, xy2: Any, camera: Camera, camera2: Camera | None = None,
    mask: Any | None = None,
) -> RelativePose:
    """Pick the ``(R, t)`` of ``E`` that puts most points in front of both cameras.

    Args:
        E: ``(3, 3)`` essential matrix.
        xy1, xy2: ``(N, 2)`` matched pixels.
        camera, camera2: intrinsics of images 1 and 2 (``camera2`` defaults to ``camera``).
        mask: ``(N,)`` bool matches to use (default all).

    Returns:
        :class:`RelativePose`; ``inliers`` = ``mask`` and positive depth in both views.

    Raises:
        NoMatchError: no candidate has any point in front of both cameras.
    """
    a, b = _pairs(xy1, xy2, 1, "recover_pose")
    cam2 = camera2 or camera
    m = np.ones(len(a), bool) if mask is None else np.asarray(mask, bool).copy()
    ident = (np.eye(3), np.zeros(3))
    best = None
    for r, t in decompose_essential(E):
        X = triangulate([a, b], [camera, cam2], [ident, (r, t)])
        front = m & (depths(X, ident) > 0) & (depths(X, (r, t)) > 0) & np.isfinite(X).all(1)
        front &= np.abs(X).max(1) < 1e6
        if best is None or front.sum() > best[2].sum():
            best = (r, t, front, X)
    r, t, front, X = best
    if not front.any():
        raise NoMatchError("recover_pose: no decomposition puts any point in front of both "
                           "cameras")
    X = np.where(front[:, None], X, np.nan)
    c2 = -r.T @ t
    d1 = X / np.linalg.norm(X, axis=1, keepdims=True)
    d2 = (X - c2) / np.linalg.norm(X - c2, axis=1, keepdims=True)
    ang = np.degrees(np.arccos(np.clip((d1 * d2).sum(1), -1, 1)))
    return RelativePose(r, t / np.linalg.norm(t), front, X, float(np.median(ang[front])),
                        E=np.asarray(E, dtype=np.float64))


def _rotation_only_residual(na: np.ndarray, nb: np.ndarray) -> float:
    """Median angle (rad) left by the best pure rotation (Kabsch on bearings, 2 robust rounds)."""
    b1 = np.column_stack([na, np.ones(len(na))])
    b2 = np.column_stack([nb, np.ones(len(nb))])
    b1 /= np.linalg.norm(b1, axis=1, keepdims=True)
    b2 /= np.linalg.norm(b2, axis=1, keepdims=True)
    sel = np.ones(len(b1), bool)
    ang = np.zeros(len(b1))
    for _ in range(3):
        u, _, vt = np.linalg.svd(b2[sel].T @ b1[sel])
        d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
        r = u @ d @ vt
        ang = np.arccos(np.clip(((b1 @ r.T) * b2).sum(1), -1, 1))
        sel = ang <= 2.0 * np.median(ang) + 1e-12
    return float(np.median(ang))


def relative_pose(
    xy1: Any, xy2: Any, camera: Camera, camera2: Camera | None = None, *,
    threshold: float = 1.0, min_parallax: float = 1.0, planar_ratio: float = 0.9,
    method: str = "opencv", seed: int | None = 0,
) -> RelativePose:
    """Essential matrix + cheirality + degeneracy checks, from matched pixels.

    Args:
        xy1, xy2: ``(N, 2)`` matched pixels, ``N >= 8``.
        camera, camera2: intrinsics (``camera2`` defaults to ``camera``).
        threshold: inlier threshold in pixels.
        min_parallax: pixels; when the best pure rotation explains the inliers with a median
            residual below this, the translation is unobservable.
        planar_ratio: when a homography keeps this fraction of the ``E`` inliers, the scene is
            reported planar (``PlanarSceneWarning``, ``planar=True``).
        method: essential solver, see :func:`estimate_essential`.
        seed: random seed.

    Raises:
        NoMatchError: fewer than 8 matches or no model.
        DegenerateMotionError: (near) pure rotation: too little parallax for a translation.
    """
    from oculi.geometry import estimate_homography

    cam2 = camera2 or camera
    a, b = _pairs(xy1, xy2, 8, "relative pose")
    est = estimate_essential(a, b, camera, cam2, threshold=threshold, seed=seed, method=method)
    inl = est.inliers
    focal = 0.25 * (camera.fx + camera.fy + cam2.fx + cam2.fy)
    if inl.sum() < 8:
        raise NoMatchError(f"relative pose: only {int(inl.sum())} essential inliers (need 8)")
    resid = _rotation_only_residual(camera.normalise(a[inl]), cam2.normalise(b[inl])) * focal
    if resid < min_parallax:
        raise DegenerateMotionError(
            f"relative pose: a pure rotation explains the {int(inl.sum())} inliers to "
            f"{resid:.2f} px (< min_parallax={min_parallax:g} px): translation unobservable")
    pose = recover_pose(est.model, a, b, camera, cam2, mask=inl)
    planar = False
    try:
        h = estimate_homography(a[inl], b[inl], threshold=threshold, seed=seed)
        planar = h.n_inliers >= planar_ratio * inl.sum()
    except NoMatchError:
        pass
    if planar:
        warnings.warn(f"relative pose: a homography explains {planar_ratio:.0%}+ of the "
                      "inliers (planar scene); the pose may be ambiguous", PlanarSceneWarning,
                      stacklevel=2)
    return RelativePose(pose.R, pose.t, pose.inliers, pose.points3d, pose.median_parallax_deg,
                        planar, est.model)
