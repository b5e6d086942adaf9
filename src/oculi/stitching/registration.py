"""Pairwise registration and the match graph.

Features come from :mod:`oculi.features` (detect, describe, ratio-test matching); each pair of
images gets a robust homography from :mod:`oculi.geometry` and a confidence after Brown & Lowe
(2007): ``inliers / (8 + 0.3 * matches in the overlap)``, where "in the overlap" counts matches
whose first point maps inside the second image. Pairs with confidence >= a threshold are edges of
the match graph; the largest connected set of images is kept and a maximum spanning tree (edge
weight = inlier count) gives the initial placement.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from oculi.core.errors import NoMatchError
from oculi.geometry import estimate_homography, transform_points
from oculi.geometry.refine import refine_homography

#: a local area scale (Jacobian determinant at the inliers' centroid) outside this range is no
#: plausible overlap of two photos
_DET_RANGE = (0.05, 20.0)


@dataclass
class PairMatch:
    """A verified pair of images ``i < j`` with the homography ``i -> j`` (work-scale pixels).

    Attributes:
        i, j: image indices.
        homography: ``(3, 3)`` float64, maps ``[x, y, 1]`` of image i to image j.
        xy_i, xy_j: ``(M, 2)`` float64 inlier correspondences (pixels of i and j); after the
            sub-pixel refinement, the inliers it could track (``M <= n_inliers``).
        n_matches: ratio-test matches of the pair.
        n_overlap: matches whose point in i maps inside image j.
        n_inliers: RANSAC inliers (of the ratio-test matches, before any refinement).
        confidence: ``n_inliers / (8 + 0.3 * n_overlap)``.
    """

    i: int
    j: int
    homography: np.ndarray
    xy_i: np.ndarray
    xy_j: np.ndarray
    n_matches: int
    n_overlap: int
    n_inliers: int
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON."""
        return {"i": self.i, "j": self.j, "matches": self.n_matches, "overlap": self.n_overlap,
                "inliers": self.n_inliers, "confidence": round(self.confidence, 3)}


def _points(matches: Any, f_i: Any, f_j: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = matches.points(f_i, f_j)
    return a.astype(np.float64), b.astype(np.float64)


def _workers(n: int) -> int:
    return max(1, min(n, os.cpu_count() or 1))


#: grid of :func:`spread` (cells across the longer side)
_SPREAD_CELLS = 16


def spread(features: Any, k: int, cells: int = _SPREAD_CELLS) -> Any:
    """At most ``k`` keypoints spread over the image: the strongest of every grid cell first,
    then the second strongest of every cell, and so on (bucketing). Detectors that rank by
    corner strength (ORB's Harris score) otherwise crowd on a few high-contrast spots, which
    leaves narrow overlaps with clustered matches that constrain the camera poorly."""
    n = len(features)
    if n <= k:
        return features
    h, w = features.image_size
    side = max(h, w) / cells
    xy = features.xy
    cell = (np.clip(xy[:, 1] // side, 0, cells - 1) * cells
            + np.clip(xy[:, 0] // side, 0, cells - 1)).astype(np.int64)
    resp = features.keypoints.response.astype(np.float64)
    order = np.lexsort((-resp, cell))  # by cell, strongest first
    c_sorted = cell[order]
    first = np.searchsorted(c_sorted, c_sorted, side="left")
    rank = np.arange(n) - first  # rank of each keypoint inside its cell
    pick = order[np.lexsort((-resp[order], rank))][:k]
    return features[np.sort(pick)]


def detect_all(images: list[np.ndarray], method: str = "sift", *, spread_to: int | None = None,
               **params: Any) -> list[Any]:
    """Features of every image with one :mod:`oculi.features` method, in parallel threads;
    ``spread_to`` keeps that many keypoints per image spread by :func:`spread`."""
    from oculi.features import create_method

    detector = create_method(method, **params)

    def run(image: np.ndarray) -> Any:
        f = detector(image)
        return f if spread_to is None else spread(f, spread_to)

    with ThreadPoolExecutor(_workers(len(images))) as pool:
        return list(pool.map(run, images))


def _plausible(h: np.ndarray, at: np.ndarray) -> bool:
    """Whether ``h`` scales areas near the point ``at`` by a plausible factor."""
    if not np.all(np.isfinite(h)):
        return False
    x, y = at
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    if w <= 0:
        return False
    det = float(np.linalg.det(h)) / w**3  # Jacobian determinant of the projective map
    return _DET_RANGE[0] < det < _DET_RANGE[1]


#: FLANN settings for float descriptors: randomised KD-trees, leaves checked per query
_FLANN_TREES = 4
_FLANN_CHECKS = 64


class DescriptorIndex:
    """A FLANN KD-tree index over one image's float descriptors, built once and searched by
    every pair the image takes part in (``None`` inside for binary or missing descriptors)."""

    def __init__(self, features: Any) -> None:
        import cv2

        d = features.descriptors
        self.index = None
        if d is not None and features.norm == "l2" and len(d) >= 2:
            self._data = np.ascontiguousarray(d, dtype=np.float32)  # FLANN keeps a pointer
            self.index = cv2.flann_Index(self._data, {"algorithm": 1, "trees": _FLANN_TREES})

    def ratio_matches(self, query: Any, ratio: float) -> tuple[np.ndarray, np.ndarray]:
        """``(query_idx, train_idx)`` of the query descriptors passing Lowe's ratio test."""
        q = np.ascontiguousarray(query.descriptors, dtype=np.float32)
        idx, d2 = self.index.knnSearch(q, 2, params={"checks": _FLANN_CHECKS})
        d2 = np.maximum(d2.astype(np.float64), 0.0)  # squared L2 distances
        keep = (idx[:, 0] >= 0) & (idx[:, 1] >= 0) & (d2[:, 0] < ratio * ratio * d2[:, 1])
        qi = np.nonzero(keep)[0]
        return qi, idx[qi, 0].astype(np.int64)


def _count_inside(q: np.ndarray, size: tuple[int, int]) -> int:
    hh, ww = size
    return int(((q[:, 0] >= 0) & (q[:, 0] <= ww - 1) & (q[:, 1] >= 0)
                & (q[:, 1] <= hh - 1)).sum())


#: Lucas–Kanade refinement of the correspondences: window side (work-scale pixels), pyramid
#: levels above the base, and the largest move (fraction of the RANSAC threshold) accepted
_LK_WINDOW = 21
_LK_LEVELS = 1
_LK_MAX_MOVE = 1.0


def refine_correspondences(
    gray_i: np.ndarray, gray_j: np.ndarray, h: np.ndarray, xy_i: np.ndarray, xy_j: np.ndarray,
    *, threshold: float = 3.0,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Sub-pixel correspondences: each point of image i is tracked into image j by Lucas–Kanade
    between image i warped by ``h`` (so the two patches differ by a small shift only, whatever
    the rotation or scale between the images) and image j, starting at ``h``'s prediction.

    Detectors localise keypoints to a fraction of a pixel at best (ORB to a pixel of its pyramid
    level, SIFT to about a third of a pixel); the patch alignment measures the displacement of
    the whole window, to a few hundredths of a pixel on textured patches.

    Args:
        gray_i, gray_j: uint8 grayscale images (work scale).
        h: ``(3, 3)`` homography i -> j (the RANSAC estimate).
        xy_i, xy_j: ``(M, 2)`` inlier matches (pixels of i and j).
        threshold: the RANSAC threshold; a point whose tracked position moves more than this
            from the matched keypoint is left out (a patch that slid along an edge).

    Returns:
        ``(xy_i, xy_j_refined)`` of the points tracked, or ``None`` when fewer than 4 are.
    """
    import cv2

    from oculi.geometry import transform_points

    if len(xy_i) < 4:
        return None
    hh, ww = gray_j.shape[:2]
    pred = transform_points(h, xy_i)
    half = _LK_WINDOW // 2 + 4 * 2**_LK_LEVELS
    # warp only the box of the predicted points (plus the window), in j's pixel frame
    x0 = int(max(0, np.floor(pred[:, 0].min()) - half))
    y0 = int(max(0, np.floor(pred[:, 1].min()) - half))
    x1 = int(min(ww, np.ceil(pred[:, 0].max()) + half + 1))
    y1 = int(min(hh, np.ceil(pred[:, 1].max()) + half + 1))
    if x1 - x0 < _LK_WINDOW or y1 - y0 < _LK_WINDOW:
        return None
    shift = np.array([[1.0, 0, -x0], [0, 1.0, -y0], [0, 0, 1.0]])
    warped = cv2.warpPerspective(gray_i, shift @ h, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
    target = np.ascontiguousarray(gray_j[y0:y1, x0:x1])
    start = (pred - np.array([x0, y0], np.float64)).astype(np.float32).reshape(-1, 1, 2)
    crit = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 20, 0.01)
    nxt, st, _ = cv2.calcOpticalFlowPyrLK(
        warped, target, start, start.copy(), winSize=(_LK_WINDOW, _LK_WINDOW),
        maxLevel=_LK_LEVELS, criteria=crit,
        flags=cv2.OPTFLOW_USE_INITIAL_FLOW | cv2.OPTFLOW_LK_GET_MIN_EIGENVALS,
        minEigThreshold=1e-3)
    b = nxt.reshape(-1, 2).astype(np.float64) + np.array([x0, y0], np.float64)
    ok = (st.ravel() == 1) & np.isfinite(b).all(1)
    ok &= np.linalg.norm(b - xy_j, axis=1) <= _LK_MAX_MOVE * threshold
    # the window must lie inside both images: the padding outside either one (replicated
    # border pixels) would bias the alignment
    m = _LK_WINDOW // 2 + 1
    hi, wi = gray_i.shape[:2]
    ok &= _inside(b, (hh, ww), m) & _inside(pred, (hh, ww), m) & _inside(xy_i, (hi, wi), m)
    if ok.sum() < 4:
        return None
    return xy_i[ok], b[ok]


def _inside(xy: np.ndarray, size: tuple[int, int], margin: float) -> np.ndarray:
    h, w = size
    return (xy[:, 0] >= margin) & (xy[:, 0] <= w - 1 - margin) & (xy[:, 1] >= margin) & \
        (xy[:, 1] <= h - 1 - margin)


def min_inliers_for(confidence: float) -> int:
    """The fewest inliers with which a pair can reach ``confidence`` (``inliers / (8 + 0.3 *
    overlap)`` with at least the inliers in the overlap)."""
    if confidence <= 0:
        return 4
    if 0.3 * confidence >= 1:
        return 10**9
    return max(4, math.ceil(8 * confidence / (1 - 0.3 * confidence) - 1e-9))


def _ransac_options(min_confidence: float) -> dict[str, Any]:
    # no local optimisation of every new best hypothesis: the final refinement (LM on the
    # inliers until the inlier set is stable) recovers the same inlier sets, once per pair;
    # large batches (few matches per pair: the per-batch overhead dominates); pairs that cannot
    # reach the confidence threshold are given up as soon as a model with enough inliers
    # would have been found (most pairs of a set do not overlap)
    return {"local_optimisation": False, "batch": 256,
            "min_inliers": min_inliers_for(min_confidence)}


def match_pair(
    f_i: Any, f_j: Any, i: int, j: int, size_j: tuple[int, int], *, ratio: float = 0.8,
    threshold: float = 3.0, seed: int = 0, matcher: str = "flann",
    index_j: DescriptorIndex | None = None,
    images: tuple[np.ndarray, np.ndarray] | None = None, min_confidence: float = 0.0,
) -> PairMatch | None:
    """Match two feature sets and verify them with a RANSAC homography; ``None`` when no model.

    Args:
        f_i, f_j: :class:`oculi.features.Features` of images i and j.
        i, j: their indices (kept in the result).
        size_j: ``(height, width)`` of image j, for the overlap count.
        ratio: Lowe's ratio test.
        threshold: RANSAC inlier threshold, pixels.
        seed: RANSAC seed.
        matcher: ``"flann"`` (approximate, fast) or ``"bf"`` (exact) descriptor matching.
        index_j: a prebuilt :class:`DescriptorIndex` of ``f_j`` (float descriptors, FLANN).
        images: uint8 grayscale images i and j (work scale): when given, the inliers are
            refined to sub-pixel accuracy (:func:`refine_correspondences`) and the homography
            is estimated again from them.
        min_confidence: pairs that cannot reach this confidence are given up early (``None``
            is returned for them).
    """
    from oculi.features import match_descriptors

    if len(f_i) < 4 or len(f_j) < 4:
        return None
    if index_j is not None and index_j.index is not None and matcher == "flann":
        qi, ti = index_j.ratio_matches(f_i, ratio)
        a = f_i.xy[qi].astype(np.float64)
        b = f_j.xy[ti].astype(np.float64)
    else:
        matches = match_descriptors(f_i, f_j, ratio=ratio, matcher=matcher)
        a, b = _points(matches, f_i, f_j)
    if len(a) < min_inliers_for(min_confidence):
        return None
    n_matches = len(a)
    try:
        est = estimate_homography(a, b, threshold=threshold, seed=seed, **_ransac_options(
            min_confidence))
    except NoMatchError:
        return None
    h = est.model
    if est.n_inliers < 4 or not _plausible(h, a[est.inliers].mean(axis=0)):
        return None
    q = transform_points(h, a)
    n_overlap = _count_inside(q, size_j)
    conf = est.n_inliers / (8.0 + 0.3 * n_overlap)
    xy_i, xy_j = a[est.inliers], b[est.inliers]
    if images is not None:
        # the pair is verified by its RANSAC inliers (the confidence above); the geometry is
        # taken from the same points made sub-pixel, refitted from the RANSAC model by LM
        refined = refine_correspondences(images[0], images[1], h, xy_i, xy_j,
                                         threshold=threshold)
        if refined is not None:
            a_r, b_r = refined
            h_r = refine_homography(h, a_r, b_r)
            keep = np.linalg.norm(transform_points(h_r, a_r) - b_r, axis=1) <= threshold
            if keep.sum() >= 4 and _plausible(h_r, a_r[keep].mean(axis=0)):
                if not keep.all():
                    h_r = refine_homography(h_r, a_r[keep], b_r[keep])
                h, xy_i, xy_j = h_r, a_r[keep], b_r[keep]
    return PairMatch(i, j, h, xy_i, xy_j, n_matches, n_overlap, est.n_inliers, conf)


def match_all(
    features: list[Any], sizes: list[tuple[int, int]], *, ratio: float = 0.8,
    threshold: float = 3.0, pairs: list[tuple[int, int]] | None = None, matcher: str = "flann",
    images: list[np.ndarray] | None = None, min_confidence: float = 0.0,
) -> list[PairMatch]:
    """Verified matches of every pair ``i < j`` (or of ``pairs``), in parallel threads;
    ``images`` (uint8 grayscale, work scale) turns on the sub-pixel refinement."""
    n = len(features)
    todo = pairs if pairs is not None else [(i, j) for i in range(n) for j in range(i + 1, n)]
    need = sorted({j for _, j in todo})
    # built serially: FLANN draws its random KD-tree splits from one process-wide random state,
    # so trees built in threads (and the matches) changed from run to run; serially, the same
    # calls in a fresh process give the same matches (a later call continues that state)
    indices = {j: DescriptorIndex(features[j]) for j in need} if matcher == "flann" else {}
    with ThreadPoolExecutor(_workers(len(todo))) as pool:
        def run(ij: tuple[int, int]) -> PairMatch | None:
            i, j = ij
            return match_pair(features[i], features[j], i, j, sizes[j], ratio=ratio,
                              threshold=threshold, seed=i * 1000 + j, matcher=matcher,
                              index_j=indices.get(j),
                              images=None if images is None else (images[i], images[j]),
                              min_confidence=min_confidence)

        return [m for m in pool.map(run, todo) if m is not None]


def connected_components(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    """Connected components of an undirected graph on ``0..n-1``, largest first (union-find)."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for v in range(n):
        groups.setdefault(find(v), []).append(v)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def max_spanning_tree(
    nodes: list[int], edges: list[tuple[int, int, float]]
) -> tuple[int, list[tuple[int, int]]]:
    """Maximum spanning tree (Kruskal) of a connected node set, rooted at its centre.

    Args:
        nodes: the node ids.
        edges: ``(a, b, weight)``; only edges inside ``nodes`` are used.

    Returns:
        ``(root, [(parent, child), ...])`` in breadth-first order from the root, the root being
        the node of smallest eccentricity (fewest hops to the farthest node), so that chained
        errors stay short.
    """
    inside = set(nodes)
    parent = {v: v for v in nodes}

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    adj: dict[int, list[int]] = {v: [] for v in nodes}
    for a, b, _ in sorted((e for e in edges if e[0] in inside and e[1] in inside),
                          key=lambda e: -e[2]):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
            adj[a].append(b)
            adj[b].append(a)

    def bfs(root: int) -> tuple[list[tuple[int, int]], int]:
        order, seen, frontier, depth = [], {root}, [root], 0
        while frontier:
            nxt = []
            for u in frontier:
                for v in sorted(adj[u]):
                    if v not in seen:
                        seen.add(v)
                        order.append((u, v))
                        nxt.append(v)
            frontier = nxt
            depth += 1 if nxt else 0
        return order, depth

    root = min(nodes, key=lambda r: (bfs(r)[1], r))
    return root, bfs(root)[0]


@dataclass
class PairRegistration:
    """The homography between two images and its support (see :func:`register_pair`).

    Attributes:
        estimate: the :class:`oculi.geometry.Estimate` (model maps image 1 -> image 2, pixels
            of the inputs).
        xy1, xy2: ``(M, 2)`` all ratio-test matches (the estimate's mask selects the inliers).
        n_keypoints: keypoints found in image 1 and image 2.
    """

    estimate: Any
    xy1: np.ndarray
    xy2: np.ndarray
    n_keypoints: tuple[int, int]

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON."""
        return {**self.estimate.as_dict(), "keypoints": list(self.n_keypoints)}


def register_pair(
    image1: np.ndarray, image2: np.ndarray, *, features: str = "sift", ratio: float = 0.8,
    threshold: float = 3.0, max_keypoints: int | None = None, seed: int = 0,
) -> PairRegistration:
    """Detect, match and robustly fit the homography from ``image1`` to ``image2``.

    Args:
        image1, image2: HxW or HxWxC images (uint8, uint16 or float in [0, 1]).
        features: an :mod:`oculi.features` method or pair matcher name
            (:func:`oculi.features.matcher_names`: ``sift``, ``asift``, ``aliked-lightglue``...).
        ratio: Lowe's ratio test.
        threshold: RANSAC inlier threshold in pixels.
        max_keypoints: cap per image (``sift``/``orb``), ``None`` for all.
        seed: RANSAC seed.

    Raises:
        NoMatchError: fewer than 4 matches or no consistent homography.
    """
    from oculi.features import find_correspondences

    c = find_correspondences(image1, image2, features, ratio=ratio, max_keypoints=max_keypoints)
    a, b = c.xy1, c.xy2
    if len(a) < 4:
        raise NoMatchError(
            f"image1 and image2: only {len(a)} {features} matches pass the ratio test "
            f"({c.keypoints[0]} and {c.keypoints[1]} keypoints) — the images may not overlap"
        )
    est = estimate_homography(a, b, threshold=threshold, seed=seed)
    return PairRegistration(est, a, b, c.keypoints)
