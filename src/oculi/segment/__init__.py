"""Segmentation: models (smp architectures on registry encoders, FCN, SegNet, ENet, V-Net,
3-D U-Net), image+mask and NIfTI data, mask-aware augmentation, training as a trainer task,
tiled / sliding-window prediction and evaluation; instances (label images) from a foreground
prediction by the distance-transform watershed or from Mask R-CNN detections.

    >>> from oculi.segment import create_segmenter
    >>> model = create_segmenter("fpn", num_classes=12, pretrained=False)
    >>> model.out_channels
    12

Shared losses and metrics live in :mod:`oculi.train.losses` and :mod:`oculi.train.metrics`.
"""

from oculi.core.split import split_indices
from oculi.segment.config import MASK_KINDS, SegmentationConfig, VolumeSegmentationConfig
from oculi.segment.data import (
    SegmentationFolder,
    find_pairs,
    mask_to_target,
    train_augmentation,
)
from oculi.segment.infer import (
    colorize,
    labels_from_logits,
    overlay,
    predict_image,
    predict_instances,
    predict_logits,
    predict_volume,
    probabilities,
    sliding_window,
)
from oculi.segment.instances import (
    INSTANCE_METHODS,
    classical_instances,
    colorize_instances,
    evaluate_instances,
    instances_from_probability,
    label_components,
    labels_from_detections,
    labels_from_masks,
    overlay_instances,
    relabel_sequential,
    split_instances,
)
from oculi.segment.models import (
    DEFAULT_ENCODER,
    Segmenter,
    create_segmenter,
    rebuild,
    segmenters,
)
from oculi.segment.panoptic import (
    PanopticQuality,
    camvid_panoptic,
    panoptic_from_semantic,
    panoptic_map,
    panoptic_quality_score,
)
from oculi.segment.shapes import SHAPE_CLASSES, make_shapes, write_shapes
from oculi.segment.task import (
    SegmentationTask,
    evaluate_dataset,
    evaluate_segmenter,
    load_segmenter,
    train_segmenter,
)
from oculi.segment.task3d import (
    VolumeTask,
    evaluate_volume_segmenter,
    evaluate_volumes,
    train_volume_segmenter,
)
from oculi.segment.volume import (
    PatchSampler,
    Volume,
    check_label,
    read_volume,
    window,
    write_volume,
)

__all__ = [
    "DEFAULT_ENCODER",
    "INSTANCE_METHODS",
    "MASK_KINDS",
    "SHAPE_CLASSES",
    "PanopticQuality",
    "PatchSampler",
    "SegmentationConfig",
    "SegmentationFolder",
    "SegmentationTask",
    "Segmenter",
    "Volume",
    "VolumeSegmentationConfig",
    "VolumeTask",
    "camvid_panoptic",
    "check_label",
    "classical_instances",
    "colorize",
    "colorize_instances",
    "create_segmenter",
    "evaluate_dataset",
    "evaluate_instances",
    "evaluate_segmenter",
    "evaluate_volume_segmenter",
    "evaluate_volumes",
    "find_pairs",
    "instances_from_probability",
    "label_components",
    "labels_from_detections",
    "labels_from_logits",
    "labels_from_masks",
    "load_segmenter",
    "make_shapes",
    "mask_to_target",
    "overlay",
    "overlay_instances",
    "panoptic_from_semantic",
    "panoptic_map",
    "panoptic_quality_score",
    "predict_image",
    "predict_instances",
    "predict_logits",
    "predict_volume",
    "probabilities",
    "read_volume",
    "rebuild",
    "relabel_sequential",
    "segmenters",
    "sliding_window",
    "split_indices",
    "split_instances",
    "train_augmentation",
    "train_segmenter",
    "train_volume_segmenter",
    "window",
    "write_shapes",
    "write_volume",
]
