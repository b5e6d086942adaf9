"""Segmentation on real masks: ISBI 2012 membranes, CamVid, the MSD spleen CT volume.

Parts (run one or several: ``python -m bench.segment isbi camvid spleen archs``):

* ``isbi``: U-Net with the pretrained EfficientNet-Lite0 encoder (real ImageNet weights, offline)
  on the 25 ISBI EM slices, trained on slices 0–19 and measured on the held-out slices 20–24
  (membranes = the black pixels = the foreground class). Pixel error (1 − accuracy, the challenge's
  "pixel error") and membrane Dice; the combined loss ``iou + dice + 0.8*bce`` against plain
  BCE with the same seed, schedule and steps (``--loss`` picks one). The last checkpoint is
  measured (the held-out slices select nothing), plain and with 8-view (d4) test-time
  augmentation. ``isbi-eval`` re-measures finished runs in ``--work`` without training.
* ``camvid``: 30 train / 10 val frames, 11 classes, void (11) ignored; mIoU over the 11 classes.
* ``spleen``: 3-D U-Net and V-Net on the CT volume (window −160..240 HU), random patches from
  the first 70 % of the slices, sliding-window prediction of the full volume; Dice on the
  held-out 30 % slab and on the full volume, HD95 in mm with the 0.79x0.79x5 mm spacing; the
  prediction written as NIfTI keeps the scan's affine (checked).
* ``nuclei``: instances on the one DSB 2018 fluorescence image (512x512, 125 nuclei): U-Net
  (pretrained Lite0 encoder, binary nucleus mask) trained on the top half, then the
  distance-transform watershed (:mod:`oculi.segment.instances`), against Otsu + the same watershed;
  semantic Dice, instance F1 at IoU 0.5, the DSB score and PQ on the bottom half.
* ``archs``: every 2-D architecture on ISBI at half resolution (256x256, 128-pixel crops) with
  the same short schedule: membrane Dice, pixel error, training time and inference speed.

Every training goes through oculi's trainer (:func:`oculi.train.fit`). torch runs on one thread:
on this shared 2-core machine two threads were 10-20x slower than one (oversubscription).
One JSON line per part goes to ``bench/results/segment.jsonl``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record

ISBI = SHARED_DATA / "seg_isbi_membrane"
CAMVID = SHARED_DATA / "seg_camvid"
SPLEEN = SHARED_DATA / "seg3d_msd_spleen"
NUCLEI = SHARED_DATA / "seg_nuclei_dsb"


def _cfg(**kw: Any):
    """The benchmark recipe (threads pinned to 1: the numbers were taken on a shared 2-core
    machine); ``task_options`` are the task config's own fields."""
    from oculi.segment import SegmentationConfig, VolumeSegmentationConfig

    kw.update(kw.pop("task_options", {}))
    volume = "patch" in kw
    base = dict(
        optimizer="adamw",
        lr=1e-3,
        weight_decay=1e-4,
        schedule="cosine",
        warmup_epochs=0.5,
        min_lr_ratio=0.02,
        ema_decay=0.0,
        clip_grad_norm=1.0,
        monitor="val_loss",
        seed=0,
        workers=0,
        threads=1,
        device="cpu",
    )
    if not volume:
        base["pretrained"] = True
    base.update(kw)
    if volume:
        base.pop("pretrained", None)
    return (VolumeSegmentationConfig if volume else SegmentationConfig)(**base)


def _speed(model, image: np.ndarray, repeat: int = 3) -> float:
    from oculi.core.timing import time_call
    from oculi.segment import predict_image

    return time_call(lambda: predict_image(model, image, tile=None), repeat=repeat)["median_s"]


def _isbi_sets(scale: int = 1):
    from oculi.io import read_image
    from oculi.segment import SegmentationFolder
    from oculi.segment.data import mask_to_target

    imgs, tgts = [], []
    for i in range(25):
        im = read_image(ISBI / "image" / f"{i}.png", mode="rgb")
        m = mask_to_target(
            read_image(ISBI / "label" / f"{i}.png", mode="unchanged"), "binary", invert=True
        )
        if scale > 1:
            import cv2

            h, w = im.shape[:2]
            im = cv2.resize(im, (w // scale, h // scale), interpolation=cv2.INTER_AREA)
            m = cv2.resize(
                m.astype(np.uint8), (w // scale, h // scale), interpolation=cv2.INTER_NEAREST
            )
        imgs.append(im)
        tgts.append(m)
    names = [str(i) for i in range(25)]
    tr = SegmentationFolder.from_arrays(imgs[:20], tgts[:20], num_classes=2, names=names[:20])
    va = SegmentationFolder.from_arrays(imgs[20:], tgts[20:], num_classes=2, names=names[20:])
    return tr, va


def _isbi_scores(model, va) -> dict[str, float]:
    """Held-out scores, plain and with test-time augmentation over the 8 symmetries of the square
    (EM has no preferred orientation):

    * ``pixel_error``: ``1 − accuracy`` at probability 0.5 (membrane vs cell);
    * ``pixel_error_challenge``: the ISBI 2012 challenge's pixel error, ``1 − max_t F(t)`` with the
      label image's white pixels (cells) as positives, F over thresholds 0.00..0.99 — the
      definition behind the U-Net paper's 0.0611 (Fiji ``PixelError``);
    * ``membrane_dice`` / ``membrane_iou`` at 0.5.
    """
    import torch

    from oculi.segment.infer import predict_logits, probabilities
    from oculi.train.metrics import ConfusionMatrix, ThresholdSweep

    out: dict[str, float] = {}
    model.eval()
    for tta, suffix in (("none", ""), ("d4", "_d4")):
        cm, sweep = ConfusionMatrix(2), ThresholdSweep()
        for i in range(len(va)):
            x, t = va[i]
            with torch.no_grad():
                logits = predict_logits(model, x[None], list(x.shape[-2:]), tta=tta)
            cm.update(logits, t[None])
            sweep.update(probabilities(logits)[0, 0], (t == 0).long())  # P(cell), cell pixels
        r, f = cm.compute(), sweep.compute()
        out["pixel_error" + suffix] = 1.0 - r["pixel_accuracy"]
        out["pixel_error_challenge" + suffix] = 1.0 - f["max_f1"]
        out["challenge_threshold" + suffix] = f["best_threshold"]
        out["membrane_dice" + suffix] = r["dice"][1]
        out["membrane_iou" + suffix] = r["iou"][1]
    return out


def _print_isbi(title: str, r: dict[str, Any]) -> None:
    for suffix, what in (("", "plain"), ("_d4", "d4 TTA")):
        print(
            f"{title} {what}: pixel error (1 - accuracy) {r['pixel_error' + suffix]:.4f}  "
            f"challenge pixel error (1 - max F) {r['pixel_error_challenge' + suffix]:.4f}  "
            f"membrane Dice {r['membrane_dice' + suffix]:.4f}"
        )


def eval_isbi(loss: str, work: Path) -> dict[str, Any]:
    """Re-measure a finished ISBI run (``WORK/isbi_LOSS/last.safetensors``) without training."""
    from oculi.segment import load_segmenter

    _, va = _isbi_sets()
    ckpt = work / f"isbi_{loss}" / "last.safetensors"
    out = {"part": "isbi_eval", "loss": loss, "checkpoint": str(ckpt)}
    out.update(_isbi_scores(load_segmenter(ckpt), va))
    _print_isbi(f"ISBI {loss} (last)", out)
    return out


def run_isbi(
    loss: str, epochs: int, work: Path, crop: int = 256, init: Path | None = None, lr: float = 2e-3
) -> dict[str, Any]:
    from oculi.segment import load_segmenter, train_segmenter

    tr, va = _isbi_sets()
    prior = init / f"isbi_{loss}" if init is not None else None  # continue an earlier run
    cfg = _cfg(
        model="unet",
        epochs=epochs,
        batch_size=4,
        image_size=crop,
        scale_min=0.25,
        lr=lr,
        weights=str(prior / "best.safetensors") if prior is not None else None,
        task_options=dict(
            loss=loss,
            repeat=4,
            flips="hv",
            color=0.15,
            class_names=["cell", "membrane"],
            # crops near native scale (256² of 512² = 0.25 of the area), ±~20 % zoom
            crop_scale=(0.17, 0.36),
        ),
    )
    t0 = time.perf_counter()
    run_dir = work / (f"isbi_{loss}_cont" if prior is not None else f"isbi_{loss}")
    res = train_segmenter(None, cfg, run_dir, progress=False, train_set=tr, val_set=va)
    train_s = time.perf_counter() - t0
    # the last checkpoint: the held-out slices must not pick the model they are measured on
    model = load_segmenter(res.run_dir / "last.safetensors")
    scores = _isbi_scores(model, va)
    speed = _speed(model, va.samples[0].image)
    out = {
        "part": "isbi",
        "loss": loss,
        "arch": "unet",
        "encoder": "efficientnet_lite0",
        "pretrained": True,
        "epochs": epochs,
        "steps": epochs * 20,
        "crop": crop,
        "lr": lr,
        "continued_from": str(prior) if prior is not None else None,
        "checkpoint": "last",
        "crop_scale": [0.17, 0.36],
        **scores,
        "best_epoch": res.best_epoch,
        "train_s": train_s,
        "infer_s_512": speed,
        "val_slices": [20, 21, 22, 23, 24],
        "history": [
            {
                k: h.get(k)
                for k in ("epoch", "train_loss", "val_loss", "val_fg_dice", "val_pixel_error")
            }
            for h in res.history
        ],
    }
    _print_isbi(f"ISBI {loss}", out)
    print(f"  train {train_s:.0f} s  infer {speed:.2f} s/slice")
    return out


def _camvid_sets():
    import csv

    from oculi.segment import SegmentationFolder

    names = [r["name"] for r in csv.DictReader((CAMVID / "classes.csv").open())][:11]
    kw = dict(mask_kind="index", num_classes=11, ignore_index=11, class_names=names)
    train, val = (SegmentationFolder(CAMVID / part, **kw) for part in ("train", "val"))
    return names, train, val


def _camvid_scores(model, va, names: list[str]) -> dict[str, Any]:
    """mIoU over the 11 classes (void ignored) on the val frames, plain and with horizontal-flip
    test-time augmentation (street scenes are left-right symmetric, not up-down)."""
    from oculi.segment import evaluate_dataset

    out: dict[str, Any] = {}
    for tta, suffix in (("none", ""), ("hflip", "_hflip")):
        ev = evaluate_dataset(model, va, ignore_index=11, tta=tta)
        out["miou" + suffix] = ev["val_miou"]
        out["pixel_accuracy" + suffix] = ev["val_pixel_accuracy"]
        out["iou_per_class" + suffix] = dict(zip(names, ev["iou"], strict=True))
        out["bf1" + suffix] = ev["val_bf1"]
    return out


def eval_camvid(arch: str, weights: str, work: Path) -> dict[str, Any]:
    """Re-measure a finished CamVid run (``WORK/camvid_ARCH_WEIGHTS/last.safetensors``)."""
    from oculi.segment import load_segmenter

    names, _, va = _camvid_sets()
    ckpt = work / f"camvid_{arch}_{weights}" / "last.safetensors"
    out = {"part": "camvid_eval", "arch": arch, "class_weights": weights, "checkpoint": str(ckpt)}
    out.update(_camvid_scores(load_segmenter(ckpt), va, names))
    print(f"CamVid {arch} (last): mIoU {out['miou']:.4f}  hflip TTA {out['miou_hflip']:.4f}")
    return out


def run_camvid(
    arch: str, epochs: int, work: Path, crop: int = 320, repeat: int = 4, weights: str = "none"
) -> dict[str, Any]:
    from oculi.segment import load_segmenter, train_segmenter

    names, tr, va = _camvid_sets()
    cfg = _cfg(
        model=arch,
        epochs=epochs,
        batch_size=4,
        image_size=crop,
        scale_min=0.3,
        lr=2e-3,
        task_options=dict(
            loss="ce+dice",
            num_classes=11,
            ignore_index=11,
            class_weights=None if weights == "none" else weights,
            repeat=repeat,
            flips="h",
            class_names=names,
            # near native scale: a crop² of 480x360 frames, ±~20 % zoom
            crop_scale=(0.7 * crop * crop / 172800, min(1.0, 1.45 * crop * crop / 172800)),
        ),
    )
    t0 = time.perf_counter()
    res = train_segmenter(
        None, cfg, work / f"camvid_{arch}_{weights}", progress=False, train_set=tr, val_set=va
    )
    train_s = time.perf_counter() - t0
    model = load_segmenter(res.run_dir / "last.safetensors")  # no selection on the val frames
    scores = _camvid_scores(model, va, names)
    speed = _speed(model, va.samples[0].image)
    out = {
        "part": "camvid",
        "arch": arch,
        "encoder": "efficientnet_lite0",
        "epochs": epochs,
        "steps": epochs * 30 * repeat // 4,
        "crop": crop,
        "loss": "ce+dice",
        "class_weights": weights,
        "checkpoint": "last",
        **scores,
        "train_s": train_s,
        "infer_s_480x360": speed,
        "best_epoch": res.best_epoch,
    }
    print(
        f"CamVid {arch}: mIoU {out['miou']:.4f} (hflip TTA {out['miou_hflip']:.4f})  pixel acc "
        f"{out['pixel_accuracy']:.4f}  train {train_s:.0f} s"
    )
    return out


def run_spleen(arch: str, epochs: int, work: Path, repeat: int = 24) -> dict[str, Any]:
    import nibabel as nib

    from oculi.segment import load_segmenter, predict_volume, read_volume, write_volume
    from oculi.segment.task3d import find_volume_pairs, prepare_volume, train_volume_segmenter
    from oculi.train.metrics import dice_score, hausdorff_distance

    strides = (
        [(1, 2, 2), (1, 2, 2), (2, 2, 2)]
        if arch == "unet3d"
        else [(1, 2, 2), (1, 2, 2), (2, 2, 2), (2, 2, 2)]
    )
    arch_opts = (
        {"features": (16, 32, 64, 128), "strides": strides}
        if arch == "unet3d"
        else {"base": 4, "strides": strides}
    )
    patch = (12, 96, 96) if arch == "unet3d" else (16, 96, 96)
    cfg = _cfg(
        model=arch,
        pretrained=False,
        epochs=epochs,
        batch_size=2,
        lr=3e-3,
        task_options=dict(
            loss="dice+ce",
            patch=patch,
            repeat=repeat,
            val_slices=0.3,
            val_overlap=0.25,
            arch_options=arch_opts,
        ),
    )
    t0 = time.perf_counter()
    res = train_volume_segmenter(SPLEEN, cfg, work / f"spleen_{arch}", progress=False)
    train_s = time.perf_counter() - t0
    model = load_segmenter(res.run_dir)
    img_path, lab_path = find_volume_pairs(SPLEEN)[0]
    vol, lab = read_volume(img_path), read_volume(lab_path)
    x = prepare_volume(vol, (-160.0, 240.0))
    t1 = time.perf_counter()
    pred = predict_volume(model, x, patch=res_patch(res.run_dir), overlap=0.5)
    infer_s = time.perf_counter() - t1
    truth = lab.data > 0
    cut = round(x.shape[0] * 0.7)
    out_path = work / f"spleen_{arch}_pred.nii.gz"
    write_volume(out_path, pred, vol)
    back = nib.load(str(out_path))
    affine_kept = bool(np.allclose(back.affine, vol.affine)) and back.shape == lab.data.shape[::-1]
    zooms_kept = bool(np.allclose(back.header.get_zooms()[:3], vol.spacing[::-1]))
    out = {
        "part": "spleen",
        "arch": arch,
        "arch_options": {k: v for k, v in arch_opts.items()},
        "patch": list(patch),
        "epochs": epochs,
        "steps": epochs * repeat // 2,
        "dice_full": dice_score(pred > 0, truth),
        "dice_held_out": dice_score(pred[cut:] > 0, truth[cut:]),
        "dice_train_slices": dice_score(pred[:cut] > 0, truth[:cut]),
        "hd95_mm_held_out": hausdorff_distance(pred[cut:] > 0, truth[cut:], vol.spacing),
        "hd95_mm_full": hausdorff_distance(pred > 0, truth, vol.spacing),
        "spacing_mm": list(vol.spacing),
        "shape": list(x.shape),
        "held_out_from_slice": cut,
        "train_s": train_s,
        "infer_s_volume": infer_s,
        "nifti_affine_kept": affine_kept,
        "nifti_spacing_kept": zooms_kept,
        "params_m": sum(p.numel() for p in model.parameters()) / 1e6,
    }
    print(
        f"spleen {arch}: Dice held-out {out['dice_held_out']:.3f}  full {out['dice_full']:.3f}"
        f"  HD95 {out['hd95_mm_held_out']:.1f} mm  train {train_s:.0f} s"
    )
    return out


def res_patch(run_dir: Path) -> list[int]:
    import json

    from oculi.models.weights import read_metadata

    return json.loads(read_metadata(Path(run_dir) / "best.safetensors")["oculi_segment"])["patch"]


#: FCN is left out of the default sweep: without offline ResNet-50 weights it trains from scratch
#: (33 M parameters, ~15 s a step here); ``--arch fcn`` runs it.
ARCHS = [
    "unet",
    "unetplusplus",
    "fpn",
    "linknet",
    "pspnet",
    "deeplabv3",
    "deeplabv3plus",
    "pan",
    "segnet",
    "enet",
]


def run_archs(epochs: int, work: Path, archs: list[str]) -> dict[str, Any]:
    from oculi.segment import evaluate_dataset, load_segmenter, train_segmenter

    tr, va = _isbi_sets(scale=2)
    rows = []
    for arch in archs:
        pretrained = arch not in ("fcn", "segnet", "enet")
        opts = {"width": 0.25} if arch == "segnet" else {}
        cfg = _cfg(
            model=arch,
            pretrained=pretrained,
            epochs=epochs,
            batch_size=8,
            image_size=128,
            scale_min=0.3,
            lr=2e-3 if pretrained else 3e-3,
            task_options=dict(loss="iou+dice+0.8*bce", repeat=4, flips="hv", arch_options=opts),
        )
        t0 = time.perf_counter()
        try:
            res = train_segmenter(
                None, cfg, work / f"arch_{arch}", progress=False, train_set=tr, val_set=va
            )
        except Exception as exc:  # report and go on
            rows.append({"arch": arch, "error": f"{type(exc).__name__}: {exc}"})
            print(f"{arch}: failed: {exc}", file=sys.stderr)
            continue
        train_s = time.perf_counter() - t0
        model = load_segmenter(res.run_dir)
        ev = evaluate_dataset(model, va)
        row = {
            "arch": arch,
            "pretrained_encoder": pretrained,
            "membrane_dice": ev["val_fg_dice"],
            "pixel_error": ev["val_pixel_error"],
            "train_s": train_s,
            "infer_ms_256": 1e3 * _speed(model, va.samples[0].image),
            "params_m": sum(p.numel() for p in model.parameters()) / 1e6,
        }
        rows.append(row)
        record(
            "segment",
            {
                "part": "arch",
                "epochs": epochs,
                "steps": epochs * 10,
                "crop": 128,
                "data": "ISBI at 256x256, train 0-19, val 20-24",
                **row,
            },
        )
        print(
            f"{arch}: Dice {row['membrane_dice']:.3f}  train {train_s:.0f} s  "
            f"infer {row['infer_ms_256']:.0f} ms",
            flush=True,
        )
    print_table(
        ["arch", "Dice", "pixel err", "train s", "infer ms", "params M"],
        [
            [
                r["arch"],
                *(
                    r.get(k, float("nan"))
                    for k in ("membrane_dice", "pixel_error", "train_s", "infer_ms_256", "params_m")
                ),
            ]
            for r in rows
        ],
    )
    return {
        "part": "archs",
        "data": "ISBI at 256x256 (half resolution), train 0-19, val 20-24",
        "epochs": epochs,
        "steps": epochs * 10,
        "crop": 128,
        "rows": rows,
    }


#: Watershed settings of the ``nuclei`` part, chosen on the training (top) half with the
#: classical pipeline and used unchanged for both pipelines on the measured (bottom) half.
NUCLEI_SPLIT = {"min_distance": 4, "h": 0.5, "sigma": 1.0, "min_size": 15, "fill_holes": True}


def _nuclei_scores(true: np.ndarray, labels: np.ndarray, fg: np.ndarray) -> dict[str, Any]:
    from oculi.train.metrics import InstanceMetrics, dice_score

    im = InstanceMetrics()
    im.update(true, labels)
    r = im.compute()
    return {
        "dice": dice_score(fg, true > 0),
        "f1_05": r["f1"],
        "precision_05": r["precision"],
        "recall_05": r["recall"],
        "dsb": r["dsb"],
        "pq": r["pq"],
        "sq": r["sq"],
        "rq": r["rq"],
        "objects_true": r["true_objects"],
        "objects_pred": r["pred_objects"],
    }


def run_nuclei(epochs: int, work: Path, crop: int = 128, repeat: int = 32) -> dict[str, Any]:
    """Nuclei instances on the one DSB 2018 image: U-Net + watershed against Otsu + watershed."""
    from oculi.io import read_image
    from oculi.segment import SegmentationFolder, load_segmenter, predict_image, train_segmenter
    from oculi.segment.instances import classical_instances, instances_from_probability

    raw = read_image(NUCLEI / "img2d.tif", mode="unchanged").astype(np.float32)
    true = read_image(NUCLEI / "mask2d.tif", mode="unchanged").astype(np.int64)
    half = raw.shape[0] // 2
    lo, hi = np.percentile(raw[:half], [0.5, 99.8])  # stretch from the training half only
    gray = np.clip((raw - lo) / (hi - lo) * 255 + 0.5, 0, 255).astype(np.uint8)
    rgb = np.repeat(gray[..., None], 3, axis=2)
    top, bottom = np.s_[:half], np.s_[half:]
    tr = SegmentationFolder.from_arrays(
        [rgb[top]], [(true[top] > 0).astype(np.int64)], num_classes=2, names=["top"]
    )
    va = SegmentationFolder.from_arrays(
        [rgb[bottom]], [(true[bottom] > 0).astype(np.int64)], num_classes=2, names=["bottom"]
    )
    area = crop * crop / float(half * raw.shape[1])
    cfg = _cfg(
        model="unet",
        epochs=epochs,
        batch_size=8,
        image_size=crop,
        lr=2e-3,
        task_options=dict(
            loss="iou+dice+0.8*bce",
            repeat=repeat,
            flips="hv",
            color=0.2,
            class_names=["background", "nucleus"],
            crop_scale=(0.7 * area, min(1.0, 1.45 * area)),  # native scale, ±~20 % zoom
        ),
    )
    t0 = time.perf_counter()
    res = train_segmenter(None, cfg, work / "nuclei_unet", progress=False, train_set=tr, val_set=va)
    train_s = time.perf_counter() - t0
    model = load_segmenter(res.run_dir / "last.safetensors")  # no selection on the test half
    t1 = time.perf_counter()
    _, prob = predict_image(model, rgb[bottom], tile=None)
    fg = prob[1] > 0.5
    unet_labels = instances_from_probability(prob[1], **NUCLEI_SPLIT)
    unet_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    classic_labels = classical_instances(raw[bottom], smooth=1.0, **NUCLEI_SPLIT)
    classic_s = time.perf_counter() - t2
    from scipy import ndimage
    from skimage.filters import threshold_otsu

    sm = ndimage.gaussian_filter(raw[bottom].astype(np.float64), 1.0)
    classic_fg = sm > threshold_otsu(sm)
    out = {
        "part": "nuclei",
        "data": "seg_nuclei_dsb img2d.tif 512x512: train rows 0-255 (top), measure rows 256-511",
        "arch": "unet",
        "encoder": "efficientnet_lite0",
        "pretrained": True,
        "loss": "iou+dice+0.8*bce",
        "epochs": epochs,
        "steps": epochs * repeat // 8,
        "crop": crop,
        "checkpoint": "last",
        "split": NUCLEI_SPLIT,
        "train_s": train_s,
        "unet": {**_nuclei_scores(true[bottom], unet_labels, fg), "infer_s": unet_s},
        "classical": {
            **_nuclei_scores(true[bottom], classic_labels, classic_fg),
            "method": "gaussian(1) + Otsu + the same watershed",
            "infer_s": classic_s,
        },
    }
    print_table(
        ["pipeline", "Dice", "F1@0.5", "DSB", "PQ", "objects (true)", "s"],
        [
            [
                name,
                r["dice"],
                r["f1_05"],
                r["dsb"],
                r["pq"],
                f"{r['objects_pred']} ({r['objects_true']})",
                r["infer_s"],
            ]
            for name, r in (
                ("U-Net + watershed", out["unet"]),
                ("Otsu + watershed", out["classical"]),
            )
        ],
    )
    print(f"nuclei: U-Net trained {train_s:.0f} s ({out['steps']} steps)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("parts", nargs="*", default=["isbi", "camvid", "spleen", "archs"])
    ap.add_argument("--loss", action="append", help="ISBI loss(es); default combined and bce")
    ap.add_argument("--arch", action="append", help="CamVid / spleen / archs architecture(s)")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--crop", type=int, default=None, help="ISBI / CamVid training crop")
    ap.add_argument("--repeat", type=int, default=None, help="CamVid / spleen samples per epoch")
    ap.add_argument("--init", default=None, help="ISBI: continue from WORK/isbi_LOSS/best")
    ap.add_argument("--lr", type=float, default=None, help="ISBI learning rate")
    ap.add_argument("--weights", default="none", help="CamVid CE class weights: none, balanced")
    ap.add_argument("--work", default=None, help="folder for run folders (default: a temp dir)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if not SHARED_DATA.is_dir():
        print(f"skipped: shared data not found at {SHARED_DATA}")
        return 0
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="oculi-seg-"))
    for part in args.parts:
        if part == "isbi" and ISBI.is_dir():
            for loss in args.loss or ["iou+dice+0.8*bce", "bce"]:
                record(
                    "segment",
                    run_isbi(
                        loss,
                        args.epochs or 10,
                        work,
                        args.crop or 256,
                        Path(args.init) if args.init else None,
                        args.lr or 2e-3,
                    ),
                )
        elif part == "isbi-eval" and ISBI.is_dir():
            for loss in args.loss or ["iou+dice+0.8*bce", "bce"]:
                record("segment", eval_isbi(loss, work))
        elif part == "camvid-eval" and CAMVID.is_dir():
            for arch in args.arch or ["unet"]:
                record("segment", eval_camvid(arch, args.weights, work))
        elif part == "camvid" and CAMVID.is_dir():
            for arch in args.arch or ["unet"]:
                record(
                    "segment",
                    run_camvid(
                        arch,
                        args.epochs or 12,
                        work,
                        args.crop or 320,
                        args.repeat or 4,
                        args.weights,
                    ),
                )
        elif part == "spleen" and SPLEEN.is_dir():
            for arch in args.arch or ["unet3d", "vnet"]:
                record("segment", run_spleen(arch, args.epochs or 15, work, args.repeat or 24))
        elif part == "nuclei" and NUCLEI.is_dir():
            record(
                "segment", run_nuclei(args.epochs or 28, work, args.crop or 128, args.repeat or 32)
            )
        elif part == "archs" and ISBI.is_dir():
            record("segment", run_archs(args.epochs or 6, work, args.arch or ARCHS))  # summary
        else:
            print(f"skipped {part}: unknown part or data absent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
