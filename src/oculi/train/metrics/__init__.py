"""Metrics for segmentation and images, computed streaming over a dataset.

* :class:`ConfusionMatrix` — IoU / mIoU, Dice / F1 per class, pixel accuracy (ignore index).
* :class:`BoundaryF1` — boundary precision / recall / F1 within a pixel tolerance.
* :func:`dice_score`, :func:`hausdorff_distance`, :class:`VolumeMetrics` — volumes with spacing.
* :func:`psnr`, :func:`ssim`, :func:`ms_ssim`, :class:`ImageQuality` — image quality.
"""

from oculi.train.metrics.boundary import BoundaryF1, mask_boundary
from oculi.train.metrics.confusion import ConfusionMatrix, to_labels
from oculi.train.metrics.image import ImageQuality, ms_ssim, psnr, ssim
from oculi.train.metrics.volume import (
    VolumeMetrics,
    dice_score,
    hausdorff_distance,
    surface,
    surface_distances,
)

__all__ = [
    "BoundaryF1",
    "ConfusionMatrix",
    "ImageQuality",
    "VolumeMetrics",
    "dice_score",
    "hausdorff_distance",
    "mask_boundary",
    "ms_ssim",
    "psnr",
    "ssim",
    "surface",
    "surface_distances",
    "to_labels",
]
