"""Object detection's training configuration (the one place its defaults live)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oculi.core.checks import check_choice
from oculi.core.constants import DEFAULT_BACKBONE
from oculi.train.config import TrainConfig, check_fraction

#: the metrics a detection run can select checkpoints by
MONITORS = ("val_map50", "val_map", "val_loss")


@dataclass
class DetectionConfig(TrainConfig):
    """Training a detector on boxes (CSV, COCO JSON or VOC; see :func:`oculi.detect.load_splits`).

    Attributes:
        model: detector architecture (``oculi detect list``: fasterrcnn, maskrcnn, retinanet,
            fcos, ssdlite, yolo, efficientdet, rcnn, fastrcnn).
        pretrained: ImageNet weights for the backbone (offline sources only).
        weights: a checkpoint of the whole detector to start from.
        val_data: validation annotations (None: from the data folder, else a ``val_split``
            hold-out).
        val_split: held-out fraction when there is no validation file.
        cache_images: keep decoded images in memory.
        backbone: registry backbone (timm), default EfficientNet-Lite0 with ImageNet weights.
        image_size: longer side of the network input (training and evaluation), pixels.
        frozen_stages: backbone stages kept frozen.
        mosaic: probability of a mosaic training item (None: 0.5 for ``yolo``, else 0).
        kmeans_anchors: fit YOLO's anchors to the training boxes (k-means, IoU distance).
        augment: flip / scale-shift / colour augmentation on.
        val_max_size: decode validation images with this longer side at most (None: full).
        grid_images: validation images in ``predictions.png``.
        arch_options: extra keywords for :func:`~oculi.detect.create_detector`.
    """

    model: str = field(default="fasterrcnn", metadata={"cli": ("--arch", "-a")})
    pretrained: bool = field(default=True, metadata={"cli_off": "--scratch"})
    weights: str | None = None
    val_data: str | None = field(default=None, metadata={"cli": ("--val",)})
    cache_images: bool = True
    image_size: int | None = 384
    epochs: int = 24
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: float = 1.0
    clip_grad_norm: float = 10.0
    monitor: str = "val_map50"
    val_split: float = 0.15
    backbone: str = DEFAULT_BACKBONE
    frozen_stages: int = 2
    mosaic: float | None = None
    kmeans_anchors: bool = True
    augment: bool = True
    val_max_size: int | None = None
    grid_images: int = 8
    arch_options: dict[str, Any] | None = None

    def validate(self) -> None:
        super().validate()
        check_choice(self.monitor, MONITORS, "monitor")
        check_fraction(self, "val_split", upper_inclusive=False)
