"""Panoptic segmentation's training configuration (the one place its defaults live)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oculi.core.checks import check_choice, check_positive
from oculi.core.constants import DEFAULT_BACKBONE
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: the architectures of ``oculi train panoptic``
PANOPTIC_ARCHS = ("panoptic_fpn", "semantic_cc")


@dataclass
class PanopticConfig(TrainConfig):
    """Training Panoptic FPN on ``image/`` + ``label/`` folders of class-index masks; the thing
    instances are the connected components of each thing class (CamVid's defaults below).

    Attributes:
        model: ``panoptic_fpn`` (Mask R-CNN on the FPN plus the semantic FPN head over stuff
            and one "things" class) or ``semantic_cc`` (the baseline: the same FPN and
            semantic head over every class, thing instances = connected components).
        backbone: registry backbone (timm), default EfficientNet-Lite0 with ImageNet weights.
        pretrained: ImageNet weights for the backbone (offline sources only).
        weights: a checkpoint of the whole model to start from.
        things: the thing classes (default CamVid's Pole, SignSymbol, Car, Pedestrian,
            Bicyclist); every other class is stuff.
        num_classes: classes of the masks, void excluded (None: from the masks).
        ignore_index: the void label (CamVid: 11), left out of the loss and the metric.
        class_names: a name per class (None: ``classes.csv`` of the data folder when present,
            else the class numbers).
        image_size: longer side of the network input (training and evaluation), pixels.
        frozen_stages: backbone stages kept frozen.
        fpn_channels: channels of the FPN maps.
        semantic_channels: channels of the semantic head's upsampling stages.
        semantic_weight: weight of the semantic cross-entropy in the loss (the instance losses
            have weight 1).
        min_instance_area: training instances (components) smaller than this, in pixels of the
            mask, are not box/mask targets (their pixels stay "things" for the semantic head).
        score_threshold: inference: instances scored below this are left out.
        overlap_threshold: inference: an instance with more than this fraction of its mask on
            higher-scored instances is left out.
        min_stuff_fraction: inference: a stuff region smaller than this fraction of the image
            becomes void (Detectron2's 4096 pixels of an 800x1333 COCO image is 0.0038).
        flip: random horizontal flips in training.
        val_split: held-out fraction of the pairs when the data has no ``train/`` + ``val/``.
        arch_options: extra keywords of the ``maskrcnn`` construction
            (:func:`~oculi.detect.create_detector`, e.g. ``box_batch_size_per_image``).
    """

    model: str = field(default="panoptic_fpn", metadata={"cli": ("--arch", "-a")})
    backbone: str = DEFAULT_BACKBONE
    pretrained: bool = field(default=True, metadata={"cli_off": "--scratch"})
    weights: str | None = None
    things: list[int] = field(default_factory=lambda: [2, 6, 8, 9, 10])
    num_classes: int | None = field(default=None, metadata={"cli": ("--classes",)})
    ignore_index: int | None = 11
    class_names: list[str] | None = None
    image_size: int = 320
    frozen_stages: int = 2
    fpn_channels: int = 128
    semantic_channels: int = 128
    semantic_weight: float = 0.5
    min_instance_area: int = 16
    score_threshold: float = 0.5
    overlap_threshold: float = 0.5
    min_stuff_fraction: float = 0.004
    flip: bool = True
    epochs: int = 24
    batch_size: int = 2
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: float = 1.0
    clip_grad_norm: float = 10.0
    monitor: str = "val_pq"
    val_split: float = 0.2
    arch_options: dict[str, Any] | None = None

    def validate(self) -> None:
        super().validate()
        check_choice(self.model, PANOPTIC_ARCHS, "model")
        for name in ("image_size", "fpn_channels", "semantic_channels"):
            check_positive(getattr(self, name), name)
        for name in ("semantic_weight", "min_instance_area"):
            check_positive(getattr(self, name), name, allow_zero=True)
        for name in ("score_threshold", "overlap_threshold", "min_stuff_fraction"):
            check_fraction(self, name)
        check_fraction(self, "val_split", upper_inclusive=False)
        if not self.things:
            raise ParameterError("things: expected at least one thing class")
        if self.ignore_index is not None and self.ignore_index in self.things:
            raise ParameterError(f"things: the void label {self.ignore_index} cannot be a thing")
