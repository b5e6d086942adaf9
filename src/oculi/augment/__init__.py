"""Augmentation: batch-level CutMix / MixUp on NCHW tensors (with label mixing) and per-image
albumentations presets.

``import oculi.augment`` imports torch (this is a deep-learning topic).
"""

from oculi.augment.mixing import Mixer, MixInfo, cutmix, cutmix_box, mixup, to_soft_targets
from oculi.augment.presets import AUGMENT_PRESETS, augment_preset, preset_names

__all__ = [
    "AUGMENT_PRESETS",
    "MixInfo",
    "Mixer",
    "augment_preset",
    "cutmix",
    "cutmix_box",
    "mixup",
    "preset_names",
    "to_soft_targets",
]
