"""Incremental structure from motion on an unordered image set.

    rec = reconstruct(images, camera)          # -> Reconstruction (oculi.sfm.reconstruction)

The classic pipeline (Snavely et al. 2006, Schönberger & Frahm 2016): features and an exhaustive,
essential-verified view graph (:mod:`oculi.sfm.viewgraph`); tracks by union-find; an initial pair
with many inliers, little homography support and wide parallax; then image after image, the
unregistered image that sees the most reconstructed points is registered by robust PnP, new
tracks are triangulated (multi-view DLT, angle, depth and reprojection checks), a local bundle
adjustment refines the new image and its neighbours, observations over ``max_error`` are
dropped, and the whole model is adjusted each time it has grown by ``global_ba_growth``; at the
end failed tracks are re-triangulated and a last global adjustment and filter run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oculi.core.errors import NoMatchError, ParameterError
from oculi.sfm.camera import Camera
from oculi.sfm.reconstruction import Reconstruction
from oculi.sfm.viewgraph import ViewGraph, build_tracks, build_view_graph, describe_images


@dataclass
class SfMConfig:
    """Settings of :func:`reconstruct`.

    Attributes:
        feature: Feature method (``oculi.features`` registry); SIFT descriptors become RootSIFT.
        contrast_threshold: SIFT's DoG contrast threshold (lower = more keypoints; 0.02 suits
            weakly textured objects).
        max_keypoints: Cap on keypoints per image (0 = no cap).
        ratio: Lowe's ratio for descriptor matching (applied both ways).
        verify_threshold: Essential-matrix inlier threshold for pair verification, px.
        min_inliers: Verified matches a pair needs to become an edge of the view graph.
        init_max_h_ratio: An initial pair whose inliers a homography explains above this
            fraction is skipped (planar scene or pure rotation).
        init_min_angle: Median triangulation angle the initial pair needs, degrees.
        pnp_threshold: PnP inlier reprojection error, px.
        min_pnp_inliers: PnP inliers an image needs to be registered.
        min_angle: Smallest triangulation angle of a new point, degrees.
        max_error: Reprojection error over which an observation is dropped, px.
        local_ba_images: Registered images (besides the new one) refined by the local bundle
            adjustment: those sharing the most points with it.
        global_ba_growth: Run a global bundle adjustment when the model has grown by this factor
            since the last one.
        refine_intrinsics: Also refine a shared focal scale and radial ``k1, k2`` (on by default
            when no camera is given).
        seed: Random seed (OpenCV's RANSAC uses its own generator).
    """

    feature: str = "sift"
    contrast_threshold: float = 0.02
    max_keypoints: int = 8000
    ratio: float = 0.8
    verify_threshold: float = 1.5
    min_inliers: int = 20
    init_max_h_ratio: float = 0.8
    init_min_angle: float = 4.0
    pnp_threshold: float = 4.0
    min_pnp_inliers: int = 15
    min_angle: float = 1.5
    max_error: float = 4.0
    local_ba_images: int = 6
    global_ba_growth: float = 1.4
    refine_intrinsics: bool | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("ratio",):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ParameterError(f"{name}: expected a value in (0, 1], got {v}")
        for name in ("verify_threshold", "pnp_threshold", "max_error", "global_ba_growth"):
            if not getattr(self, name) > 0:
                raise ParameterError(f"{name}: expected > 0, got {getattr(self, name)}")
        if self.min_inliers < 8 or self.min_pnp_inliers < 6:
            raise ParameterError("min_inliers >= 8 and min_pnp_inliers >= 6 are needed")


@dataclass
class _State:
    """Mutable mapper state: poses, one point per track (NaN until triangulated) and, per
    track observation, whether it is used (its image registered and its error in bounds)."""

    graph: ViewGraph
    tracks: list[np.ndarray]
    camera: Camera
    poses: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    X: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    used: list[np.ndarray] = field(default_factory=list)
    tried: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    tracks_of: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.graph.features)
        self.X = np.full((len(self.tracks), 3), np.nan)
        self.used = [np.zeros(len(t), bool) for t in self.tracks]
        self.tried = np.zeros(len(self.tracks), bool)
        per: list[list[int]] = [[] for _ in range(n)]
        for k, t in enumerate(self.tracks):
            for i in t[:, 0]:
                per[int(i)].append(k)
        self.tracks_of = [np.asarray(p, np.intp) for p in per]

    def xy(self, k: int) -> np.ndarray:
        """``(len, 2)`` pixels of track ``k``'s observations."""
        t = self.tracks[k]
        return np.array([self.graph.features[i].xy[j] for i, j in t], np.float64)

    def has_point(self, k: int) -> bool:
        return bool(np.isfinite(self.X[k, 0]))

    def observations(self):
        """Used observations of triangulated tracks: ``(image ids, track ids, xy)``."""
        ii, kk, xy = [], [], []
        for k in np.flatnonzero(np.isfinite(self.X[:, 0])):
            t, u = self.tracks[k], self.used[k]
            for (i, j), ok in zip(t, u, strict=True):
                if ok:
                    ii.append(i)
                    kk.append(k)
                    xy.append(self.graph.features[i].xy[j])
        return (np.asarray(ii, np.intp), np.asarray(kk, np.intp),
                np.asarray(xy, np.float64).reshape(-1, 2))


def _angles_ok(X: np.ndarray, centres: np.ndarray, min_angle: float) -> bool:
    """Largest angle between the rays from ``centres (V, 3)`` to ``X (3,)`` >= ``min_angle``."""
    d = X - centres
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    cos = np.clip(d @ d.T, -1, 1)
    return bool(np.degrees(np.arccos(cos.min())) >= min_angle)


def _triangulate_track(st: _State, k: int, cfg: SfMConfig) -> bool:
    """Triangulate track ``k`` from its registered observations; keep it when every used
    observation is in front, within ``max_error`` and the rays span ``min_angle``."""
    from oculi.sfm.triangulate import triangulate

    t = st.tracks[k]
    reg = np.array([int(i) in st.poses for i in t[:, 0]])
    if reg.sum() < 2:
        return False
    xy = st.xy(k)
    idx = np.flatnonzero(reg)
    poses = [st.poses[int(t[m, 0])] for m in idx]
    X = triangulate([xy[m][None] for m in idx], st.camera, poses)[0]
    if not np.isfinite(X).all():
        return False
    ok = _check_observations(st, X, t, xy, idx, cfg.max_error)
    if ok.sum() < 2:
        return False
    centres = np.array([-st.poses[int(t[m, 0])][0].T @ st.poses[int(t[m, 0])][1]
                        for m in idx[ok]])
    if not _angles_ok(X, centres, cfg.min_angle):
        return False
    st.X[k] = X
    st.used[k][:] = False
    st.used[k][idx[ok]] = True
    return True


def _check_observations(st: _State, X: np.ndarray, t: np.ndarray, xy: np.ndarray,
                        idx: np.ndarray, max_error: float) -> np.ndarray:
    """Per observation in ``idx``: in front of its camera and reprojected within the bound."""
    ok = np.zeros(len(idx), bool)
    for n, m in enumerate(idx):
        r, tr = st.poses[int(t[m, 0])]
        q = r @ X + tr
        if q[2] <= 0:
            continue
        ok[n] = np.linalg.norm(st.camera.project(q[None])[0] - xy[m]) <= max_error
    return ok


def _initial_pair(st: _State, cfg: SfMConfig) -> tuple[int, int]:
    """Try pairs by inlier count; the first with low homography support whose relative pose
    has a wide enough median triangulation angle starts the model."""
    from oculi.sfm.twoview import relative_pose

    cands = sorted(st.graph.pairs.values(), key=lambda p: -p.n_inliers)
    reasons = []
    for pm in cands:
        if pm.h_ratio > cfg.init_max_h_ratio:
            reasons.append(f"{pm.i}-{pm.j}: homography explains {pm.h_ratio:.0%}")
            continue
        a = st.graph.keypoints(pm.i)[pm.idx[:, 0]]
        b = st.graph.keypoints(pm.j)[pm.idx[:, 1]]
        try:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rp = relative_pose(a, b, st.camera, threshold=cfg.verify_threshold,
                                   seed=cfg.seed)
        except NoMatchError as err:
            reasons.append(f"{pm.i}-{pm.j}: {err}")
            continue
        if rp.median_parallax_deg < cfg.init_min_angle or rp.inliers.sum() < 2 * cfg.min_inliers:
            reasons.append(f"{pm.i}-{pm.j}: parallax {rp.median_parallax_deg:.1f} deg")
            continue
        st.poses[pm.i] = (np.eye(3), np.zeros(3))
        st.poses[pm.j] = (rp.R, rp.t)
        return pm.i, pm.j
    raise NoMatchError("reconstruct: no image pair can start the model ("
                       + ("; ".join(reasons[:4]) or "no verified pairs") + ")")


def _register_next(st: _State, cfg: SfMConfig, failed: set[int]) -> int | None:
    """Register the unregistered image seeing the most points (PnP); ``None`` when none can."""
    from oculi.sfm.pnp import solve_pnp

    n = len(st.graph.features)
    counts = []
    for i in range(n):
        if i in st.poses or i in failed:
            continue
        ks = st.tracks_of[i]
        ks = ks[np.isfinite(st.X[ks, 0])]
        counts.append((len(ks), i, ks))
    import os
    if os.environ.get("SFM_DEBUG"):
        print("candidates", [(c[1], c[0]) for c in sorted(counts, key=lambda c: -c[0])])
    for cnt, i, ks in sorted(counts, key=lambda c: -c[0]):
        if cnt < cfg.min_pnp_inliers:
            break
        xy = np.array([st.graph.features[i].xy[st.tracks[k][st.tracks[k][:, 0] == i, 1][0]]
                       for k in ks], np.float64)
        try:
            res = solve_pnp(st.X[ks], xy, st.camera, threshold=cfg.pnp_threshold,
                            max_iterations=2000)
        except NoMatchError:
            failed.add(i)
            continue
        if os.environ.get("SFM_DEBUG"):
            print("pnp", i, int(res.inliers.sum()), "of", cnt)
        if res.inliers.sum() < cfg.min_pnp_inliers:
            failed.add(i)
            continue
        st.poses[i] = (res.R, res.t)
        for k, ok in zip(ks, res.inliers, strict=True):
            st.used[k][st.tracks[k][:, 0] == i] = bool(ok)
        return i
    return None


def _track_pixels(st: _State, image: int) -> tuple[np.ndarray, np.ndarray]:
    """Triangulated tracks observed in ``image`` and the pixel of each there."""
    ks = st.tracks_of[image]
    ks = ks[np.isfinite(st.X[ks, 0])]
    xy = np.array([st.graph.features[image].xy[st.tracks[k][st.tracks[k][:, 0] == image, 1][0]]
                   for k in ks], np.float64).reshape(-1, 2)
    return ks, xy


def _structureless(st: _State, cfg: SfMConfig, failed: set[int]) -> int | None:
    """Fallback registration through a verified pair (COLMAP 4's structure-less fallback in
    spirit): the rotation and the direction of the new camera come from the pair's essential
    matrix, relative to the registered partner; only the distance along that direction is taken
    from the few 3-D points the new image sees (per point the least-squares distance, then
    their median, then the agreeing points). Needs 3 agreeing points instead of PnP's
    ``min_pnp_inliers``; the local bundle adjustment then refines the pose."""
    import warnings

    from oculi.sfm.twoview import relative_pose

    edges = [pm for (i, j), pm in st.graph.pairs.items()
             if (i in st.poses) != (j in st.poses) and pm.n_inliers >= 2 * cfg.min_inliers]
    for pm in sorted(edges, key=lambda p: -p.n_inliers):
        r, u, ir, iu = ((pm.i, pm.j, 0, 1) if pm.i in st.poses else (pm.j, pm.i, 1, 0))
        if u in failed:
            continue
        ks, xy = _track_pixels(st, u)
        if len(ks) < 3:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rp = relative_pose(st.graph.keypoints(r)[pm.idx[:, ir]],
                                   st.graph.keypoints(u)[pm.idx[:, iu]], st.camera,
                                   threshold=cfg.verify_threshold, seed=cfg.seed)
        except NoMatchError:
            continue
        r_r, t_r = st.poses[r]
        r_u = rp.R @ r_r
        c_r = -r_r.T @ t_r
        d = -r_u.T @ rp.t  # centre of u = c_r + lam * d
        b = np.column_stack([st.camera.normalise(xy), np.ones(len(xy))])
        c1 = np.cross(b, (st.X[ks] - c_r) @ r_u.T)
        c2 = np.cross(b, r_u @ d)
        lam = (c1 * c2).sum(1) / (c2 * c2).sum(1).clip(1e-300)
        if not (lam > 0).any():
            continue
        best = None
        for lam0 in np.unique(lam[lam > 0]):  # a consensus search over the point hypotheses
            t_u = -r_u @ (c_r + lam0 * d)
            q = st.X[ks] @ r_u.T + t_u
            err = np.linalg.norm(st.camera.project(q) - xy, axis=1)
            inl = (err <= cfg.pnp_threshold) & (q[:, 2] > 0)
            if best is None or inl.sum() > best[1].sum():
                best = (t_u, inl)
        t_u, inl = best
        if inl.sum() < 3:
            continue
        st.poses[u] = (r_u, t_u)
        for k, ok in zip(ks, inl, strict=True):
            st.used[k][st.tracks[k][:, 0] == u] = bool(ok)
        return u
    return None


def _bundle(st: _State, cfg: SfMConfig, images: Sequence[int] | None, refine_intr: bool,
            max_nfev: int = 50) -> None:
    """Bundle-adjust the points seen by ``images`` (all registered when ``None``), holding the
    other registered images that see them."""
    from oculi.sfm.bundle import bundle_adjust

    ii, kk, xy = st.observations()
    if not len(ii):
        return
    if images is not None:
        sel_pts = np.unique(kk[np.isin(ii, list(images))])
        keep = np.isin(kk, sel_pts)
        ii, kk, xy = ii[keep], kk[keep], xy[keep]
    cams = sorted(set(ii.tolist()))
    if len(cams) < 2:
        return
    fixed = [] if images is None else [c for c in cams if c not in set(images)]
    if images is not None and len(fixed) < 2:
        fixed = []  # too few anchors: the default gauge (first two cameras) holds it
    order = sorted(cams, key=lambda c: (c not in fixed, c))
    pos = {c: n for n, c in enumerate(order)}
    pts, pinv = np.unique(kk, return_inverse=True)
    res = bundle_adjust(st.camera, [st.poses[c] for c in order], st.X[pts],
                        np.array([pos[c] for c in ii]), pinv, xy,
                        refine_intrinsics=refine_intr and images is None, max_nfev=max_nfev,
                        restarts=1, fixed_cameras=[pos[c] for c in fixed],
                        f_scale=1.0)
    for c, pose in zip(order, res.poses, strict=True):
        st.poses[c] = pose
    st.X[pts] = res.points3d
    if refine_intr and images is None:
        st.camera = res.camera


def _filter(st: _State, cfg: SfMConfig, tracks: np.ndarray | None = None) -> int:
    """Drop observations over ``max_error`` or behind the camera, then points left with fewer
    than two observations or too narrow an angle. Returns the number of points removed."""
    ks = np.flatnonzero(np.isfinite(st.X[:, 0])) if tracks is None else tracks
    removed = 0
    for k in ks:
        if not st.has_point(k):
            continue
        t, u = st.tracks[k], st.used[k]
        idx = np.flatnonzero(u)
        ok = _check_observations(st, st.X[k], t, st.xy(k), idx, cfg.max_error)
        u[idx[~ok]] = False
        idx = idx[ok]
        centres = (np.array([-st.poses[int(t[m, 0])][0].T @ st.poses[int(t[m, 0])][1]
                             for m in idx]) if len(idx) else np.zeros((0, 3)))
        if len(idx) < 2 or not _angles_ok(st.X[k], centres, cfg.min_angle):
            st.X[k] = np.nan
            u[:] = False
            removed += 1
    return removed


def _triangulate_image(st: _State, cfg: SfMConfig, image: int) -> int:
    """Triangulate the untriangulated tracks of ``image``; also extend triangulated tracks by
    the observations of registered images that agree with the point. Returns new points."""
    new = 0
    for k in st.tracks_of[image]:
        if st.has_point(k):
            t = st.tracks[k]
            idx = np.flatnonzero(~st.used[k] & np.isin(t[:, 0], list(st.poses)))
            if len(idx):
                ok = _check_observations(st, st.X[k], t, st.xy(k), idx, cfg.max_error)
                st.used[k][idx[ok]] = True
        elif _triangulate_track(st, k, cfg):
            new += 1
    return new


def _local_images(st: _State, image: int, n: int) -> list[int]:
    """``image`` and the ``n`` registered images sharing the most points with it."""
    ks = st.tracks_of[image]
    ks = ks[np.isfinite(st.X[ks, 0])]
    shared: dict[int, int] = {}
    for k in ks:
        for i, ok in zip(st.tracks[k][:, 0], st.used[k], strict=True):
            if ok and int(i) != image:
                shared[int(i)] = shared.get(int(i), 0) + 1
    best = sorted(shared, key=lambda i: -shared[i])[:n]
    return [image, *best]


def _to_reconstruction(st: _State, names: list[str], colours: Sequence[np.ndarray],
                       sizes: list[tuple[int, int]]) -> Reconstruction:
    ks = np.flatnonzero(np.isfinite(st.X[:, 0]))
    tracks, cols, errs = [], [], []
    for k in ks:
        t = st.tracks[k][st.used[k]]
        tracks.append(t.copy())
        xy = np.array([st.graph.features[i].xy[j] for i, j in t])
        c = np.array([_sample(colours[i], p) for (i, _), p in zip(t, xy, strict=True)])
        cols.append(np.clip(np.round(c.mean(0)), 0, 255))
        e = [np.linalg.norm(st.camera.project((st.poses[int(i)][0] @ st.X[k]
                                               + st.poses[int(i)][1])[None])[0] - p)
             for (i, _), p in zip(t, xy, strict=True)]
        errs.append(float(np.mean(e)))
    cams = [st.camera] * len(names)
    return Reconstruction(
        names, cams, sizes, dict(st.poses),
        [np.asarray(f.xy, np.float64) for f in st.graph.features],
        st.X[ks].copy(), np.asarray(cols, np.uint8).reshape(-1, 3), tracks,
        np.asarray(errs, np.float64))


def _sample(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """RGB at the nearest pixel (grey images repeat their value)."""
    h, w = img.shape[:2]
    x = int(np.clip(round(float(xy[0])), 0, w - 1))
    y = int(np.clip(round(float(xy[1])), 0, h - 1))
    v = np.asarray(img[y, x], np.float64)
    return np.repeat(v, 3) if v.ndim == 0 else v[:3]


def _load(images: Sequence[Any]) -> tuple[list[str], list[np.ndarray]]:
    """Names and RGB (or grey) uint8 arrays of paths or arrays."""
    from pathlib import Path

    from oculi.io import read_image

    names, arrays = [], []
    for n, im in enumerate(images):
        if isinstance(im, (str, Path)):
            names.append(Path(im).name)
            arrays.append(read_image(im))
        else:
            names.append(f"image{n:04d}")
            arrays.append(np.asarray(im))
    if len(arrays) < 2:
        raise ParameterError(f"images: structure from motion needs >= 2 images, got {len(arrays)}")
    return names, arrays


def _default_camera(size: tuple[int, int]) -> Camera:
    """Focal 1.2 x the larger side, principal point at the centre (COLMAP's prior)."""
    h, w = size
    f = 1.2 * max(h, w)
    return Camera(f, f, (w - 1) / 2.0, (h - 1) / 2.0)


def reconstruct(
    images: Sequence[Any], camera: Camera | None = None, config: SfMConfig | None = None, *,
    names: Sequence[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Reconstruction:
    """Incremental structure from motion.

    Args:
        images: image paths or ``HxW[x3]`` uint8 arrays (one camera: same size and intrinsics).
        camera: shared intrinsics; ``None`` guesses a focal of 1.2 x the larger side and
            refines it (with ``k1, k2``) in the global bundle adjustments.
        config: :class:`SfMConfig`.
        names: image names (default: file names, or ``image0000``... for arrays).
        progress: called as ``progress(stage, done, total)`` with stages ``"features"``,
            ``"matching"`` and ``"mapping"``.

    Returns:
        :class:`Reconstruction`; images that could not be registered have no pose.

    Raises:
        ParameterError: fewer than 2 images or images of different sizes.
        NoMatchError: no image pair can start the model.
    """
    cfg = config or SfMConfig()
    file_names, arrays = _load(images)
    names = list(names) if names is not None else file_names
    sizes = [a.shape[:2] for a in arrays]
    if len(set(sizes)) != 1:
        raise ParameterError(f"images: one camera model needs one image size, got "
                             f"{sorted(set(sizes))}")
    refine_intr = cfg.refine_intrinsics if cfg.refine_intrinsics is not None else camera is None
    cam = camera or _default_camera(sizes[0])
    report = progress or (lambda *_: None)
    params: dict[str, Any] = {"max_keypoints": cfg.max_keypoints}
    if cfg.feature == "sift":
        params["contrast_threshold"] = cfg.contrast_threshold
    feats = describe_images(arrays, cfg.feature,
                            progress=lambda k: report("features", k + 1, len(arrays)), **params)
    graph = build_view_graph(feats, [cam] * len(arrays), ratio=cfg.ratio,
                             threshold=cfg.verify_threshold, min_inliers=cfg.min_inliers,
                             progress=lambda d, t: report("matching", d, t))
    st = _State(graph, build_tracks(graph), cam)
    i0, j0 = _initial_pair(st, cfg)
    for k in np.intersect1d(st.tracks_of[i0], st.tracks_of[j0]):
        _triangulate_track(st, k, cfg)
    _bundle(st, cfg, None, refine_intr=False)
    _filter(st, cfg)
    last_global, failed = 2, set()
    report("mapping", 2, len(arrays))
    while True:
        i = _register_next(st, cfg, failed)
        if i is None:
            i = _structureless(st, cfg, failed)
        if i is None:
            break
        _triangulate_image(st, cfg, i)
        if len(st.poses) >= cfg.global_ba_growth * last_global:
            _bundle(st, cfg, None, refine_intr)
            last_global = len(st.poses)
        else:
            _bundle(st, cfg, _local_images(st, i, cfg.local_ba_images), refine_intr)
        _filter(st, cfg)
        failed.clear()  # a grown model may now register an image that failed before
        report("mapping", len(st.poses), len(arrays))
    for i in list(st.poses):  # re-triangulation with the final poses
        _triangulate_image(st, cfg, i)
    _bundle(st, cfg, None, refine_intr, max_nfev=100)
    _filter(st, cfg)
    return _to_reconstruction(st, names, arrays, [tuple(s) for s in sizes])
