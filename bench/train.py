"""Fine-tuning EfficientNet-Lite0 (real ImageNet weights, offline) on hymenoptera (ants vs bees):
the "tricks" recipe against a plain loop.

tricks: one head-only epoch before fine-tuning everything (LP-FT), AdamW with norm/bias decay
exclusion, cosine schedule with linear warm-up, label smoothing 0.1, batch-level CutMix/MixUp
(probability 0.5), model EMA, gradient clipping.
plain: the same optimiser (AdamW, backbone LR 1e-4, head 10x), model, frozen BatchNorm
statistics, crop size and epochs with none of those (constant LR from the first step, decay on
every parameter, hard labels, no mixing, no EMA, no clipping).

Both runs use the same seed, data, decode path and input size; the table reports the best and the
final validation accuracy (153 images), wall time per epoch (train + val), total wall time and
training images per second on this machine. One JSON line goes to bench/results/train.jsonl.

Run: ``.venv/bin/python -m bench.train [--epochs 5] [--image-size 160] [--only tricks]``
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads


def recipes(epochs: int, image_size: int, batch_size: int, lr: float = 1e-4,
            freeze_bn: bool = True, lp_epochs: int = 1) -> dict:
    from oculi.classify import ClassifyConfig

    common = dict(model="efficientnet_lite0", pretrained=True, epochs=epochs,
                  batch_size=batch_size, image_size=image_size, optimizer="adamw", lr=lr,
                  head_lr_scale=10.0, freeze_bn=freeze_bn,
                  weight_decay=0.02, seed=0, workers=0, cache_images=True)
    return {
        "tricks": ClassifyConfig(**common, schedule="cosine", warmup_epochs=0.5, min_lr_ratio=0.01,
                              label_smoothing=0.1, mixup_alpha=0.2, cutmix_alpha=1.0,
                              mix_prob=0.5, ema_decay=0.9, clip_grad_norm=1.0,
                              freeze_backbone_epochs=lp_epochs),
        "plain": ClassifyConfig.plain(**common),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--image-size", type=int, default=160,
                    help="Training crop; evaluation uses the model spec (224 centre crop).")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: cores).")
    ap.add_argument("--no-record", action="store_true", help="Do not append to results.")
    ap.add_argument("--lr", type=float, default=1e-4, help="Backbone LR (head: 10x).")
    ap.add_argument("--train-bn", action="store_true",
                    help="Update BatchNorm statistics (default: frozen, pretrained).")
    ap.add_argument("--lp-epochs", type=int, default=1,
                    help="Tricks: head-only epochs before fine-tuning everything (LP-FT).")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--only", choices=["tricks", "plain"], default=None)
    ap.add_argument("--keep", type=Path, default=None, help="Keep the run folders here.")
    args = ap.parse_args(argv)

    data = SHARED_DATA / "hymenoptera"
    if not data.is_dir():
        print(f"skip: {data} not found", file=sys.stderr)
        return 0
    threads = pin_threads(args.threads)
    from oculi.classify import train_classifier

    out_root = args.keep or Path(tempfile.mkdtemp(prefix="oculi-bench-train-"))
    rows, runs = [], {}
    for name, cfg in recipes(args.epochs, args.image_size, args.batch_size, args.lr,
                                       not args.train_bn, args.lp_epochs).items():
        if args.only and name != args.only:
            continue
        t0 = time.perf_counter()
        result = train_classifier(data, cfg, out_root / name, progress=False)
        wall = time.perf_counter() - t0
        hist = result.history
        per_epoch = sum(h["epoch_time_s"] for h in hist) / len(hist)
        ips = sorted(h["train_images_per_s"] for h in hist)[len(hist) // 2]
        runs[name] = {
            "best_val_top1": max(h["val_top1"] for h in hist),
            "final_val_top1": hist[-1]["val_top1"], "best_epoch": result.best_epoch + 1,
            "val_top1_per_epoch": [round(h["val_top1"], 4) for h in hist],
            "epoch_time_s": per_epoch, "wall_s": wall, "train_images_per_s": ips,
            "config": cfg.to_dict(),
        }
        rows.append([name, runs[name]["best_val_top1"], runs[name]["final_val_top1"],
                     per_epoch, wall, ips])
    print_table(["recipe", "best val top-1", "final val top-1", "s/epoch", "wall s",
                 "train img/s"], rows)
    if "tricks" in runs and "plain" in runs:
        print(f"tricks - plain (final top-1): "
              f"{runs['tricks']['final_val_top1'] - runs['plain']['final_val_top1']:+.4f}")
    if args.no_record:
        return 0
    record("train", {"bench": "finetune_efficientnet_lite0_hymenoptera", "threads": threads,
                     "epochs": args.epochs, "image_size": args.image_size,
                     "batch_size": args.batch_size, "train_images": 244, "val_images": 153,
                     "runs": runs})
    if args.keep is None:
        shutil.rmtree(out_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
