"""Feature detection + description speed (and the measured comparison table).

(a) Speed: every oculi method at 640x480 and 1024x768 on embedded photos (and HPatches images when
../shared/data is present), against OpenCV's SIFT on the same gray images and, for the methods
oculi wraps, against the same OpenCV object called directly (the wrapper's overhead). SURF has no
OpenCV anchor in the pip builds (it is "nonfree"), so OpenCV SIFT is its reference. Medians of
``--repeat`` runs after a warm-up; the per-size number is the median over images.

(b) Table (``--table``, default on when the shared data exists): ``compare_methods`` on the shared
HPatches, Oxford graf and EVD pairs at full resolution, all keypoints, and at a 640-pixel longer
side with the 1000 strongest keypoints (the HPatches/SuperPoint setting).

Run: ``.venv/bin/python -m bench.features [--repeat 7] [--no-table] [--no-speed]``
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads, time_call
from oculi.data import load
from oculi.features import compare_methods, create_method, format_table, load_pairs

SIZES = {"640x480": (640, 480), "1024x768": (1024, 768)}
METHODS = ("sift", "surf", "usurf", "fast", "brief", "orb", "brisk", "akaze")


def _images() -> dict[str, np.ndarray]:
    ims = {n: cv2.cvtColor(load(n, mode="rgb"), cv2.COLOR_RGB2GRAY)
           for n in ("astronaut", "coffee", "chelsea", "rocket", "motorcycle_left")}
    for seq in ("hpatches_v_dogman", "hpatches_v_churchill"):
        p = SHARED_DATA / seq / "1.png"
        if p.exists():
            ims[seq] = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
    return ims


def _opencv_own(name: str) -> Callable[[np.ndarray], Any] | None:
    """The OpenCV object oculi's method wraps, with the same parameters, called directly."""
    if name == "sift":
        o = cv2.SIFT_create()
    elif name == "orb":
        o = cv2.ORB_create(nfeatures=2000, scaleFactor=1.2, nlevels=8, fastThreshold=20)
    elif name == "brisk":
        o = cv2.xfeatures2d.BRISK_create(thresh=30, octaves=3)
    elif name == "akaze":
        o = cv2.xfeatures2d.AKAZE_create(threshold=0.001)
    elif name == "fast":
        f = cv2.FastFeatureDetector_create(threshold=20, nonmaxSuppression=True)
        return lambda g: f.detect(g, None)
    elif name == "brief":
        d = cv2.xfeatures2d.StarDetector_create(maxSize=45, responseThreshold=30)
        e = cv2.xfeatures2d.BriefDescriptorExtractor_create(bytes=32)
        return lambda g: e.compute(g, d.detect(g, None))
    else:
        return None
    return lambda g: o.detectAndCompute(g, None)


def _median_time(fn: Callable[[], Any], repeat: int) -> float:
    return time_call(fn, repeat=repeat)["median_s"]


def speed(repeat: int) -> list[dict[str, Any]]:
    images = _images()
    sift = cv2.SIFT_create()
    rows = []
    for size_name, (w, h) in SIZES.items():
        resized = {k: cv2.resize(v, (w, h), interpolation=cv2.INTER_AREA)
                   for k, v in images.items()}
        per = {m: {"ours": [], "own": [], "sift": [], "kp": []} for m in METHODS}
        for img in resized.values():
            t_sift = _median_time(lambda img=img: sift.detectAndCompute(img, None), repeat)
            for m in METHODS:
                method = create_method(m)
                per[m]["ours"].append(_median_time(lambda img=img, f=method: f(img), repeat))
                own = _opencv_own(m)
                if own is not None:
                    per[m]["own"].append(_median_time(lambda img=img, f=own: f(img), repeat))
                per[m]["sift"].append(t_sift)
                per[m]["kp"].append(len(method(img)))
        for m in METHODS:
            d = per[m]
            ours = statistics.median(d["ours"]) * 1e3
            own = statistics.median(d["own"]) * 1e3 if d["own"] else float("nan")
            ref = statistics.median(d["sift"]) * 1e3
            ratio_sift = statistics.median(np.divide(d["ours"], d["sift"]).tolist())
            ratio_own = (statistics.median(np.divide(d["ours"], d["own"]).tolist())
                         if d["own"] else float("nan"))
            rows.append({"size": size_name, "method": m, "images": len(resized),
                         "oculi_ms": ours, "opencv_own_ms": own, "opencv_sift_ms": ref,
                         "ratio_vs_own": ratio_own, "ratio_vs_sift": ratio_sift,
                         "keypoints": statistics.median(d["kp"])})
    return rows


def table() -> dict[str, Any]:
    sets = ["hpatches_v_dogman", "hpatches_v_churchill", "oxford_graf_1to3",
            "homography_pairs_evd"]
    out: dict[str, Any] = {}
    hp = [p for s in sets[:2] for p in load_pairs(SHARED_DATA / s)]
    allp = hp + [p for s in sets[2:] for p in load_pairs(SHARED_DATA / s)]
    runs = {
        "hpatches_full_res_all_kp": (hp, {}),
        "hpatches_640_top1000": (hp, {"max_size": 640, "max_keypoints": 1000}),
        "all_sets_full_res_all_kp": (allp, {}),
    }
    for label, (pairs, kw) in runs.items():
        res = compare_methods(pairs, ("sift", "surf", "usurf", "fast", "brief", "orb", "brisk",
                                      "akaze"), **kw)
        print(f"\n{label} ({len(pairs)} pairs)\n{format_table(res)}")
        out[label] = [{k: v for k, v in s.as_dict().items() if k != "pairs"}
                      | {"pairs": {p.pair: {"repeatability": p.repeatability,
                                            "corner_error": p.corner_error}
                                   for p in s.pairs}}
                      for s in res]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-table", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    args = ap.parse_args()
    threads = pin_threads()
    rows = [] if args.no_speed else speed(args.repeat)
    if rows:
        print_table(["size", "method", "oculi ms", "OpenCV own ms", "OpenCV SIFT ms", "x own",
                     "x SIFT", "keypoints"],
                    [[r["size"], r["method"], r["oculi_ms"], r["opencv_own_ms"],
                      r["opencv_sift_ms"], r["ratio_vs_own"], r["ratio_vs_sift"], r["keypoints"]]
                     for r in rows])
    payload: dict[str, Any] = {"bench": "features", "threads": threads, "repeat": args.repeat,
                               "speed": rows}
    if not args.no_table and (SHARED_DATA / "hpatches_v_dogman").is_dir():
        payload["table"] = table()
    print(f"\nrecorded: {record('features', payload)}")


if __name__ == "__main__":
    main()
