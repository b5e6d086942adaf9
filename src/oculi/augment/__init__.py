"""Augmentation: batch-level CutMix / MixUp on NCHW tensors (with label mixing) and per-image
albumentations presets, including the training recipe of every trainable task.

``import oculi.augment`` imports torch (this is a deep-learning topic).
"""

from oculi.augment.mixing import Mixer, MixInfo, cutmix, cutmix_box, mixup, to_soft_targets
from oculi.augment.presets import AUGMENT_PRESETS, augment_preset, preset_names, recipe_names
from oculi.augment.recipes import (
    classify_train,
    detect_train,
    random_state,
    segment_train,
    set_random_state,
)

__all__ = [
    "AUGMENT_PRESETS",
    "MixInfo",
    "Mixer",
    "augment_preset",
    "classify_train",
    "cutmix",
    "cutmix_box",
    "detect_train",
    "mixup",
    "preset_names",
    "random_state",
    "recipe_names",
    "segment_train",
    "set_random_state",
    "to_soft_targets",
]
