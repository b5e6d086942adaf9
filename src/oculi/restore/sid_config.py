"""The configuration of the ``sid`` trainable task (the one place its defaults live): the "see in
the dark" U-Net of Chen et al. (CVPR 2018) trained on synthetic short exposures made from clean
photos (:mod:`oculi.restore.unprocess`). The module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.restore.config import range_pair
from oculi.train.config import TrainConfig, check_fraction

#: the raw side (in pixels) must be a multiple of this: 2 (Bayer packing) x 2**4 (four poolings)
RAW_MULTIPLE = 32


@dataclass
class SidConfig(TrainConfig):
    """Training the see-in-the-dark U-Net on synthetic dark raws.

    Each training crop of a clean photo is unprocessed into a camera raw, mosaiced (RGGB), made
    ``ratio`` times darker (``ratio`` drawn from ``ratios``) with Poisson-Gaussian noise, packed
    into four half-resolution planes and amplified by the ratio; the network maps that back to the
    full-resolution sRGB crop.

    Attributes:
        ratios: exposure ratios drawn per crop (Chen et al.'s x100, x250, x300).
        shot_noise: ``[low, high]`` shot-noise variance per unit signal (raw in [0, 1]), drawn
            log-uniformly per crop; the read noise follows from it (Brooks et al.'s log-linear
            relation).
        random_isp: draw the camera per crop (a random convex mix of three colour matrices,
            random white balance) instead of the one fixed camera; the network then has to
            white-balance on its own.
        features: channels of the U-Net's first level, doubling over four levels (the paper's
            32 gives 32..512; the default 12, 12..192, trains on a CPU).
        image_size: training crop side in sRGB pixels, rounded down to a multiple of 32.
        repeat: random crops drawn from each training image per epoch.
        with_embedded: also train on the embedded photos (the only data when none is given).
        val_split: fraction of a folder's images held out (last in name order) when it has no
            ``train/`` + ``val/``.
        val_images: at most this many validation images (a central crop of ``val_size`` each).
        val_size: validation crop side in pixels (a multiple of 32).
        val_ratio: the exposure ratio of the validation crops.
        loss: ``l1`` (the paper's) or ``mse``.
    """

    ratios: tuple[float, ...] = (100.0, 250.0, 300.0)
    shot_noise: tuple[float, float] = (1e-4, 2e-3)
    random_isp: bool = False
    features: int = 12
    image_size: int = 128
    repeat: int = 8
    with_embedded: bool = False
    val_split: float = 0.1
    val_images: int = 8
    val_size: int = 128
    val_ratio: float = 100.0
    loss: str = "l1"
    epochs: int = 10
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_epochs: float = 0.0
    min_lr_ratio: float = 0.05
    clip_grad_norm: float = 0.0
    monitor: str = "val_psnr"

    @property
    def patch(self) -> int:
        """``image_size`` rounded down to a multiple of :data:`RAW_MULTIPLE`."""
        return self.image_size - self.image_size % RAW_MULTIPLE

    def validate(self) -> None:
        super().validate()
        ratios = self.ratios if isinstance(self.ratios, (list, tuple)) else (self.ratios,)
        if not ratios or not all(isinstance(r, (int, float)) and r > 0 for r in ratios):
            raise ParameterError(f"ratios: expected exposure ratios > 0 (e.g. 100 250 300), got "
                                 f"{self.ratios!r}")
        lo, hi = range_pair(self.shot_noise)
        if not 0.0 < lo <= hi < 1.0:
            raise ParameterError(f"shot_noise: expected [low, high] with 0 < low <= high < 1, "
                                 f"got {self.shot_noise!r}")
        check_positive(self.features, "features")
        for name in ("repeat", "val_images"):
            check_positive(getattr(self, name), name)
        if self.image_size < RAW_MULTIPLE:
            raise ParameterError(f"image_size: expected at least {RAW_MULTIPLE} pixels, got "
                                 f"{self.image_size!r}")
        if self.val_size < RAW_MULTIPLE or self.val_size % RAW_MULTIPLE:
            raise ParameterError(f"val_size: expected a multiple of {RAW_MULTIPLE} pixels, got "
                                 f"{self.val_size!r}")
        check_positive(self.val_ratio, "val_ratio")
        check_fraction(self, "val_split", upper_inclusive=False)
        check_choice(self.loss, ("l1", "mse"), "loss")
