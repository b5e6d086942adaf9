"""SRMD (multi-degradation super-resolution) beside bicubic-trained networks on Set5 with
blurred and noisy inputs, and on the plain bicubic degradation — PSNR/SSIM on Y, shaved.

- **Training** (skipped when a run folder already holds ``best.safetensors``): SRMD and the
  bicubic-trained ESPCN at x2 and x3 on the same photos (``bench.restore_train.TRAIN_DATA`` and
  the embedded ones, never Set5), the same crops, batch, epochs and steps (``RECIPES``), CPU,
  one torch thread. SRMD is smaller than the paper's (8 layers of 32 channels against 12 of
  128) to fit this CPU, and sees noise up to 30 grey levels (the paper: 75).
- **Set5** (``../shared/data/sr_set5``): each reference cropped to a multiple of the scale and
  degraded by :func:`oculi.restore.kernels.synthesize_lr` — a 15x15 Gaussian of width 1.6 HR
  pixels (not the bicubic kernel), MATLAB bicubic downsampling, noise 0 or 15 grey levels per RGB
  channel (seed 0), rounded to 8 bits — and also the plain bicubic degradation (no blur, no
  noise). Methods: bicubic upscaling, oculi's bicubic-trained ESPCN, OpenCV's ``ESPCN_xN.pb``
  (``../shared/models/superres``), SRMD given the true blur and noise, and SRMD with the noise
  estimated (:func:`oculi.restore.estimate_noise`).

Times: seconds per output megapixel of each method, side by side in this run (loaded 2-core
CPU, one thread). One JSON line (``"part": "srmd"``) goes to ``bench/results/restore.jsonl``.

``--long-epochs N`` also trains SRMD x2 for N epochs (same recipe otherwise) and adds its rows
(``srmd_long``), to see how much the training budget limits it.

Run: ``/tmp/cpuslot .venv/bin/python -m bench.restore_srmd [--long-epochs 18]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from bench.restore import MODELS, _run, _score
from bench.restore_train import TRAIN_DATA, run_budget, train
from oculi.core.timing import pin_threads

COMMON: dict[str, Any] = {"problem": "sr", "image_size": 48, "batch_size": 16, "repeat": 8,
                          "epochs": 9, "with_embedded": True, "val_images": 8, "threads": 1}
RECIPES: dict[str, dict[str, Any]] = {
    f"{model}_x{s}": {**COMMON, "model": model, "scale": s,
                      **({"features": 32, "depth": 8, "sigma": (0.0, 30.0)}
                         if model == "srmd" else {})}
    for s in (2, 3) for model in ("srmd", "espcn")}
#: the test degradations: (name, Gaussian width in HR pixels, noise grey levels)
DEGRADATIONS = (("bicubic", 0.0, 0.0), ("gauss1.6", 1.6, 0.0), ("gauss1.6_noise15", 1.6, 15.0))


def long_recipe(epochs: int) -> dict[str, Any]:
    """SRMD x2 trained ``epochs`` epochs instead of ``COMMON``'s (does the budget limit it?)."""
    return {**RECIPES["srmd_x2"], "epochs": epochs}


def bench_set5(runs: dict[str, Path]) -> dict[str, Any]:
    from oculi.io import read_image
    from oculi.restore import upscale
    from oculi.restore.kernels import gaussian_kernel, synthesize_lr

    refs = [read_image(f, mode="rgb") for f in sorted((SHARED_DATA / "sr_set5").glob("*.png"))]
    results: dict[str, Any] = {}
    for s in (2, 3):
        hr = [r[:r.shape[0] - r.shape[0] % s, :r.shape[1] - r.shape[1] % s] for r in refs]
        mp = sum(h.shape[0] * h.shape[1] for h in hr) / 1e6
        pb = MODELS / "superres" / f"ESPCN_x{s}.pb"
        for name, width, noise in DEGRADATIONS:
            rng = np.random.default_rng(0)
            lr = [synthesize_lr(h, s, gaussian_kernel(15, width), noise, rng) for h in hr]
            methods = {"bicubic": lambda x, s=s: upscale(x, s, "bicubic"),
                       "oculi_espcn_bicubic_trained":
                           lambda x, s=s: upscale(x, s, run=runs[f"espcn_x{s}"]),
                       "srmd": lambda x, s=s, w=width, n=noise:
                           upscale(x, s, run=runs[f"srmd_x{s}"], blur=w, noise=n),
                       "srmd_noise_estimated": lambda x, s=s, w=width:
                           upscale(x, s, run=runs[f"srmd_x{s}"], blur=w)}
            if s == 2 and "srmd_x2_long" in runs:
                methods["srmd_long"] = lambda x, w=width, n=noise: upscale(
                    x, 2, run=runs["srmd_x2_long"], blur=w, noise=n)
            if pb.is_file():
                methods["opencv_espcn"] = lambda x, s=s, p=pb: upscale(x, s, "espcn", p)
            for method, fn in methods.items():
                fn(lr[0])  # warm-up: model load
                outs, secs = _run(fn, lr)
                results[f"x{s}/{name}/{method}"] = _score(list(zip(hr, outs, strict=True)),
                                                          secs, mp, y_channel=True, shave=s)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/bench_srmd"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--long-epochs", type=int, default=0,
                        help="also train SRMD x2 this many epochs (0: not)")
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    needed = ("sr_set5", *TRAIN_DATA)
    missing = [d for d in needed if not (SHARED_DATA / d).is_dir()]
    if missing:
        print(f"skipped: missing shared data {missing}")
        return 0
    t0 = time.perf_counter()
    recipes = dict(RECIPES)
    if args.long_epochs:
        recipes["srmd_x2_long"] = long_recipe(args.long_epochs)
    runs = {name: args.runs / f"{name}_e{recipe['epochs']}" if name.endswith("_long")
            else args.runs / name for name, recipe in recipes.items()}
    for name, recipe in recipes.items():
        train(runs[name], recipe)
    results = bench_set5(runs)
    print_table(["Set5 (Y, shaved)", "PSNR dB", "SSIM", "s/MP"],
                [[k, v["psnr"], v["ssim"], v["s_per_mp"]] for k, v in results.items()])
    record("restore", {"part": "srmd", "threads": args.threads,
                       "runs": {k: {**run_budget(p), "recipe": recipes[k]}
                                for k, p in runs.items()},
                       "set5": results, "seconds": time.perf_counter() - t0})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
