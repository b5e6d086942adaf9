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

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from oculi.core.errors import NoMatchError, ParameterError
from oculi.features.types import Features
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


class _State:
    """Mapper state in flat arrays. Observations are ordered by track: track ``k`` owns
    ``start[k]:start[k+1]``; ``X[k]`` is its point (NaN until triangulated); ``used`` marks the
    observations that constrain the points (image registered, error within bounds)."""

    def __init__(self, graph: ViewGraph, tracks: list[np.ndarray], camera: Camera) -> None:
        n = len(graph.features)
        self.graph, self.camera, self.n = graph, camera, n
        lens = np.array([len(t) for t in tracks], np.intp)
        self.start = np.concatenate([[0], np.cumsum(lens)]).astype(np.intp)
        flat = np.concatenate(tracks) if tracks else np.zeros((0, 2), np.intp)
        self.track = np.repeat(np.arange(len(tracks)), lens)
        self.image = flat[:, 0].astype(np.intp)
        self.kp = flat[:, 1].astype(np.intp)
        self.xy = np.zeros((len(flat), 2))
        for i in range(n):
            sel = self.image == i
            self.xy[sel] = graph.keypoints(i)[self.kp[sel]]
        self.used = np.zeros(len(flat), bool)
        self.X = np.full((len(tracks), 3), np.nan)
        self.R = np.tile(np.eye(3), (n, 1, 1))
        self.t = np.zeros((n, 3))
        self.reg = np.zeros(n, bool)
        self.obs_of = [np.flatnonzero(self.image == i) for i in range(n)]

    @property
    def poses(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        return {int(i): (self.R[i].copy(), self.t[i].copy()) for i in np.flatnonzero(self.reg)}

    def set_pose(self, i: int, r: np.ndarray, t: np.ndarray) -> None:
        self.R[i], self.t[i], self.reg[i] = r, np.asarray(t).reshape(3), True

    def has_point(self, obs: np.ndarray) -> np.ndarray:
        return np.isfinite(self.X[self.track[obs], 0])

    def centres(self, images: np.ndarray) -> np.ndarray:
        return -np.einsum("nji,nj->ni", self.R[images], self.t[images])

    def errors(self, obs: np.ndarray, X: np.ndarray | None = None):
        """Reprojection errors (px) and in-front flags of observations ``obs`` of their
        tracks' points (or of ``X (len(obs), 3)``)."""
        pts = self.X[self.track[obs]] if X is None else X
        q = np.einsum("nij,nj->ni", self.R[self.image[obs]], pts) + self.t[self.image[obs]]
        front = q[:, 2] > 1e-12
        q[~front, 2] = 1.0
        err = np.linalg.norm(self.camera.project(q) - self.xy[obs], axis=1)
        return np.where(front, err, np.inf), front


def _runs(tracks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of equal values in a (track-sorted) id array."""
    first = np.flatnonzero(np.r_[True, tracks[1:] != tracks[:-1]])
    return first, np.diff(np.r_[first, len(tracks)])


def _spans(st: _State, obs: np.ndarray, X: np.ndarray, min_angle: float) -> np.ndarray:
    """Per track of the (track-sorted) ``obs``: the largest angle between the first
    observation's ray and any other ray is at least ``min_angle`` degrees (a lower bound of the
    largest pairwise angle, and at least half of it). ``X`` holds each observation's point.

    Returns:
        ``(len(obs),)`` bool, the verdict of each observation's track.
    """
    if not len(obs):
        return np.zeros(0, bool)
    ray = X - st.centres(st.image[obs])
    ray /= np.linalg.norm(ray, axis=1, keepdims=True).clip(1e-300)
    first, size = _runs(st.track[obs])
    cos = (ray * ray[np.repeat(first, size)]).sum(1)
    min_cos = np.minimum.reduceat(cos, first)
    ok = np.degrees(np.arccos(np.clip(min_cos, -1, 1))) >= min_angle
    return np.repeat(ok, size)


def _dlt(st: _State, obs: np.ndarray) -> np.ndarray:
    """Multi-view DLT for the tracks of the (track-sorted) ``obs`` (registered images).

    Returns:
        ``(len(obs), 3)`` point of each observation's track (NaN where degenerate).
    """
    xn = st.camera.normalise(st.xy[obs])
    P = np.concatenate([st.R[st.image[obs]], st.t[st.image[obs]][:, :, None]], axis=2)
    r1 = xn[:, :1] * P[:, 2] - P[:, 0]
    r2 = xn[:, 1:] * P[:, 2] - P[:, 1]
    r1 /= np.linalg.norm(r1, axis=1, keepdims=True).clip(1e-300)
    r2 /= np.linalg.norm(r2, axis=1, keepdims=True).clip(1e-300)
    m = np.einsum("ni,nj->nij", r1, r1) + np.einsum("ni,nj->nij", r2, r2)
    first, size = _runs(st.track[obs])
    a = np.add.reduceat(m, first, axis=0)
    _, vecs = np.linalg.eigh(a)
    h = vecs[:, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        X = h[:, :3] / h[:, 3:4]
    return np.repeat(X, size, axis=0)


def _triangulate(st: _State, tracks: np.ndarray, cfg: SfMConfig) -> int:
    """Triangulate ``tracks`` (without points) from their registered observations; a track is
    kept when two or more observations are in front and within ``max_error`` and their rays
    span ``min_angle``. A second round re-triangulates from the agreeing observations only.
    Returns the number of new points."""
    tracks = np.unique(tracks)
    tracks = tracks[~np.isfinite(st.X[tracks, 0])]
    if not len(tracks):
        return 0
    obs = np.concatenate([np.arange(st.start[k], st.start[k + 1]) for k in tracks])
    obs = obs[st.reg[st.image[obs]]]
    new = 0
    for _ in range(2):
        cnt = np.bincount(st.track[obs], minlength=len(st.X))
        obs = obs[cnt[st.track[obs]] >= 2]
        if not len(obs):
            break
        X = _dlt(st, obs)
        err, front = st.errors(obs, X)
        good = np.isfinite(X).all(1) & front & (err <= cfg.max_error)
        cnt = np.bincount(st.track[obs[good]], minlength=len(st.X))
        span = np.zeros(len(obs), bool)
        span[good] = _spans(st, obs[good], X[good], cfg.min_angle)
        all_good = np.ones(len(st.X), bool)
        np.logical_and.at(all_good, st.track[obs], good)
        accept = span & (cnt[st.track[obs]] >= 2) & all_good[st.track[obs]]
        st.X[st.track[obs[accept]]] = X[accept]
        st.used[obs[accept]] = True
        new += len(np.unique(st.track[obs[accept]]))
        obs = obs[good & ~all_good[st.track[obs]]]  # retry from the agreeing observations
    return new


def _initial_pair(st: _State, cfg: SfMConfig) -> tuple[int, int]:
    """Try pairs by inlier count; the first with low homography support whose relative pose
    has a wide enough median triangulation angle starts the model."""
    import warnings

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
        st.set_pose(pm.i, np.eye(3), np.zeros(3))
        st.set_pose(pm.j, rp.R, rp.t)
        return pm.i, pm.j
    raise NoMatchError("reconstruct: no image pair can start the model ("
                       + ("; ".join(reasons[:4]) or "no verified pairs") + ")")


def _seen(st: _State, image: int) -> np.ndarray:
    """Observations of ``image`` whose tracks have a point."""
    obs = st.obs_of[image]
    return obs[st.has_point(obs)]


def _register_next(st: _State, cfg: SfMConfig, failed: set[int]) -> int | None:
    """Register the unregistered image seeing the most points (PnP); ``None`` when none can."""
    from oculi.sfm.pnp import solve_pnp

    cands = [(len(_seen(st, i)), i) for i in range(st.n) if not st.reg[i] and i not in failed]
    for cnt, i in sorted(cands, reverse=True):
        if cnt < cfg.min_pnp_inliers:
            break
        obs = _seen(st, i)
        try:
            res = solve_pnp(st.X[st.track[obs]], st.xy[obs], st.camera,
                            threshold=cfg.pnp_threshold, max_iterations=2000)
        except NoMatchError:
            failed.add(i)
            continue
        if res.inliers.sum() < cfg.min_pnp_inliers:
            failed.add(i)
            continue
        st.set_pose(i, res.R, res.t)
        st.used[obs] = res.inliers
        return i
    return None


def _structureless(st: _State, cfg: SfMConfig, failed: set[int]) -> int | None:
    """Fallback registration through a verified pair (COLMAP 4's structure-less fallback in
    spirit): the rotation and the direction of the new camera come from the pair's essential
    matrix, relative to the registered partner; only the distance along that direction is taken
    from the few 3-D points the new image sees (each point gives a least-squares distance; the
    one most points agree with wins). Needs 3 agreeing points instead of PnP's
    ``min_pnp_inliers``; the bundle adjustment then refines the pose."""
    import warnings

    from oculi.sfm.twoview import relative_pose

    edges = [pm for (i, j), pm in st.graph.pairs.items()
             if st.reg[i] != st.reg[j] and pm.n_inliers >= 2 * cfg.min_inliers]
    for pm in sorted(edges, key=lambda p: -p.n_inliers):
        r, u, ir, iu = (pm.i, pm.j, 0, 1) if st.reg[pm.i] else (pm.j, pm.i, 1, 0)
        obs = _seen(st, u)
        if u in failed or len(obs) < 3:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rp = relative_pose(st.graph.keypoints(r)[pm.idx[:, ir]],
                                   st.graph.keypoints(u)[pm.idx[:, iu]], st.camera,
                                   threshold=cfg.verify_threshold, seed=cfg.seed)
        except NoMatchError:
            continue
        r_u = rp.R @ st.R[r]
        c_r = st.centres(np.array([r]))[0]
        d = -r_u.T @ rp.t  # the centre of u is c_r + lam * d
        X, xy = st.X[st.track[obs]], st.xy[obs]
        b = np.column_stack([st.camera.normalise(xy), np.ones(len(xy))])
        c1 = np.cross(b, (X - c_r) @ r_u.T)
        c2 = np.cross(b, r_u @ d)
        lam = (c1 * c2).sum(1) / (c2 * c2).sum(1).clip(1e-300)
        best = None
        for lam0 in np.unique(lam[lam > 0]):  # consensus over the point hypotheses
            t_u = -r_u @ (c_r + lam0 * d)
            q = X @ r_u.T + t_u
            front = q[:, 2] > 0
            err = np.linalg.norm(st.camera.project(np.where(front[:, None], q, 1.0)) - xy,
                                 axis=1)
            inl = (err <= cfg.pnp_threshold) & front
            if best is None or inl.sum() > best[1].sum():
                best = (t_u, inl)
        if best is None or best[1].sum() < 3:
            continue
        st.set_pose(u, r_u, best[0])
        st.used[obs] = best[1]
        return u
    return None


def _bundle(st: _State, cfg: SfMConfig, images: Sequence[int] | None, refine_intr: bool,
            max_iterations: int = 50) -> None:
    """Bundle-adjust the points seen by ``images`` (all registered when ``None``), holding the
    other registered images that see them."""
    from oculi.sfm.bundle import bundle_adjust

    obs = np.flatnonzero(st.used & np.isfinite(st.X[st.track, 0]))
    if images is not None:
        mine = obs[np.isin(st.image[obs], list(images))]
        obs = obs[np.isin(st.track[obs], st.track[mine])]
    if not len(obs):
        return
    cams = np.unique(st.image[obs])
    if len(cams) < 2:
        return
    fixed = [] if images is None else [int(c) for c in cams if c not in set(images)]
    if len(fixed) < 2:
        fixed = []  # the default gauge (first camera, one translation of the second) holds it
    order = sorted(cams.tolist(), key=lambda c: (c not in fixed, c))
    pos = np.zeros(st.n, np.intp)
    pos[order] = np.arange(len(order))
    pts, pinv = np.unique(st.track[obs], return_inverse=True)
    glob = images is None and refine_intr
    res = bundle_adjust(st.camera, [(st.R[c], st.t[c]) for c in order], st.X[pts],
                        pos[st.image[obs]], pinv, st.xy[obs], refine_intrinsics=glob,
                        max_nfev=max_iterations, fixed_cameras=list(pos[fixed]))
    for c, (r, t) in zip(order, res.poses, strict=True):
        st.R[c], st.t[c] = r, t
    st.X[pts] = res.points3d
    if glob:
        st.camera = res.camera


def _filter(st: _State, cfg: SfMConfig) -> None:
    """Drop observations over ``max_error`` or behind their camera, then the points left with
    fewer than two observations or too narrow an angle."""
    obs = np.flatnonzero(st.used & np.isfinite(st.X[st.track, 0]))
    err, front = st.errors(obs)
    st.used[obs[~(front & (err <= cfg.max_error))]] = False
    obs = np.flatnonzero(st.used & np.isfinite(st.X[st.track, 0]))
    cnt = np.bincount(st.track[obs], minlength=len(st.X))
    ok = _spans(st, obs, st.X[st.track[obs]], cfg.min_angle) & (cnt[st.track[obs]] >= 2)
    bad = np.setdiff1d(np.flatnonzero(np.isfinite(st.X[:, 0])), st.track[obs[ok]])
    st.X[bad] = np.nan
    st.used[np.isin(st.track, bad)] = False


def _extend(st: _State, cfg: SfMConfig, images: np.ndarray) -> None:
    """Add the unused observations of registered ``images`` that agree with their points."""
    obs = np.concatenate([st.obs_of[i] for i in images]) if len(images) else np.zeros(0, int)
    obs = obs[~st.used[obs] & st.has_point(obs)]
    if len(obs):
        err, front = st.errors(obs)
        st.used[obs[front & (err <= cfg.max_error)]] = True


def _grow(st: _State, cfg: SfMConfig, image: int) -> None:
    """After registering ``image``: extend existing points by it, triangulate its new tracks."""
    _extend(st, cfg, np.array([image]))
    _triangulate(st, st.track[st.obs_of[image]], cfg)


def _local_images(st: _State, image: int, n: int) -> list[int]:
    """``image`` and the ``n`` registered images sharing the most points with it."""
    obs = st.obs_of[image]
    tracks = st.track[obs[st.used[obs]]]
    other = np.flatnonzero(np.isin(st.track, tracks) & st.used & (st.image != image))
    cnt = np.bincount(st.image[other], minlength=st.n)
    best = [int(i) for i in np.argsort(-cnt, kind="stable")[:n] if cnt[i] > 0]
    return [image, *best]


def _to_reconstruction(st: _State, names: list[str], colours: Sequence[np.ndarray],
                       sizes: list[tuple[int, int]]) -> Reconstruction:
    obs = np.flatnonzero(st.used & np.isfinite(st.X[st.track, 0]))
    pts, pinv = np.unique(st.track[obs], return_inverse=True)
    rgb = np.zeros((len(obs), 3))
    for i in np.unique(st.image[obs]):
        sel = st.image[obs] == i
        rgb[sel] = _sample(colours[i], st.xy[obs[sel]])
    cnt = np.bincount(pinv, minlength=len(pts)).clip(1)[:, None]
    col = np.stack([np.bincount(pinv, rgb[:, c], len(pts)) for c in range(3)], 1) / cnt
    err, _ = st.errors(obs)
    errs = np.bincount(pinv, err, len(pts)) / cnt[:, 0]
    starts = np.r_[0, np.flatnonzero(np.diff(pinv)) + 1, len(obs)]
    tracks = [np.column_stack([st.image[obs[a:b]], st.kp[obs[a:b]]])
              for a, b in itertools.pairwise(starts)]
    return Reconstruction(
        names, [st.camera] * len(names), sizes, st.poses,
        [st.graph.keypoints(i) for i in range(st.n)], st.X[pts].copy(),
        np.clip(np.round(col), 0, 255).astype(np.uint8), tracks, errs)


def _sample(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """``(N, 3)`` RGB at the nearest pixels of ``xy (N, 2)`` (grey images repeat their value)."""
    h, w = img.shape[:2]
    x = np.clip(np.round(xy[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.round(xy[:, 1]).astype(int), 0, h - 1)
    v = np.asarray(img[y, x], np.float64)
    return np.repeat(v[:, None], 3, axis=1) if v.ndim == 1 else v[:, :3]


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
    sizes = [a.shape[:2] for a in arrays]
    if len(set(sizes)) != 1:
        raise ParameterError(f"images: one camera model needs one image size, got "
                             f"{sorted(set(sizes))}")
    report = progress or (lambda *_: None)
    params: dict[str, Any] = {"max_keypoints": cfg.max_keypoints}
    if cfg.feature == "sift":
        params["contrast_threshold"] = cfg.contrast_threshold
    feats = describe_images(arrays, cfg.feature,
                            progress=lambda k: report("features", k + 1, len(arrays)), **params)
    return reconstruct_features(feats, camera, cfg, names=names or file_names, colours=arrays,
                                progress=progress)


def reconstruct_features(
    features: Sequence[Features], camera: Camera | None = None,
    config: SfMConfig | None = None, *, names: Sequence[str] | None = None,
    colours: Sequence[np.ndarray] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Reconstruction:
    """Incremental structure from motion from features already computed (see
    :func:`reconstruct`; ``colours`` are the images the point colours are sampled from, grey
    128 without them). Every ``features[i].image_size`` must be the same."""
    cfg = config or SfMConfig()
    n = len(features)
    if n < 2:
        raise ParameterError(f"features: structure from motion needs >= 2 images, got {n}")
    sizes = [tuple(int(v) for v in f.image_size) for f in features]
    refine_intr = cfg.refine_intrinsics if cfg.refine_intrinsics is not None else camera is None
    cam = camera or _default_camera(sizes[0])
    names = list(names) if names is not None else [f"image{k:04d}" for k in range(n)]
    arrays = (list(colours) if colours is not None
              else [np.full((*s, 3), 128, np.uint8) for s in sizes])
    report = progress or (lambda *_: None)
    graph = build_view_graph(features, [cam] * n, ratio=cfg.ratio,
                             threshold=cfg.verify_threshold, min_inliers=cfg.min_inliers,
                             progress=lambda d, t: report("matching", d, t))
    st = _State(graph, build_tracks(graph), cam)
    i0, j0 = _initial_pair(st, cfg)
    _triangulate(st, np.intersect1d(st.track[st.obs_of[i0]], st.track[st.obs_of[j0]]), cfg)
    _bundle(st, cfg, None, refine_intr=False)
    _filter(st, cfg)
    last_global, failed = 2, set()
    report("mapping", 2, n)
    while True:
        i = _register_next(st, cfg, failed)
        if i is None:
            i = _structureless(st, cfg, failed)
        if i is None:
            break
        _grow(st, cfg, i)
        if st.reg.sum() >= cfg.global_ba_growth * last_global:
            _bundle(st, cfg, None, refine_intr)
            last_global = int(st.reg.sum())
        else:
            _bundle(st, cfg, _local_images(st, i, cfg.local_ba_images), refine_intr)
        _filter(st, cfg)
        failed.clear()  # a grown model may now register an image that failed before
        report("mapping", int(st.reg.sum()), n)
    reg = np.flatnonzero(st.reg)
    _extend(st, cfg, reg)  # re-triangulation with the final poses
    _triangulate(st, np.unique(st.track[np.isin(st.image, reg)]), cfg)
    _bundle(st, cfg, None, refine_intr, max_iterations=100)
    _filter(st, cfg)
    return _to_reconstruction(st, names, arrays, sizes)
