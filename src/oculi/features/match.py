"""Descriptor matching: brute force (L2 / Hamming) or FLANN (KD-tree for float descriptors, LSH for
binary ones), Lowe's ratio test and mutual nearest neighbours (cross-check).

SURF features carry the sign of the Laplacian; when both sides have it, only keypoints of equal
sign are compared (Bay et al.), which is both faster in principle and removes false matches.

    >>> import numpy as np
    >>> from oculi.features.types import Features, Keypoints
    >>> d = np.eye(4, dtype=np.float32)
    >>> a = Features(Keypoints.from_xy(np.zeros((4, 2))), d, "float", "l2")
    >>> b = Features(Keypoints.from_xy(np.zeros((4, 2))), d[::-1].copy(), "float", "l2")
    >>> match_descriptors(a, b, mutual=True).train_idx.tolist()
    [3, 2, 1, 0]
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from oculi.core.checks import check_choice
from oculi.core.errors import DTypeError, ParameterError, ShapeError
from oculi.features.types import Features, Matches

Matcher = Literal["bf", "flann"]

#: added to SURF descriptors as an extra coordinate (times the Laplacian sign) so that keypoints
#: of opposite signs are always farther apart than any pair of unit descriptors (distance <= 2)
_SIGN_GAP = 8.0


def _prepare(f1: Features, f2: Features) -> tuple[np.ndarray, np.ndarray, str]:
    for name, f in (("features1", f1), ("features2", f2)):
        if not isinstance(f, Features):
            raise DTypeError(f"{name}: expected oculi.features.Features, got {type(f).__name__}")
        if f.descriptors is None:
            raise ParameterError(
                f"{name}: method {f.method or '?'} has no descriptors (a detector only) — "
                "use a describing method (sift, surf, orb, brisk, brief, akaze)"
            )
    if f1.norm != f2.norm or f1.descriptors.shape[1] != f2.descriptors.shape[1]:  # type: ignore[union-attr]
        raise ShapeError(
            f"features1 and features2: descriptors differ ({f1.method} {f1.norm} "
            f"{f1.descriptors.shape[1]}-d vs {f2.method} {f2.norm} "  # type: ignore[union-attr]
            f"{f2.descriptors.shape[1]}-d) — describe both images with the same method"  # type: ignore[union-attr]
        )
    d1, d2 = f1.descriptors, f2.descriptors
    norm = f1.norm or "l2"
    if norm == "l2":
        d1 = np.ascontiguousarray(d1, np.float32)
        d2 = np.ascontiguousarray(d2, np.float32)
        if f1.laplacian is not None and f2.laplacian is not None:
            d1 = np.hstack([d1, _SIGN_GAP * f1.laplacian[:, None].astype(np.float32)])
            d2 = np.hstack([d2, _SIGN_GAP * f2.laplacian[:, None].astype(np.float32)])
    else:
        d1 = np.ascontiguousarray(d1, np.uint8)
        d2 = np.ascontiguousarray(d2, np.uint8)
    return d1, d2, norm


def _flann(norm: str, checks: int) -> Any:
    import cv2

    if norm == "l2":
        index = {"algorithm": 1, "trees": 4}  # FLANN_INDEX_KDTREE
    else:
        index = {"algorithm": 6, "table_number": 6, "key_size": 12, "multi_probe_level": 1}
    return cv2.FlannBasedMatcher(index, {"checks": checks})


def _knn(d1: np.ndarray, d2: np.ndarray, norm: str, matcher: str, k: int, checks: int):
    """(M, k) train indices and distances for each query row; -1 / inf where missing."""
    import cv2

    n = len(d1)
    idx = np.full((n, k), -1, np.int64)
    dist = np.full((n, k), np.inf, np.float32)
    if n == 0 or len(d2) == 0:
        return idx, dist
    if matcher == "bf":
        m = cv2.BFMatcher(cv2.NORM_L2 if norm == "l2" else cv2.NORM_HAMMING, crossCheck=False)
    else:
        m = _flann(norm, checks)
    k_eff = min(k, len(d2))
    res = m.knnMatch(d1, d2, k=k_eff)
    for q, row in enumerate(res):  # OpenCV returns lists of DMatch; unpack per query
        for j, dm in enumerate(row[:k]):
            idx[q, j] = dm.trainIdx
            dist[q, j] = dm.distance
    return idx, dist


def _true_distance(f1: Features, f2: Features, qi: np.ndarray, ti: np.ndarray) -> np.ndarray:
    a = f1.descriptors[qi]  # type: ignore[index]
    b = f2.descriptors[ti]  # type: ignore[index]
    if f1.norm == "hamming":
        return np.unpackbits(a ^ b, axis=1).sum(1).astype(np.float32)
    return np.linalg.norm(a.astype(np.float32) - b.astype(np.float32), axis=1).astype(np.float32)


def match_descriptors(
    features1: Features,
    features2: Features,
    *,
    matcher: Matcher = "bf",
    ratio: float | None = None,
    mutual: bool = False,
    max_distance: float | None = None,
    checks: int = 64,
) -> Matches:
    """Match the descriptors of two images (query = ``features1``, train = ``features2``).

    Args:
        features1, features2: :class:`Features` of the same method (same norm and width).
        matcher: ``"bf"`` brute force (exact) or ``"flann"`` (approximate: randomised KD-trees for
            float descriptors, multi-probe LSH for binary ones).
        ratio: Lowe's ratio test: keep a match when nearest / second-nearest distance < ``ratio``
            (0.8 in Lowe 2004). ``None`` keeps every nearest neighbour.
        mutual: keep only mutual nearest neighbours (the cross-check).
        max_distance: drop matches farther than this (L2 units or Hamming bits).
        checks: FLANN search effort (leaves checked); ignored by ``bf``.

    Returns:
        :class:`Matches` sorted by query index; ``distance`` is the true descriptor distance
        (L2, or Hamming bits), ``ratio`` the nearest/second-nearest ratio (NaN when one candidate).
        Features without keypoints on either side give no matches.

    Raises:
        ParameterError: a detector-only method (no descriptors), a bad matcher or ratio.
        ShapeError: descriptors of different methods.
    """
    check_choice(matcher, ("bf", "flann"), "matcher")
    if ratio is not None and not 0 < ratio <= 1:
        raise ParameterError(f"ratio: expected a number in (0, 1], got {ratio!r}")
    d1, d2, norm = _prepare(features1, features2)
    if len(d1) == 0 or len(d2) == 0:
        return Matches.empty()
    k = 2 if ratio is not None or len(d2) > 1 else 1
    idx, dist = _knn(d1, d2, norm, matcher, k, checks)
    qi = np.arange(len(d1))
    ti = idx[:, 0]
    keep = ti >= 0
    rat = np.full(len(d1), np.nan, np.float32)
    if k == 2:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = dist[:, 0] / dist[:, 1]
        r = np.where(dist[:, 1] > 0, r, np.where(dist[:, 0] > 0, np.inf, 1.0))
        rat = np.where(idx[:, 1] >= 0, r, np.nan).astype(np.float32)
        if ratio is not None:
            keep &= ~(rat >= ratio)  # NaN (single candidate) passes
    if mutual:
        back, _ = _knn(d2, d1, norm, matcher, 1, checks)
        keep &= (ti >= 0) & (back[np.clip(ti, 0, None), 0] == qi)
    qi, ti, rat = qi[keep], ti[keep], rat[keep]
    distance = _true_distance(features1, features2, qi, ti)
    if max_distance is not None:
        ok = distance <= max_distance
        qi, ti, distance, rat = qi[ok], ti[ok], distance[ok], rat[ok]
    return Matches(qi, ti, distance, rat)


def mutual_nearest(features1: Features, features2: Features, **kwargs: Any) -> Matches:
    """Mutual nearest neighbours (cross-checked brute force); see :func:`match_descriptors`."""
    return match_descriptors(features1, features2, mutual=True, **kwargs)


def ratio_test(features1: Features, features2: Features, ratio: float = 0.8,
               **kwargs: Any) -> Matches:
    """Nearest neighbours that pass Lowe's ratio test; see :func:`match_descriptors`."""
    return match_descriptors(features1, features2, ratio=ratio, **kwargs)
