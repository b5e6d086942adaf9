"""2-D segmentation as a task of oculi's trainer (:func:`oculi.train.fit`): the same run folder,
progress, checkpoints, resume and DDP as every task. Its settings are
:class:`~oculi.segment.SegmentationConfig`. Checkpoints carry the model's config in their
metadata (key ``oculi_segment``), so :func:`load_segmenter` rebuilds the model from the run alone.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from oculi.core.errors import DataError
from oculi.core.split import split_indices
from oculi.segment.config import SegmentationConfig
from oculi.segment.data import SegmentationFolder, find_pairs, train_augmentation
from oculi.segment.models import Segmenter, create_segmenter, rebuild
from oculi.train import Step, Task, TaskData


class _Repeat(Dataset):
    def __init__(self, base: Dataset, times: int) -> None:
        self.base, self.times = base, max(1, int(times))

    def __len__(self) -> int:
        return len(self.base) * self.times

    def __getitem__(self, i: int):
        return self.base[i % len(self.base)]


def resolve_split(root: str | os.PathLike[str], val_split: float, seed: int):
    """``(train pairs, val pairs)``: ``root/train`` + ``root/val`` when present, else a held-out
    ``val_split`` fraction (default 0.2) of ``root``'s pairs."""
    root = Path(root)
    if (root / "train").is_dir() and (root / "val").is_dir():
        return find_pairs(root / "train"), find_pairs(root / "val")
    pairs = find_pairs(root)
    tr, va = split_indices(len(pairs), val_split or 0.2, seed=seed)
    return [pairs[i] for i in tr], [pairs[i] for i in va]


def median_frequency_weights(counts: np.ndarray) -> list[float]:
    """Median-frequency balancing (Eigen & Fergus; SegNet's CamVid weights): median(f) / f_c."""
    f = counts / max(counts.sum(), 1)
    med = np.median(f[f > 0]) if (f > 0).any() else 1.0
    return [float(med / v) if v > 0 else 0.0 for v in f]


class SegmentationTask(Task):
    """2-D segmentation of an image + mask folder (see :func:`resolve_split`)."""

    name = "segment"
    checkpoint_key = "oculi_segment"

    def __init__(
        self,
        data: str | os.PathLike[str] | None = None,
        *,
        train_set: SegmentationFolder | None = None,
        val_set: SegmentationFolder | None = None,
    ) -> None:
        self.root = Path(data) if data is not None else None
        self.train_set, self.val_set = train_set, val_set
        self.num_classes: int | None = None
        self.loss_fn: nn.Module | None = None
        self.cfg = SegmentationConfig()

    def _load(self, cfg: SegmentationConfig) -> None:
        self.cfg = cfg
        self.num_classes = cfg.num_classes
        if self.train_set is None:
            if self.root is None:
                raise DataError("segment: no data given")
            tr, va = resolve_split(self.root, cfg.val_split, cfg.seed)
            kw = dict(
                mask_kind=cfg.mask_kind,
                num_classes=cfg.num_classes,
                ignore_index=cfg.ignore_index,
                invert=cfg.invert,
                class_names=cfg.class_names,
            )
            self.train_set = SegmentationFolder(tr, **kw)
            self.val_set = SegmentationFolder(va, **kw)
        if self.num_classes is None:
            self.num_classes = max(self.train_set.num_classes, self.val_set.num_classes)

    def build_model(self, cfg: SegmentationConfig) -> nn.Module:
        self._load(cfg)
        model = create_segmenter(
            cfg.model,
            num_classes=int(self.num_classes),
            encoder=cfg.backbone,
            pretrained=cfg.pretrained and cfg.weights is None,
            class_names=cfg.class_names,
            **cfg.arch_options,
        )
        if cfg.weights:
            from oculi.models.weights import load_weights

            load_weights(model, cfg.weights)
        return model

    def build_data(self, cfg: SegmentationConfig, model: nn.Module, info: Any) -> TaskData:
        from oculi.train.losses import create_loss

        o = cfg
        crop = cfg.image_size
        stride = max(getattr(model, "stride", (32, 32)))
        crop = int(np.ceil(crop / stride) * stride)
        self.train_set.transform = train_augmentation(
            crop,
            scale=tuple(o.crop_scale) if o.crop_scale else (cfg.scale_min, 1.0),
            flips=o.flips,
            color=o.color,
            ignore_index=o.ignore_index,
            seed=cfg.seed + 7919 * (info.rank if info is not None else 0),
        )
        weights = o.class_weights
        if weights == "balanced":
            weights = median_frequency_weights(self.train_set.class_pixels())
        kw: dict[str, Any] = {"ignore_index": o.ignore_index}
        if weights is not None:
            kw["class_weights"] = weights if self.num_classes != 2 else None
        self.loss_fn = create_loss(o.loss, **kw)
        self.class_weights = weights
        train = _Repeat(self.train_set, o.repeat)
        summary = {
            "task": self.name,
            "train_images": len(self.train_set),
            "val_images": len(self.val_set),
            "num_classes": self.num_classes,
            "class_names": o.class_names,
            "crop": crop,
            "loss": o.loss,
            "class_weights": weights,
            "options": asdict(o),
            "skipped": [{"path": p, "reason": r} for p, r in
                        getattr(self.train_set, "skipped", []) + getattr(self.val_set, "skipped",
                                                                          [])],
            "train_names": [s.name for s in self.train_set.samples],
            "val_names": [s.name for s in self.val_set.samples],
        }
        return TaskData(train, self.val_set, summary)

    def state_dict(self) -> dict[str, Any]:
        from oculi.augment import random_state

        return {"augment_rng": random_state(self.train_set.transform)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        from oculi.augment import set_random_state

        if "augment_rng" in state:
            set_random_state(self.train_set.transform, state["augment_rng"])

    def train_step(self, step: Step, batch: Any):
        images, targets = step.to_device(batch)
        logits = step.model(images)
        if isinstance(logits, dict):  # PointRend: the point loss beside the coarse loss
            from oculi.segment.pointrend import point_loss

            coarse = self.loss_fn(logits["out"].float(), targets)
            points = point_loss(logits["point_logits"], logits["point_coords"], targets,
                                self.cfg.ignore_index)
            n = int(images.shape[0])
            stats = {"coarse_loss": float(coarse.detach()) * n,
                     "point_loss": float(points.detach()) * n}
            return coarse + points, stats, n
        loss = self.loss_fn(logits.float(), targets)
        return loss, {}, int(images.shape[0])

    def evaluate(
        self, model: nn.Module, loader: DataLoader, device: torch.device
    ) -> dict[str, Any]:
        return evaluate_dataset(
            model,
            loader.dataset,
            loss_fn=self.loss_fn,
            ignore_index=self.cfg.ignore_index,
            boundary_tolerance=self.cfg.boundary_tolerance,
        )

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        from oculi.core.atomic import write_json_atomic

        write_json_atomic(
            run_dir / "evaluation.json", {k: v for k, v in evaluation.items() if k != "examples"}
        )


@torch.no_grad()
def evaluate_dataset(
    model: nn.Module,
    dataset: Dataset,
    *,
    loss_fn: nn.Module | None = None,
    ignore_index: int | None = None,
    boundary_tolerance: float = 2.0,
    tile: int | None = 1024,
    tta: str = "none",
    instances: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Whole-image evaluation of a dataset of ``(image, target)`` items, streaming.

    ``tta`` averages the logits over test-time augmentation views
    (:func:`oculi.segment.infer.predict_logits`: none, hflip, flips, d4). ``instances`` (options
    of :func:`~oculi.segment.instances_from_probability`, ``{}`` for the defaults; the dataset
    read with ``mask_kind="instance"``) also splits each prediction into objects and adds the
    :func:`~oculi.segment.evaluate_instances` metrics under ``"instances"``, from the same logits.

    Returns ``val_miou``, ``val_mdice``, ``val_pixel_accuracy``, ``val_bf1`` (boundary hits
    pooled over the images), ``val_bf1_image`` (boundary F1 per image, then the mean), ``val_loss``
    (floats) and the per-class ``iou``/``dice`` lists (binary tasks also ``val_fg_dice``, the
    foreground-class Dice, and ``val_pixel_error``).
    """
    from oculi.segment.infer import predict_logits, probabilities
    from oculi.segment.instances import instances_from_probability
    from oculi.train.metrics import BoundaryF1, ConfusionMatrix, InstanceMetrics

    model.eval()
    device = next(model.parameters()).device
    k = int(getattr(model, "num_classes", 2))
    cm = ConfusionMatrix(k, ignore_index=ignore_index)
    bf = BoundaryF1(
        k, tolerance=boundary_tolerance, ignore_index=ignore_index, classes=[1] if k == 2 else None
    )
    im = InstanceMetrics() if instances is not None else None
    loss_sum, n = 0.0, 0
    for i in range(len(dataset)):
        x, t = dataset[i]
        x, t = x[None].to(device), t[None].to(device)
        h, w = x.shape[-2:]
        win = [h, w] if tile is None or max(h, w) <= tile else [tile, tile]
        logits = predict_logits(model, x, win, overlap=0.25, tta=tta)
        if loss_fn is not None:
            loss_sum += float(loss_fn(logits, t))
        cm.update(logits, t)
        bf.update(logits, t)
        if im is not None:
            fg = 1.0 - probabilities(logits)[0, 0].cpu().numpy()
            pred = instances_from_probability(np.clip(fg, 0.0, 1.0), **instances)
            im.update(np.asarray(dataset.instances(i)).astype(np.int64), pred)
        n += 1
    r = cm.compute()
    b = bf.compute()
    out = {
        "val_miou": r["miou"],
        "val_mdice": r["mdice"],
        "val_pixel_accuracy": r["pixel_accuracy"],
        "val_bf1": b["bf1"],
        "val_bf1_image": b["bf1_image"],
        "iou": r["iou"],
        "dice": r["dice"],
        "boundary": b,
        "images": n,
    }
    if loss_fn is not None:
        out["val_loss"] = loss_sum / max(n, 1)
    if im is not None:
        out["instances"] = im.compute()
    if k == 2:
        out["val_fg_dice"] = r["dice"][1] if r["dice"][1] is not None else 0.0
        out["val_fg_iou"] = r["iou"][1] if r["iou"][1] is not None else 0.0
        out["val_pixel_error"] = 1.0 - r["pixel_accuracy"]
    return out


def find_checkpoint(run: str | os.PathLike[str]) -> Path:
    """``best.safetensors`` (else ``last``) of a segmentation run folder, or the file itself."""
    from oculi.train import resolve_checkpoint

    return resolve_checkpoint(run, "segmentation")


def load_segmenter(run: str | os.PathLike[str]) -> Segmenter:
    """Rebuild a trained :class:`Segmenter` from a run folder (or its ``.safetensors`` file)."""
    from oculi.train import load_run_model

    return load_run_model(run, "oculi_segment", "segmentation", rebuild)


def train_segmenter(
    data: str | os.PathLike[str] | None,
    cfg: SegmentationConfig | None = None,
    out: str | os.PathLike[str] = "runs/segment",
    *,
    resume: bool = False,
    progress: bool | None = None,
    train_set: SegmentationFolder | None = None,
    val_set: SegmentationFolder | None = None,
):
    """Train a 2-D segmentation model with :func:`oculi.train.fit`.

    Args:
        data: folder with ``train/`` and ``val/`` (each ``image/`` + ``label/``), or one such pair
            folder split by ``cfg.val_split``; or None with ``train_set``/``val_set``.
        cfg: :class:`~oculi.segment.SegmentationConfig` (None: its defaults).
        out: run folder.

    Returns:
        The trainer's :class:`~oculi.train.FitResult`.
    """
    from oculi.train import fit

    task = SegmentationTask(data, train_set=train_set, val_set=val_set)
    return fit(task, cfg or SegmentationConfig(), out, resume=resume, progress=progress)


def evaluate_segmenter(
    run: str | os.PathLike[str],
    data: str | os.PathLike[str],
    *,
    mask_kind: str = "index",
    ignore_index: int | None = None,
    invert: bool = False,
    tta: str = "none",
):
    """mIoU, Dice per class, pixel accuracy and boundary F1 of a trained 2-D run on an
    ``image/`` + ``label/`` folder; with ``mask_kind="instance"`` also the instance metrics of
    the watershed-split foreground (F1 and PQ at IoU 0.5, the DSB 2018 score).

    Args:
        run: run folder (its best checkpoint) or ``.safetensors`` file.
        data: folder with ``image/`` and ``label/``.
        mask_kind: index, binary or instance.
        ignore_index: mask value left out of the metrics.
        invert: binary masks: the dark pixels are the foreground.
        tta: test-time augmentation: none, hflip, flips or d4.

    Returns:
        An :class:`~oculi.core.results.EvaluationReport` (metrics ``val_miou``, ``val_mdice``,
        ``val_pixel_accuracy``, ``val_bf1``; details ``iou``, ``dice``, ``class_names``,
        ``images``, ``instances``).
    """
    from oculi.core.results import EvaluationReport

    net = load_segmenter(run)
    if net.dims != 2:
        raise DataError(f"{run}: a 3-D model; evaluate it with oculi eval segment3d")
    ds = SegmentationFolder(data, mask_kind=mask_kind, num_classes=net.num_classes,
                            ignore_index=ignore_index, invert=invert)
    r = evaluate_dataset(net, ds, ignore_index=ignore_index, tta=tta,
                         instances={} if mask_kind == "instance" else None)
    r["class_names"] = net.class_names or [str(i) for i in range(net.num_classes)]
    return EvaluationReport.from_flat("segment", r)


def print_report(report: Any, echo: Any) -> None:
    """Per-class IoU and Dice lines (and the instance line) of :func:`evaluate_segmenter`."""

    def f(v: float | None) -> str:
        return "  n/a" if v is None else f"{v:.3f}"

    echo(f"{report['images']} images")
    for n, i, d in zip(report["class_names"], report["iou"], report["dice"], strict=False):
        echo(f"  {n:<14} IoU {f(i)}  Dice {f(d)}")
    if "instances" in report.details:
        ins = report["instances"]
        echo(f"instances: {ins['pred_objects']} found / {ins['true_objects']} true  "
             f"F1@0.5 {ins['f1']:.4f}  DSB {ins['dsb']:.4f}  PQ {ins['pq']:.4f}")
