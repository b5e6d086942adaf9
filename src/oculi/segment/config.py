"""Segmentation's training configurations (the one place their defaults live): 2-D image + mask
folders, and 3-D NIfTI volumes trained on patches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oculi.core.checks import check_choice, check_positive
from oculi.core.constants import DEFAULT_BACKBONE
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: how mask files encode the classes
MASK_KINDS = ("index", "binary", "instance")


@dataclass
class _SegmentationRecipe(TrainConfig):
    """What 2-D and 3-D segmentation share: the loss, small batches, light decay.

    Attributes:
        loss: loss expression, e.g. ``dice+ce`` or ``iou+dice+0.8*bce``.
        arch_options: extra architecture keyword arguments.
        val_split: held-out fraction (2-D: of the image pairs when there is no ``train/`` +
            ``val/``; 3-D: of the volumes, the last ones, when there are several).
    """

    loss: str = "dice+ce"
    arch_options: dict[str, Any] = field(default_factory=dict)
    val_split: float = 0.2
    batch_size: int = 4
    weight_decay: float = 1e-4
    warmup_epochs: float = 0.5

    def validate(self) -> None:
        super().validate()
        check_fraction(self, "val_split", upper_inclusive=False)


@dataclass
class SegmentationConfig(_SegmentationRecipe):
    """Training a 2-D segmentation model on ``image/`` + ``label/`` folders.

    Attributes:
        model: architecture (``unet``, ``unetplusplus``, ``fpn``, ``linknet``, ``pspnet``,
            ``deeplabv3``, ``deeplabv3plus``, ``pan``, ``fcn``, ``segnet``, ``enet``,
            ``pointrend``: a PointRend head on ``arch_options`` ``base``, default unet).
        backbone: registry encoder of the smp architectures.
        pretrained: ImageNet encoder weights (offline sources only).
        weights: a checkpoint of the whole model to start from.
        mask_kind: ``index`` (class index per pixel), ``binary`` or ``instance``.
        num_classes: classes including background (None: from the masks).
        ignore_index: mask value left out of losses and metrics.
        invert: binary masks: the dark pixels are the foreground.
        class_weights: ``balanced`` (median-frequency weights from the training masks), a list,
            or None; passed to the loss terms that accept them.
        class_names: a name per class.
        image_size: training crop in pixels (rounded up to the model's stride).
        scale_min: smallest area fraction of the random crop (when ``crop_scale`` is None).
        crop_scale: area-fraction range ``[lo, hi]`` of the random crop: a range around
            crop² / image area keeps objects near their full-resolution scale.
        repeat: crops drawn from each training image per epoch.
        flips: ``h``, ``hv`` or empty.
        color: brightness/contrast jitter.
        boundary_tolerance: pixels for the boundary F1 in evaluation.
    """

    model: str = field(default="unet", metadata={"cli": ("--arch", "-a")})
    backbone: str = field(default=DEFAULT_BACKBONE, metadata={"cli": ("--encoder",)})
    pretrained: bool = field(default=True, metadata={"cli_off": "--scratch"})
    weights: str | None = None
    mask_kind: str = field(default="index", metadata={"cli": ("--masks",)})
    num_classes: int | None = field(default=None, metadata={"cli": ("--classes",)})
    ignore_index: int | None = None
    invert: bool = False
    class_weights: Any = None
    class_names: list[str] | None = None
    image_size: int = 256
    scale_min: float = 0.25
    crop_scale: tuple[float, float] | None = None
    repeat: int = 8
    flips: str = "h"
    color: float = 0.2
    boundary_tolerance: float = 2.0
    monitor: str = "val_miou"

    def validate(self) -> None:
        super().validate()
        check_choice(self.mask_kind, MASK_KINDS, "mask_kind")
        check_choice(self.flips, ("", "h", "hv"), "flips")
        check_positive(self.image_size, "image_size")
        check_positive(self.repeat, "repeat")
        if not 0.0 < self.scale_min <= 1.0:
            raise ParameterError(f"scale_min: expected (0, 1], got {self.scale_min}")
        if self.num_classes is not None and self.num_classes < 2:
            raise ParameterError(f"num_classes: expected 2 or more (background included), got "
                                 f"{self.num_classes}")
        if isinstance(self.class_weights, str) and self.class_weights != "balanced":
            raise ParameterError(
                f"class_weights: expected 'balanced' or a list, got {self.class_weights!r}")


@dataclass
class VolumeSegmentationConfig(_SegmentationRecipe):
    """Training V-Net / 3-D U-Net on NIfTI volumes with random patches.

    Attributes:
        model: ``unet3d`` or ``vnet``.
        num_classes: classes including background.
        patch: training patch ``[depth, height, width]`` in voxels (rounded up to the stride).
        window: CT intensity window ``[low, high]`` in HU (None: min-max scaling).
        val_slices: with one volume, the fraction of slices (from the end) held out.
        val_overlap: sliding-window overlap in validation.
        repeat: patches per epoch.
    """

    model: str = field(default="unet3d", metadata={"cli": ("--arch", "-a")})
    num_classes: int = field(default=2, metadata={"cli": ("--classes",)})
    patch: tuple[int, int, int] = (16, 96, 96)
    window: tuple[float, float] | None = (-160.0, 240.0)
    val_slices: float = 0.3
    val_overlap: float = 0.5
    repeat: int = 32
    monitor: str = "val_dice"

    def validate(self) -> None:
        super().validate()
        if len(self.patch) != 3:
            raise ParameterError(f"patch: expected [depth, height, width], got {self.patch!r}")
        for name in ("val_slices", "val_overlap"):
            check_fraction(self, name, upper_inclusive=False)
        check_positive(self.repeat, "repeat")
        if self.num_classes < 2:
            raise ParameterError(f"num_classes: expected 2 or more, got {self.num_classes}")
