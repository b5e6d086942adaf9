"""``oculi detect IMAGE... --model RUN_OR_NAME`` and ``oculi detect list``."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import report_failures, topic_app, write_json

app = topic_app("Object detection: classical detectors by name, trained runs by folder.",
                default_command=True)


@app.command("default", hidden=True)
def default(
    images: list[Path] = typer.Argument(..., help="Image files."),
    model: str = typer.Option(..., "--model", "-m",
                              help="hog-people, haar-face, or a trained run folder/checkpoint."),
    score: float = typer.Option(None, "--score",
                                help="Minimum score (trained: 0.5, yolo 0.25; hog-people: "
                                     "SVM margin 0.5; haar-face: all)."),
    out: Path = typer.Option(None, "--out", "-o",
                             help="Overlay image; with several inputs the image name is added "
                                  "(overlay_<name>.png)."),
    json_path: Path = typer.Option(None, "--json", help="Write the detections as JSON."),
) -> None:
    """Detect objects in each image and print one line per box (xyxy pixels). Unreadable files
    are listed at the end and make the exit code 1."""
    from oculi.detect import detect_files, draw_detections
    from oculi.io import write_image

    results, failures = detect_files(images, model, score=score)
    for path, image, dets in results:
        typer.echo(f"{path}: {len(dets)} object(s)")
        for d in dets.to_dict():
            x0, y0, x1, y1 = d["box"]
            typer.echo(f"  {d['name']:<12} {d['score']:7.3f}  {x0:7.1f} {y0:7.1f} {x1:7.1f} "
                       f"{y1:7.1f}")
        if out is not None:
            target = out if len(images) == 1 else out.with_name(
                f"{out.stem}_{path.stem}{out.suffix or '.png'}")
            labels = [f"{n} {s:.2f}" for n, s in zip(dets.names, dets.scores, strict=True)]
            write_image(target, draw_detections(image, dets.boxes, labels=labels))
    failed = {str(p): m for p, m in failures}
    if json_path:
        write_json(json_path, {"model": str(model), "results": {
            str(p): d.to_dict() for p, _, d in results}, "failures": failed})
    report_failures(failed)


@app.command("list")
def list_() -> None:
    """The detectors: name, family, implementation."""
    from oculi.detect import detectors

    for e in detectors.entries():
        typer.echo(f"{e.name:<11} {e.obj['family']:<13} {e.help}")


def train_command(
    data: Path = typer.Argument(..., help="Annotations: .csv, COCO .json, a VOC folder, or a "
                                "folder with train*/val* (or test*) files."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder."),
    arch: str = typer.Option(None, "--arch", "-a",
                             help="fasterrcnn, maskrcnn, retinanet, fcos, ssdlite or yolo."),
    val: Path = typer.Option(None, "--val", help="Validation annotations (default: from DATA, "
                             "else a --val-split hold-out)."),
    backbone: str = typer.Option(None, "--backbone", help="Registry backbone (timm)."),
    epochs: int = typer.Option(None, "--epochs", help="Epochs."),
    batch_size: int = typer.Option(None, "--batch-size", help="Images per step."),
    lr: float = typer.Option(None, "--lr", help="Learning rate."),
    image_size: int = typer.Option(None, "--image-size", help="Longer side of the input."),
    val_split: float = typer.Option(None, "--val-split", help="Held-out fraction when there is "
                                    "no validation file."),
    mosaic: float = typer.Option(None, "--mosaic", help="Mosaic probability (default 0.5 for "
                                 "yolo, else 0)."),
    pretrained: bool = typer.Option(None, "--pretrained/--scratch",
                                    help="Backbone ImageNet weights (offline; default on)."),
    config: Path = typer.Option(None, "--config", help="run.yaml; keys = DetectionConfig "
                                "fields."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out."),
    seed: int = typer.Option(None, "--seed", help="Random seed."),
    threads: int = typer.Option(None, "--threads", help="torch threads per process."),
    json_path: Path = typer.Option(None, "--json", help="Write the result summary as JSON."),
) -> None:
    """Train a detector through the oculi trainer; the run folder gets metrics.jsonl, best
    checkpoint (by val mAP@.5), evaluation.json, pr_curve.png and predictions.png."""
    from oculi.detect import DetectionConfig, train_detector

    over = {"model": arch, "backbone": backbone, "epochs": epochs, "batch_size": batch_size,
            "lr": lr, "image_size": image_size, "val_split": val_split, "mosaic": mosaic,
            "pretrained": pretrained, "seed": seed, "threads": threads}
    over = {k: v for k, v in over.items() if v is not None}
    cfg = DetectionConfig.from_yaml(config, **over) if config else DetectionConfig(**over)
    r = train_detector(data, cfg, out, val=val, resume=resume)
    typer.echo(f"best {r.monitor} {r.best_metric:.4f} at epoch {r.best_epoch + 1} -> "
               f"{r.best_checkpoint}")
    if json_path:
        write_json(json_path, r.as_dict())


def eval_command(
    run: Path = typer.Argument(..., help="Run folder (its best.safetensors) or a checkpoint."),
    data: Path = typer.Argument(..., help="Annotations to evaluate on (.csv, .json, VOC)."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder for evaluation.json, "
                             "pr_curve.png and predictions.png."),
    batch_size: int = typer.Option(4, "--batch-size", help="Images per forward pass."),
    json_path: Path = typer.Option(None, "--json", help="Write all metrics as JSON."),
) -> None:
    """COCO metrics with pycocotools: mAP@[.5:.95], mAP@.5, mAP@.75, recall, per-class AP."""
    from oculi.detect import evaluate_detector, write_evaluation

    r = evaluate_detector(run, data, batch_size=batch_size)
    typer.echo(f"{r['images']} images, {r['boxes']} boxes  mAP@[.5:.95] {r['map']:.4f}  "
               f"mAP@.5 {r['map50']:.4f}  mAP@.75 {r['map75']:.4f}  recall {r['recall']:.4f}  "
               f"{r['images_per_s']:.2f} images/s")
    for name, c in r["per_class"].items():
        typer.echo(f"  {name:<16} AP {c['ap']:.4f}  AP50 {c['ap50']:.4f}  "
                   f"recall50 {c['recall50']:.4f}  ({c['gt']} boxes)")
    for msg in r["issues"]:
        typer.echo(f"note: {msg}", err=True)
    if out:
        write_evaluation(r, out)
    if json_path:
        write_json(json_path, {k: v for k, v in r.items() if k != "grid"})
