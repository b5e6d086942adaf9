"""``stitch``: N images in any order -> one panorama.

1. each image is reduced to ``work_megapix`` and described with an :mod:`oculi.features` method;
2. every pair is matched (ratio test) and verified by a RANSAC homography (:mod:`oculi.geometry`)
   with a Brown–Lowe confidence; confident pairs form the match graph, whose largest connected set
   is kept (the other images are reported with the reason);
3. a maximum spanning tree places the images (rotation model: focal from the homographies,
   rotations chained along the tree; homography model: homographies chained to the root);
4. global bundle adjustment, then horizontal wave correction (rotation model);
5. the full-resolution images (or ``compose_scale``) are warped onto the projection surface,
   gains equalised, seams placed, and blended (multi-band, feather or none); optional crop to the
   largest inner rectangle.

    >>> from oculi.stitching.harness import rotating_views
    >>> views = rotating_views(3, overlap=0.4, size=(180, 240), seed=1)
    >>> pano = stitch(views.images)
    >>> pano.included, pano.reprojection_error < 1.0
    ([0, 1, 2], True)
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oculi.core.checks import check_choice, check_image, check_positive
from oculi.core.convert import ensure_uint8, to_gray, to_rgb
from oculi.core.errors import NoMatchError, ParameterError
from oculi.stitching import bundle, cameras, registration
from oculi.stitching._passes import (  # noqa: F401  (settings, re-exported)
    AUTO_FEATURES,
    FAST_PASS_MIN_INLIERS,
    ORB_OVERDETECT,
    RETRY_KEYPOINTS,
    feature_passes,
    weakest_link,
)
from oculi.stitching.blend import (
    BLENDS,
    Warped,
    compensate_gains,
    distance_seams,
    seam_difference,
)
from oculi.stitching.blend import blend as blend_tiles
from oculi.stitching.crop import largest_inner_rectangle
from oculi.stitching.warp import (
    PlaneTransform,
    RotationTransform,
    check_projection,
    pano_roi,
    warp_to_pano,
)

MODELS = ("auto", "rotation", "homography")
#: Levenberg–Marquardt iterations of the shared-focal trial (see ``_register``)
SHARED_TRIAL = 5
#: ``model="auto"`` picks the homography model when its adjusted error is below this fraction of
#: the rotation model's
AUTO_RATIO = 0.6
#: refuse to allocate panoramas larger than this (pixels); planar views near 90 degrees explode
MAX_PANO_PIXELS = 150_000_000


@dataclass
class Panorama:
    """The result of :func:`stitch`.

    Attributes:
        image: ``HxWx3`` uint8 RGB panorama (black outside ``mask``).
        mask: ``HxW`` uint8, 255 where some image contributes.
        names: the input names (file names, or ``image0``...).
        included: indices of the stitched images (the largest connected set).
        excluded: ``{name: reason}`` for the images left out.
        transforms: per included image: ``{"index", "name", "camera"|"homography", "roi"}`` at
            the input resolution (``roi`` is its box on the panorama before cropping).
        reprojection_error: mean inlier transfer error after bundle adjustment, in input-image
            (full-resolution) pixels: both directions of every match used in the adjustment,
            measured at the registration resolution and divided by ``work_scale``. OpenCV's
            bundle adjusters report their error in pixels of the registration resolution
            (0.6 MP by default), i.e. ``reprojection_error * work_scale`` here.
        reprojection_error_before: the same before the adjustment.
        pairs: the verified pairs (work-scale).
        model, projection, blend: the settings used.
        crop_box: ``(x0, y0, x1, y1)`` of the crop on the uncropped panorama, or ``None``.
        dropped_pairs: verified pairs that bundle adjustment could not explain (false matches on
            repeated structure), removed before the final adjustment.
        seam_difference: mean absolute colour difference (8-bit units) of the two gain-compensated
            images meeting at each seam pixel (``measure_seams=True``), else NaN.
        timings: seconds per phase.
        work_scale: registration resolution / input resolution (median over the images).
    """

    image: np.ndarray
    mask: np.ndarray
    names: list[str]
    included: list[int]
    excluded: dict[str, str]
    transforms: list[dict[str, Any]]
    reprojection_error: float
    reprojection_error_before: float
    pairs: list[registration.PairMatch]
    model: str
    projection: str
    blend: str
    crop_box: tuple[int, int, int, int] | None
    dropped_pairs: list[str] = field(default_factory=list)
    seam_difference: float = float("nan")
    timings: dict[str, float] = field(default_factory=dict)
    work_scale: float = 1.0
    _homographies: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def homography(self, i: int, j: int) -> np.ndarray:
        """Estimated ``3x3`` homography from input image ``i`` to ``j`` (input pixels)."""
        h = np.linalg.inv(self._homographies[j]) @ self._homographies[i]
        return h / h[2, 2]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: transforms, left-out images and why, errors, timings."""
        return {
            "size": list(self.image.shape[:2]), "names": self.names,
            "included": [self.names[i] for i in self.included], "excluded": self.excluded,
            "model": self.model, "projection": self.projection, "blend": self.blend,
            "mean_reprojection_error_px": self.reprojection_error,
            "mean_reprojection_error_before_ba_px": self.reprojection_error_before,
            "work_scale": self.work_scale,
            "mean_reprojection_error_work_px": self.reprojection_error * self.work_scale,
            "crop_box": self.crop_box, "dropped_pairs": self.dropped_pairs,
            "seam_difference": self.seam_difference,
            "transforms": self.transforms,
            "pairs": [{**p.as_dict(), "i": self.names[p.i], "j": self.names[p.j]}
                      for p in self.pairs],
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
        }


def _is_gray(im: np.ndarray) -> bool:
    if im.ndim == 2 or im.shape[2] == 1:
        return True
    step = max(1, im.shape[0] // 64)  # rows sampled: a colour image shows it at once
    sub = im[::step, :, :3]
    return bool((sub[..., 0] == sub[..., 1]).all() and (sub[..., 1] == sub[..., 2]).all())


def _prepare(images: list[Any], names: list[str]) -> tuple[list[np.ndarray], bool]:
    """uint8 copies, all RGB, or all single-channel when every input is gray (3x less work in
    warping and blending; the panorama is returned as RGB either way)."""
    for im, name in zip(images, names, strict=True):
        check_image(im, name, min_size=8)
    gray = all(_is_gray(im) for im in images)
    out = []
    for im, name in zip(images, names, strict=True):
        u = ensure_uint8(im, name)
        u = (u if u.ndim == 2 else u[..., 0]) if gray else to_rgb(u, name)
        out.append(np.ascontiguousarray(u))
    return out, gray


def _resize(image: np.ndarray, s: float) -> np.ndarray:
    import cv2

    if abs(s - 1.0) < 1e-9:
        return image
    h, w = image.shape[:2]
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=interp)


def _to_uint8(pano: np.ndarray) -> np.ndarray:
    """The blended float panorama (in [0, 1]) as uint8, rounded (one OpenCV pass)."""
    import cv2

    if pano.dtype == np.uint8:
        return np.ascontiguousarray(pano)
    return cv2.convertScaleAbs(np.ascontiguousarray(pano, dtype=np.float32), alpha=255.0)


def _excluded_reasons(names, component, n, pairs_all, threshold) -> dict[str, str]:
    reasons = {}
    for v in range(n):
        if v in component:
            continue
        best = max((p for p in pairs_all if v in (p.i, p.j)), key=lambda p: p.confidence,
                   default=None)
        if best is None:
            reasons[names[v]] = "no verified overlap with any other image"
        else:
            other = best.j if best.i == v else best.i
            side = "in the largest set" if other in component else "outside the largest set"
            if best.confidence < threshold:
                reasons[names[v]] = (
                    f"best match {names[other]} ({side}) has {best.n_inliers} inliers, confidence"
                    f" {best.confidence:.2f} < {threshold:g}")
            else:
                reasons[names[v]] = f"connected only to images outside the largest set ({side})"
    return reasons


def _pair_homography(cams, hs):
    """``(i, j) -> H_ij`` of the adjusted rotation cameras or plane homographies."""
    if cams is not None:
        return lambda i, j: cams[i].homography_to(cams[j])
    return lambda i, j: np.linalg.inv(hs[j]) @ hs[i]


def _register(comp, pairs, sizes, model, shared_focal):
    """Spanning-tree placement and bundle adjustment of one connected set."""
    root, tree = registration.max_spanning_tree(comp, [(p.i, p.j, p.n_inliers) for p in pairs])
    hmap: dict[tuple[int, int], np.ndarray] = {}
    for p in pairs:
        hmap[(p.i, p.j)] = p.homography
        hmap[(p.j, p.i)] = np.linalg.inv(p.homography)
    if model == "rotation":
        f0 = cameras.estimate_focal(pairs, sizes)
        cams = {v: cameras.Camera(f0, (sizes[v][1] - 1) / 2, (sizes[v][0] - 1) / 2, np.eye(3))
                for v in comp}
        cams = cameras.place_on_tree(root, tree, hmap, cams)
        # per-image focals first (robust from a rough start), then one shared focal from there
        # when all images come from one camera, kept only if it explains the matches as well;
        # plain least squares to choose, then the robust (reweighted) adjustment of the choice
        cams, ba = bundle.adjust_rotations(cams, pairs, root, robust_rounds=0)
        shared = False
        if shared_focal:
            fm = float(np.median([c.focal for c in cams.values()]))
            start = {v: cameras.Camera(fm, c.cx, c.cy, c.R) for v, c in cams.items()}
            # a trial: one camera's focal converges in a few iterations from the median of
            # the per-image focals; a set whose focals differ does not get there in any number
            cams_s, ba_s = bundle.adjust_rotations(start, pairs, root, shared_focal=True,
                                                   robust_rounds=0, iterations=SHARED_TRIAL)
            if ba_s.error_after <= 1.1 * ba.error_after:
                cams, shared = cams_s, True
        cams, ba_r = bundle.adjust_rotations(cams, pairs, root, shared_focal=shared)
        ba = bundle.BundleResult(ba.error_before, ba_r.error_after, ba_r.n_residuals,
                                 ba_r.success)
        return root, tree, cams, None, ba
    hs = {root: np.eye(3)}
    for parent, child in tree:
        hs[child] = hs[parent] @ hmap[(child, parent)]
    hs, ba = bundle.adjust_homographies(hs, pairs, root)
    return root, tree, None, hs, ba


def _check_inputs(images: list[Any], names: list[str] | None, projection: str, blend: str,
                  model: str, work_megapix: float, compose_scale: float) -> list[str]:
    """Validate the options; the names of the images (default ``image0``, ...)."""
    check_projection(projection)
    check_choice(blend, BLENDS, "blend")
    check_choice(model, MODELS, "model")
    check_positive(work_megapix, "work_megapix")
    check_positive(compose_scale, "compose_scale")
    names = list(names) if names is not None else [f"image{i}" for i in range(len(images))]
    if len(names) != len(images):
        raise ParameterError(f"names: expected {len(images)} names, got {len(names)}")
    if len(images) < 2:
        raise NoMatchError(
            f"need at least 2 images to stitch, got {len(images)}"
            + (f" ({', '.join(names)})" if names else ""))
    return names


def _match_graph(work, sizes, passes, *, ratio, threshold, refine_matches, confidence,
                 timings):
    """Features and verified pairs of the successive passes, stopping at the first pass that
    connects every image (strongly enough, unless it is the last); ``(comp, pairs,
    pairs_all)`` of that pass: the largest connected set, its confident pairs (all sets) and
    every verified pair."""
    n = len(work)
    timings["features"] = timings["matching"] = 0.0
    for method, params in passes:
        # the cheap detector and the strongest keypoints first; when they leave an image
        # unconnected (narrow overlaps), every image is described again by the next pass
        t0 = time.perf_counter()
        feats = registration.detect_all(work, method, **params)
        timings["features"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        pairs_all = registration.match_all(feats, sizes, ratio=ratio, threshold=threshold,
                                           images=work if refine_matches else None,
                                           min_confidence=confidence)
        timings["matching"] += time.perf_counter() - t0
        pairs = [p for p in pairs_all if p.confidence >= confidence]
        comps = registration.connected_components(n, [(p.i, p.j) for p in pairs])
        comp = comps[0]
        if len(comp) == n and (method == passes[-1][0] or weakest_link(comp, pairs)
                               >= FAST_PASS_MIN_INLIERS):
            break
    return comp, pairs, pairs_all


def _no_overlap_error(names, pairs_all, confidence) -> NoMatchError:
    """The error for a match graph without any confident pair (naming the best three)."""
    detail = "; ".join(f"{names[p.i]}-{names[p.j]}: {p.n_inliers} inliers, confidence "
                       f"{p.confidence:.2f}" for p in sorted(pairs_all, key=lambda p:
                                                             -p.confidence)[:3])
    return NoMatchError(
        f"no two images overlap enough to stitch ({', '.join(names)}): every pair has "
        f"confidence < {confidence:g}" + (f" (best: {detail})" if detail else "")
    )


def _register_model(comp, pairs, sizes, model, shared_focal):
    """``(model, _register(...))`` of ``model``; ``"auto"`` adjusts both models and keeps the
    homography one only when it explains the matches much better."""
    if model != "auto":
        return model, _register(comp, pairs, sizes, model, shared_focal)
    r_rot = _register(comp, pairs, sizes, "rotation", shared_focal)
    r_h = _register(comp, pairs, sizes, "homography", shared_focal)
    # the homography model has 8 unknowns per image against 3 (+ focal): it is chosen only
    # when it explains the matches much better (a flat scene seen from moving viewpoints)
    use_h = r_h[4].error_after < AUTO_RATIO * r_rot[4].error_after
    return ("homography", r_h) if use_h else ("rotation", r_rot)


@dataclass
class _Solution:
    """The adjusted registration of the connected set."""

    model: str
    root: int
    cams: dict[int, cameras.Camera] | None
    hs: dict[int, np.ndarray] | None
    ba: bundle.BundleResult
    pairs: list[registration.PairMatch]
    dropped: list[str]


def _adjust(comp, pairs, sizes, n, names, model, shared_focal, threshold) -> _Solution:
    """Register and adjust the set; while the worst pair is not explained by the global
    solution (a false match on repeated structure), drop it when the other pairs still connect
    the set, and adjust again."""
    dropped: list[str] = []
    while True:
        chosen, (root, _, cams, hs, ba) = _register_model(comp, pairs, sizes, model,
                                                          shared_focal)
        errs = bundle.pair_errors(pairs, _pair_homography(cams, hs))
        worst = int(np.argmax(errs))
        if errs[worst] <= max(threshold, 2.0 * float(np.median(errs))) or len(pairs) <= 1:
            break
        rest = pairs[:worst] + pairs[worst + 1:]
        if len(registration.connected_components(n, [(p.i, p.j) for p in rest])[0]) \
                < len(comp):
            break
        bad = pairs[worst]
        dropped.append(f"{names[bad.i]}-{names[bad.j]} ({errs[worst]:.1f} px after adjustment)")
        pairs = rest
    return _Solution(chosen, root, cams, hs, ba, pairs, dropped)


def _wave_corrected(cams, comp):
    """The rotation cameras with the horizon straightened."""
    rs = cameras.wave_correct([cams[v].R for v in comp])
    return {v: cameras.Camera(cams[v].focal, cams[v].cx, cams[v].cy, r)
            for v, r in zip(comp, rs, strict=True)}


def _compose_transforms(sol: _Solution, comp, ws, compose_scale, projection):
    """``(tfs, h_input)``: per image, its transform onto the panorama at composition resolution
    and the input-pixel homography (input pixels -> world rays or the root's plane)."""
    cs = [compose_scale / s for s in ws]  # work -> compose resize factor per image
    if sol.model == "rotation":
        cams = sol.cams
        ccams = {v: cams[v].scaled(cs[v]) for v in comp}
        pano_scale = float(np.median([c.focal for c in ccams.values()]))
        tfs = {v: RotationTransform(ccams[v], projection, pano_scale) for v in comp}
        # input pixels -> world rays, so that H_ij = inv(h_j) @ h_i
        h_input = {v: np.linalg.inv(cams[v].scaled(1 / ws[v]).K @ cams[v].R) for v in comp}
        return tfs, h_input
    hs, root = sol.hs, sol.root
    tfs = {v: PlaneTransform(hs[v]).scaled(cs[v], cs[root]) for v in comp}
    h_input = {v: PlaneTransform(hs[v]).scaled(1 / ws[v], 1 / ws[root]).matrix for v in comp}
    return tfs, h_input


def _project(comp, tfs, comp_imgs, names, projection, excluded):
    """``(rois, kept)``: the panorama box of every image that can be projected (the others are
    added to ``excluded``); raises when fewer than two remain or the panorama is too large."""
    rois = {}
    for v in comp:
        roi = pano_roi(tfs[v], comp_imgs[v].shape[:2])
        if roi is None:
            excluded[names[v]] = (f"lies (partly) behind the {projection} projection's plane — use"
                                  " cylindrical or spherical")
        else:
            rois[v] = roi
    kept = [v for v in comp if v in rois]
    if len(kept) < 2:
        raise NoMatchError(f"fewer than 2 images can be projected ({', '.join(names)}); "
                           f"try --projection spherical")
    x0 = min(rois[v][0] for v in kept)
    y0 = min(rois[v][1] for v in kept)
    x1 = max(rois[v][2] for v in kept)
    y1 = max(rois[v][3] for v in kept)
    if (x1 - x0) * (y1 - y0) > MAX_PANO_PIXELS:
        raise ParameterError(
            f"the {projection} panorama would be {x1 - x0}x{y1 - y0} pixels; use a spherical or "
            "cylindrical projection, or a smaller compose_scale")
    return rois, kept


def _warp_all(kept, comp_imgs, tfs, rois) -> list[Warped]:
    """Every kept image warped onto its panorama box (in threads)."""

    def warp_one(v: int) -> Warped:
        im, m = warp_to_pano(comp_imgs[v], tfs[v], rois[v])
        return Warped(im, m, rois[v])

    with ThreadPoolExecutor(registration._workers(len(kept))) as pool:
        return list(pool.map(warp_one, kept))


def _crop(pano, mask):
    """``(pano, mask, crop_box)`` cropped to the largest inner rectangle (when not empty)."""
    crop_box = largest_inner_rectangle(mask)
    cx0, cy0, cx1, cy1 = crop_box
    if cx1 > cx0 and cy1 > cy0:
        pano, mask = pano[cy0:cy1, cx0:cx1], mask[cy0:cy1, cx0:cx1]
    return pano, mask, crop_box


def _transform_entries(sol: _Solution, kept, names, rois, box, ws, h_input):
    """:attr:`Panorama.transforms`: per kept image, its box on the uncropped panorama and its
    camera (rotation model) or homography, at the input resolution."""
    transforms = []
    for v in kept:
        entry: dict[str, Any] = {"index": v, "name": names[v],
                                 "roi": [rois[v][0] - box[0], rois[v][1] - box[1],
                                         rois[v][2] - box[0], rois[v][3] - box[1]]}
        if sol.model == "rotation":
            entry["camera"] = sol.cams[v].scaled(1 / ws[v]).as_dict()
        else:
            entry["homography"] = (h_input[v] / h_input[v][2, 2]).tolist()
        transforms.append(entry)
    return transforms


def stitch(
    images: list[Any],
    *,
    names: list[str] | None = None,
    projection: str = "spherical",
    blend: str = "multiband",
    crop: bool = False,
    model: str = "auto",
    features: str = "auto",
    max_keypoints: int | None = 1000,
    feature_params: dict[str, Any] | None = None,
    work_megapix: float = 0.4,
    compose_scale: float = 1.0,
    confidence: float = 1.0,
    ratio: float = 0.8,
    threshold: float = 3.0,
    wave_correction: bool = True,
    gain_compensation: bool = True,
    measure_seams: bool = False,
    refine_matches: bool = True,
) -> Panorama:
    """Stitch overlapping images (any order) into a panorama; see the module docs for the steps.

    Args:
        images: HxW or HxWxC arrays (uint8, uint16 or float in [0, 1]); any sizes.
        names: a name per image for messages and metadata (default ``image0``, ...).
        projection: ``"spherical"``, ``"cylindrical"`` or ``"planar"``.
        blend: ``"multiband"``, ``"feather"`` or ``"none"``.
        crop: crop to the largest rectangle inside the panorama.
        model: ``"rotation"`` (camera turning about its centre), ``"homography"`` (flat scene;
            composed on the plane of the reference image, ``projection`` is ignored) or
            ``"auto"``: both are adjusted and the homography model is kept only when its error
            is below ``AUTO_RATIO`` times the rotation model's.
        features: :mod:`oculi.features` method name (``sift``, ``surf``, ``orb``, ...), or
            ``"auto"``: ORB, then SIFT when ORB leaves some image unconnected
            (``AUTO_FEATURES``).
        max_keypoints: keep the strongest keypoints per image (``sift`` and ``orb``; ``None``
            keeps all); bounds matching time on detailed images. When some image is left
            unconnected after every method, the last is run again with ``RETRY_KEYPOINTS``.
        feature_params: further parameters for that method.
        work_megapix: registration resolution (megapixels per image; larger inputs are reduced).
        compose_scale: output resolution relative to the inputs (1.0 = full resolution).
        confidence: minimum pair confidence ``inliers / (8 + 0.3 * overlap matches)``.
        ratio: Lowe's ratio for matching.
        threshold: RANSAC inlier threshold in work-scale pixels.
        wave_correction: straighten the horizon (rotation model).
        gain_compensation: equalise exposure between images.
        measure_seams: compute :attr:`Panorama.seam_difference` (costs a little time).
        refine_matches: refine every verified pair's inliers to sub-pixel accuracy by
            Lucas–Kanade on the homography-aligned images
            (:func:`~oculi.stitching.registration.refine_correspondences`).

    Returns:
        :class:`Panorama`.

    Raises:
        NoMatchError: fewer than two images, or no two images overlap (the message names them).
        ParameterError: unknown option values.
    """
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    images = list(images)
    names = _check_inputs(images, names, projection, blend, model, work_megapix, compose_scale)
    full, gray = _prepare(images, names)
    n = len(full)
    sizes_full = [im.shape[:2] for im in full]
    ws = [min(1.0, math.sqrt(work_megapix * 1e6 / (h * w))) for h, w in sizes_full]
    # registration works on gray copies: the feature methods and the sub-pixel refinement
    # convert to gray anyway, once here
    work = [to_gray(_resize(im, s), name) for im, s, name in zip(full, ws, names, strict=True)]
    sizes = [im.shape[:2] for im in work]
    passes = feature_passes(features, max_keypoints, feature_params)
    comp, pairs, pairs_all = _match_graph(
        work, sizes, passes, ratio=ratio, threshold=threshold, refine_matches=refine_matches,
        confidence=confidence, timings=timings)
    if len(comp) < 2:
        raise _no_overlap_error(names, pairs_all, confidence)
    in_comp = set(comp)
    pairs = [p for p in pairs if p.i in in_comp and p.j in in_comp]
    excluded = _excluded_reasons(names, in_comp, n, pairs_all, confidence)
    t0 = time.perf_counter()
    same_size = len({sizes_full[v] for v in comp}) == 1  # one camera: one focal length
    sol = _adjust(comp, pairs, sizes, n, names, model, same_size, threshold)
    if sol.model == "rotation" and wave_correction:
        sol.cams = _wave_corrected(sol.cams, comp)
    timings["bundle_adjustment"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # transforms at composition resolution
    comp_imgs = {v: _resize(full[v], compose_scale) for v in comp}
    tfs, h_input = _compose_transforms(sol, comp, ws, compose_scale, projection)
    rois, kept = _project(comp, tfs, comp_imgs, names, projection, excluded)
    tiles = _warp_all(kept, comp_imgs, tfs, rois)
    timings["warp"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    gains = compensate_gains(tiles) if gain_compensation else None
    seams = distance_seams(tiles)
    pano, mask, box = blend_tiles(tiles, seams, blend, gains=gains)
    timings["blend"] = time.perf_counter() - t0
    seam_diff = seam_difference(tiles, seams, gains) if measure_seams else float("nan")
    crop_box = None
    if crop:
        pano, mask, crop_box = _crop(pano, mask)
    image = _to_uint8(pano)
    if gray:
        image = to_rgb(image)
    transforms = _transform_entries(sol, kept, names, rois, box, ws, h_input)
    scale_err = float(np.median([ws[v] for v in comp]))
    timings["total"] = time.perf_counter() - t_start
    ba = sol.ba
    return Panorama(
        image, mask, names, kept, excluded, transforms, ba.error_after / scale_err,
        ba.error_before / scale_err, sol.pairs, sol.model, projection if sol.model == "rotation"
        else "planar", blend, crop_box, sol.dropped, seam_diff, timings, scale_err, h_input,
    )
