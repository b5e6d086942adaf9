"""The configuration of the ``lowlight`` trainable task (the one place its defaults live):
Zero-DCE and Zero-DCE++ trained without reference images on exposure variants of any photos.
The module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: the networks (both :class:`oculi.restore.zero_dce.DCENet`)
MODELS = ("zero-dce", "zero-dce++")
#: the illumination-smoothness weight of each network in the published training code
TV_WEIGHT = {"zero-dce": 200.0, "zero-dce++": 1600.0}


@dataclass
class LowlightConfig(TrainConfig):
    """Zero-reference training of Zero-DCE / Zero-DCE++ (Guo et al. 2020; Li et al. 2021).

    Every training item is a random square crop of a photo, resized to ``image_size`` and
    re-exposed: the sRGB values are linearised, multiplied by ``2 ** ev`` with ``ev`` drawn
    uniformly from ``exposures`` (EV stops), clipped to [0, 1] and gamma-encoded again, a
    stand-in for the under- and over-exposed SICE sequences the papers train on. No clean
    target is used: the loss is the papers' four non-reference terms, with the weights of the
    published training code.

    Attributes:
        model: ``zero-dce`` (plain 3x3 convolutions, 8 curve maps per colour) or ``zero-dce++``
            (depthwise-separable convolutions, one curve map per colour for all 8 steps).
        train_scale_factor: Zero-DCE++: the curves are estimated on the input shrunk by this
            factor during training (the published training uses 1).
        scale_factor: Zero-DCE++: the same factor at inference (stored in the run; the
            published test uses 12). Ignored by Zero-DCE.
        image_size: training crop side in pixels after resizing (the papers use 512).
        crop_min: smallest side of the random square crop, in source pixels (a smaller photo
            gives its short side).
        crop_max: largest side of the random square crop, in source pixels.
        exposures: the exposure changes drawn per crop, in EV stops (negative: darker; -5 EV
            takes sRGB grey 0.45 to 0.064, inside the range of the LOL inputs' means).
        repeat: random crops drawn from each training image per epoch.
        with_embedded: also train on the embedded photos (the only data when none is given).
        val_split: fraction of a folder's images held out (last in name order) when it has no
            ``train/`` + ``val/``.
        val_images: at most this many validation images (a central crop of ``val_size`` each).
        val_size: validation crop side in pixels (images smaller are left out).
        val_exposure: the exposure change of the validation crops (EV); ``val_psnr`` compares
            the enhanced crop with the unchanged one.
        spatial_weight: weight of the spatial-consistency loss (4x4 mean-pooled regions, the
            differences to their 4 neighbours kept as in the input).
        exposure_weight: weight of the exposure-control loss (16x16 patches toward
            ``exposure_level``).
        exposure_level: the well-exposedness level E the patch means are pulled to.
        exposure_patch: the exposure-control patch side in pixels.
        color_weight: weight of the colour-constancy loss (Gray-World: the channel means of
            each pair pulled together).
        tv_weight: weight of the illumination-smoothness loss (total variation of the curve
            maps); None: 200 for Zero-DCE, 1600 for Zero-DCE++ (the published code's).
    """

    model: str = "zero-dce"
    train_scale_factor: int = 1
    scale_factor: int = 12
    image_size: int = 256
    crop_min: int = 256
    crop_max: int = 512
    exposures: tuple[float, ...] = (-5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0)
    repeat: int = 4
    with_embedded: bool = False
    val_split: float = 0.1
    val_images: int = 8
    val_size: int = 256
    val_exposure: float = -3.0
    spatial_weight: float = 1.0
    exposure_weight: float = 10.0
    exposure_level: float = 0.6
    exposure_patch: int = 16
    color_weight: float = 5.0
    tv_weight: float | None = None
    epochs: int = 20
    batch_size: int = 8
    optimizer: str = "adamw"
    lr: float = 1e-4
    weight_decay: float = 1e-4
    warmup_epochs: float = 0.0
    schedule: str = "constant"
    clip_grad_norm: float = 0.1
    monitor: str = "val_loss"

    @property
    def plus(self) -> bool:
        """True for Zero-DCE++."""
        return self.model == "zero-dce++"

    @property
    def smoothness_weight(self) -> float:
        """``tv_weight``, or the model's published default."""
        return TV_WEIGHT[self.model] if self.tv_weight is None else float(self.tv_weight)

    def validate(self) -> None:
        super().validate()
        check_choice(self.model, MODELS, "model")
        for name in ("train_scale_factor", "scale_factor", "repeat", "val_images",
                     "exposure_patch"):
            check_positive(getattr(self, name), name)
            if int(getattr(self, name)) != getattr(self, name):
                raise ParameterError(f"{name}: expected a whole number, got "
                                     f"{getattr(self, name)!r}")
        for name in ("image_size", "val_size", "crop_min", "crop_max"):
            if getattr(self, name) < 16:
                raise ParameterError(f"{name}: expected at least 16 pixels, got "
                                     f"{getattr(self, name)!r}")
        if self.crop_min > self.crop_max:
            raise ParameterError(f"crop_min: expected at most crop_max ({self.crop_max}), got "
                                 f"{self.crop_min}")
        if not self.exposures or any(not -10.0 <= float(e) <= 10.0 for e in self.exposures):
            raise ParameterError(f"exposures: expected one or more EV changes in [-10, 10], "
                                 f"got {self.exposures!r}")
        if not -10.0 <= self.val_exposure <= 10.0:
            raise ParameterError(f"val_exposure: expected an EV change in [-10, 10], got "
                                 f"{self.val_exposure!r}")
        for name in ("spatial_weight", "exposure_weight", "color_weight"):
            check_positive(getattr(self, name), name, allow_zero=True)
        if self.tv_weight is not None:
            check_positive(self.tv_weight, "tv_weight", allow_zero=True)
        if not 0.0 < self.exposure_level < 1.0:
            raise ParameterError(f"exposure_level: expected a level in (0, 1), got "
                                 f"{self.exposure_level!r}")
        check_fraction(self, "val_split", upper_inclusive=False)
