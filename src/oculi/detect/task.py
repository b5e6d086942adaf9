"""Detection as a task of oculi's trainer (:func:`oculi.train.fit`): the same run folder,
progress, safetensors checkpoints, resume, EMA and DDP as classification and segmentation.

``DetectionConfig`` is :class:`oculi.train.TrainConfig` with the detection fields (``model`` is
the architecture) and detection defaults; the best checkpoint is chosen by validation mAP@.5
(``val_map50``, computed by pycocotools each epoch). Checkpoints carry the model's config in
their metadata (key ``oculi_detect``), so :func:`load_detector` rebuilds it from the run alone.
The run folder also gets ``evaluation.json``, ``pr_curve.png`` and ``predictions.png`` (a grid of
validation predictions, red, against ground truth, green).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from oculi.core.errors import DataError
from oculi.core.results import EvaluationReport
from oculi.detect.config import DetectionConfig
from oculi.detect.data import DetectionDataset, DetectionSplits, collate, load_splits
from oculi.train import Step, Task, TaskData


class DetectionTask(Task):
    """Object detection on boxes read by :func:`oculi.detect.load_splits`."""

    name = "detect"
    checkpoint_key = "oculi_detect"

    def __init__(self, data: str | os.PathLike[str] | None = None, *,
                 val: str | os.PathLike[str] | None = None,
                 splits: DetectionSplits | None = None) -> None:
        self.data, self.val = data, val
        self.splits = splits

    def _load(self, cfg: DetectionConfig) -> DetectionSplits:
        if self.splits is None:
            if self.data is None:
                raise DataError("detect: no data given")
            self.splits = load_splits(self.data, val=self.val, val_split=cfg.val_split,
                                      seed=cfg.seed)
        return self.splits

    def build_model(self, cfg: DetectionConfig) -> nn.Module:
        from oculi.detect.models import create_detector, detectors

        sp = self._load(cfg)
        arch = detectors.entry(cfg.model).name
        opts = dict(cfg.arch_options or {})
        size = int(cfg.image_size or 384)
        if arch == "yolo" and cfg.kmeans_anchors and "anchors" not in opts:
            from oculi.detect.yolo import kmeans_anchors

            opts["anchors"] = kmeans_anchors(self._train_wh(sp.train, size), 9,
                                             seed=cfg.seed).tolist()
        model = create_detector(arch, num_classes=sp.train.num_classes,
                                class_names=sp.train.classes, backbone=cfg.backbone,
                                pretrained=cfg.pretrained and cfg.weights is None,
                                image_size=size, frozen_stages=cfg.frozen_stages, **opts)
        if cfg.weights:
            from oculi.models.weights import load_weights

            load_weights(model, cfg.weights)
        return model

    @staticmethod
    def _train_wh(ds: DetectionDataset, size: int) -> np.ndarray:
        rows = []
        for s in ds.samples:
            if len(s.boxes) and s.size is not None:
                r = size / max(s.size)
                rows.append((s.boxes[:, 2:] - s.boxes[:, :2]) * r)
        return np.concatenate(rows) if rows else np.zeros((0, 2), np.float32)

    def build_data(self, cfg: DetectionConfig, model: nn.Module, info: Any):
        from oculi.detect.augment import DetectionAugment, Mosaic

        sp = self._load(cfg)
        size = int(cfg.image_size or 384)
        arch = getattr(model, "arch", cfg.model)
        sp.train.with_masks = sp.val.with_masks = arch == "maskrcnn"
        sp.train.max_size = round(size * 1.5)
        sp.train.cache = sp.val.cache = cfg.cache_images
        sp.val.max_size = cfg.val_max_size
        sp.train.transform = DetectionAugment(
            size, flip=0.5 if cfg.augment else 0.0, affine=0.5 if cfg.augment else 0.0,
            color=0.6 if cfg.augment else 0.0, seed=cfg.seed + 7919 * info.rank)
        mosaic = cfg.mosaic if cfg.mosaic is not None else (0.5 if arch == "yolo" else 0.0)
        if sp.train.with_masks:
            mosaic = 0.0  # Mosaic tiles boxes only: Mask R-CNN trains on plain items
        train: Dataset = sp.train
        if mosaic > 0:
            train = Mosaic(sp.train, size, mosaic, seed=cfg.seed + info.rank)
        summary = {"task": self.name, "arch": arch, "backbone": cfg.backbone,
                   "image_size": size, "mosaic": mosaic, "train": sp.train.summary(),
                   "val": sp.val.summary(), "source": sp.source,
                   "anchors": getattr(getattr(model, "net", None), "anchors", None)}
        if summary["anchors"] is not None:
            summary["anchors"] = summary["anchors"].view(-1, 2).round().tolist()
        self.class_names = sp.train.classes
        self.grid_images = cfg.grid_images
        return TaskData(train, sp.val, summary, collate_fn=collate)

    def train_step(self, step: Step, batch: Any):
        images, targets = step.to_device(batch)
        losses = step.model(images, targets)
        loss = sum(losses.values())
        n = len(images)
        return loss, {k: float(v.detach()) * n for k, v in losses.items()}, n

    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        return evaluate_dataset(model, loader.dataset, batch_size=loader.batch_size or 4,
                                grid_images=getattr(self, "grid_images", 8))

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        write_evaluation(evaluation, run_dir)


@torch.no_grad()
def predict_dataset(model: nn.Module, dataset: DetectionDataset, *, batch_size: int = 4
                    ) -> tuple[list[dict], list[dict], float]:
    """Run ``model`` over ``dataset`` (no augmentation); returns ground truth, predictions (as
    numpy dicts, in the dataset item's pixels) and the inference images/s."""
    model.eval()
    device = next(model.parameters()).device
    transform, dataset.transform = dataset.transform, None
    gts, preds, secs = [], [], 0.0
    try:
        for start in range(0, len(dataset), batch_size):
            items = [dataset[i] for i in range(start, min(len(dataset), start + batch_size))]
            t0 = time.perf_counter()
            out = model([x.to(device) for x, _ in items])
            secs += time.perf_counter() - t0
            for (_, t), o in zip(items, out, strict=True):
                gts.append({"boxes": t["boxes"].numpy(), "labels": t["labels"].numpy()})
                preds.append({k: o[k].detach().cpu().numpy() for k in ("boxes", "scores",
                                                                       "labels")})
    finally:
        dataset.transform = transform
    return gts, preds, len(dataset) / max(secs, 1e-9)


def evaluate_dataset(model: nn.Module, dataset: DetectionDataset, *, batch_size: int = 4,
                     grid_images: int = 8) -> dict[str, Any]:
    """COCO metrics of ``model`` on ``dataset``: ``val_map``, ``val_map50``, ``val_map75``,
    ``val_recall`` (floats, logged by the trainer) plus per-class AP, the PR curve, the
    inference images/s and a prediction grid (kept for :func:`write_evaluation`)."""
    from oculi.detect.evaluate import coco_evaluate, prediction_grid

    gts, preds, ips = predict_dataset(model, dataset, batch_size=batch_size)
    r = coco_evaluate(gts, preds, dataset.classes)
    n = min(grid_images, len(dataset))
    score = float(getattr(model, "default_score", 0.5))
    grid = prediction_grid([dataset.load(i)[0] for i in range(n)], gts[:n], preds[:n],
                           dataset.classes, score=score) if n else None
    return {"val_map": r["map"], "val_map50": r["map50"], "val_map75": r["map75"],
            "val_recall": r["recall"], "images_per_s": ips, "grid": grid, **r}


def write_evaluation(evaluation: dict[str, Any], out: str | os.PathLike[str]) -> None:
    """``evaluation.json``, ``pr_curve.png`` and ``predictions.png`` into ``out``."""
    from oculi.core.atomic import write_json_atomic
    from oculi.detect.evaluate import plot_pr_curve
    from oculi.io import write_image

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "evaluation.json",
                      {k: v for k, v in evaluation.items() if k != "grid"})
    plot_pr_curve(evaluation, out / "pr_curve.png")
    if evaluation.get("grid") is not None:
        write_image(out / "predictions.png", evaluation["grid"])


def load_detector(run: str | os.PathLike[str]):
    """Rebuild a trained :class:`~oculi.detect.Detector` from a run folder or checkpoint."""
    from oculi.detect.models import rebuild
    from oculi.train import load_run_model

    return load_run_model(run, "oculi_detect", "detection", rebuild)


def train_detector(data: str | os.PathLike[str] | None, cfg: DetectionConfig | None = None,
                   out: str | os.PathLike[str] = "runs/detect", *,
                   val: str | os.PathLike[str] | None = None,
                   splits: DetectionSplits | None = None, resume: bool = False,
                   progress: bool | None = None, save_all_ranks: bool = False):
    """Train a detector with :func:`oculi.train.fit`.

    Args:
        data: annotations (``.csv``, COCO ``.json``, VOC folder) or a folder with train/val
            (or test) files; see :func:`~oculi.detect.load_splits`.
        cfg: :class:`DetectionConfig` (``model`` = architecture).
        out: run folder.
        val: validation annotations (default: from ``data``, else a ``val_split`` hold-out).
        splits: ready-made datasets instead of ``data``.

    Returns:
        The trainer's :class:`~oculi.train.FitResult` (monitor ``val_map50``).
    """
    from oculi.train import fit

    cfg = cfg or DetectionConfig()
    task = DetectionTask(data, val=val or cfg.val_data, splits=splits)
    return fit(task, cfg, out, resume=resume, progress=progress, save_all_ranks=save_all_ranks)


def evaluate_detector(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                      batch_size: int = 4, max_size: int | None = None) -> dict[str, Any]:
    """COCO evaluation of a trained run on annotations ``data`` (classes of the run; boxes of
    other classes are dropped and reported in ``issues``).

    Args:
        run: run folder (its best checkpoint) or ``.safetensors`` file.
        data: annotations (``.csv``, COCO ``.json``, VOC folder).
        batch_size: images per forward pass.
        max_size: decode images with this longer side at most (None: full size).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: metrics ``val_map``, ``val_map50``,
        ``val_map75``, ``val_recall``; details the pycocotools table (``map``, ``per_class``,
        the PR curve), ``images_per_s``, ``grid`` (predictions picture), ``issues``.
    """
    from oculi.detect.data import read_detection

    model = load_detector(run)
    ds = read_detection(data, classes=model.class_names)
    ds.max_size = max_size
    r = evaluate_dataset(model, ds, batch_size=batch_size)
    r["issues"] = ds.issues
    return EvaluationReport.from_flat("detect", r)


def print_report(report: Any, echo: Any) -> None:
    """Counts, speed, per-class AP lines and data issues of :func:`evaluate_detector`."""
    echo(f"{report['images']} images, {report['boxes']} boxes  "
         f"{report['images_per_s']:.2f} images/s")
    for name, c in report["per_class"].items():
        echo(f"  {name:<16} AP {c['ap']:.4f}  AP50 {c['ap50']:.4f}  "
             f"recall50 {c['recall50']:.4f}  ({c['gt']} boxes)")
    for msg in report["issues"]:
        echo(f"note: {msg}")
