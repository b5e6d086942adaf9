"""The restoration networks trained here (``oculi train restore``) beside the classical methods:
an SR network on Set5 x2 and a blind DnCNN on Kodak sigma 25, with the training budget recorded.

- **Training** (skipped when the run folder already holds ``best.safetensors``): the recipes
  below on crops of the shared photos (``hymenoptera`` train/val, ``stitch_weir``,
  ``stitch_budapest``) and the embedded photos — never Set5 or Kodak — CPU only, one torch
  thread (``threads=1``: on this shared 2-core machine two threads ran 10-20x slower).
- **Set5 x2** (``../shared/data/sr_set5``): references cropped to a multiple of 2, shrunk with
  ``oculi.restore.imresize`` (MATLAB bicubic), scored on Y with 2 pixels shaved; bicubic and
  OpenCV's ``dnn_superres`` ESPCN / FSRCNN (``../shared/models/superres``) measured in the same
  run. Published: bicubic 33.66, SRCNN 36.66 dB.
- **Kodak sigma 25** (``../shared/data/compress_kodak``): the central 256x256 crops with the same
  noise as ``bench/restore.py`` (seed 0, sigma 15 drawn first, rounded and clipped to 8 bits);
  RGB PSNR/SSIM of the DnCNN and NLM on all twelve and the DnCNN on the first four, beside BM3D
  on those four as last measured by ``bench/restore.py`` (``bench/results/restore.jsonl``; BM3D
  takes ~300 s per megapixel here, so it is not rerun).

One JSON line goes to ``bench/results/restore_train.jsonl``.

Run: ``.venv/bin/python -m bench.restore_train [--sr-run RUN] [--dn-run RUN]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import RESULTS, SHARED_DATA, print_table, record
from bench.restore import MODELS, _run, _score
from oculi.core.timing import pin_threads

TRAIN_DATA = ("hymenoptera", "stitch_weir", "stitch_budapest")
SR_RECIPE: dict[str, Any] = {"problem": "sr", "model": "espcn", "scale": 2, "epochs": 34,
                             "repeat": 16, "image_size": 48, "batch_size": 16,
                             "with_embedded": True, "val_images": 8, "threads": 1}
DN_RECIPE: dict[str, Any] = {"problem": "denoise", "model": "dncnn", "depth": 10,
                             "features": 32, "sigma": (15.0, 35.0), "image_size": 40,
                             "epochs": 55, "repeat": 2, "batch_size": 16,
                             "with_embedded": True, "val_images": 8, "threads": 1}


def train(run: Path, recipe: dict[str, Any]) -> None:
    """Train ``recipe`` into ``run`` unless it holds a finished checkpoint."""
    from oculi.restore.config import RestoreConfig
    from oculi.restore.task import train_restorer

    if (run / "best.safetensors").is_file():
        return
    train_restorer([SHARED_DATA / d for d in TRAIN_DATA], RestoreConfig(**recipe), run,
                   progress=False)


#: the settings :func:`run_budget` records by default
RUN_KEYS = ("model", "scale", "sigma", "depth", "features", "channels", "image_size",
            "batch_size", "repeat", "epochs", "lr", "loss", "threads")


def run_budget(run: Path, keys: tuple[str, ...] = RUN_KEYS) -> dict[str, Any]:
    """The run's settings ``keys``, epochs done, training minutes, training images and best
    validation PSNR (from its own files; the sid and lowlight benches call it too)."""
    import yaml

    from oculi.train import read_metrics

    history = read_metrics(run)
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    data = json.loads((run / "data.json").read_text()) if (run / "data.json").is_file() else {}
    return {"config": {k: cfg.get(k) for k in keys}, "epochs_done": len(history),
            "train_minutes": sum(h.get("epoch_time_s", 0.0) for h in history) / 60,
            "train_images": data.get("train_images"),
            "best_val_psnr": max(h["val_psnr"] for h in history)}


def bench_sr(run: Path) -> dict[str, Any]:
    from oculi.io import read_image
    from oculi.restore import imresize, upscale

    refs = [read_image(f, mode="rgb") for f in sorted((SHARED_DATA / "sr_set5").glob("*.png"))]
    hr = [r[:r.shape[0] - r.shape[0] % 2, :r.shape[1] - r.shape[1] % 2] for r in refs]
    lr = [imresize(h, 0.5) for h in hr]
    mp = sum(h.shape[0] * h.shape[1] for h in hr) / 1e6
    methods = {"bicubic": lambda x: upscale(x, 2, "bicubic"),
               "oculi": lambda x: upscale(x, 2, run=run)}
    for algo, stem in (("espcn", "ESPCN"), ("fsrcnn", "FSRCNN")):
        path = MODELS / "superres" / f"{stem}_x2.pb"
        if path.is_file():
            methods[f"opencv_{algo}"] = lambda x, a=algo, p=path: upscale(x, 2, a, p)
    results = {}
    for name, fn in methods.items():
        outs, secs = _run(fn, lr)
        results[name] = _score(list(zip(hr, outs, strict=True)), secs, mp, y_channel=True,
                               shave=2)
    return results


def _bm3d_reference() -> dict[str, Any] | None:
    path = RESULTS / "restore.jsonl"
    if not path.is_file():
        return None
    for line in reversed(path.read_text().splitlines()):
        entry = json.loads(line)
        for key, value in entry.get("kodak", {}).items():
            if key.startswith("s25/bm3d_first"):
                return {**value, "from": f"restore.jsonl {entry['time']}"}
    return None


def kodak_sigma25() -> tuple[list[np.ndarray], list[np.ndarray], float, dict[str, Any]]:
    """The Kodak sigma 25 test set: the central 256x256 RGB crops (uint8), their noisy copies
    (the noise of ``bench/restore.py``: seed 0, rounded and clipped to 8 bits), the megapixels
    and the ``{"noisy": score}`` results every denoiser is put beside."""
    from oculi.io import read_image

    refs = []
    for f in sorted((SHARED_DATA / "compress_kodak").glob("*.png")):
        im = read_image(f, mode="rgb")
        cy, cx = im.shape[0] // 2, im.shape[1] // 2
        refs.append(im[cy - 128:cy + 128, cx - 128:cx + 128])
    rng = np.random.default_rng(0)
    for r in refs:  # sigma 15 first, as bench/restore.py draws it
        rng.normal(0, 15, r.shape)
    noisy = [np.clip(np.rint(r + rng.normal(0, 25, r.shape)), 0, 255).astype(np.uint8)
             for r in refs]
    mp = len(refs) * 256 * 256 / 1e6
    return refs, noisy, mp, {"noisy": _score(list(zip(refs, noisy, strict=True)), 0.0, 1.0)}


def bench_denoise(run: Path) -> dict[str, Any]:
    from oculi.restore import denoise

    refs, noisy, mp, results = kodak_sigma25()
    for name, fn in (("nlm", lambda x: denoise(x, 25, "nlm")),
                     ("oculi_dncnn", lambda x: denoise(x, run=run))):
        outs, secs = _run(fn, noisy)
        results[name] = _score(list(zip(refs, outs, strict=True)), secs, mp)
        results[f"{name}_first4"] = _score(list(zip(refs[:4], outs[:4], strict=True)), 0.0, 1.0)
    bm3d = _bm3d_reference()
    if bm3d is not None:
        results["bm3d_first4"] = bm3d
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sr-run", type=Path, default=Path("runs/bench_restore_sr"))
    parser.add_argument("--dn-run", type=Path, default=Path("runs/bench_restore_dn"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    needed = ("sr_set5", "compress_kodak", *TRAIN_DATA)
    missing = [d for d in needed if not (SHARED_DATA / d).is_dir()]
    if missing:
        print(f"skipped: missing shared data {missing}")
        return 0
    t0 = time.perf_counter()
    train(args.sr_run, SR_RECIPE)
    sr = bench_sr(args.sr_run)
    print_table(["Set5 x2 (Y, shaved)", "PSNR dB", "SSIM", "s/MP"],
                [[k, v["psnr"], v["ssim"], v["s_per_mp"]] for k, v in sr.items()])
    train(args.dn_run, DN_RECIPE)
    dn = bench_denoise(args.dn_run)
    print_table(["Kodak sigma 25 (RGB)", "PSNR dB", "SSIM", "s/MP"],
                [[k, v["psnr"], v["ssim"], v.get("s_per_mp", "")] for k, v in dn.items()])
    record("restore_train", {"threads": args.threads, "sr_run": run_budget(args.sr_run),
                             "set5_x2": sr, "dn_run": run_budget(args.dn_run),
                             "kodak_s25": dn, "published": {"set5_x2_bicubic": 33.66,
                                                            "set5_x2_srcnn": 36.66},
                             "seconds": time.perf_counter() - t0})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
