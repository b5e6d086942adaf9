"""Learned image compression against JPEG, WebP and AVIF on the Kodak images, side by side.

- **Learned codecs**: every run under ``--runs`` (``RUNS/<model>/q<N>``, runs of
  ``oculi train compress``): each Kodak image is compressed to a real ``.oculi`` stream and
  decoded; bpp counts every byte of the file. Beside each image, JPEG at the *same* bit rate
  (the quality setting closest to it, :func:`oculi.compress.at_bpp`).
- **Classic codecs** (Pillow): JPEG (4:2:0), WebP and AVIF (where Pillow has it) at the target
  rates ``--targets``, the quality per image found by binary search; AVIF on the first
  ``--avif-images`` images only (its encoder is ~100x slower than JPEG's), with a JPEG curve on
  the same images for its BD-rate.
- **Scores**: RGB PSNR (peak 255) and MS-SSIM per image, averaged per point; BD-rate
  (Bjøntegaard, PCHIP in log-rate) of each codec against JPEG in PSNR and in MS-SSIM, over the
  whole overlap and with JPEG's points restricted to 0.25-1.0 bpp.
- **Speed**: encode and decode seconds per image of each codec at its middle point (one run per
  image, medians over the images), as ratios to JPEG, all in this one run.
- **Crops**: a 192x192 crop of one image: the original, JPEG, WebP and the learned codec at the
  learned codec's lowest rate, written to ``bench/results/compress_crops.png`` (left to right).

One JSON line goes to ``bench/results/compress.jsonl``.

Run: ``.venv/bin/python -m bench.compress --runs RUNS [--threads 1]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import RESULTS, SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads

TARGETS = (0.15, 0.25, 0.4, 0.6, 0.8, 1.0, 1.3)
CROP_IMAGE, CROP_AT = "kodim05.png", (160, 300)


def _score(ref: np.ndarray, out: np.ndarray) -> dict[str, float]:
    from oculi.compress import ms_ssim
    from oculi.restore import psnr

    return {"psnr": psnr(ref, out), "ms_ssim": ms_ssim(ref, out)}


def _mean(rows: list[dict[str, Any]]) -> dict[str, float]:
    keys = [k for k, v in rows[0].items() if isinstance(v, float)]
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def learned_points(runs: Path, images: list[tuple[str, np.ndarray]]) -> dict[str, list[dict]]:
    from oculi.compress import at_bpp, compress_image, decompress_image, load_codec

    out: dict[str, list[dict]] = {}
    for kind_dir in sorted(p for p in runs.iterdir() if p.is_dir()):
        for run in sorted(kind_dir.glob("q*"), key=lambda p: int(p.name[1:])):
            model = load_codec(run)
            rows = []
            for name, ref in images:
                t0 = time.perf_counter()
                data = compress_image(ref, model)
                t1 = time.perf_counter()
                dec = decompress_image(data, model, name)
                t2 = time.perf_counter()
                bpp = 8.0 * len(data) / (ref.shape[0] * ref.shape[1])
                jpeg = at_bpp("jpeg", ref, bpp)
                js = _score(ref, jpeg.image)
                rows.append({"bpp": bpp, **_score(ref, dec), "encode_s": t1 - t0,
                             "decode_s": t2 - t1, "jpeg_bpp": jpeg.bpp,
                             "jpeg_psnr": js["psnr"], "jpeg_ms_ssim": js["ms_ssim"]})
            point = {"quality": model.quality, "lmbda": model.lmbda, **_mean(rows),
                     "encode_s": float(np.median([r["encode_s"] for r in rows])),
                     "decode_s": float(np.median([r["decode_s"] for r in rows]))}
            out.setdefault(kind_dir.name, []).append(point)
            print(f"{kind_dir.name} q{model.quality}: {point['bpp']:.3f} bpp "
                  f"{point['psnr']:.2f} dB (JPEG at the same rate {point['jpeg_psnr']:.2f} dB)",
                  flush=True)
    return out


def classic_points(codec: str, images: list[tuple[str, np.ndarray]],
                   targets: tuple[float, ...]) -> list[dict]:
    from oculi.compress import at_bpp, decode_classic

    points = []
    for t in targets:
        rows = []
        for _, ref in images:
            t0 = time.perf_counter()
            p = at_bpp(codec, ref, t)
            rows.append({"bpp": p.bpp, **_score(ref, p.image), "quality": float(p.quality),
                         "search_s": time.perf_counter() - t0})
            t0 = time.perf_counter()
            decode_classic(p.data)
            rows[-1]["decode_s"] = time.perf_counter() - t0
        points.append({"target": t, **_mean(rows)})
        print(f"{codec} @{t}: {points[-1]['bpp']:.3f} bpp {points[-1]['psnr']:.2f} dB",
              flush=True)
    return points


def bd_rates(ref: list[dict], test: list[dict], lo: float = 0.0, hi: float = 99.0
             ) -> dict[str, float | None]:
    from oculi.compress import bd_rate
    from oculi.core.errors import DataError

    ref = [p for p in ref if lo <= p["bpp"] <= hi]
    out: dict[str, float | None] = {}
    for metric in ("psnr", "ms_ssim"):
        try:
            out[metric] = bd_rate([p["bpp"] for p in ref], [p[metric] for p in ref],
                                  [p["bpp"] for p in test], [p[metric] for p in test])
        except DataError as exc:
            print(f"BD-rate ({metric}): {exc}")
            out[metric] = None
    return out


def encode_times(codec: str, images: list[tuple[str, np.ndarray]], bpp: float
                 ) -> dict[str, float]:
    from oculi.compress import at_bpp, decode_classic, encode_classic

    enc, dec = [], []
    for _, ref in images:
        q = at_bpp(codec, ref, bpp).quality
        t0 = time.perf_counter()
        data = encode_classic(codec, ref, q)
        t1 = time.perf_counter()
        decode_classic(data)
        enc.append(t1 - t0)
        dec.append(time.perf_counter() - t1)
    return {"encode_s": float(np.median(enc)), "decode_s": float(np.median(dec))}


def crops(runs: Path, images: dict[str, np.ndarray], learned: dict[str, list[dict]]
          ) -> dict[str, Any]:
    from oculi.compress import at_bpp, compress_image, decompress_image, load_codec
    from oculi.io import write_image

    kind = "hyperprior" if "hyperprior" in learned else next(iter(learned))
    low = min(learned[kind], key=lambda p: p["bpp"])
    model = load_codec(runs / kind / f"q{low['quality']}")
    name = CROP_IMAGE if CROP_IMAGE in images else next(iter(images))
    ref = images[name]
    y, x = CROP_AT if name == CROP_IMAGE else ((ref.shape[0] - 192) // 2, (ref.shape[1] - 192) // 2)
    data = compress_image(ref, model)
    bpp = 8.0 * len(data) / (ref.shape[0] * ref.shape[1])
    panels = {"original": ref, "jpeg": at_bpp("jpeg", ref, bpp).image,
              "webp": at_bpp("webp", ref, bpp).image,
              kind: decompress_image(data, model, name)}
    gap = np.full((192, 4, 3), 255, np.uint8)
    strip = np.hstack([np.hstack([p[y:y + 192, x:x + 192], gap]) for p in panels.values()])
    write_image(RESULTS / "compress_crops.png", strip[:, :-4])
    return {"image": name, "bpp": bpp, "panels": list(panels), "crop_yx": [y, x],
            "size": 192, **{f"psnr_{k}": _score(ref, v)["psnr"] for k, v in panels.items()
                            if k != "original"}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=Path, default=Path("runs/compress"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--avif-images", type=int, default=4)
    ap.add_argument("--targets", type=str, default=",".join(map(str, TARGETS)))
    ap.add_argument("--limit", type=int, default=0, help="only the first N Kodak images")
    args = ap.parse_args()
    pin_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    from oculi.compress import available
    from oculi.io import read_image

    kodak = SHARED_DATA / "compress_kodak"
    if not kodak.is_dir() or not args.runs.is_dir():
        print(f"skipped: {kodak} or {args.runs} is missing")
        return
    files = sorted(kodak.glob("*.png"))[:args.limit or None]
    images = [(f.name, read_image(f, mode="rgb")) for f in files]
    targets = tuple(float(t) for t in args.targets.split(","))
    learned = learned_points(args.runs, images)
    classic = {c: classic_points(c, images, targets) for c in available() if c != "avif"}
    curves = {**classic, **learned}
    bd = {name: {"all": bd_rates(classic["jpeg"], pts),
                 "0.25-1.0": bd_rates(classic["jpeg"], pts, 0.25, 1.0)}
          for name, pts in curves.items() if name != "jpeg"}
    if "avif" in available() and args.avif_images:
        sub = images[:args.avif_images]
        avif_targets = tuple(t for t in targets if 0.2 <= t <= 1.0)
        curves["avif"] = classic_points("avif", sub, avif_targets)
        jpeg_sub = classic_points("jpeg", sub, avif_targets)
        bd["avif"] = {"all": bd_rates(jpeg_sub, curves["avif"]), "images": len(sub)}
    mid = {name: pts[len(pts) // 2] for name, pts in learned.items()}
    speed = {c: encode_times(c, images, 0.5) for c in ("jpeg", "webp")}
    speed.update({name: {"encode_s": p["encode_s"], "decode_s": p["decode_s"]}
                  for name, p in mid.items()})
    ratios = {name: {"encode_vs_jpeg": s["encode_s"] / speed["jpeg"]["encode_s"],
                     "decode_vs_jpeg": s["decode_s"] / speed["jpeg"]["decode_s"]}
              for name, s in speed.items()}
    crop = crops(args.runs, dict(images), learned) if learned else {}
    rows = [[name, f"{p['bpp']:.3f}", f"{p['psnr']:.2f}", f"{p['ms_ssim']:.4f}"]
            for name, pts in curves.items() for p in pts]
    print_table(["codec", "bpp", "PSNR dB", "MS-SSIM"], rows)
    print_table(["codec", "BD-rate PSNR %", "BD-rate MS-SSIM %", "(0.25-1.0) PSNR %"],
                [[n, v["all"]["psnr"], v["all"]["ms_ssim"],
                  v.get("0.25-1.0", {}).get("psnr")] for n, v in bd.items()])
    print_table(["codec", "encode x JPEG", "decode x JPEG"],
                [[n, r["encode_vs_jpeg"], r["decode_vs_jpeg"]] for n, r in ratios.items()])
    record("compress", {"images": len(images), "data": "compress_kodak", "threads": args.threads,
                        "curves": curves, "bd_rate_vs_jpeg": bd, "speed_s": speed,
                        "speed_ratio": ratios, "crops": crop,
                        "note": "loaded shared 2-core CPU, one thread; ratios measured in one "
                                "run"})


if __name__ == "__main__":
    main()
