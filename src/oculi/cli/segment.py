"""``oculi segment IMAGE... --model RUN`` (predict masks), and the ``segment`` commands of the
``oculi train`` and ``oculi eval`` groups (2-D folders and, with ``--3d``, NIfTI volumes)."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import fail, topic_app, write_json

app = topic_app(
    "Segment images or volumes with a trained model; train and evaluate with "
    "oculi train segment / oculi eval segment.\n\n"
    "oculi segment IMAGE... --model RUN [-o mask.png] [--overlay over.png] [--3d] [--instances] "
    "(options: oculi segment default --help).",
    default_command=True,
)


def _target(template: Path | None, src: Path, several: bool, what: str) -> Path | None:
    if template is None:
        return None
    text = str(template)
    if "{stem}" in text:
        stem = src.name.split(".nii")[0] if ".nii" in src.name else src.stem
        return Path(text.replace("{stem}", stem))
    if several:
        fail(f"{what}: several inputs need a {{stem}} placeholder, e.g. out/{{stem}}.png")
    return template


@app.command("default", hidden=True)
def predict(
    inputs: list[Path] = typer.Argument(..., help="Image files (or NIfTI volumes with --3d)."),
    model: Path = typer.Option(..., "--model", "-m", help="Run folder or .safetensors checkpoint."),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="Mask file: PNG of class indices (NIfTI with --3d); {stem} for several inputs.",
    ),
    overlay: Path = typer.Option(None, "--overlay", help="Image with the mask blended in."),
    volume: bool = typer.Option(False, "--3d", help="Inputs are NIfTI volumes."),
    tile: int = typer.Option(512, "--tile", help="Tile size for large images (pixels)."),
    threshold: float = typer.Option(0.5, "--threshold", help="Binary models: foreground cut."),
    json_path: Path = typer.Option(None, "--json", help="Per-input class fractions as JSON."),
    instances: bool = typer.Option(
        False,
        "--instances",
        help="Split the foreground into objects (distance-transform watershed): -o writes a "
        "uint16 PNG of instance ids (0 = background), --overlay colours each instance.",
    ),
    min_distance: int = typer.Option(
        4, "--min-distance", help="--instances: smallest distance between object centres (px)."
    ),
    min_size: int = typer.Option(
        15, "--min-size", help="--instances: objects smaller than this are dropped (pixels)."
    ),
) -> None:
    """Predict a mask per input; prints the class fractions (with --instances, the object count).
    Exit 2 if any input failed."""
    import numpy as np

    from oculi.core.errors import OculiError
    from oculi.io import read_image, write_image
    from oculi.segment import load_segmenter, predict_image
    from oculi.segment import overlay as blend

    net = load_segmenter(model)
    settings = _volume_settings(net, model) if volume else None
    several = len(inputs) > 1
    results, failed = [], []
    for path in inputs:
        try:
            if volume:
                mask = _predict_volume(net, settings, path, _target(out, path, several, "--out"))
            elif instances:
                results.append(
                    _predict_instances(
                        net,
                        path,
                        _target(out, path, several, "--out"),
                        _target(overlay, path, several, "--overlay"),
                        tile=tile,
                        threshold=threshold,
                        min_distance=min_distance,
                        min_size=min_size,
                    )
                )
                continue
            else:
                image = read_image(path, mode="rgb")
                mask, _ = predict_image(net, image, tile=tile, threshold=threshold)
                dst = _target(out, path, several, "--out")
                if dst is not None:
                    write_image(dst, mask)
                ov = _target(overlay, path, several, "--overlay")
                if ov is not None:
                    write_image(ov, blend(image, mask))
        except OculiError as exc:
            failed.append(f"{path}: {exc}")
            continue
        counts = np.bincount(mask.ravel(), minlength=net.num_classes)
        frac = (counts / max(mask.size, 1)).tolist()
        names = net.class_names or [str(i) for i in range(net.num_classes)]
        results.append(
            {
                "file": str(path),
                "shape": list(mask.shape),
                "fractions": dict(zip(names, frac, strict=False)),
            }
        )
        typer.echo(
            f"{path}: " + "  ".join(f"{n} {f:.3f}" for n, f in zip(names, frac, strict=False))
        )
    if json_path:
        write_json(json_path, {"results": results, "failed": failed})
    for line in failed:
        typer.echo(f"failed: {line}", err=True)
    if failed:
        raise typer.Exit(2)


def _predict_instances(
    net, path: Path, dst: Path | None, ov: Path | None, **kw
) -> dict[str, object]:
    import numpy as np

    from oculi.io import read_image, write_image
    from oculi.segment import instances_from_probability, overlay_instances, predict_image

    if net.dims != 2:
        fail("--instances: needs a 2-D model")
    image = read_image(path, mode="rgb")
    _, prob = predict_image(net, image, tile=kw.pop("tile"))
    labels = instances_from_probability(np.clip(1.0 - prob[0], 0.0, 1.0), **kw)
    n = int(labels.max())
    if n > 65535:
        fail(f"{path}: {n} objects do not fit a uint16 label PNG")
    if dst is not None:
        write_image(dst, labels.astype(np.uint16))
    if ov is not None:
        write_image(ov, overlay_instances(image, labels))
    areas = np.bincount(labels.ravel())[1:]
    typer.echo(
        f"{path}: {n} instances" + (f"  median area {float(np.median(areas)):.0f} px" if n else "")
    )
    return {"file": str(path), "shape": list(labels.shape), "instances": n,
            "areas": areas.tolist()}  # fmt: skip


def _volume_settings(net, run: Path) -> tuple[tuple[float, float] | None, list[int]]:
    """``(intensity window, patch)`` a 3-D run was trained with, read once from its checkpoint."""
    import json

    from oculi.models.weights import read_metadata
    from oculi.segment.task import find_checkpoint

    if net.dims != 3:
        fail(f"{run}: a 2-D model; --3d needs a model trained with oculi train segment --3d")
    cfg = json.loads(read_metadata(find_checkpoint(run))["oculi_segment"])
    win = tuple(cfg["window"]) if cfg.get("window") else None
    return win, cfg.get("patch") or [16, 96, 96]


def _predict_volume(net, settings, path: Path, dst: Path | None):
    from oculi.segment import predict_volume, read_volume, write_volume
    from oculi.segment.task3d import prepare_volume

    win, patch = settings
    vol = read_volume(path)
    mask = predict_volume(net, prepare_volume(vol, win), patch=patch)
    if dst is not None:
        write_volume(dst, mask, vol)
    return mask


def train_command(
    data: Path = typer.Argument(
        ...,
        help="Folder: train/ + val/ (each image/ + label/), one "
        "image/ + label/ pair folder (split by --val-split), or NIfTI "
        "pairs with --3d.",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder."),
    arch: str = typer.Option(
        None,
        "--arch",
        "-a",
        help="unet (default), unetplusplus, fpn, "
        "linknet, pspnet, deeplabv3, deeplabv3plus, pan, fcn, segnet, enet; "
        "unet3d (default) or vnet with --3d.",
    ),
    encoder: str = typer.Option(None, "--encoder", help="Registry encoder (efficientnet_lite0)."),
    loss: str = typer.Option(None, "--loss", help="Loss expression, e.g. 'iou+dice+0.8*bce'."),
    mask_kind: str = typer.Option(None, "--masks", help="index, binary or instance."),
    num_classes: int = typer.Option(None, "--classes", help="Classes including background."),
    ignore_index: int = typer.Option(None, "--ignore-index", help="Mask value to ignore."),
    invert: bool = typer.Option(False, "--invert", help="Binary masks: dark = foreground."),
    volume: bool = typer.Option(False, "--3d", help="NIfTI volumes, patch training."),
    epochs: int = typer.Option(None, "--epochs", help="Epochs."),
    batch_size: int = typer.Option(None, "--batch-size", help="Batch size."),
    lr: float = typer.Option(None, "--lr", help="Learning rate."),
    image_size: int = typer.Option(None, "--crop", help="Training crop (pixels)."),
    pretrained: bool = typer.Option(
        None, "--pretrained/--scratch", help="Offline ImageNet encoder weights (default) or none."
    ),
    config: Path = typer.Option(None, "--config", help="run.yaml; keys = TrainConfig fields."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out."),
    threads: int = typer.Option(None, "--threads", help="torch threads (default 1 on CPU)."),
    monitor: str = typer.Option(
        None,
        "--monitor",
        help="Validation metric that picks best.safetensors: val_miou (2-D default), "
        "val_fg_dice, val_pixel_error, val_loss; val_dice (--3d default).",
    ),
    json_path: Path = typer.Option(None, "--json", help="Write the result summary as JSON."),
) -> None:
    """Train a segmentation model with oculi's trainer (run folder, checkpoints, resume)."""
    from oculi.train import TrainConfig

    opts = {
        "encoder": encoder,
        "loss": loss,
        "mask_kind": mask_kind,
        "num_classes": num_classes,
        "ignore_index": ignore_index,
        "invert": invert or None,
    }
    opts = {k: v for k, v in opts.items() if v is not None}
    base = {
        "model": arch,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "image_size": image_size,
        "pretrained": pretrained,
        "threads": threads,
        "monitor": monitor,
    }
    base = {k: v for k, v in base.items() if v is not None}
    defaults = {
        "model": "unet3d" if volume else "unet",
        "monitor": "val_dice" if volume else "val_miou",
        "mix_prob": 0.0,
        "label_smoothing": 0.0,
        "batch_size": 4,
        "weight_decay": 1e-4,
        "threads": 1,
        "warmup_epochs": 0.5,
    }
    if volume:
        defaults["pretrained"] = False
        opts.pop("encoder", None)
    if config is not None:
        cfg = TrainConfig.from_yaml(config, **base)
        cfg = cfg.replace(task_options={**cfg.task_options, **opts})
    else:
        cfg = TrainConfig(**{**defaults, **base, "task_options": opts})
    if volume:
        from oculi.segment.task3d import train_volume_segmenter

        result = train_volume_segmenter(data, cfg, out, resume=resume)
    else:
        from oculi.segment import train_segmenter

        result = train_segmenter(data, cfg, out, resume=resume)
    last = result.history[-1] if result.history else {}
    keys = ("val_miou", "val_fg_dice", "val_pixel_error", "val_dice", "val_hd95_mm")
    typer.echo(
        f"best {result.monitor} {result.best_metric:.4f} at epoch {result.best_epoch + 1}"
        + "".join(f"  {k} {last[k]:.4f}" for k in keys if k in last)
        + f" -> {result.best_checkpoint}"
    )
    if json_path:
        write_json(json_path, result.as_dict())


def eval_command(
    run: Path = typer.Argument(..., help="Run folder or .safetensors checkpoint."),
    data: Path = typer.Argument(..., help="image/ + label/ folder (NIfTI pairs with --3d)."),
    mask_kind: str = typer.Option("index", "--masks", help="index, binary or instance."),
    ignore_index: int = typer.Option(None, "--ignore-index", help="Mask value to ignore."),
    invert: bool = typer.Option(False, "--invert", help="Binary masks: dark = foreground."),
    volume: bool = typer.Option(False, "--3d", help="NIfTI volumes."),
    json_path: Path = typer.Option(None, "--json", help="Write all metrics as JSON."),
) -> None:
    """mIoU, Dice per class, pixel accuracy, boundary F1 (2-D); Dice and HD95 in mm (--3d).
    With --masks instance also the instance metrics of the watershed-split foreground: F1 and
    PQ at IoU 0.5, the DSB 2018 score (key "instances" in --json)."""
    from oculi.segment import load_segmenter

    net = load_segmenter(run)
    if volume:
        r = _eval_volumes(net, run, data)
        for row in r["volumes"]:
            typer.echo(f"{row['name']}: Dice {row['dice']:.4f}  HD95 {row['hd95_mm']:.2f} mm")
    else:
        from oculi.segment import SegmentationFolder, evaluate_dataset

        ds = SegmentationFolder(
            data,
            mask_kind=mask_kind,
            num_classes=net.num_classes,
            ignore_index=ignore_index,
            invert=invert,
        )
        r = evaluate_dataset(
            net, ds, ignore_index=ignore_index, instances={} if mask_kind == "instance" else None
        )
        names = net.class_names or [str(i) for i in range(net.num_classes)]
        typer.echo(
            f"{r['images']} images  mIoU {r['val_miou']:.4f}  mDice {r['val_mdice']:.4f}  "
            f"pixel acc {r['val_pixel_accuracy']:.4f}  boundary F1 {r['val_bf1']:.4f}"
        )
        for n, i, d in zip(names, r["iou"], r["dice"], strict=False):
            typer.echo(f"  {n:<14} IoU {_f(i)}  Dice {_f(d)}")
        if mask_kind == "instance":
            ins = r["instances"]
            typer.echo(
                f"instances: {ins['pred_objects']} found / {ins['true_objects']} true  "
                f"F1@0.5 {ins['f1']:.4f}  DSB {ins['dsb']:.4f}  PQ {ins['pq']:.4f}"
            )
    if json_path:
        write_json(json_path, r)


def _f(v: float | None) -> str:
    return "  n/a" if v is None else f"{v:.3f}"


def _eval_volumes(net, run: Path, data: Path):
    from oculi.segment import predict_volume, read_volume
    from oculi.segment.task3d import find_volume_pairs, prepare_volume
    from oculi.segment.volume import check_label
    from oculi.train.metrics import VolumeMetrics

    win, patch = _volume_settings(net, run)
    vm = VolumeMetrics(net.num_classes)
    for img, lab in find_volume_pairs(data):
        vol = read_volume(img)
        truth = check_label(vol, read_volume(lab), net.num_classes)
        pred = predict_volume(net, prepare_volume(vol, win), patch=patch)
        vm.update(pred, truth, vol.spacing, name=img.name)
    r = vm.compute()
    r["volumes"] = [
        {"name": row["name"], "dice": row["dice"][0], "hd95_mm": row["hd95"][0]}
        for row in r.pop("rows")
    ]
    return r


# ``oculi segment train`` / ``oculi segment eval`` mirror ``oculi train segment`` /
# ``oculi eval segment`` (same functions), so the topic is complete on its own.
app.command("train")(train_command)
app.command("eval")(eval_command)
