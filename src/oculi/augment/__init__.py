"""Augmentation: batch-level CutMix / MixUp on NCHW tensors (with label mixing) and per-image
albumentations presets.

``import oculi.augment`` imports torch (this is a deep-learning topic).
"""

from oculi.augment.mixing import Mixer, MixInfo, cutmix, cutmix_box, mixup, to_soft_targets

__all__ = ["MixInfo", "Mixer", "cutmix", "cutmix_box", "mixup", "to_soft_targets"]
