"""PointRend on ISBI 2012 membranes and CamVid: the same U-Net with and without the point head.

``python -m bench.segment_pointrend train --arch unet --work W`` and ``... --arch pointrend``
train the two models (each its own process, so each fits one CPU slot) with the same seed, data
split, crops, schedule and number of steps; ``python -m bench.segment_pointrend eval --work W``
measures both last checkpoints side by side in one process and appends one JSON line to
``bench/results/segment.jsonl`` (``part: pointrend``); ``... sweep --work W`` scores the trained
point-head model with 0 (its U-Net output alone) to 16384 refined points (``pointrend_sweep``).

Data: the 25 labelled ISBI slices at half resolution (256x256, as the ``archs`` part of
:mod:`bench.segment`), trained on slices 0-19, measured on the held-out slices 20-24; the
membranes (black label pixels) are the foreground. The U-Net is smp's on the pretrained
EfficientNet-Lite0 encoder; ``pointrend`` is that U-Net with the PointRend head
(:mod:`oculi.segment.pointrend`, its default points). Measured: boundary F1 of the membrane class
(:class:`oculi.train.metrics.BoundaryF1`, per image then the mean, at 1 and 2 pixels of
tolerance; the pooled variant too), membrane IoU / Dice, mIoU, pixel accuracy, and the time per
256x256 slice (median of repeated whole-image predictions, both models in one process: a ratio).

``--data camvid``: the same three commands on CamVid (the 30 train / 10 val frames and 11
classes of :mod:`bench.segment`, void ignored) at half resolution, 240x180, so that one training
fits a few minutes of one thread: 180 steps of 8 near-native 128² crops (``--epochs 12``, 15
steps per epoch), ``ce + dice``, horizontal flips; the same U-Net base as on ISBI and in
:mod:`bench.segment`'s CamVid part. Boundary F1 is taken per class (void pixels removed from
both masks), averaged over the classes with a boundary in that frame's prediction or truth, then
over the 10 frames (``bf1_tol*``); the pooled variant pools each class's boundary hits over the
frames first. Results go to ``part: pointrend_camvid`` (training lines
``pointrend_camvid_train``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import print_table, record
from bench.segment import CAMVID, ISBI, _camvid_sets, _cfg, _isbi_sets

TOLERANCES = (1.0, 2.0)
#: CamVid frames are 480x360; measured at half of that
CAMVID_SIZE = (240, 180)


def _camvid_half_sets():
    """The CamVid train / val frames at 240x180 (area-averaged images, nearest labels)."""
    import cv2

    from oculi.segment import SegmentationFolder

    names, tr, va = _camvid_sets()

    def half(ds):
        return SegmentationFolder.from_arrays(
            [cv2.resize(s.image, CAMVID_SIZE, interpolation=cv2.INTER_AREA) for s in ds.samples],
            [cv2.resize(s.target.astype(np.uint8), CAMVID_SIZE, interpolation=cv2.INTER_NEAREST)
             .astype(np.int64) for s in ds.samples],
            num_classes=11, ignore_index=11, names=[s.name for s in ds.samples], class_names=names,
        )

    return half(tr), half(va)


#: per data set: its loader, the one recipe both models train with (only ``model`` differs),
#: the classes scored, the steps per epoch, and the names of its run folders and result lines
DATA: dict[str, dict[str, Any]] = {
    "isbi": dict(
        root=ISBI,
        sets=lambda: _isbi_sets(scale=2),
        recipe=dict(batch_size=8, image_size=128, scale_min=0.3, lr=2e-3,
                    task_options=dict(loss="iou+dice+0.8*bce", repeat=4, flips="hv",
                                      class_names=["cell", "membrane"])),
        num_classes=2, ignore_index=None, bf1_classes=[1], steps_per_epoch=10,
        prefix="pointrend", part="pointrend",
        description="ISBI at 256x256 (half resolution), train 0-19, val 20-24; membrane class",
    ),
    "camvid": dict(
        root=CAMVID,
        sets=_camvid_half_sets,
        recipe=dict(batch_size=8, image_size=128, lr=2e-3,
                    task_options=dict(loss="ce+dice", num_classes=11, ignore_index=11, repeat=4,
                                      flips="h",
                                      # near native scale at 240x180: +-~20 % zoom
                                      crop_scale=(0.7 * 128 * 128 / 43200,
                                                  1.45 * 128 * 128 / 43200))),
        num_classes=11, ignore_index=11, bf1_classes=None, steps_per_epoch=15,
        prefix="pointrend_camvid", part="pointrend_camvid",
        description="CamVid at 240x180 (half resolution), 30 train / 10 val frames, 11 classes, "
                    "void ignored; BF1 mean over the classes present per frame, then over frames",
    ),
}
#: the ISBI recipe (kept under its old name)
RECIPE = DATA["isbi"]["recipe"]


def train(arch: str, epochs: int, work: Path, seed: int = 0, data: str = "isbi") -> dict[str, Any]:
    """Train ``unet`` or ``pointrend`` (U-Net base) on half-resolution ISBI or CamVid."""
    from oculi.segment import train_segmenter

    d = DATA[data]
    tr, va = d["sets"]()
    cfg = _cfg(model=arch, epochs=epochs, seed=seed, **d["recipe"])
    t0 = time.perf_counter()
    res = train_segmenter(None, cfg, work / f"{d['prefix']}_{arch}", progress=False,
                          train_set=tr, val_set=va)
    train_s = time.perf_counter() - t0
    out = {
        "part": f"{d['part']}_train",
        "arch": arch,
        "seed": seed,
        "epochs": epochs,
        "steps": epochs * d["steps_per_epoch"],
        "train_s": train_s,
        "history": [{k: h.get(k) for k in ("epoch", "train_loss", "point_loss", "val_loss",
                                           "val_bf1_image", "val_fg_iou", "val_miou")}
                    for h in res.history],
    }
    print(f"{arch}: {out['steps']} steps in {train_s:.0f} s")
    return out


def _scores(model, va, data: str = "isbi") -> dict[str, Any]:
    import torch

    from oculi.segment.infer import predict_logits
    from oculi.train.metrics import BoundaryF1, ConfusionMatrix

    d = DATA[data]
    k, ignore = d["num_classes"], d["ignore_index"]
    cm = ConfusionMatrix(k, ignore_index=ignore)
    bfs = {tol: BoundaryF1(k, tolerance=tol, ignore_index=ignore, classes=d["bf1_classes"])
           for tol in TOLERANCES}
    model.eval()
    for i in range(len(va)):
        x, t = va[i]
        with torch.no_grad():
            logits = predict_logits(model, x[None], list(x.shape[-2:]))
        cm.update(logits, t[None])
        for bf in bfs.values():
            bf.update(logits, t[None])
    r = cm.compute()
    out: dict[str, Any] = {"miou": r["miou"], "pixel_accuracy": r["pixel_accuracy"]}
    if data == "isbi":
        out.update(membrane_iou=r["iou"][1], membrane_dice=r["dice"][1])
    else:
        out["iou_per_class"] = r["iou"]
    for tol, bf in bfs.items():
        b = bf.compute()
        out[f"bf1_tol{tol:g}"] = b["bf1_image"]
        out[f"bf1_pooled_tol{tol:g}"] = b["bf1"]
        if len(b["classes"]) == 1:
            out[f"boundary_precision_tol{tol:g}"] = b["precision"][0]
            out[f"boundary_recall_tol{tol:g}"] = b["recall"][0]
        else:  # the means over the classes with a boundary in the frames
            out[f"boundary_precision_tol{tol:g}"] = float(np.nanmean(b["precision"]))
            out[f"boundary_recall_tol{tol:g}"] = float(np.nanmean(b["recall"]))
            out[f"bf1_per_class_tol{tol:g}"] = b["f1"]
    return out


def evaluate(work: Path, repeat: int = 9, seed: int = 0, data: str = "isbi") -> dict[str, Any]:
    """Both last checkpoints on the held-out slices / frames, and their time per image side by
    side (calls alternated, so the machine's load falls on both alike; medians)."""
    import statistics

    from oculi.segment import load_segmenter, predict_image

    d = DATA[data]
    _, va = d["sets"]()
    image = va.samples[0].image
    rows: dict[str, Any] = {}
    models = {}
    for arch in ("unet", "pointrend"):
        run = work / f"{d['prefix']}_{arch}"
        model = load_segmenter(run / "last.safetensors")
        models[arch] = model
        rows[arch] = _scores(model, va, data)
        rows[arch]["params_m"] = sum(p.numel() for p in model.parameters()) / 1e6
        hist = (run / "metrics.jsonl").read_text().splitlines()
        rows[arch]["train_s"] = sum(json.loads(h).get("train_time_s", 0.0) for h in hist)
        rows[arch]["steps"] = d["steps_per_epoch"] * len(hist)
    # the point-head model's own U-Net output, without the refinement: what the point loss did
    # to the shared network, apart from what the head's rewritten points add
    pr = models["pointrend"]
    head_net = pr.net
    pr.net = head_net.net
    try:
        coarse = _scores(pr, va, data)
    finally:
        pr.net = head_net
    times: dict[str, list[float]] = {a: [] for a in models}
    for i in range(repeat + 1):
        for arch, model in models.items():
            t0 = time.perf_counter()
            predict_image(model, image, tile=None)
            if i:  # the first round warms up
                times[arch].append(time.perf_counter() - t0)
    for arch in models:
        rows[arch]["ms_per_image"] = 1e3 * statistics.median(times[arch])
    u, p = rows["unet"], rows["pointrend"]
    out = {
        "part": d["part"],
        "data": d["description"],
        "recipe": {k: v for k, v in d["recipe"].items()},
        "checkpoint": "last",
        "seed": seed,
        "unet": u,
        "pointrend": p,
        "pointrend_without_refinement": coarse,
        "bf1_gain_tol2": p["bf1_tol2"] - u["bf1_tol2"],
        "bf1_gain_tol1": p["bf1_tol1"] - u["bf1_tol1"],
        "time_ratio_pointrend_over_unet": p["ms_per_image"] / u["ms_per_image"],
        "timing": "loaded shared 2-core CPU, torch on one thread, both models in one process",
    }
    keys = ["bf1_tol1", "bf1_tol2", "bf1_pooled_tol2", *(["membrane_iou"] * (data == "isbi")),
            "miou", "pixel_accuracy", "ms_per_image"]
    table = [[name, *(r[k] for k in keys)] for name, r in rows.items()]
    table.append(["pointrend, coarse only", *(coarse.get(k, float("nan")) for k in keys)])
    print_table(["model", *keys], table)
    print(f"BF1 (2 px) gain {out['bf1_gain_tol2']:+.4f}; time ratio "
          f"{out['time_ratio_pointrend_over_unet']:.2f}x")
    return out


def sweep(work: Path, counts: tuple[int, ...] = (0, 1024, 2048, 4096, 8192, 16384),
          seed: int = 0, data: str = "isbi") -> dict[str, Any]:
    """The trained point-head model with fewer or more refined points at inference (0: its U-Net
    output alone). Measured on the held-out slices: a description, not a choice."""
    from oculi.segment import load_segmenter

    d = DATA[data]
    _, va = d["sets"]()
    model = load_segmenter(work / f"{d['prefix']}_pointrend" / "last.safetensors")
    head_net, rows = model.net, []
    for count in counts:
        if count:
            head_net.subdivision_points = count
        model.net = head_net if count else head_net.net
        r = _scores(model, va, data)
        rows.append({"subdivision_points": count, **r})
    model.net = head_net
    keys = ["bf1_tol1", "bf1_tol2", "boundary_precision_tol2", "boundary_recall_tol2",
            *(["membrane_iou"] * (data == "isbi")), "miou", "pixel_accuracy"]
    print_table(["points", *keys], [[r["subdivision_points"], *(r[k] for k in keys)]
                                    for r in rows])
    h, w = va.samples[0].target.shape
    return {"part": f"{d['part']}_sweep", "seed": seed, "image_pixels": h * w, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["train", "eval", "sweep"])
    ap.add_argument("--arch", default="unet", choices=["unet", "pointrend"])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0, help="the one seed both models use")
    ap.add_argument("--data", default="isbi", choices=sorted(DATA))
    ap.add_argument("--work", default=None, help="folder for the run folders")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    root = DATA[args.data]["root"]
    if not root.is_dir():
        print(f"skipped: {args.data} data not found at {root}")
        return 0
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="oculi-pointrend-"))
    if args.what == "train":
        record("segment", train(args.arch, args.epochs, work, args.seed, args.data))
    elif args.what == "sweep":
        record("segment", sweep(work, seed=args.seed, data=args.data))
    else:
        record("segment", evaluate(work, seed=args.seed, data=args.data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
