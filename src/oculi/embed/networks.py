"""Embedding networks: an image batch ``(N, C, H, W)`` float in [0, 1] to L2-normalised
embeddings ``(N, dim)`` float32 (unit vectors).

* ``small_cnn``: four 3x3 conv + BatchNorm + ReLU layers (two 2x2 max-pools), global average
  pooling and a linear projection; for 28x28 digits and Loc2Vec tiles, trained from scratch.
* any timm model of the registry (``efficientnet_lite0``, ...): its pooled features (ImageNet
  weights, offline) and a linear projection; inputs are normalised with the model's mean/std.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.errors import ShapeError

#: the name of the from-scratch CNN (every other name is a registry backbone)
SMALL_CNN = "small_cnn"


def _block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True)]


class EmbeddingNet(nn.Module):
    """A feature extractor and a linear projection to ``dim``, output L2-normalised.

    Args:
        backbone: ``small_cnn`` or a timm model of :mod:`oculi.models`.
        dim: embedding size.
        in_channels: input channels (a registry backbone takes 3).
        width: channels of the small CNN's first layer (doubled twice).
        pretrained: load the registry backbone's offline ImageNet weights.
        image_size: the input size it was trained at (kept in its config for evaluation).
        data: the kind of data it was trained on (``digits``, ``folder``, ``loc2vec``).
    """

    def __init__(self, backbone: str = SMALL_CNN, dim: int = 64, in_channels: int = 1,
                 width: int = 16, pretrained: bool = True, image_size: int = 28,
                 data: str = "digits") -> None:
        super().__init__()
        self.backbone, self.dim, self.in_channels, self.width = backbone, dim, in_channels, width
        self.image_size, self.data = image_size, data
        if backbone == SMALL_CNN:
            w = width
            self.features = nn.Sequential(
                *_block(in_channels, w), nn.MaxPool2d(2),
                *_block(w, 2 * w), *_block(2 * w, 2 * w), nn.MaxPool2d(2),
                *_block(2 * w, 4 * w), nn.AdaptiveAvgPool2d(1), nn.Flatten())
            channels = 4 * w
            mean, std = (0.0,) * in_channels, (1.0,) * in_channels
        else:
            import timm

            from oculi.models.backbones import load_into_features, timm_backbone

            if in_channels != 3:
                raise ShapeError(f"backbone {backbone!r}: takes RGB images (3 channels), the "
                                 f"data has {in_channels} — use backbone=small_cnn")
            bb = timm_backbone(backbone, pretrained)
            self.features = timm.create_model(bb.timm_name, pretrained=False, num_classes=0)
            if bb.state_dict is not None:
                load_into_features(self.features, bb.state_dict, backbone)
            channels = self.features.num_features
            mean, std = bb.mean, bb.std
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)
        self.project = nn.Linear(channels, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ShapeError(f"images: expected (N, {self.in_channels}, H, W), got "
                             f"{tuple(x.shape)}")
        return F.normalize(self.project(self.features((x - self.mean) / self.std)), dim=1)

    def config(self) -> dict[str, Any]:
        return {"backbone": self.backbone, "dim": self.dim, "in_channels": self.in_channels,
                "width": self.width, "pretrained": False, "image_size": self.image_size,
                "data": self.data}


__all__ = ["SMALL_CNN", "EmbeddingNet"]
