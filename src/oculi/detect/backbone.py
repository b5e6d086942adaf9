"""Registry backbones as detection feature extractors: timm ``features_only`` with the registry's
offline ImageNet weights (through :func:`oculi.models.backbones.timm_backbone`, the one
loader), BatchNorm frozen, early stages frozen, and an FPN neck.

    >>> body = TimmFeatures("efficientnet_lite0", pretrained=False)
    >>> body.channels, body.strides
    ([40, 112, 320], [8, 16, 32])
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn


def freeze_batchnorm(module: nn.Module) -> nn.Module:
    """Every BatchNorm (timm's BatchNorm+activation layers included, activation kept) frozen
    with its ImageNet statistics: detection batches are too small to re-estimate them."""
    from timm.utils.model import freeze_batch_norm_2d

    return freeze_batch_norm_2d(module)


class TimmFeatures(nn.Module):
    """A timm backbone returning stride-8/16/32 feature maps (``out_indices``).

    Args:
        name: a timm model of :mod:`oculi.models` (default EfficientNet-Lite0).
        pretrained: load the registry's ImageNet weights (offline).
        out_indices: timm feature levels (2, 3, 4 = strides 8, 16, 32).
        frozen_stages: leading stages (stem and blocks) kept frozen; 0 trains all.

    Input ``(N, 3, H, W)`` is already normalised with :attr:`mean`/:attr:`std`.
    """

    def __init__(self, name: str = "efficientnet_lite0", pretrained: bool = True,
                 out_indices: Sequence[int] = (2, 3, 4), frozen_stages: int = 2) -> None:
        super().__init__()
        import timm

        from oculi.models.backbones import load_into_features, timm_backbone

        bb = timm_backbone(name, pretrained)
        self.name, self.mean, self.std = bb.key, bb.mean, bb.std
        self.body = timm.create_model(bb.timm_name, features_only=True,
                                      out_indices=tuple(out_indices), pretrained=False)
        if bb.state_dict is not None:
            load_into_features(self.body, bb.state_dict, name)
        self.body = freeze_batchnorm(self.body)
        self.channels = list(self.body.feature_info.channels())
        self.strides = list(self.body.feature_info.reduction())
        self._freeze(frozen_stages)

    def _freeze(self, stages: int) -> None:
        if stages <= 0:
            return
        frozen = ["conv_stem", "bn1"] + [f"blocks.{i}." for i in range(stages)]
        for n, p in self.body.named_parameters():
            if any(n.startswith(f) for f in frozen):
                p.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self.body(x)


class FPNBackbone(nn.Module):
    """:class:`TimmFeatures` + torchvision's FPN: an ``OrderedDict`` of ``out_channels`` maps
    (``"0"``.. for strides 8, 16, 32, then the extra levels: ``"pool"`` at 64, or P6/P7 at
    64/128), what torchvision's detectors take as a backbone."""

    def __init__(self, features: TimmFeatures, out_channels: int = 128,
                 extra: str = "pool") -> None:
        super().__init__()
        from torchvision.ops.feature_pyramid_network import (
            FeaturePyramidNetwork,
            LastLevelMaxPool,
            LastLevelP6P7,
        )

        self.features = features
        extra_block = LastLevelMaxPool() if extra == "pool" else LastLevelP6P7(
            out_channels, out_channels)
        self.fpn = FeaturePyramidNetwork(features.channels, out_channels, extra_blocks=extra_block)
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        feats = self.features(x)
        return self.fpn(OrderedDict((str(i), f) for i, f in enumerate(feats)))


class SSDBackbone(nn.Module):
    """Stride-16 and -32 maps of :class:`TimmFeatures` plus four depthwise-separable extra
    blocks (strides 64..512), as SSDlite's MobileNet backbone does."""

    def __init__(self, features: TimmFeatures, extra_channels: Sequence[int] = (256, 128, 128, 64)
                 ) -> None:
        super().__init__()
        self.features = features
        c_in = features.channels[-1]
        blocks = []
        for c in extra_channels:
            mid = c // 2
            blocks.append(nn.Sequential(
                nn.Conv2d(c_in, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(inplace=True),
                nn.Conv2d(mid, mid, 3, 2, 1, groups=mid, bias=False), nn.BatchNorm2d(mid),
                nn.ReLU6(inplace=True),
                nn.Conv2d(mid, c, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU6(inplace=True)))
            c_in = c
        self.extra = nn.ModuleList(blocks)
        self.out_channels = [*features.channels[-2:], *extra_channels]

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        feats = self.features(x)[-2:]
        out = list(feats)
        y = feats[-1]
        for block in self.extra:
            y = block(y)
            out.append(y)
        return OrderedDict((str(i), f) for i, f in enumerate(out))
