"""PointRend on ISBI 2012 membranes: the same U-Net with and without the point head.

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
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import print_table, record
from bench.segment import ISBI, _cfg, _isbi_sets

#: the one recipe both models train with (only ``model`` differs)
RECIPE = dict(
    batch_size=8,
    image_size=128,
    scale_min=0.3,
    lr=2e-3,
    task_options=dict(loss="iou+dice+0.8*bce", repeat=4, flips="hv",
                      class_names=["cell", "membrane"]),
)
TOLERANCES = (1.0, 2.0)


def train(arch: str, epochs: int, work: Path, seed: int = 0) -> dict[str, Any]:
    """Train ``unet`` or ``pointrend`` (U-Net base) on half-resolution ISBI."""
    from oculi.segment import train_segmenter

    tr, va = _isbi_sets(scale=2)
    cfg = _cfg(model=arch, epochs=epochs, seed=seed, **RECIPE)
    t0 = time.perf_counter()
    res = train_segmenter(None, cfg, work / f"pointrend_{arch}", progress=False,
                          train_set=tr, val_set=va)
    train_s = time.perf_counter() - t0
    out = {
        "part": "pointrend_train",
        "arch": arch,
        "seed": seed,
        "epochs": epochs,
        "steps": epochs * 10,
        "train_s": train_s,
        "history": [{k: h.get(k) for k in ("epoch", "train_loss", "point_loss", "val_loss",
                                           "val_bf1_image", "val_fg_iou")}
                    for h in res.history],
    }
    print(f"{arch}: {out['steps']} steps in {train_s:.0f} s")
    return out


def _scores(model, va) -> dict[str, Any]:
    import torch

    from oculi.segment.infer import predict_logits
    from oculi.train.metrics import BoundaryF1, ConfusionMatrix

    cm = ConfusionMatrix(2)
    bfs = {tol: BoundaryF1(2, tolerance=tol, classes=[1]) for tol in TOLERANCES}
    model.eval()
    for i in range(len(va)):
        x, t = va[i]
        with torch.no_grad():
            logits = predict_logits(model, x[None], list(x.shape[-2:]))
        cm.update(logits, t[None])
        for bf in bfs.values():
            bf.update(logits, t[None])
    r = cm.compute()
    out: dict[str, Any] = {
        "membrane_iou": r["iou"][1],
        "membrane_dice": r["dice"][1],
        "miou": r["miou"],
        "pixel_accuracy": r["pixel_accuracy"],
    }
    for tol, bf in bfs.items():
        b = bf.compute()
        out[f"bf1_tol{tol:g}"] = b["bf1_image"]
        out[f"bf1_pooled_tol{tol:g}"] = b["bf1"]
        out[f"boundary_precision_tol{tol:g}"] = b["precision"][0]
        out[f"boundary_recall_tol{tol:g}"] = b["recall"][0]
    return out


def evaluate(work: Path, repeat: int = 9, seed: int = 0) -> dict[str, Any]:
    """Both last checkpoints on the held-out slices, and their time per slice side by side
    (calls alternated, so the machine's load falls on both alike; medians)."""
    import statistics

    from oculi.segment import load_segmenter, predict_image

    _, va = _isbi_sets(scale=2)
    image = va.samples[0].image
    rows: dict[str, Any] = {}
    models = {}
    for arch in ("unet", "pointrend"):
        model = load_segmenter(work / f"pointrend_{arch}" / "last.safetensors")
        models[arch] = model
        rows[arch] = _scores(model, va)
        rows[arch]["params_m"] = sum(p.numel() for p in model.parameters()) / 1e6
        hist = (work / f"pointrend_{arch}" / "metrics.jsonl").read_text().splitlines()
        rows[arch]["train_s"] = sum(json.loads(h).get("train_time_s", 0.0) for h in hist)
        rows[arch]["steps"] = 10 * len(hist)
    # the point-head model's own U-Net output, without the refinement: what the point loss did
    # to the shared network, apart from what the head's rewritten points add
    pr = models["pointrend"]
    head_net = pr.net
    pr.net = head_net.net
    try:
        coarse = _scores(pr, va)
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
        "part": "pointrend",
        "data": "ISBI at 256x256 (half resolution), train 0-19, val 20-24; membrane class",
        "recipe": {k: v for k, v in RECIPE.items()},
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
    keys = ["bf1_tol1", "bf1_tol2", "bf1_pooled_tol2", "membrane_iou", "miou", "pixel_accuracy",
            "ms_per_image"]
    table = [[name, *(r[k] for k in keys)] for name, r in rows.items()]
    table.append(["pointrend, coarse only", *(coarse.get(k, float("nan")) for k in keys)])
    print_table(["model", *keys], table)
    print(f"BF1 (2 px) gain {out['bf1_gain_tol2']:+.4f}; time ratio "
          f"{out['time_ratio_pointrend_over_unet']:.2f}x")
    return out


def sweep(work: Path, counts: tuple[int, ...] = (0, 1024, 2048, 4096, 8192, 16384),
          seed: int = 0) -> dict[str, Any]:
    """The trained point-head model with fewer or more refined points at inference (0: its U-Net
    output alone). Measured on the held-out slices: a description, not a choice."""
    from oculi.segment import load_segmenter

    _, va = _isbi_sets(scale=2)
    model = load_segmenter(work / "pointrend_pointrend" / "last.safetensors")
    head_net, rows = model.net, []
    for count in counts:
        if count:
            head_net.subdivision_points = count
        model.net = head_net if count else head_net.net
        r = _scores(model, va)
        rows.append({"subdivision_points": count, **r})
    model.net = head_net
    keys = ["bf1_tol1", "bf1_tol2", "boundary_precision_tol2", "boundary_recall_tol2",
            "membrane_iou", "pixel_accuracy"]
    print_table(["points", *keys], [[r["subdivision_points"], *(r[k] for k in keys)]
                                    for r in rows])
    return {"part": "pointrend_sweep", "seed": seed, "image_pixels": 256 * 256, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["train", "eval", "sweep"])
    ap.add_argument("--arch", default="unet", choices=["unet", "pointrend"])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0, help="the one seed both models use")
    ap.add_argument("--work", default=None, help="folder for the run folders")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if not ISBI.is_dir():
        print(f"skipped: ISBI data not found at {ISBI}")
        return 0
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="oculi-pointrend-"))
    if args.what == "train":
        record("segment", train(args.arch, args.epochs, work, args.seed))
    elif args.what == "sweep":
        record("segment", sweep(work, seed=args.seed))
    else:
        record("segment", evaluate(work, seed=args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
