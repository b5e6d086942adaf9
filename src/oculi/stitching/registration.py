"""Pairwise registration and the match graph.

Features come from :mod:`oculi.features` (detect, describe, ratio-test matching); each pair of
images gets a robust homography from :mod:`oculi.geometry` and a confidence after Brown & Lowe
(2007): ``inliers / (8 + 0.3 * matches in the overlap)``, where "in the overlap" counts matches
whose first point maps inside the second image. Pairs with confidence >= a threshold are edges of
the match graph; the largest connected set of images is kept and a maximum spanning tree (edge
weight = inlier count) gives the initial placement.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from oculi.core.errors import NoMatchError
from oculi.geometry import estimate_homography, transform_points

#: a local area scale (Jacobian determinant at the inliers' centroid) outside this range is no
#: plausible overlap of two photos
_DET_RANGE = (0.05, 20.0)


@dataclass
class PairMatch:
    """A verified pair of images ``i < j`` with the homography ``i -> j`` (work-scale pixels).

    Attributes:
        i, j: image indices.
        homography: ``(3, 3)`` float64, maps ``[x, y, 1]`` of image i to image j.
        xy_i, xy_j: ``(M, 2)`` float64 inlier correspondences (pixels of i and j).
        n_matches: ratio-test matches of the pair.
        n_overlap: matches whose point in i maps inside image j.
        n_inliers: RANSAC inliers.
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


#: systematic keypoint offsets (pixels, both axes) of a method, removed before geometry: OpenCV's
#: SIFT doubles the image with pixel corners aligned and halves the coordinates back, so it
#: reports ``x + 0.25``; measured by detecting on an image and on its 180-degree rotation (the
#: two position sets must mirror each other exactly): +0.250 px in x and y
KEYPOINT_OFFSET = {"sift": 0.25}


def _points(matches: Any, f_i: Any, f_j: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = (p.astype(np.float64) for p in matches.points(f_i, f_j))
    off = KEYPOINT_OFFSET.get(getattr(f_i, "method", ""), 0.0)
    return a - off, b - off


def _workers(n: int) -> int:
    return max(1, min(n, os.cpu_count() or 1))


def detect_all(images: list[np.ndarray], method: str = "sift", **params: Any) -> list[Any]:
    """Features of every image with one :mod:`oculi.features` method, in parallel threads."""
    from oculi.features import create_method

    detector = create_method(method, **params)
    with ThreadPoolExecutor(_workers(len(images))) as pool:
        return list(pool.map(detector, images))


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


def match_pair(
    f_i: Any, f_j: Any, i: int, j: int, size_j: tuple[int, int], *, ratio: float = 0.8,
    threshold: float = 3.0, seed: int = 0, matcher: str = "flann",
    index_j: DescriptorIndex | None = None,
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
    """
    from oculi.features import match_descriptors

    if len(f_i) < 4 or len(f_j) < 4:
        return None
    if index_j is not None and index_j.index is not None and matcher == "flann":
        qi, ti = index_j.ratio_matches(f_i, ratio)
        off = KEYPOINT_OFFSET.get(getattr(f_i, "method", ""), 0.0)
        a = f_i.xy[qi].astype(np.float64) - off
        b = f_j.xy[ti].astype(np.float64) - off
    else:
        matches = match_descriptors(f_i, f_j, ratio=ratio, matcher=matcher)
        a, b = _points(matches, f_i, f_j)
    if len(a) < 4:
        return None
    n_matches = len(a)
    try:
        # no local optimisation of every new best hypothesis: the final refinement (LM on the
        # inliers until the inlier set is stable) recovers the same inlier sets, once per pair
        est = estimate_homography(a, b, threshold=threshold, seed=seed,
                                  local_optimisation=False)
    except NoMatchError:
        return None
    h = est.model
    if est.n_inliers < 4 or not _plausible(h, a[est.inliers].mean(axis=0)):
        return None
    q = transform_points(h, a)
    hh, ww = size_j
    inside = (q[:, 0] >= 0) & (q[:, 0] <= ww - 1) & (q[:, 1] >= 0) & (q[:, 1] <= hh - 1)
    n_overlap = int(inside.sum())
    conf = est.n_inliers / (8.0 + 0.3 * n_overlap)
    inl = est.inliers
    return PairMatch(i, j, h, a[inl], b[inl], n_matches, n_overlap, est.n_inliers, conf)


def match_all(
    features: list[Any], sizes: list[tuple[int, int]], *, ratio: float = 0.8,
    threshold: float = 3.0, pairs: list[tuple[int, int]] | None = None, matcher: str = "flann",
) -> list[PairMatch]:
    """Verified matches of every pair ``i < j`` (or of ``pairs``), in parallel threads."""
    n = len(features)
    todo = pairs if pairs is not None else [(i, j) for i in range(n) for j in range(i + 1, n)]
    need = sorted({j for _, j in todo})
    with ThreadPoolExecutor(_workers(len(todo))) as pool:
        indices = dict(zip(need, pool.map(lambda j: DescriptorIndex(features[j]), need),
                           strict=True)) if matcher == "flann" else {}

        def run(ij: tuple[int, int]) -> PairMatch | None:
            i, j = ij
            return match_pair(features[i], features[j], i, j, sizes[j], ratio=ratio,
                              threshold=threshold, seed=i * 1000 + j, matcher=matcher,
                              index_j=indices.get(j))

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
        features: an :mod:`oculi.features` method name.
        ratio: Lowe's ratio test.
        threshold: RANSAC inlier threshold in pixels.
        max_keypoints: cap per image (``sift``/``orb``), ``None`` for all.
        seed: RANSAC seed.

    Raises:
        NoMatchError: fewer than 4 matches or no consistent homography.
    """
    from oculi.features import create_method, match_descriptors

    params = {"max_keypoints": max_keypoints} if max_keypoints and features in ("sift", "orb") \
        else {}
    det = create_method(features, **params)
    f1, f2 = det(image1), det(image2)
    m = match_descriptors(f1, f2, ratio=ratio)
    a, b = _points(m, f1, f2)
    if len(a) < 4:
        raise NoMatchError(
            f"image1 and image2: only {len(a)} {features} matches pass the ratio test "
            f"({len(f1)} and {len(f2)} keypoints) — the images may not overlap"
        )
    est = estimate_homography(a, b, threshold=threshold, seed=seed)
    return PairRegistration(est, a, b, (len(f1), len(f2)))
