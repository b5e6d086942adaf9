"""JPEG decoding: oculi (libjpeg-turbo via simplejpeg, DCT scaling) vs Pillow vs OpenCV.

(a) full decode to RGB; (b) decode to a 224-pixel short side: oculi's DCT-scaled decode + area
resize vs Pillow's ``draft`` + resize vs Pillow full decode + resize. Inputs: the hymenoptera
photos from ../shared/data (if present) and larger JPEGs made by upscaling embedded samples and
encoding at quality 90. All decoders read from the same bytes in memory. Medians over repetitions.

Run: ``.venv/bin/python -m bench.io_jpeg [--repeat 5] [--limit 60]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import cv2
import numpy as np
from PIL import Image

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.data import load
from oculi.io import decode_image, encode_image

SHORT = 224


def _inputs(limit: int) -> dict[str, list[bytes]]:
    sets: dict[str, list[bytes]] = {}
    hym = SHARED_DATA / "hymenoptera"
    if hym.is_dir():
        files = sorted(p for p in hym.rglob("*.jpg"))[:limit]
        sets["hymenoptera"] = [p.read_bytes() for p in files]
    big = []
    for name, factor in (("rocket", 3), ("coffee", 4), ("astronaut", 4), ("chelsea", 6)):
        im = load(name, mode="rgb")
        up = cv2.resize(im, (im.shape[1] * factor, im.shape[0] * factor),
                        interpolation=cv2.INTER_CUBIC)
        big.append(encode_image(up, "jpeg", quality=90))
    sets["upscaled q90"] = big
    return sets


def _pil_full(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _pil_resize(im: Image.Image) -> np.ndarray:
    s = SHORT / min(im.size)
    return np.asarray(im.resize((round(im.width * s), round(im.height * s)), Image.BILINEAR,
                                reducing_gap=None))


def _pil_draft_224(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    s = SHORT / min(im.size)
    im.draft("RGB", (int(im.width * s), int(im.height * s)))
    return _pil_resize(im.convert("RGB"))


def _pil_full_224(data: bytes) -> np.ndarray:
    return _pil_resize(Image.open(io.BytesIO(data)).convert("RGB"))


def _cv2_full(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def _cv2_full_224(data: bytes) -> np.ndarray:
    im = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    s = SHORT / min(im.shape[:2])
    return cv2.resize(im, (round(im.shape[1] * s), round(im.shape[0] * s)),
                      interpolation=cv2.INTER_AREA)


METHODS = {
    "full": {
        "oculi": lambda d: decode_image(d),
        "Pillow": _pil_full,
        "OpenCV": _cv2_full,
    },
    "224": {
        "oculi DCT+resize": lambda d: decode_image(d, short_side=SHORT),
        "Pillow draft+resize": _pil_draft_224,
        "Pillow full+resize": _pil_full_224,
        "OpenCV full+resize": _cv2_full_224,
    },
}


def _time_set(fn, datas: list[bytes], repeat: int) -> float:
    """Median over ``repeat`` passes of the total time to decode every item once."""
    for d in datas[:3]:
        fn(d)
    totals = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for d in datas:
            fn(d)
        totals.append(time.perf_counter() - t0)
    return statistics.median(totals)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--limit", type=int, default=120, help="max hymenoptera photos")
    args = ap.parse_args()
    threads = pin_threads()
    results: dict[str, dict] = {}
    for set_name, datas in _inputs(args.limit).items():
        mp = sum(np.prod(decode_image(d).shape[:2]) for d in datas) / 1e6
        rows, res = [], {}
        for task, methods in METHODS.items():
            for label, fn in methods.items():
                t = _time_set(fn, datas, args.repeat)
                res[f"{task}/{label}"] = {
                    "s": t, "mp_per_s": mp / t, "ms_per_image": 1e3 * t / len(datas)
                }
                rows.append([task, label, 1e3 * t / len(datas), mp / t])
        full_best = min(res["full/Pillow"]["s"], res["full/OpenCV"]["s"])
        ours_224 = res["224/oculi DCT+resize"]["s"]
        ratios = {
            "full: best(Pillow,OpenCV) / oculi": full_best / res["full/oculi"]["s"],
            "224: Pillow full+resize / oculi": res["224/Pillow full+resize"]["s"] / ours_224,
            "224: Pillow draft+resize / oculi": res["224/Pillow draft+resize"]["s"] / ours_224,
        }
        print(f"\n== {set_name}: {len(datas)} JPEGs, {mp:.1f} MP in all, {threads} threads ==")
        print_table(["task", "decoder", "ms/image (median)", "MP/s"], rows)
        for k, v in ratios.items():
            print(f"speed-up {k}: {v:.2f}x")
        results[set_name] = {"images": len(datas), "megapixels": mp, "timings": res,
                             "speedups": ratios}
    path = record("io", {"benchmark": "io_jpeg", "threads": threads, "repeat": args.repeat,
                         "results": results})
    print(f"\nappended to {path}")


if __name__ == "__main__":
    main()
