"""See in the dark: the SID U-Net trained here (``oculi train sid``) against the simple pipeline
(amplify the noisy raw by the ratio + the forward ISP) and that pipeline followed by oculi's NLM
or BM3D, on Kodak images made dark synthetically.

- **Training** (skipped when the run folder already holds ``best.safetensors``; ``--train-only``
  stops after it): :data:`RECIPE` on crops of the shared photos (``hymenoptera`` train/val,
  ``stitch_weir``, ``stitch_budapest``) and the embedded photos — never Kodak — CPU, one torch
  thread.
- **Test** (``../shared/data/compress_kodak``, held out): the central ``--crop`` square of each
  of the twelve images is unprocessed with the fixed camera, made x100 and x300 darker with
  Poisson-Gaussian noise (shot variance ``--shot``, read from Brooks et al.'s line; seed
  ``1000 * ratio + image index``), and restored by each method; PSNR/SSIM on sRGB against the
  crop. NLM and BM3D run on the half-size sRGB with sigma estimated
  (:func:`oculi.restore.estimate_noise`), then bicubic x2 like the simple pipeline.
- **Time**: seconds per method summed over the images, measured side by side in this run, and
  given as ratios to the SID U-Net's.

One JSON line goes to ``bench/results/sid.jsonl``.

Run: ``.venv/bin/python -m bench.sid [--run RUN] [--train-only] [--epochs N --repeat N
--features N]`` (the overrides change :data:`RECIPE` for a longer run in another folder).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from bench.restore_train import TRAIN_DATA, run_budget
from oculi.core.timing import pin_threads

RECIPE: dict[str, Any] = {"features": 16, "image_size": 128, "batch_size": 8, "repeat": 4,
                          "epochs": 7, "with_embedded": True, "val_images": 8, "threads": 1}
RATIOS = (100.0, 300.0)
#: the settings recorded with the run
RUN_KEYS = (*RECIPE, "lr", "ratios", "shot_noise", "random_isp", "loss")


def train(run: Path, recipe: dict[str, Any]) -> None:
    """Train ``recipe`` into ``run`` (resuming a cut run) unless it is finished."""
    from oculi.restore.sid_config import SidConfig
    from oculi.restore.sid_task import train_sid

    history = run / "metrics.jsonl"
    done = history.is_file() and len(history.read_text().splitlines()) >= recipe["epochs"]
    if done and (run / "best.safetensors").is_file():
        return
    train_sid([SHARED_DATA / d for d in TRAIN_DATA], SidConfig(**recipe), run,
              resume=(run / "last.safetensors").is_file(), progress=False)


def bench(run: Path, crop: int, shot: float) -> dict[str, Any]:
    from oculi.io import read_image
    from oculi.restore import psnr, ssim
    from oculi.restore.sid_net import load_sid, sid_enhance
    from oculi.restore.sid_task import simple_pipeline
    from oculi.restore.unprocess import short_exposure

    refs = []
    for f in sorted((SHARED_DATA / "compress_kodak").glob("*.png")):
        im = read_image(f, mode="rgb")
        cy, cx = im.shape[0] // 2, im.shape[1] // 2
        refs.append(im[cy - crop // 2:cy + crop // 2, cx - crop // 2:cx + crop // 2])
    net = load_sid(run)
    methods = {"simple": lambda raw, r: simple_pipeline(raw, r),
               "simple+nlm": lambda raw, r: simple_pipeline(raw, r, "nlm"),
               "simple+bm3d": lambda raw, r: simple_pipeline(raw, r, "bm3d"),
               "sid_unet": lambda raw, r: sid_enhance(raw, net, r)}
    results: dict[str, Any] = {}
    for ratio in RATIOS:
        raws = [short_exposure(ref / 255.0, ratio, np.random.default_rng(int(1000 * ratio) + i),
                               (shot, shot)) for i, ref in enumerate(refs)]
        for name, fn in methods.items():
            scores, seconds = [], 0.0
            for ref, raw in zip(refs, raws, strict=True):
                t0 = time.perf_counter()
                out = fn(raw, ratio)
                seconds += time.perf_counter() - t0
                scores.append((psnr(ref, out), ssim(ref, out)))
            results[f"x{ratio:g}/{name}"] = {"psnr": float(np.mean([s[0] for s in scores])),
                                            "ssim": float(np.mean([s[1] for s in scores])),
                                            "seconds": seconds, "n": len(refs)}
        sid_time = results[f"x{ratio:g}/sid_unet"]["seconds"]
        for name in methods:
            entry = results[f"x{ratio:g}/{name}"]
            entry["time_vs_sid"] = entry["seconds"] / sid_time
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, default=Path("runs/bench_sid"))
    parser.add_argument("--crop", type=int, default=192)
    parser.add_argument("--shot", type=float, default=5e-4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--train-only", action="store_true")
    for field in ("features", "repeat", "epochs"):
        parser.add_argument(f"--{field}", type=int, help=f"override RECIPE's {field}")
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    missing = [d for d in ("compress_kodak", *TRAIN_DATA) if not (SHARED_DATA / d).is_dir()]
    if missing:
        print(f"skipped: missing shared data {missing}")
        return 0
    t0 = time.perf_counter()
    recipe = {**RECIPE, **{k: getattr(args, k) for k in ("features", "repeat", "epochs")
                           if getattr(args, k) is not None}}
    train(args.run, recipe)
    if args.train_only:
        return 0
    results = bench(args.run, args.crop, args.shot)
    print_table(["Kodak (sRGB)", "PSNR dB", "SSIM", "s", "time / SID"],
                [[k, v["psnr"], v["ssim"], v["seconds"], v["time_vs_sid"]]
                 for k, v in results.items()])
    record("sid", {"threads": args.threads, "crop": args.crop, "shot_noise": args.shot,
                   "run": run_budget(args.run, RUN_KEYS), "kodak": results,
                   "load": "shared 2-core CPU under other jobs, one torch thread",
                   "seconds": time.perf_counter() - t0})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
