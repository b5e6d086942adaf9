"""Object detection on the raccoon data set: every trainable architecture trained for a fixed
wall-clock budget on this CPU, measured with COCO mAP on the author's test split.

``python -m bench.detect [--archs fcos yolo ...] [--budget 600] [--budget-for fcos=2400 ...]``

* data: ``../shared/data/det_raccoon``, ``train_labels.csv`` (160 images; 10 % held out for
  checkpoint selection by val mAP@[.5:.95]) and ``test_labels.csv`` (40 images, never seen in
  training). The selection used val mAP@.5 until every detector reached 1.0 on the 16 held-out
  images within a few epochs: ties keep the first such epoch, so the later, better-trained
  epochs were never tested (EfficientDet's 8th of 10, YOLO's 7th of 12);
* every model: the registry's EfficientNet-Lite0 backbone with its real ImageNet weights
  (offline), the oculi trainer (AdamW, cosine schedule with warm-up), box-aware augmentation
  (YOLO adds mosaic);
* budget: wall-clock seconds of training, per-epoch validation and checkpoints. A few timed
  steps give a first estimate (it sets the warm-up); after every epoch :class:`TimeBudget`
  re-plans the run from the measured epoch times (the first epoch, which also decodes and
  caches the images, only until a second is measured): as many epochs as fit in what is left,
  the cosine schedule ending at the last one (``Trainer.set_epochs``). The epoch count was once
  fixed from the timed steps alone, which overestimated the epoch time: EfficientDet used 242 s
  of a 300 s budget. The seconds used are reported;
* metrics: pycocotools mAP@.5 and mAP@[.5:.95] on the test split with the best checkpoint, and
  inference images/s (one image at a time, resizing inside the model: images over the summed
  forward time on the split).

torch runs on one thread: on this shared 2-core machine two threads were 10-30x slower than one
(OpenMP oversubscription). One JSON line per architecture goes to ``bench/results/detect.jsonl``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import SHARED_DATA, print_table, record
from oculi.train.hooks import HookBase

RACCOON = SHARED_DATA / "det_raccoon"
ARCHS = ("fcos", "yolo", "retinanet", "fasterrcnn", "ssdlite", "maskrcnn", "rcnn", "fastrcnn",
         "efficientdet")
LR = {"yolo": 2e-3, "ssdlite": 2e-3, "rcnn": 3e-3, "efficientdet": 2e-3}


def _calibrate(arch: str, splits, cfg, steps: int = 3) -> float:
    """Seconds per training image (median of ``steps`` batches after one warm-up)."""
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


class TimeBudget(HookBase):
    """A trainer hook that fits the run into ``seconds`` of wall clock (see the module doc).

    ``trainer.cfg.epochs`` is an upper bound; after each epoch the hook sets the run's length
    to the epochs done plus as many as the time left allows, at the mean measured epoch time
    (epochs after the first once there are some), and stops when none is left. ``used_s`` is the
    wall time from the first epoch's start to the last epoch's end.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.times: list[float] = []
        self.used_s = 0.0

    def before_train(self) -> None:
        self.start = self.mark = time.perf_counter()

    def after_epoch(self) -> None:
        now = time.perf_counter()
        self.times.append(now - self.mark)
        self.mark, self.used_s = now, now - self.start
        t = self.trainer
        per_epoch = statistics.mean(self.times[1:] or self.times)
        fit = int(max(0.0, self.seconds - self.used_s) // per_epoch)
        total = min(t.epoch + 1 + fit, t.cfg.epochs)
        if total <= t.epoch + 1:
            t.stop_reason = (f"time budget: {self.used_s:.0f} of {self.seconds:.0f} s used, "
                             f"no room for another {per_epoch:.0f} s epoch")
        else:
            t.set_epochs(total)


def budget_config(arch: str, splits, image_size: int, budget: float, seed: int = 0,
                  **overrides: Any):
    """The bench's :class:`~oculi.detect.DetectionConfig` for ``arch`` (``overrides`` change
    fields), its epochs an upper bound for :class:`TimeBudget` and its warm-up set from the
    timed-steps estimate; returns it with the seconds per training image and that estimate."""
    from oculi.detect import DetectionConfig

    cfg = DetectionConfig(model=arch, image_size=image_size, batch_size=8,
                          lr=LR.get(arch, 1e-3), threads=1, seed=seed, epochs=1,
                          warmup_epochs=1.0, val_max_size=image_size, grid_images=8,
                          monitor="val_map")
    cfg = cfg.replace(**overrides)
    s_img = _calibrate(arch, splits, cfg)
    epoch_s = len(splits.train) * s_img * 1.1 + len(splits.val) * s_img * 0.6
    estimate = max(1, int(budget // epoch_s))
    cfg = cfg.replace(epochs=3 * estimate + 3, warmup_epochs=min(2.0, estimate / 5))
    return cfg, s_img, estimate


def train_budgeted(splits, cfg, budget: float, run: Path):
    """Train ``cfg`` on ``splits`` into ``run`` for ``budget`` seconds (:class:`TimeBudget`);
    returns the fit result, the hook (``used_s``) and the wall time of the whole fit."""
    from oculi.detect import DetectionTask
    from oculi.train import fit

    hook = TimeBudget(budget)
    t0 = time.perf_counter()
    result = fit(DetectionTask(splits=splits), cfg, run, progress=False, hooks=[hook])
    return result, hook, time.perf_counter() - t0


def run_arch(arch: str, budget: float, image_size: int, out: Path, seed: int = 0
             ) -> dict[str, Any]:
    import torch

    from oculi.detect import (
        evaluate_dataset,
        load_detector,
        load_splits,
        read_csv,
        write_evaluation,
    )
    from oculi.train import read_metrics

    torch.set_num_threads(1)
    splits = load_splits(RACCOON / "train_labels.csv", val_split=0.1, seed=seed)
    test = read_csv(RACCOON / "test_labels.csv", classes=splits.train.classes)
    cfg, s_img, estimate = budget_config(arch, splits, image_size, budget, seed)
    print(f"{arch}: {s_img:.2f} s/image -> about {estimate} epochs for {budget:.0f} s "
          "(re-planned after each epoch)", flush=True)
    run = out / arch
    result, hook, wall = train_budgeted(splits, cfg, budget, run)
    hist = read_metrics(run)
    train_s = sum(h["train_time_s"] for h in hist)
    epochs = len(hist)
    n_tr, n_va = len(splits.train), len(splits.val)
    model = load_detector(run)
    test.max_size = None
    ev = evaluate_dataset(model, test, batch_size=1, grid_images=8)
    write_evaluation(ev, run / "test")
    return {"arch": arch, "backbone": "efficientnet_lite0 (ImageNet, offline)",
            "image_size": image_size, "budget_s": budget, "epochs": epochs,
            "train_images": n_tr, "val_images": n_va, "test_images": len(test),
            "best_epoch": result.best_epoch + 1, "monitor": cfg.monitor,
            "val_monitor_best": result.best_metric,
            "test_map50": ev["map50"], "test_map": ev["map"], "test_map75": ev["map75"],
            "test_recall": ev["recall"], "train_time_s": round(train_s, 1),
            "budget_used_s": round(hook.used_s, 1), "wall_time_s": round(wall, 1),
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
