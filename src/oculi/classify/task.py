"""Image classification as a training task: an ImageFolder, a zoo model, CutMix/MixUp with label
smoothing, and top-1/top-5 evaluation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.classify.config import ClassifyConfig
from oculi.classify.data import (
    ClassificationData,
    EvalTransform,
    FolderIndex,
    ImageFolderDataset,
    TrainTransform,
    collate_readable,
    load_image_folder,
)
from oculi.classify.evaluate import classification_metrics, predict_loader, write_evaluation
from oculi.train import HookBase, ShardedSampler, Step, Task, TaskData
from oculi.train.distributed import DistInfo
from oculi.train.optim import build_optimizer


def soft_cross_entropy(logits: torch.Tensor, soft_targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy against (N, K) soft targets (rows sum to 1)."""
    return torch.sum(-soft_targets * torch.log_softmax(logits.float(), dim=1), dim=1).mean()


class ClassificationTask(Task):
    """Classification on ``data/train`` and ``data/val`` ImageFolder trees."""

    name = "classify"
    checkpoint_key = "oculi"

    def __init__(self, data: str | os.PathLike[str]) -> None:
        self.root = Path(data)
        self.data: ClassificationData | None = None
        self.mixer = None
        self.label_smoothing = 0.0

    # -- model and data --------------------------------------------------------------------
    def _scan(self, cfg: ClassifyConfig) -> ClassificationData:
        if self.data is None:
            self.data = load_image_folder(self.root, val_split=cfg.val_split, seed=cfg.seed)
        return self.data

    def build_model(self, cfg: ClassifyConfig) -> nn.Module:
        from oculi.models import create_model

        data = self._scan(cfg)
        model = create_model(cfg.model, pretrained=cfg.pretrained and cfg.weights is None,
                             weights=cfg.weights, num_classes=len(data.classes), head=cfg.head,
                             drop_rate=cfg.drop_rate, drop_path_rate=cfg.drop_path_rate,
                             allow_download=False)
        model.class_names = list(data.classes)
        if cfg.eval_size:
            model.spec = model.spec.with_size(cfg.eval_size)
        return model

    def build_data(self, cfg: ClassifyConfig, model: nn.Module, info: DistInfo) -> TaskData:
        data = self._scan(cfg)
        spec = model.spec
        size = cfg.image_size or spec.size[0]
        train_tf = TrainTransform(size, (cfg.scale_min, 1.0), spec.interpolation,
                                  seed=cfg.seed + 7919 * info.rank,
                                  randaugment_ops=cfg.randaugment_ops,
                                  randaugment_magnitude=cfg.randaugment_magnitude)
        self.train_transform = train_tf
        train_index = self.train_index(data)
        train = ImageFolderDataset(train_index, train_tf, decode_short_side=round(size * 1.15),
                                   cache=cfg.cache_images)
        val = ImageFolderDataset(data.val, EvalTransform(spec),
                                 decode_short_side=spec.resize_short_side,
                                 cache=cfg.cache_images and info.main, substitute=False)
        if cfg.mix_prob > 0:
            from oculi.augment import Mixer

            self.mixer = Mixer(mixup_alpha=cfg.mixup_alpha, cutmix_alpha=cfg.cutmix_alpha,
                               prob=cfg.mix_prob, switch_prob=cfg.switch_prob,
                               label_smoothing=cfg.label_smoothing,
                               num_classes=len(data.classes), seed=cfg.seed + 7919 * info.rank)
        self.label_smoothing = cfg.label_smoothing
        summary = data.summary()
        summary["decode_failures"] = dict(train.failed) | dict(val.failed)
        sampler = ShardedSampler(self.train_labels(train_index), seed=cfg.seed, rank=info.rank,
                                 world=info.world, balanced=cfg.balanced)
        return TaskData(train, val, summary, sampler=sampler, collate_fn=collate_readable)

    def train_index(self, data: ClassificationData) -> FolderIndex:
        """The training samples (a subclass adds pseudo-labelled images)."""
        return data.train

    def train_labels(self, index: FolderIndex) -> list[int]:
        """Each training sample's class (for class-balanced sampling)."""
        return index.targets

    def targets_of(self, labels: torch.Tensor) -> torch.Tensor:
        """A batch's training targets from the labels its dataset returned: (N,) class indices
        here; a subclass may return (N, K) soft targets."""
        return labels

    # -- steps -------------------------------------------------------------------------------
    def head_parameters(self, model: nn.Module) -> list[nn.Parameter]:
        """The classifier's parameters (the part a fine-tune creates from scratch)."""
        head = model.head if model.head is not None else model.body.get_classifier()
        return list(head.parameters())

    def build_optimizers(self, cfg: ClassifyConfig,
                         model: nn.Module) -> dict[str, torch.optim.Optimizer]:
        """One optimizer; the new head learns ``head_lr_scale`` times faster, and the body holds
        still for ``freeze_backbone_epochs``."""
        opt = build_optimizer(model, cfg.optimizer, cfg.lr, cfg.weight_decay,
                              momentum=cfg.momentum, decay_norm_bias=cfg.decay_norm_bias,
                              head_params=self.head_parameters(model),
                              head_lr_scale=cfg.head_lr_scale)
        head = {id(p) for p in self.head_parameters(model)}
        for g in opt.param_groups:
            if g["params"] and id(g["params"][0]) not in head:
                g["hold_epochs"] = cfg.freeze_backbone_epochs
        return {"main": opt}

    def hooks(self, cfg: ClassifyConfig) -> list[HookBase]:
        return [_Freezing(cfg.freeze_backbone_epochs, cfg.freeze_bn, self)]

    def train_step(self, step: Step, batch: Any) -> tuple[torch.Tensor, dict[str, float], int]:
        images, labels = step.to_device(batch)
        targets = self.targets_of(labels)
        model = step.model
        if self.mixer is not None:
            mixed, soft = self.mixer(images, targets)
            logits = model(mixed)
            loss = soft_cross_entropy(logits, soft)
        else:
            logits = model(images)
            loss = nn.functional.cross_entropy(logits.float(), targets,
                                               label_smoothing=self.label_smoothing)
        hard = targets.argmax(1) if targets.ndim == 2 else targets
        correct = float((logits.detach().argmax(1) == hard).sum())
        return loss, {"train_top1": correct}, int(labels.numel())

    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        logits, targets = predict_loader(model, loader, device)
        return classification_metrics(logits, targets, self.data.classes if self.data else None)

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        write_evaluation(evaluation, run_dir)

    def state_dict(self) -> dict[str, Any]:
        from oculi.augment import random_state

        state: dict[str, Any] = {"augment_rng": random_state(self.train_transform.compose)}
        gen = getattr(self.mixer, "generator", None)
        if gen is not None:
            state["mixer_rng"] = gen.get_state()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        from oculi.augment import set_random_state

        if "augment_rng" in state:
            set_random_state(self.train_transform.compose, state["augment_rng"])
        gen = getattr(self.mixer, "generator", None)
        if gen is not None and "mixer_rng" in state:
            gen.set_state(state["mixer_rng"])


class _Freezing(HookBase):
    """Per epoch: the body's ``requires_grad`` off while only the head learns (DDP keeps the
    graph fixed and relies on the zero learning rate instead); BatchNorm in eval mode with
    ``freeze_bn``."""

    def __init__(self, backbone_epochs: int, freeze_bn: bool, task: ClassificationTask) -> None:
        self.backbone_epochs, self.freeze_bn, self.task = backbone_epochs, freeze_bn, task

    def before_epoch(self) -> None:
        t = self.trainer
        if self.backbone_epochs and not t.info.distributed:
            frozen = t.epoch < self.backbone_epochs
            head = {id(p) for p in self.task.head_parameters(t.model)}
            for p in t.model.parameters():
                if id(p) not in head:
                    p.requires_grad_(not frozen)
        if self.freeze_bn:
            for m in t.model.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
