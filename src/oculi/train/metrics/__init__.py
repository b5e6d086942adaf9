"""Metrics for segmentation and images, computed streaming over a dataset.

* :class:`ConfusionMatrix` — IoU / mIoU, Dice / F1 per class, pixel accuracy (ignore index).
* :class:`BoundaryF1` — boundary precision / recall / F1 within a pixel tolerance.
* :func:`dice_score`, :func:`hausdorff_distance`, :class:`VolumeMetrics` — volumes with spacing.
* :func:`psnr`, :func:`ssim`, :func:`ms_ssim`, :class:`ImageQuality` — image quality.
* :class:`ThresholdSweep` — precision / recall / F at every threshold, the best-threshold F
  (the ISBI 2012 challenge's pixel error is ``1 − max F``).
* :func:`match_instances`, :func:`dsb_score`, :func:`panoptic_quality`, :class:`InstanceMetrics`
  — instance label images: IoU matching, F1, the DSB 2018 score, PQ.
"""

from oculi.train.metrics.boundary import BoundaryF1, mask_boundary
from oculi.train.metrics.confusion import ConfusionMatrix, to_labels
from oculi.train.metrics.image import ImageQuality, ms_ssim, psnr, ssim
from oculi.train.metrics.instance import (
    DSB_THRESHOLDS,
    InstanceMatch,
    InstanceMetrics,
    Overlaps,
    dsb_score,
    instance_overlaps,
    match_instances,
    panoptic_quality,
)
from oculi.train.metrics.threshold import ThresholdSweep
from oculi.train.metrics.volume import (
    VolumeMetrics,
    dice_score,
    hausdorff_distance,
    surface,
    surface_distances,
)

__all__ = [
    "DSB_THRESHOLDS",
    "BoundaryF1",
    "ConfusionMatrix",
    "ImageQuality",
    "InstanceMatch",
    "InstanceMetrics",
    "Overlaps",
    "ThresholdSweep",
    "VolumeMetrics",
    "dice_score",
    "dsb_score",
    "hausdorff_distance",
    "instance_overlaps",
    "mask_boundary",
    "match_instances",
    "ms_ssim",
    "panoptic_quality",
    "psnr",
    "ssim",
    "surface",
    "surface_distances",
    "to_labels",
]
