"""A small MiDaS-style monocular depth network: a registry backbone and a fusion decoder.

The encoder is a timm ``features_only`` extractor of an :mod:`oculi.models` registry name
(through :func:`oculi.models.timm_backbone`, so its offline ImageNet weights when
``pretrained``). Each of its four feature maps (strides 4, 8, 16, 32) is projected to
``features`` channels; fusion blocks (two residual conv units, an upsample to the next level's
size, a 1x1 conv) merge them from the deepest up; a head (3x3 conv, x2 upsample, 3x3 conv, ReLU,
1x1 conv, ReLU) maps the stride-4 fusion to one non-negative channel of relative inverse depth,
upsampled to the input size.

    >>> import torch
    >>> net = DepthNet("mobilenet_v2", features=16).eval()
    >>> net(torch.rand(1, 3, 64, 96)).shape
    torch.Size([1, 1, 64, 96])
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from oculi.core.checks import check_tensor_images
from oculi.core.constants import DEFAULT_BACKBONE
from oculi.models.spec import Normalize

#: timm feature levels the decoder fuses (strides 4, 8, 16, 32)
OUT_INDICES = (1, 2, 3, 4)


def _conv3(c_in: int, c_out: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, padding=1)


class ResidualConvUnit(nn.Module):
    """``x + conv(relu(conv(relu(x))))`` with 3x3 convolutions; NCHW in, same shape out."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = _conv3(channels, channels)
        self.conv2 = _conv3(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class FusionBlock(nn.Module):
    """Add the refined skip map (when ``skip``), refine, upsample to ``size``, mix with 1x1.

    The deepest block has no skip input (``skip=False``) and so no unused weights.
    """

    def __init__(self, channels: int, skip: bool = True) -> None:
        super().__init__()
        self.skip_unit = ResidualConvUnit(channels) if skip else None
        self.unit = ResidualConvUnit(channels)
        self.out_conv = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None, size: tuple[int, int]
                ) -> torch.Tensor:
        if skip is not None and self.skip_unit is not None:
            x = x + self.skip_unit(skip)
        x = F.interpolate(self.unit(x), size=size, mode="bilinear", align_corners=True)
        return self.out_conv(x)


class DepthNet(nn.Module):
    """Relative inverse depth from RGB: ``(N, 3, H, W)`` float32 in [0, 1] ->
    ``(N, 1, H, W)`` float32 >= 0 (larger = nearer; unknown scale and shift).

    Args:
        backbone: a timm model name of the :mod:`oculi.models` registry (the encoder).
        features: channels of the decoder (MiDaS small uses 64).
        pretrained: load the backbone's ImageNet weights (offline; raises
            MissingDependencyError when the registry has none) — the decoder starts random.

    The input is normalised inside with the backbone's mean and std.
    """

    def __init__(self, backbone: str = DEFAULT_BACKBONE, features: int = 64,
                 pretrained: bool = False) -> None:
        super().__init__()
        import timm

        from oculi.models.backbones import load_into_features, timm_backbone

        bb = timm_backbone(backbone, pretrained)
        self.backbone, self.features = bb.key, int(features)
        self.normalize = Normalize(bb.mean, bb.std)
        self.encoder = timm.create_model(bb.timm_name, features_only=True,
                                         out_indices=OUT_INDICES, pretrained=False)
        if bb.state_dict is not None:
            load_into_features(self.encoder, bb.state_dict, backbone)
        channels = self.encoder.feature_info.channels()
        self.lateral = nn.ModuleList(_conv3(c, self.features) for c in channels)
        self.fusion = nn.ModuleList(FusionBlock(self.features, skip=i < len(channels) - 1)
                                    for i in range(len(channels)))
        half = max(self.features // 2, 1)
        self.head = nn.Sequential(
            _conv3(self.features, half), nn.Upsample(scale_factor=2, mode="bilinear",
                                                     align_corners=True),
            _conv3(half, 32), nn.ReLU(), nn.Conv2d(32, 1, 1), nn.ReLU())

    def config(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this architecture (without ``pretrained``)."""
        return {"backbone": self.backbone, "features": self.features}

    def forward_normalized(self, x: torch.Tensor) -> torch.Tensor:
        """The network on input already normalised with the backbone's mean and std (what an
        exported ONNX file runs); ``(N, 3, H, W)`` -> ``(N, 1, H, W)``."""
        maps = [lat(f) for lat, f in zip(self.lateral, self.encoder(x), strict=True)]
        sizes = [m.shape[-2:] for m in maps]
        y = self.fusion[-1](maps[-1], None, sizes[-2])
        for i in range(len(maps) - 2, -1, -1):
            size = sizes[i - 1] if i > 0 else tuple(2 * s for s in sizes[0])
            y = self.fusion[i](y, maps[i], size)
        y = self.head(y)
        return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor_images(x, "x", channels=3)
        return self.forward_normalized(self.normalize(x))


class NormalizedInput(nn.Module):
    """A :class:`DepthNet` without its normalisation, for export (MiDaS's ONNX convention)."""

    def __init__(self, net: DepthNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.forward_normalized(x)
