"""Object detection on the raccoon data set: every trainable architecture trained for a fixed
wall-clock budget on this CPU, measured with COCO mAP on the author's test split.

``python -m bench.detect [--archs fcos yolo ...] [--budget 600] [--budget-for fcos=2400 ...]``

* data: ``../shared/data/det_raccoon``, ``train_labels.csv`` (160 images; 10 % held out for
  checkpoint selection by val mAP@.5) and ``test_labels.csv`` (40 images, never seen in training);
* every model: the registry's EfficientNet-Lite0 backbone with its real ImageNet weights
  (offline), the oculi trainer (AdamW, cosine schedule with warm-up), box-aware augmentation
  (YOLO adds mosaic);
* budget: a few training steps are timed first and the epoch count is set so that training and
  the per-epoch validation fit the budget; the measured time is reported;
* metrics: pycocotools mAP@.5 and mAP@[.5:.95] on the test split with the best checkpoint, and
  inference images/s (one image at a time, resizing inside the model: images over the summed
  forward time on the split).

torch runs on one thread: on this shared 2-core machine two threads were 10-30x slower than one
(OpenMP oversubscription). One JSON line per architecture goes to ``bench/results/detect.jsonl``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import SHARED_DATA, print_table, record

RACCOON = SHARED_DATA / "det_raccoon"
ARCHS = ("fcos", "yolo", "retinanet", "fasterrcnn", "ssdlite", "maskrcnn", "rcnn", "fastrcnn",
         "efficientdet")
LR = {"yolo": 2e-3, "ssdlite": 2e-3, "rcnn": 3e-3, "efficientdet": 2e-3}


def _calibrate(arch: str, splits, cfg, steps: int = 3) -> float:
    """Seconds per training image (median of ``steps`` batches after one warm-up)."""
    import statistics

    import torch

    from oculi.detect import DetectionTask
    from oculi.detect.data import collate
    from oculi.train.distributed import DistInfo

    task = DetectionTask(splits=splits)
    model = task.build_model(cfg)
    data = task.build_data(cfg, model, DistInfo())
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], 1e-5)
    times = []
    for k in range(steps + 1):
        batch = collate([data.train[(k * cfg.batch_size + i) % len(data.train)]
                         for i in range(cfg.batch_size)])
        t0 = time.perf_counter()
        images, targets = batch
        loss = sum(model(images, targets).values())
        loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t0)
    return statistics.median(times[1:]) / cfg.batch_size


def run_arch(arch: str, budget: float, image_size: int, out: Path, seed: int = 0
             ) -> dict[str, Any]:
    import torch

    from oculi.detect import (
        DetectionConfig,
        evaluate_dataset,
        load_detector,
        load_splits,
        read_csv,
        train_detector,
        write_evaluation,
    )
    from oculi.train import read_metrics

    torch.set_num_threads(1)
    splits = load_splits(RACCOON / "train_labels.csv", val_split=0.1, seed=seed)
    test = read_csv(RACCOON / "test_labels.csv", classes=splits.train.classes)
    cfg = DetectionConfig(model=arch, image_size=image_size, batch_size=8,
                          lr=LR.get(arch, 1e-3), threads=1, seed=seed, epochs=1,
                          warmup_epochs=1.0, val_max_size=image_size, grid_images=8)
    s_img = _calibrate(arch, splits, cfg)
    n_tr, n_va = len(splits.train), len(splits.val)
    epoch_s = n_tr * s_img * 1.1 + n_va * s_img * 0.6
    epochs = max(1, int(budget // epoch_s))
    cfg = cfg.replace(epochs=epochs, warmup_epochs=min(2.0, epochs / 5))
    print(f"{arch}: {s_img:.2f} s/image -> {epochs} epochs for {budget:.0f} s", flush=True)
    run = out / arch
    t0 = time.perf_counter()
    result = train_detector(None, cfg, run, splits=splits, progress=False)
    wall = time.perf_counter() - t0
    hist = read_metrics(run)
    train_s = sum(h["train_time_s"] for h in hist)
    model = load_detector(run)
    test.max_size = None
    ev = evaluate_dataset(model, test, batch_size=1, grid_images=8)
    write_evaluation(ev, run / "test")
    return {"arch": arch, "backbone": "efficientnet_lite0 (ImageNet, offline)",
            "image_size": image_size, "budget_s": budget, "epochs": epochs,
            "train_images": n_tr, "val_images": n_va, "test_images": len(test),
            "best_epoch": result.best_epoch + 1, "val_map50_best": result.best_metric,
            "test_map50": ev["map50"], "test_map": ev["map"], "test_map75": ev["map75"],
            "test_recall": ev["recall"], "train_time_s": round(train_s, 1),
            "wall_time_s": round(wall, 1),
            "inference_images_per_s": round(ev["images_per_s"], 3),
            "ms_per_image": round(1000.0 / ev["images_per_s"], 1),
            "seconds_per_train_image": round(s_img, 3), "threads": 1}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="*", default=list(ARCHS))
    ap.add_argument("--budget", type=float, default=600.0, help="seconds per architecture")
    ap.add_argument("--budget-for", nargs="*", default=[], metavar="ARCH=SECONDS")
    ap.add_argument("--image-size", type=int, default=256)
    ap.add_argument("--out", type=Path, default=None, help="run folders (default: a temp dir)")
    args = ap.parse_args(argv)
    if not (RACCOON / "train_labels.csv").is_file():
        print(f"skip: {RACCOON} not found")
        return 0
    budgets = {a: args.budget for a in args.archs}
    for item in args.budget_for:
        a, _, s = item.partition("=")
        budgets[a] = float(s)
    out = args.out or Path(tempfile.mkdtemp(prefix="oculi_bench_detect_"))
    rows = []
    for arch in args.archs:
        r = run_arch(arch, budgets[arch], args.image_size, out)
        record("detect", r)
        rows.append([arch, r["budget_s"], r["epochs"], r["train_time_s"], r["test_map50"],
                     r["test_map"], r["ms_per_image"]])
        print_table(["arch", "budget s", "epochs", "train s", "mAP@.5", "mAP@[.5:.95]",
                     "ms/image"], rows)
        sys.stdout.flush()
    print(f"runs in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
