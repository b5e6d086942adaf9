"""Zero-DCE and Zero-DCE++ trained here without references (``oculi train lowlight``) beside the
published weights and LIME on the LOL pairs, with the training budget recorded.

- **Training** (skipped when the run folder already holds ``best.safetensors``): the recipes
  below on the shared ``hymenoptera`` photos (its ``train/`` for training, 4 central crops of
  ``val/`` for validation; never LOL), each crop re-exposed by -5..+2 EV (the task's default
  ``exposures``), CPU only, one torch thread. The papers train 512-pixel SICE images for ~100
  epochs on a GPU; these recipes are sized for a few CPU minutes each (128-pixel crops, lr 1e-3
  instead of 1e-4).
- **LOL** (``../shared/data/lowlight_lol``, 10 pairs, 600x400): RGB PSNR/SSIM of each method's
  8-bit output against the normal-light reference, measured in this run: the input, LIME, the
  published Zero-DCE / Zero-DCE++ weights (``../shared/models/zero_dce``, CC BY-NC: compared
  here, never shipped) and the two oculi-trained runs, with seconds per megapixel (one run per
  image after a warm-up image) and each method's time relative to LIME's.

One JSON line (``"bench": "lowlight_train"``) goes to ``bench/results/restore.jsonl``.

Run: ``.venv/bin/python -m bench.lowlight_train [--dce-run RUN] [--pp-run RUN]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench._common import SHARED_DATA, print_table, record
from bench.restore import MODELS, _run, _score
from bench.restore_train import run_budget
from oculi.core.timing import pin_threads
from oculi.train import read_metrics

TRAIN_DATA = "hymenoptera"
RECIPE: dict[str, Any] = {"image_size": 128, "repeat": 1, "batch_size": 8, "lr": 1e-3,
                          "val_images": 4, "val_size": 128, "threads": 1}
DCE_RECIPE: dict[str, Any] = {**RECIPE, "model": "zero-dce", "epochs": 6}
PP_RECIPE: dict[str, Any] = {**RECIPE, "model": "zero-dce++", "epochs": 6}


def train(run: Path, recipe: dict[str, Any]) -> None:
    """Train ``recipe`` into ``run`` unless it holds a finished checkpoint."""
    from oculi.restore.lowlight_config import LowlightConfig
    from oculi.restore.lowlight_task import train_lowlight

    if (run / "best.safetensors").is_file():
        return
    train_lowlight(SHARED_DATA / TRAIN_DATA, LowlightConfig(**recipe), run, progress=False)


def lowlight_budget(run: Path) -> dict[str, Any]:
    """:func:`bench.restore_train.run_budget` with the low-light settings, the skipped files
    and the final validation loss and PSNR."""
    history = read_metrics(run)
    summary = run / "summary.json"
    skipped = json.loads(summary.read_text()).get("skipped", {}) if summary.is_file() else {}
    keys = ("model", "image_size", "crop_min", "crop_max", "exposures", "batch_size", "repeat",
            "epochs", "lr", "threads", "tv_weight")
    return {**run_budget(run, keys), "skipped": skipped,
            "final_val_loss": history[-1]["val_loss"], "final_val_psnr": history[-1]["val_psnr"]}


def bench_lol(dce_run: Path, pp_run: Path) -> dict[str, Any]:
    from oculi.io import read_image
    from oculi.restore import enhance

    root = SHARED_DATA / "lowlight_lol"
    files = sorted((root / "low").glob("*.png"))
    low = [read_image(f, mode="rgb") for f in files]
    high = [read_image(root / "high" / f.name, mode="rgb") for f in files]
    mp = sum(x.shape[0] * x.shape[1] for x in low) / 1e6
    methods: dict[str, Any] = {"lime": lambda x: enhance(x, "lime")}
    for name, file in (("zero-dce", "ZeroDCE_Epoch99.pth"),
                       ("zero-dce++", "ZeroDCEpp_Epoch99.pth")):
        if (MODELS / "zero_dce" / file).is_file():
            methods[f"{name} published"] = (
                lambda x, m=name, p=MODELS / "zero_dce" / file: enhance(x, m, p))
    methods["zero-dce oculi"] = lambda x: enhance(x, "zero-dce", run=dce_run)
    methods["zero-dce++ oculi"] = lambda x: enhance(x, "zero-dce++", run=pp_run)
    results: dict[str, Any] = {"input": _score(list(zip(high, low, strict=True)), 0.0, mp)}
    for name, fn in methods.items():
        fn(low[0])  # warm-up: model load, library init
        outs, secs = _run(fn, low)
        results[name] = _score(list(zip(high, outs, strict=True)), secs, mp)
    for value in results.values():
        if value["s_per_mp"]:
            value["time_vs_lime"] = value["s_per_mp"] / results["lime"]["s_per_mp"]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dce-run", type=Path, default=Path("runs/bench_lowlight_dce"))
    parser.add_argument("--pp-run", type=Path, default=Path("runs/bench_lowlight_pp"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    missing = [d for d in (TRAIN_DATA, "lowlight_lol") if not (SHARED_DATA / d).is_dir()]
    if missing:
        print(f"skipped: missing shared data {missing}")
        return 0
    t0 = time.perf_counter()
    train(args.dce_run, DCE_RECIPE)
    train(args.pp_run, PP_RECIPE)
    lol = bench_lol(args.dce_run, args.pp_run)
    print_table(["LOL 10 pairs (RGB)", "PSNR dB", "SSIM", "s/MP", "time / LIME"],
                [[k, v["psnr"], v["ssim"], v["s_per_mp"], v.get("time_vs_lime", "")]
                 for k, v in lol.items()])
    record("restore", {"bench": "lowlight_train", "threads": args.threads,
                       "dce_run": lowlight_budget(args.dce_run),
                       "pp_run": lowlight_budget(args.pp_run),
                       "lol": lol, "published_lol_psnr_about": {"zero-dce": 14.9},
                       "seconds": time.perf_counter() - t0})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
