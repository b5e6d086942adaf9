"""Tour section: a small U-Net trained in the tour on synthetic shapes, and the benchmark table."""

from __future__ import annotations

import json
from pathlib import Path

from oculi.report import Report


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Train U-Net (EfficientNet-Lite0 encoder, offline ImageNet weights) on generated shapes
    through oculi's trainer, show predictions and per-class IoU; list benchmark results."""
    import numpy as np

    from oculi.segment import (
        SHAPE_CLASSES,
        SegmentationConfig,
        SegmentationFolder,
        colorize,
        instances_from_probability,
        make_shapes,
        overlay,
        overlay_instances,
        predict_image,
        train_segmenter,
    )

    size = 64
    n_train, n_val = (12, 4) if quick else (48, 8)
    images, masks = make_shapes(n_train + n_val, size, seed=3)
    kw = dict(num_classes=3, class_names=list(SHAPE_CLASSES))
    train = SegmentationFolder.from_arrays(images[:n_train], masks[:n_train], **kw)
    val = SegmentationFolder.from_arrays(images[n_train:], masks[n_train:], **kw)
    epochs = 2 if quick else 8
    # a demo-sized run: tiny images, a slim decoder, a few epochs (the rest: the defaults)
    cfg = SegmentationConfig(model="unet", epochs=epochs, batch_size=6, lr=1e-2,
                             image_size=size, scale_min=0.9, monitor="val_loss",
                             warmup_epochs=0.0, loss="ce+dice", repeat=1 if quick else 2,
                             class_names=list(SHAPE_CLASSES),
                             arch_options={"decoder_channels": [32, 16, 16, 8, 8]})
    from oculi.train import clear_run

    clear_run(workdir / "segment_shapes")  # a tour run again into the same folder starts afresh
    res = train_segmenter(None, cfg, workdir / "segment_shapes", progress=False,
                          train_set=train, val_set=val)
    from oculi.segment import load_segmenter

    model = load_segmenter(res.run_dir)
    sec = report.section(
        "Segmentation: U-Net trained in the tour",
        f"A U-Net with the EfficientNet-Lite0 encoder (real ImageNet weights, offline) trained "
        f"for {epochs} epochs on {n_train} generated {size}x{size} images of discs and "
        "rectangles with the combined loss 'ce+dice', through oculi's trainer (run folder, "
        "checkpoints). Validation on held-out images; bench/segment.py measures the real "
        "data sets (ISBI membranes, CamVid, the spleen CT volume).")
    rows = [[h["epoch"] + 1, h["train_loss"], h.get("val_loss", float("nan")),
             h.get("val_miou", float("nan")), h.get("val_bf1", float("nan"))]
            for h in res.history]
    sec.table(["epoch", "train loss", "val loss", "val mIoU", "boundary F1"], rows)
    for i in range(min(3, n_val)):
        mask, _ = predict_image(model, val.samples[i].image, tile=None)
        truth = val.samples[i].target.astype(np.uint8)
        panel = np.concatenate([val.samples[i].image, colorize(truth),
                                overlay(val.samples[i].image, mask)], axis=1)
        iou = float(((mask > 0) & (truth > 0)).sum() / max(((mask > 0) | (truth > 0)).sum(), 1))
        sec.image(panel, f"image | truth | prediction (foreground IoU {iou:.2f})",
                  name=f"segment-shapes-{i}", width=360)
    # instances: the predicted foreground split into objects (distance-transform watershed)
    image = val.samples[0].image
    _, prob = predict_image(model, image, tile=None)
    labels = instances_from_probability(np.clip(1.0 - prob[0], 0.0, 1.0), min_size=8)
    sec.image(overlay_instances(image, labels),
              f"instances_from_probability: {int(labels.max())} objects, one colour each",
              name="segment-shapes-instances", width=160)
    results = Path(__file__).resolve().parents[3] / "bench" / "results" / "segment.jsonl"
    if results.is_file():
        lines = [json.loads(x) for x in results.read_text().splitlines() if x.strip()]
        rows = []
        pointrend: dict[tuple[str, int], dict] = {}
        for r in lines:
            if r.get("part") == "isbi":
                rows.append([f"ISBI U-Net ({r['loss']})", "pixel error / membrane Dice",
                             f"{r['pixel_error']:.4f} / {r['membrane_dice']:.4f}", r["train_s"]])
            elif r.get("part") == "camvid":
                rows.append([f"CamVid {r['arch']}", "mIoU (11 classes)", f"{r['miou']:.4f}",
                             r["train_s"]])
            elif r.get("part") == "spleen":
                rows.append([f"spleen {r['arch']}", "Dice held-out / full",
                             f"{r['dice_held_out']:.3f} / {r['dice_full']:.3f}", r["train_s"]])
            elif r.get("part") == "nuclei":
                for who in ("unet", "classical"):
                    m = r[who]
                    rows.append([f"DSB nuclei {who} + watershed", "F1@0.5 / PQ / DSB score",
                                 f"{m['f1_05']:.3f} / {m['pq']:.3f} / {m['dsb']:.3f}",
                                 r["train_s"] if who == "unet" else 0.0])
            elif r.get("part") in ("pointrend", "pointrend_camvid"):  # latest line per seed
                pointrend[("CamVid" if r["part"] == "pointrend_camvid" else "ISBI",
                           r.get("seed", 0))] = r
            elif r.get("part") == "arch":
                rows.append([f"ISBI half-res {r['arch']}", "membrane Dice",
                             f"{r['membrane_dice']:.3f}", r["train_s"]])
        for (data, seed), r in sorted(pointrend.items()):
            iou, iou_name = ("membrane_iou", "membrane IoU") if data == "ISBI" else ("miou", "mIoU")
            for who, label in (("unet", "U-Net"), ("pointrend", "U-Net + PointRend")):
                m = r[who]
                rows.append([f"{data} half-res {label} (seed {seed})",
                             f"boundary F1 (2 px) / {iou_name}",
                             f"{m['bf1_tol2']:.3f} / {m[iou]:.3f}",
                             m.get("train_s", float("nan"))])
        if rows:
            sec = report.section("Segmentation benchmark (shipped results)",
                                 "bench/results/segment.jsonl, measured on this project's CPU "
                                 "machine by bench/segment.py.")
            sec.table(["run", "metric", "value", "train s"], rows)
