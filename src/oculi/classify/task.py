"""Image classification as a training task: an ImageFolder, a zoo model, CutMix/MixUp with label
smoothing, and top-1/top-5 evaluation.

    >>> from oculi.train import TrainConfig, train_classifier
    >>> cfg = TrainConfig(model="efficientnet_lite0")
    >>> result = train_classifier("data", cfg, "runs/a")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.train.config import TrainConfig
from oculi.train.data import (
    ClassificationData,
    EvalTransform,
    ImageFolderDataset,
    TrainTransform,
    load_image_folder,
)
from oculi.train.distributed import DistInfo
from oculi.train.engine import FitResult, TaskData, fit
from oculi.train.evaluate import classification_metrics, predict_loader, write_evaluation


def soft_cross_entropy(logits: torch.Tensor, soft_targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy against (N, K) soft targets (rows sum to 1)."""
    return torch.sum(-soft_targets * torch.log_softmax(logits.float(), dim=1), dim=1).mean()


class ClassificationTask:
    """Classification on ``data/train`` and ``data/val`` ImageFolder trees."""

    name = "classify"

    def __init__(self, data: str | os.PathLike[str]) -> None:
        self.root = Path(data)
        self.data: ClassificationData | None = None
        self.mixer = None
        self.label_smoothing = 0.0

    # -- model and data --------------------------------------------------------------------
    def _scan(self, cfg: TrainConfig) -> ClassificationData:
        if self.data is None:
            self.data = load_image_folder(self.root, val_split=cfg.val_split, seed=cfg.seed)
        return self.data

    def build_model(self, cfg: TrainConfig) -> nn.Module:
        from oculi.models import create_model

        data = self._scan(cfg)
        model = create_model(cfg.model, pretrained=cfg.pretrained and cfg.weights is None,
                             weights=cfg.weights, num_classes=len(data.classes), head=cfg.head,
                             drop_rate=cfg.drop_rate, allow_download=False)
        model.class_names = list(data.classes)
        if cfg.eval_size:
            model.spec = model.spec.with_size(cfg.eval_size)
        return model

    def build_data(self, cfg: TrainConfig, model: nn.Module, info: DistInfo) -> TaskData:
        data = self._scan(cfg)
        spec = model.spec
        size = cfg.image_size or spec.size[0]
        train_tf = TrainTransform(size, (cfg.scale_min, 1.0), spec.interpolation)
        train = ImageFolderDataset(data.train, train_tf, decode_short_side=round(size * 1.15),
                                   cache=cfg.cache_images)
        val = ImageFolderDataset(data.val, EvalTransform(spec),
                                 decode_short_side=spec.resize_short_side,
                                 cache=cfg.cache_images and info.main)
        if cfg.mix_prob > 0:
            from oculi.augment import Mixer

            self.mixer = Mixer(mixup_alpha=cfg.mixup_alpha, cutmix_alpha=cfg.cutmix_alpha,
                               prob=cfg.mix_prob, switch_prob=cfg.switch_prob,
                               label_smoothing=cfg.label_smoothing,
                               num_classes=len(data.classes), seed=cfg.seed + 7919 * info.rank)
        self.label_smoothing = cfg.label_smoothing
        summary = data.summary()
        summary["decode_failures"] = dict(train.failed) | dict(val.failed)
        return TaskData(train, val, data.train.targets, summary)

    # -- steps -------------------------------------------------------------------------------
    def head_parameters(self, model: nn.Module) -> list[nn.Parameter]:
        """The classifier's parameters (the part a fine-tune creates from scratch)."""
        head = model.head if model.head is not None else model.body.get_classifier()
        return list(head.parameters())

    def train_step(self, model: nn.Module, batch: Any,
                   device: torch.device) -> tuple[torch.Tensor, dict[str, float], int]:
        images, targets = batch
        images = images.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        if self.mixer is not None:
            mixed, soft = self.mixer(images, targets)
            logits = model(mixed)
            loss = soft_cross_entropy(logits, soft)
        else:
            logits = model(images)
            loss = nn.functional.cross_entropy(logits.float(), targets,
                                               label_smoothing=self.label_smoothing)
        correct = float((logits.detach().argmax(1) == targets).sum())
        return loss, {"train_top1": correct}, int(targets.numel())

    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        logits, targets = predict_loader(model, loader, device)
        return classification_metrics(logits, targets, self.data.classes if self.data else None)

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        write_evaluation(evaluation, run_dir)

    def checkpoint_metadata(self, model: nn.Module) -> dict[str, str]:
        return {"oculi": json.dumps(model.config()), "task": self.name}

    def state(self) -> dict[str, Any]:
        gen = getattr(self.mixer, "generator", None)
        return {"mixer_rng": gen.get_state()} if gen is not None else {}

    def load_state(self, state: dict[str, Any]) -> None:
        gen = getattr(self.mixer, "generator", None)
        if gen is not None and "mixer_rng" in state:
            gen.set_state(state["mixer_rng"])


def train_classifier(
    data: str | os.PathLike[str],
    cfg: TrainConfig,
    out: str | os.PathLike[str],
    *,
    resume: bool = False,
    progress: bool | None = None,
    save_all_ranks: bool = False,
) -> FitResult:
    """Fine-tune (or train) a zoo model on ``data/train`` and validate on ``data/val``.

    Args:
        data: ImageFolder root with ``train/<class>/*`` and ``val/<class>/*``.
        cfg: the :class:`TrainConfig` (model, recipe, seed, ...).
        out: the run folder (see :mod:`oculi.train.engine`).
        resume: continue an interrupted run in ``out``.

    Returns:
        :class:`FitResult` (best epoch and metric, history, best checkpoint path).

    Raises:
        DataError: missing folders, one class, an empty class, no validation images.
    """
    return fit(ClassificationTask(data), cfg, out, resume=resume, progress=progress,
               save_all_ranks=save_all_ranks)
