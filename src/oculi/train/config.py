"""Training configuration: one dataclass whose fields are the keys of ``run.yaml``.

>>> cfg = TrainConfig(model="resnet18", epochs=3)
>>> TrainConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import DataError, ParameterError


@dataclass
class TrainConfig:
    """Every knob of a training run (classification fields; other tasks add their own keys in
    ``task_options``). Defaults are the "tricks" recipe for fine-tuning a pretrained CNN.

    Attributes:
        model: zoo name (:func:`oculi.models.create_model`).
        pretrained: start from ImageNet weights (offline sources only unless ``allow_download``).
        weights: optional weights file to start from.
        head: ``"linear"`` or ``"conv"``.
        image_size: training crop size in pixels (None: the model's input spec).
        scale_min: smallest area fraction of the random-resized crop.
        drop_rate: dropout before the classifier.
        eval_size: evaluation size (None: the model's input spec).
        epochs, batch_size: schedule length and per-process batch.
        optimizer: ``"adamw"`` or ``"sgd"`` (Nesterov momentum ``momentum``).
        head_lr_scale: learning-rate multiplier of the new classifier head (fine-tuning).
        lr, weight_decay: learning rate (for ``batch_size``) and decoupled weight decay;
            norms and biases are excluded from decay unless ``decay_norm_bias``.
        schedule: ``"cosine"`` (with linear ``warmup_epochs``) or ``"constant"``.
        min_lr_ratio: final cosine LR as a fraction of ``lr``.
        label_smoothing: ``s`` in [0, 1).
        mixup_alpha, cutmix_alpha, mix_prob, switch_prob: batch-level MixUp/CutMix
            (:class:`oculi.augment.Mixer`); ``mix_prob`` 0 disables both.
        ema_decay: model EMA decay (0 disables); evaluation uses the EMA weights when enabled.
        clip_grad_norm: gradient clipping (0 disables).
        amp: mixed precision on CUDA (ignored on CPU).
        balanced: class-balanced sampling (inverse class frequency).
        freeze_bn: keep BatchNorm layers in eval mode (pretrained running statistics; their
            affine parameters still train) — for small data sets and small batches.
        freeze_backbone_epochs: train only the head for the first N epochs, then everything
            ("LP-FT": linear probing, then fine-tuning, so a random head does not distort the
            pretrained features).
        early_stop_patience: epochs without improvement of ``monitor`` before stopping (0: off).
        monitor: validation metric that selects the best checkpoint: any ``val_*`` key the task's
            evaluation returns (classification ``val_top1``/``val_loss``; segmentation also
            ``val_miou``, ``val_mdice``, ``val_fg_dice``, ``val_pixel_error``, ...). Names with
            ``loss`` or ``error`` in them are minimised, all others maximised
            (:func:`monitor_higher_is_better`).
        seed, deterministic: seeding and deterministic algorithms.
        workers: data-loading worker processes.
        cache_images: decode each image once and keep it in memory (small data sets).
        val_split: when the data has no ``val/`` folder, hold out this fraction of ``train/``.
        device: "auto", "cpu" or "cuda".
        threads: torch intra-op threads (0: leave torch's default).
    """

    model: str = "efficientnet_lite0"
    pretrained: bool = True
    weights: str | None = None
    head: str = "linear"
    image_size: int | None = None
    eval_size: int | None = None
    epochs: int = 10
    batch_size: int = 32
    optimizer: str = "adamw"
    lr: float = 3e-4
    head_lr_scale: float = 10.0
    momentum: float = 0.9
    weight_decay: float = 0.05
    decay_norm_bias: bool = False
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    min_lr_ratio: float = 0.01
    label_smoothing: float = 0.1
    mixup_alpha: float = 0.2
    cutmix_alpha: float = 1.0
    mix_prob: float = 0.5
    switch_prob: float = 0.5
    ema_decay: float = 0.0
    clip_grad_norm: float = 1.0
    amp: bool = True
    balanced: bool = False
    freeze_bn: bool = False
    freeze_backbone_epochs: int = 0
    early_stop_patience: int = 0
    monitor: str = "val_top1"
    seed: int = 0
    deterministic: bool = False
    workers: int = 0
    cache_images: bool = True
    val_split: float = 0.0
    scale_min: float = 0.25
    drop_rate: float = 0.0
    device: str = "auto"
    threads: int = 0
    task_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ParameterError` for a value out of range."""
        check_choice(self.optimizer, ("adamw", "sgd"), "optimizer")
        check_choice(self.schedule, ("cosine", "constant"), "schedule")
        check_choice(self.head, ("linear", "conv"), "head")
        if not (isinstance(self.monitor, str) and self.monitor.startswith("val_")):
            raise ParameterError(
                f"monitor: expected a validation metric name 'val_...', got {self.monitor!r}"
            )
        check_choice(self.device, ("auto", "cpu", "cuda"), "device")
        for name in ("epochs", "batch_size", "lr", "head_lr_scale"):
            check_positive(getattr(self, name), name)
        for name in (
            "weight_decay",
            "warmup_epochs",
            "mixup_alpha",
            "cutmix_alpha",
            "clip_grad_norm",
            "workers",
            "early_stop_patience",
            "freeze_backbone_epochs",
            "threads",
            "drop_rate",
        ):
            check_positive(getattr(self, name), name, allow_zero=True)
        for name in ("label_smoothing", "ema_decay", "val_split"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ParameterError(f"{name}: expected a value in [0, 1), got {v!r}")
        for name in ("mix_prob", "switch_prob", "min_lr_ratio"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ParameterError(f"{name}: expected a value in [0, 1], got {v!r}")
        if not 0.0 < self.scale_min <= 1.0:
            raise ParameterError(f"scale_min: expected (0, 1], got {self.scale_min}")
        if self.mix_prob > 0 and self.mixup_alpha == 0 and self.cutmix_alpha == 0:
            raise ParameterError("mix_prob > 0 but mixup_alpha and cutmix_alpha are both 0")

    @classmethod
    def plain(cls, **overrides: Any) -> TrainConfig:
        """The baseline recipe: no EMA, no mixing, no label smoothing, constant LR, no clipping."""
        base = dict(
            schedule="constant",
            warmup_epochs=0.0,
            label_smoothing=0.0,
            mix_prob=0.0,
            ema_decay=0.0,
            clip_grad_norm=0.0,
            decay_norm_bias=True,
        )
        base.update(overrides)
        return cls(**base)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a mapping; unknown keys are an error that lists the valid ones."""
        check_known_keys(data, {f.name for f in fields(cls)}, "config")
        return cls(**data)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str], **overrides: Any) -> TrainConfig:
        """Read ``run.yaml`` (keys = field names), then apply ``overrides`` (non-None values)."""
        import yaml

        p = Path(path)
        if not p.is_file():
            raise DataError(f"config: file not found: {p}")
        data = yaml.safe_load(p.read_text()) or {}
        if not isinstance(data, dict):
            raise DataError(f"config: {p} must hold a mapping of field: value")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


def check_known_keys(data: dict[str, Any], known: set[str], what: str) -> None:
    """Raise :class:`ParameterError` naming ``what`` when ``data`` has keys outside ``known``."""
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ParameterError(f"{what}: unknown key(s) {unknown}; valid keys: {sorted(known)}")


def monitor_higher_is_better(name: str) -> bool:
    """True when a larger value of the validation metric ``name`` is better.

    Losses and errors (``val_loss``, ``val_pixel_error``, ``val_hd95``...) are minimised;
    accuracies, IoU, Dice and mAP are maximised.

    >>> monitor_higher_is_better("val_miou"), monitor_higher_is_better("val_pixel_error")
    (True, False)
    """
    low = name.lower()
    return not any(word in low for word in ("loss", "error", "hd95", "hausdorff"))
