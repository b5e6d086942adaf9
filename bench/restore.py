"""Image restoration side by side: super-resolution on Set5, denoising on Kodak, low-light
enhancement on LOL — PSNR/SSIM against the references, seconds per megapixel.

- **Set5** (``../shared/data/sr_set5``) x2 / x3 / x4: each reference cropped to a multiple of the
  scale, downscaled with MATLAB-compatible bicubic (``oculi.restore.imresize``), upscaled by each
  method; PSNR/SSIM on the BT.601 Y channel with ``scale`` pixels shaved (the SR protocol;
  published bicubic: 33.66 / 30.39 / 28.42 dB). Methods: ``bicubic``, ``lanczos`` and OpenCV's
  ``dnn_superres`` ESPCN, FSRCNN, FSRCNN-small, LapSRN (``../shared/models/superres``).
- **Kodak** (``../shared/data/compress_kodak``, 12 images): the central 256x256 crop of each,
  plus Gaussian noise of sigma 15 / 25 / 50 (seed 0, rounded and clipped to 8 bits); RGB PSNR/SSIM
  for ``nlm`` on all twelve and, when the optional ``bm3d`` package is installed, ``bm3d`` on the
  first ``--bm3d-images`` (its run time is ~80x NLM's), with NLM's score on the same images beside
  it. sigma is given (not estimated); the noise estimator's error is reported too.
- **LOL** (``../shared/data/lowlight_lol``, 10 pairs, 600x400): RGB PSNR/SSIM of each low-light
  method's output against the normal-light reference; the published Zero-DCE / Zero-DCE++
  weights (``../shared/models/zero_dce``) run through oculi's forward pass.

Times: one run per image (wall clock, thread pools pinned to ``--threads``), summed and divided by
the megapixels processed (output megapixels for SR). One JSON line goes to
``bench/results/restore.jsonl``.

Run: ``.venv/bin/python -m bench.restore [--threads 2] [--bm3d-images 4]``
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads

MODELS = SHARED_DATA.parent / "models"
SR_MODELS = {"espcn": "ESPCN", "fsrcnn": "FSRCNN", "fsrcnn-small": "FSRCNN-small",
             "lapsrn": "LapSRN"}


def _score(pairs: list[tuple[np.ndarray, np.ndarray]], seconds: float, megapixels: float,
           **kw: Any) -> dict[str, float]:
    from oculi.restore import psnr, ssim

    return {"psnr": float(np.mean([psnr(r, o, **kw) for r, o in pairs])),
            "ssim": float(np.mean([ssim(r, o, **kw) for r, o in pairs])),
            "s_per_mp": seconds / megapixels, "n": len(pairs)}


def _run(fn: Callable[[np.ndarray], np.ndarray], inputs: list[np.ndarray]
         ) -> tuple[list[np.ndarray], float]:
    outs, total = [], 0.0
    for image in inputs:
        t0 = time.perf_counter()
        outs.append(fn(image))
        total += time.perf_counter() - t0
    return outs, total


def bench_sr() -> dict[str, Any]:
    from oculi.io import read_image
    from oculi.restore import imresize, upscale

    files = sorted((SHARED_DATA / "sr_set5").glob("*.png"))
    refs = [read_image(f, mode="rgb") for f in files]
    results: dict[str, Any] = {}
    for scale in (2, 3, 4):
        hr = [r[:r.shape[0] - r.shape[0] % scale, :r.shape[1] - r.shape[1] % scale] for r in refs]
        lr = [imresize(h, 1.0 / scale) for h in hr]
        mp = sum(h.shape[0] * h.shape[1] for h in hr) / 1e6
        for method in ("bicubic", "lanczos", *SR_MODELS):
            path = None
            if method in SR_MODELS:
                path = MODELS / "superres" / f"{SR_MODELS[method]}_x{scale}.pb"
                if not path.exists():
                    continue
            outs, secs = _run(lambda x, m=method, p=path, s=scale: upscale(x, s, m, p), lr)
            results[f"x{scale}/{method}"] = _score(list(zip(hr, outs, strict=True)), secs, mp,
                                                   y_channel=True, shave=scale)
    return results


def bench_denoise(bm3d_images: int) -> dict[str, Any]:
    from oculi.io import read_image
    from oculi.restore import denoise, estimate_noise

    files = sorted((SHARED_DATA / "compress_kodak").glob("*.png"))
    refs = []
    for f in files:
        im = read_image(f, mode="rgb")
        cy, cx = im.shape[0] // 2, im.shape[1] // 2
        refs.append(im[cy - 128:cy + 128, cx - 128:cx + 128])
    has_bm3d = importlib.util.find_spec("bm3d") is not None
    rng = np.random.default_rng(0)
    results: dict[str, Any] = {}
    for sigma in (15, 25, 50):
        noisy = [np.clip(np.rint(r + rng.normal(0, sigma, r.shape)), 0, 255).astype(np.uint8)
                 for r in refs]
        est = [estimate_noise(n) for n in noisy]
        results[f"s{sigma}/estimate_mad"] = {"mean": float(np.mean(est)),
                                             "max_abs_error": float(np.max(np.abs(
                                                 np.array(est) - sigma)))}
        results[f"s{sigma}/noisy"] = _score(list(zip(refs, noisy, strict=True)), 0.0, 1.0)
        outs, secs = _run(lambda x, s=sigma: denoise(x, s, "nlm"), noisy)
        results[f"s{sigma}/nlm"] = _score(list(zip(refs, outs, strict=True)), secs,
                                          len(refs) * 256 * 256 / 1e6)
        if has_bm3d and bm3d_images > 0:
            k = min(bm3d_images, len(refs))
            sub = list(zip(refs[:k], outs[:k], strict=True))
            results[f"s{sigma}/nlm_first{k}"] = _score(sub, 0.0, 1.0)
            outs_b, secs_b = _run(lambda x, s=sigma: denoise(x, s, "bm3d"), noisy[:k])
            results[f"s{sigma}/bm3d_first{k}"] = _score(
                list(zip(refs[:k], outs_b, strict=True)), secs_b, k * 256 * 256 / 1e6)
    return results


def bench_lowlight() -> dict[str, Any]:
    from oculi.io import read_image
    from oculi.restore import enhance

    root = SHARED_DATA / "lowlight_lol"
    lows = sorted((root / "low").glob("*.png"))
    low = [read_image(f, mode="rgb") for f in lows]
    high = [read_image(root / "high" / f.name, mode="rgb") for f in lows]
    mp = sum(x.shape[0] * x.shape[1] for x in low) / 1e6
    methods: list[tuple[str, Path | None]] = [("input", None), ("gamma", None), ("clahe", None),
                                              ("lime", None), ("msrcr", None)]
    weights = (("zero-dce", "ZeroDCE_Epoch99.pth"), ("zero-dce++", "ZeroDCEpp_Epoch99.pth"))
    for name, file in weights:
        if (MODELS / "zero_dce" / file).exists():
            methods.append((name, MODELS / "zero_dce" / file))
    results: dict[str, Any] = {}
    for name, path in methods:
        if name == "input":
            outs, secs = low, 0.0
        else:
            enhance(low[0], name, path)  # warm-up: model load, library init
            outs, secs = _run(lambda x, m=name, p=path: enhance(x, m, p), low)
        results[name] = _score(list(zip(high, outs, strict=True)), secs, mp)
    return results


def _table(title: str, results: dict[str, Any]) -> None:
    print(f"\n{title}")
    rows = [[k, f"{v['psnr']:.2f}", f"{v['ssim']:.4f}", f"{v['s_per_mp']:.3g}"]
            for k, v in results.items() if "psnr" in v]
    print_table(["method", "PSNR dB", "SSIM", "s/MP"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bm3d-images", type=int, default=4)
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    needed = ("sr_set5", "compress_kodak", "lowlight_lol")
    missing = [d for d in needed if not (SHARED_DATA / d).is_dir()]
    if missing:
        print(f"skipped: missing shared data {missing}")
        return 0
    sr = bench_sr()
    _table("Set5 (Y, shaved by the scale)", sr)
    dn = bench_denoise(args.bm3d_images)
    _table("Kodak 256x256 crops (RGB)", dn)
    for sigma in (15, 25, 50):
        est = dn[f"s{sigma}/estimate_mad"]
        print(f"  sigma {sigma}: MAD estimate mean {est['mean']:.2f}, "
              f"max error {est['max_abs_error']:.2f}")
    ll = bench_lowlight()
    _table("LOL 10 pairs (RGB)", ll)
    record("restore", {"threads": args.threads, "bm3d_images": args.bm3d_images,
                       "set5": sr, "kodak": dn, "lol": ll})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
