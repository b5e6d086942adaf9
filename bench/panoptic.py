"""Panoptic quality on CamVid: Panoptic FPN against the semantic-only baseline, equal budgets.

``python -m bench.panoptic all [--budget 330]`` trains both models one after the other and
measures them (one CPU slot); ``train --arch ARCH`` and ``eval`` do the parts.

* data: ``../shared/data/seg_camvid`` — 30 train / 10 val frames (480x360, SegNet's 11 classes,
  void 11). Things: Pole, SignSymbol, Car, Pedestrian, Bicyclist, their instances the
  4-connected components of each class in the labels (:func:`oculi.segment.camvid_panoptic`);
  stuff: Sky, Building, Road, Pavement, Tree, Fence;
* models: both on the registry's EfficientNet-Lite0 (ImageNet weights, offline) with the FPN of
  oculi's ``maskrcnn``, images resized inside to a longer side of ``--image-size`` (default 256,
  256x192); ``panoptic_fpn`` = Mask R-CNN + the semantic FPN head over stuff + "things",
  loss = instance losses + 0.5 x semantic cross-entropy; ``semantic_cc`` = the same FPN and
  semantic head over all 11 classes, things = connected components of the predicted classes.
  Both merge through the same heuristic (score 0.5, overlap 0.5, stuff regions under 0.4 % of
  the image void);
* budget: the same wall-clock seconds of training for both (``bench.detect.TimeBudget``: the
  cosine schedule re-planned after every epoch to end inside the budget); per-epoch validation
  on 2 of the val frames only (a progress signal; no checkpoint is chosen by it): the numbers
  are the *last* checkpoint's on all 10 val frames;
* speed: ms per image (model + merge, one image at a time, 480x360 input) of both models
  measured in one process, interleaved, so their ratio is fair on a loaded machine.

torch runs on one thread. One JSON line per ``eval`` goes to ``bench/results/panoptic.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench._common import SHARED_DATA, print_table, record

CAMVID = SHARED_DATA / "seg_camvid"
ARCHS = ("panoptic_fpn", "semantic_cc")
WORK = Path("/tmp/oculi-bench-panoptic")


def train(arch: str, budget: float, image_size: int, work: Path, seed: int = 0
          ) -> dict[str, Any]:
    """Train ``arch`` for ``budget`` seconds into ``work/arch``; returns the run's facts."""
    import torch

    from bench.detect import TimeBudget
    from oculi.panoptic import PanopticConfig, PanopticTask
    from oculi.segment import SegmentationFolder
    from oculi.segment.task import resolve_split
    from oculi.train import clear_run, fit

    torch.set_num_threads(1)
    tr, va = resolve_split(CAMVID, 0.2, seed)
    train_set = SegmentationFolder(tr, ignore_index=11)
    progress_val = SegmentationFolder(va[:2], ignore_index=11, num_classes=11)
    cfg = PanopticConfig(model=arch, image_size=image_size, epochs=200, threads=1, seed=seed,
                         num_classes=11, warmup_epochs=1.0, workers=0, device="cpu",
                         arch_options={"rpn_post_nms_top_n_train": 300,
                                       "box_batch_size_per_image": 64})
    run = work / arch
    clear_run(run)
    task = PanopticTask(CAMVID, train_set=train_set, val_set=progress_val)
    hook = TimeBudget(budget)
    t0 = time.perf_counter()
    result = fit(task, cfg, run, progress=False, hooks=[hook])
    wall = time.perf_counter() - t0
    epochs = len(result.history)
    facts = {"arch": arch, "budget_s": budget, "budget_used_s": round(hook.used_s, 1),
             "wall_time_s": round(wall, 1), "epochs": epochs,
             "batch_size": cfg.batch_size, "image_size": image_size,
             "train_loss": [round(h["train_loss"], 4) for h in result.history],
             "arch_options": cfg.arch_options, "semantic_weight": cfg.semantic_weight}
    (run / "bench_train.json").write_text(json.dumps(facts))
    print(json.dumps(facts))
    return facts


def evaluate(work: Path) -> dict[str, Any]:
    """Both runs' last checkpoints on the 10 val frames, and their ms/image interleaved."""
    import numpy as np
    import torch

    from oculi.panoptic import PanopticFolder, evaluate_dataset, load_panoptic
    from oculi.segment import SegmentationFolder

    torch.set_num_threads(1)
    val = SegmentationFolder(CAMVID / "val", ignore_index=11, num_classes=11)
    models = {a: load_panoptic(work / a / "last.safetensors") for a in ARCHS}
    out: dict[str, Any] = {"part": "camvid", "val_images": len(val)}
    for a, m in models.items():
        ds = PanopticFolder(val, m.things, ignore_index=11)
        r = evaluate_dataset(m, ds)
        facts = json.loads((work / a / "bench_train.json").read_text())
        p = r["panoptic"]
        out[a] = {**facts, "pq": p["pq"], "sq": p["sq"], "rq": p["rq"],
                  "things": p["things"], "stuff": p["stuff"],
                  "per_class": {k: {x: v[x] for x in ("pq", "sq", "rq", "tp", "fp", "fn")}
                                for k, v in p["per_class"].items()}}
    # speed: one image at a time, the two models alternating
    times: dict[str, list[float]] = {a: [] for a in ARCHS}
    xs = [torch.from_numpy(np.ascontiguousarray(s.image.transpose(2, 0, 1))).float() / 255
          for s in val.samples]
    for x in xs[:1]:
        for m in models.values():
            m.panoptic([x])  # warm-up
    for x in xs:
        for a, m in models.items():
            t0 = time.perf_counter()
            m.panoptic([x])
            times[a].append(1000 * (time.perf_counter() - t0))
    for a in ARCHS:
        out[a]["ms_per_image"] = round(statistics.median(times[a]), 1)
    out["speed_ratio_fpn_over_baseline"] = round(
        out["panoptic_fpn"]["ms_per_image"] / out["semantic_cc"]["ms_per_image"], 2)
    out["threads"] = 1
    out["note_machine"] = "loaded 2-core CPU, one thread"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("all", "train", "eval"))
    ap.add_argument("--arch", choices=ARCHS, default="panoptic_fpn")
    ap.add_argument("--budget", type=float, default=330.0, help="training seconds per model")
    ap.add_argument("--image-size", type=int, default=256)
    ap.add_argument("--work", type=Path, default=WORK)
    args = ap.parse_args(argv)
    if not CAMVID.is_dir():
        print(f"skipped: {CAMVID} not found")
        return 0
    if args.what != "eval":
        for arch in ARCHS if args.what == "all" else (args.arch,):
            train(arch, args.budget, args.image_size, args.work)
    if args.what == "train":
        return 0
    r = evaluate(args.work)
    rows = []
    for a in ARCHS:
        x = r[a]
        rows.append([a, x["epochs"], x["budget_used_s"], x["pq"], x["sq"], x["rq"],
                     x["things"]["pq"], x["stuff"]["pq"], x["ms_per_image"]])
    print_table(["arch", "epochs", "train s", "PQ", "SQ", "RQ", "PQ things", "PQ stuff",
                 "ms/image"], rows)
    record("panoptic", r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
