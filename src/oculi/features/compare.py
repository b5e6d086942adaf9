"""The practitioners' comparison table, measured: every method on image pairs with ground truth.

:func:`compare_methods` runs each method once per image (timing it), evaluates every pair with
:func:`oculi.features.evaluate.evaluate_pair` and aggregates per method; :func:`format_table`
prints the table (year, detector, orientation, distance, keypoints, ms per image, repeatability,
matching score, homography accuracy).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oculi.features.correspond import pair_matchers
from oculi.features.datasets import HomographyPair, load_pairs
from oculi.features.evaluate import (
    THRESHOLDS,
    PairResult,
    evaluate_correspondences,
    evaluate_pair,
)
from oculi.features.methods import create_method, method_info
from oculi.features.types import Features

#: the methods of the comparison table, in order of publication (SIFT 2004 ... AKAZE 2013)
DEFAULT_METHODS = ("sift", "surf", "fast", "brief", "orb", "brisk", "akaze")


@dataclass
class MethodSummary:
    """Aggregated numbers of one method over all pairs.

    Attributes:
        method: registry name.
        info: year, detector, orientation, distance, descriptor.
        keypoints: mean keypoints per image.
        ms_per_image: median detect+describe time per image, milliseconds.
        us_per_keypoint: ``ms_per_image`` / mean keypoints, microseconds.
        repeatability, matching_score: means over pairs (NaN-free pairs), in [0, 1].
        mma: mean matching accuracy at 1/3/5 px, mean over pairs.
        homography_accuracy: fraction of pairs whose mean corner error is within 1/3/5 px.
        pairs: the per-pair results.
    """

    method: str
    info: dict[str, Any]
    keypoints: float
    ms_per_image: float
    us_per_keypoint: float
    repeatability: float
    matching_score: float
    mma: dict[float, float]
    homography_accuracy: dict[float, float]
    pairs: list[PairResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for JSON."""
        return {
            "method": self.method, **self.info, "keypoints": self.keypoints,
            "ms_per_image": self.ms_per_image, "us_per_keypoint": self.us_per_keypoint,
            "repeatability": self.repeatability, "matching_score": self.matching_score,
            **{f"mma@{t:g}": v for t, v in self.mma.items()},
            **{f"homography@{t:g}": v for t, v in self.homography_accuracy.items()},
            "pairs": [p.as_dict() for p in self.pairs],
        }


def _nanmean(values: list[float]) -> float:
    arr = np.asarray(values, np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")


def summarize(method: str, results: list[PairResult], times_s: list[float],
              counts: list[int], info: dict[str, Any] | None = None) -> MethodSummary:
    """Aggregate per-pair results and per-image times/counts of one method (``info``: its table
    facts, by default :func:`method_info`)."""
    kps = float(np.mean(counts)) if counts else float("nan")
    ms = float(np.median(times_s) * 1e3) if times_s else float("nan")
    return MethodSummary(
        method, method_info(method) if info is None else info, kps, ms,
        ms * 1e3 / kps if kps else float("nan"),
        _nanmean([r.repeatability for r in results]),
        _nanmean([r.matching_score for r in results]),
        {t: _nanmean([r.mma.get(t, np.nan) for r in results]) for t in THRESHOLDS},
        {
            t: (float(np.mean([r.homography_correct(t) for r in results]))
                if results and not np.isnan(results[0].matching_score) else float("nan"))
            for t in THRESHOLDS
        },
        results,
    )


def compare_methods(
    pairs: Sequence[HomographyPair] | Sequence[str | Path],
    methods: Sequence[str] = DEFAULT_METHODS,
    *,
    params: dict[str, dict[str, Any]] | None = None,
    eps: float = 3.0,
    ratio: float | None = None,
    matcher: str = "bf",
    max_size: int | None = None,
    max_keypoints: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[MethodSummary]:
    """Run every method on every pair and aggregate.

    Args:
        pairs: :class:`HomographyPair` objects, or folders (HPatches / Oxford / pairs layout).
        methods: :data:`feature_methods` names, or :data:`pair_matchers` names (``asift``,
            ``aliked-lightglue``, ``disk-lightglue``), which are measured on their own matches:
            MMA and homography accuracy, no repeatability or matching score.
        params: per-method parameters, e.g. ``{"orb": {"max_keypoints": 1000}}``.
        eps: pixel distance of a correspondence.
        ratio: Lowe's ratio test before homography estimation; ``None`` (default, the HPatches
            protocol): every mutual nearest neighbour.
        matcher: ``"bf"`` or ``"flann"``.
        max_size: shrink images so the longer side is at most this (the homography is scaled).
        max_keypoints: evaluate only the strongest keypoints of each image (by response; the
            SuperPoint/HPatches protocol uses 1000 at 480x640). Timing covers the full method.
        progress: called with a short message per method (e.g. ``print``).

    Returns:
        One :class:`MethodSummary` per method, in the given order. Each image is described once
        per method; the time per image is the median over all images (after one warm-up call).
    """
    from oculi.io import read_image

    plist: list[HomographyPair] = []
    for p in pairs:
        plist.extend(load_pairs(p) if isinstance(p, str | Path) else [p])
    images: dict[Path, np.ndarray] = {}
    scales: dict[Path, float] = {}
    for pr in plist:
        for path in (pr.image1, pr.image2):
            if path not in images:
                full = read_image(path, mode="gray")
                if max_size and max(full.shape) > max_size:
                    import cv2

                    s = max_size / max(full.shape)
                    size = (round(full.shape[1] * s), round(full.shape[0] * s))
                    im = cv2.resize(full, size, interpolation=cv2.INTER_AREA)
                else:
                    im = full
                images[path] = im
                scales[path] = im.shape[1] / full.shape[1]
    out = []
    for name in methods:
        if name in pair_matchers:
            out.append(_compare_matcher(name, plist, images, scales, (params or {}).get(name, {}),
                                        max_keypoints))
            if progress:
                progress(f"{name}: {out[-1].keypoints:.0f} keypoints, "
                         f"{out[-1].ms_per_image:.1f} ms, "
                         f"H@3px {out[-1].homography_accuracy[3.0]:.3f}")
            continue
        method = create_method(name, **(params or {}).get(name, {}))
        method(_WARMUP)  # warm-up: loads compiled kernels, initialises OpenCV
        feats: dict[Path, Features] = {}
        times: list[float] = []
        for path, im in images.items():
            t0 = time.perf_counter()
            feats[path] = method(im)
            times.append(time.perf_counter() - t0)
        results = []
        for pr in plist:
            h = _scaled(pr, scales)
            f1 = feats[pr.image1].strongest(max_keypoints)
            f2 = feats[pr.image2].strongest(max_keypoints)
            results.append(
                evaluate_pair(f1, f2, h, pair=pr.name, eps=eps, ratio=ratio, matcher=matcher)
            )
        counts = [len(f.strongest(max_keypoints)) for f in feats.values()]
        summary = summarize(method.name, results, times, counts)
        if progress:
            progress(f"{name}: {summary.keypoints:.0f} keypoints, {summary.ms_per_image:.1f} ms, "
                     f"H@3px {summary.homography_accuracy[3.0]:.3f}")
        out.append(summary)
    return out


def _scaled(pr: HomographyPair, scales: dict[Path, float]) -> np.ndarray:
    """The pair's homography in the pixels of the (possibly shrunk) images."""
    s1, s2 = scales[pr.image1], scales[pr.image2]
    return np.diag([s2, s2, 1.0]) @ pr.homography @ np.diag([1 / s1, 1 / s1, 1.0])


def _compare_matcher(name: str, plist: list[HomographyPair], images: dict[Path, np.ndarray],
                     scales: dict[Path, float], params: dict[str, Any],
                     max_keypoints: int | None) -> MethodSummary:
    """A pair matcher's row: each pair matched once (timed: ``ms_per_image`` is half the time
    of a pair, detection of both images and matching); repeatability and matching score NaN."""
    from oculi.features.correspond import find_correspondences

    results, times, counts = [], [], []
    for pr in plist:
        a, b = images[pr.image1], images[pr.image2]
        c = find_correspondences(a, b, name, max_keypoints=max_keypoints, **params)
        times.append(c.seconds / 2)
        counts.extend(c.keypoints)
        results.append(evaluate_correspondences(
            c.xy1, c.xy2, _scaled(pr, scales), a.shape[:2], method=c.method, pair=pr.name,
            keypoints=c.keypoints))
    entry = pair_matchers.entry(name)
    summary = summarize(entry.name, results, times, counts, info=dict(entry.meta))
    # summarize() marks the homography accuracy NaN when the first pair has no matching score
    summary.homography_accuracy = {
        t: float(np.mean([r.homography_correct(t) for r in results])) if results else float("nan")
        for t in THRESHOLDS}
    return summary


#: a textured image on which every method finds keypoints (warm-up before timing)
_WARMUP = (np.random.default_rng(0).random((96, 96)) > 0.5).astype(np.uint8) * 255

TABLE_HEADERS = [
    "method", "year", "detector", "orientation", "distance", "keypoints", "ms/image",
    "us/kp", "repeat.", "match score", "MMA@3", "H@1px", "H@3px", "H@5px",
]


def table_rows(summaries: Sequence[MethodSummary]) -> list[list[Any]]:
    """Rows for :data:`TABLE_HEADERS` (floats; NaN where a measure does not apply)."""
    return [
        [s.method, s.info["year"], s.info["detector"], s.info["orientation"], s.info["distance"],
         s.keypoints, s.ms_per_image, s.us_per_keypoint, s.repeatability, s.matching_score,
         s.mma[3.0], s.homography_accuracy[1.0], s.homography_accuracy[3.0],
         s.homography_accuracy[5.0]]
        for s in summaries
    ]


def format_table(summaries: Sequence[MethodSummary]) -> str:
    """The comparison table as aligned plain text."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "–" if v != v else (f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}")
        return str(v)

    rows = [TABLE_HEADERS] + [[cell(v) for v in r] for r in table_rows(summaries)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_HEADERS))]
    lines = ["  ".join(c.ljust(w) if i < 5 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
