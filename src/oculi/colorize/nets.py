"""Colourisation networks. Inputs are lightness batches ``N x 1 x H x W`` float32, ``L / 100``
in [0, 1], H and W multiples of 32; ``ab`` outputs are in Lab units (about -110..110).

- :class:`Encoder`: a registry backbone (ImageNet weights, offline) as a timm feature extractor
  on the grey image replicated to 3 channels, or ``tiny`` (a small random CNN for tests);
  feature maps at strides 2, 4, 8, 16, 32.
- :class:`ColorNet`: Zhang et al.'s setting: features of strides 4-32 fused at stride 4, then
  a 1x1 head: ``classification`` (logits over the Q ab bins) or ``regression`` (ab) — the same
  network for both, only the last layer and the loss differ.
- :class:`UNetColorizer`: DeOldify-style U-Net: the same encoder, a decoder with skip
  connections, spectral-normalised convolutions, self-attention (SAGAN) at stride 8 and a
  full-resolution ab output (``110·tanh``); it carries its PatchGAN critic
  (:class:`PatchCritic`) for the adversarial recipes.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from oculi.colorize.bins import TEMPERATURE, ab_bins, annealed_mean
from oculi.core.checks import check_choice

TINY = "tiny"
KINDS = ("classification", "regression", "unet")
#: the ab range of the tanh / linear outputs (Lab units)
AB_SCALE = 110.0


class _Tiny(nn.Module):
    """Five stride-2 conv stages (channels 8..48): a stand-in encoder for tests."""

    def __init__(self) -> None:
        super().__init__()
        chans, layers, c_in = (8, 16, 24, 32, 48), [], 3
        for c in chans:
            layers.append(nn.Sequential(nn.Conv2d(c_in, c, 3, 2, 1), nn.BatchNorm2d(c),
                                        nn.ReLU(inplace=True)))
            c_in = c
        self.stages = nn.ModuleList(layers)
        self.channels = list(chans)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for stage in self.stages:
            x = stage(x)
            out.append(x)
        return out


class Encoder(nn.Module):
    """Grey ``N x 1 x H x W`` in [0, 1] -> 5 feature maps (strides 2..32).

    Args:
        backbone: a registry name (timm models, e.g. ``efficientnet_lite0``) or ``tiny``.
        pretrained: load the registry's ImageNet weights (offline).
    """

    def __init__(self, backbone: str = "efficientnet_lite0", pretrained: bool = True) -> None:
        super().__init__()
        mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
        if backbone == TINY:
            self.net: nn.Module = _Tiny()
            self.channels = self.net.channels
        else:
            import timm

            from oculi.models.backbones import load_into_features, timm_backbone

            bb = timm_backbone(backbone, pretrained)
            self.net = timm.create_model(bb.timm_name, pretrained=False, features_only=True)
            if bb.state_dict is not None:
                load_into_features(self.net, bb.state_dict, backbone)
            self.channels = list(self.net.feature_info.channels())
            mean, std = bb.mean, bb.std
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, grey: torch.Tensor) -> list[torch.Tensor]:
        x = (grey.expand(-1, 3, -1, -1) - self.mean) / self.std
        return list(self.net(x))


def _conv(c_in: int, c_out: int, sn: bool = False) -> nn.Sequential:
    conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=sn)
    if sn:
        return nn.Sequential(spectral_norm(conv), nn.ReLU(inplace=True))
    return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class _Colorizer(nn.Module):
    """What every colouriser records for prediction: the short side it was trained at
    (pixels) and the annealed-mean temperature."""

    short_side: int = 128
    temperature: float = TEMPERATURE

    def settings(self) -> dict[str, Any]:
        return {"short_side": self.short_side, "temperature": self.temperature}


class ColorNet(_Colorizer):
    """Zhang-style colouriser: ``classification`` (Q bin logits) or ``regression`` (ab) head
    on features fused at stride 4.

    Shapes: ``forward(L)`` -> ``N x Q x H/4 x W/4`` logits or ``N x 2 x H/4 x W/4`` ab;
    :meth:`predict_ab` -> ``N x 2 x H x W`` ab (annealed mean for classification).
    """

    def __init__(self, kind: str = "classification", backbone: str = "efficientnet_lite0",
                 width: int = 64, pretrained: bool = True) -> None:
        super().__init__()
        self.kind = check_choice(kind, KINDS[:2], "model")
        self.backbone, self.width = backbone, width
        self.encoder = Encoder(backbone, pretrained)
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in self.encoder.channels[1:])
        self.fuse = nn.Sequential(_conv(width, width), _conv(width, width))
        self.register_buffer("centres", torch.from_numpy(ab_bins()))
        q = len(self.centres)
        self.register_buffer("class_weights", torch.ones(q))
        self.head = nn.Conv2d(width, q if self.kind == "classification" else 2, 1)

    def forward(self, grey: torch.Tensor) -> torch.Tensor:
        feats = self.encoder(grey)[1:]
        size = feats[0].shape[-2:]
        x = sum(F.interpolate(lat(f), size=size, mode="bilinear", align_corners=False)
                if f.shape[-2:] != size else lat(f)
                for lat, f in zip(self.lateral, feats, strict=True))
        out = self.head(self.fuse(x))
        return out if self.kind == "classification" else out * AB_SCALE

    def predict_ab(self, grey: torch.Tensor, temperature: float = TEMPERATURE) -> torch.Tensor:
        out = self(grey)
        if self.kind == "classification":
            out = annealed_mean(out.softmax(1), self.centres, temperature)
        return F.interpolate(out, size=grey.shape[-2:], mode="bilinear", align_corners=False)

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "backbone": self.backbone, "width": self.width,
                **self.settings()}


class SelfAttention(nn.Module):
    """SAGAN self-attention (Zhang et al. 2019): ``x + γ·attention(x)``, γ starting at 0,
    spectral-normalised 1x1 projections."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        k = max(1, channels // 8)
        self.query = spectral_norm(nn.Conv1d(channels, k, 1, bias=False))
        self.key = spectral_norm(nn.Conv1d(channels, k, 1, bias=False))
        self.value = spectral_norm(nn.Conv1d(channels, channels, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        flat = x.view(n, c, h * w)
        q, k, v = self.query(flat), self.key(flat), self.value(flat)
        attn = torch.softmax(torch.bmm(q.transpose(1, 2), k), dim=-1)  # N x HW x HW
        out = torch.bmm(v, attn.transpose(1, 2))
        return x + self.gamma * out.view(n, c, h, w)


class PatchCritic(nn.Module):
    """PatchGAN critic on a Lab image ``N x 3 x H x W`` (L/50-1, ab/110): a score per ~22-pixel
    patch, ``N x 1 x H/8 x W/8``; spectral norm on every convolution."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        w = width
        self.net = nn.Sequential(
            spectral_norm(nn.Conv2d(3, w, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(4 * w, 1, 3, 1, 1)))

    def forward(self, lab: torch.Tensor) -> torch.Tensor:
        x = torch.cat([lab[:, :1] / 50.0 - 1.0, lab[:, 1:] / AB_SCALE], 1)
        return self.net(x)


class UNetColorizer(_Colorizer):
    """DeOldify-style U-Net colouriser with its PatchGAN critic (see the module doc).

    Shapes: ``forward(L)`` and :meth:`predict_ab` -> ``N x 2 x H x W`` ab.
    """

    kind = "unet"

    def __init__(self, backbone: str = "efficientnet_lite0", width: int = 64,
                 critic_width: int = 32, pretrained: bool = True) -> None:
        super().__init__()
        self.backbone, self.width, self.critic_width = backbone, width, critic_width
        self.encoder = Encoder(backbone, pretrained)
        ch = self.encoder.channels
        widths = [width * 4, width * 2, width * 2, width, width]  # outputs at strides 16..1
        blocks, c_in = [], ch[4]
        for i, skip in enumerate([ch[3], ch[2], ch[1], ch[0], 1]):
            blocks.append(nn.Sequential(_conv(c_in + skip, widths[i], sn=True),
                                        _conv(widths[i], widths[i], sn=True)))
            c_in = widths[i]
        self.blocks = nn.ModuleList(blocks)
        self.attention = SelfAttention(widths[1])  # after the stride-8 block
        self.out = nn.Conv2d(widths[-1], 2, 1)
        self.critic = PatchCritic(critic_width)

    def forward(self, grey: torch.Tensor) -> torch.Tensor:
        feats = self.encoder(grey)
        skips = [feats[3], feats[2], feats[1], feats[0], grey]
        x = feats[4]
        for i, (block, skip) in enumerate(zip(self.blocks, skips, strict=True)):
            x = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
            x = block(torch.cat([x, skip], 1))
            if i == 1:  # stride 8: global context is cheap here
                x = self.attention(x)
        return AB_SCALE * torch.tanh(self.out(x))

    def predict_ab(self, grey: torch.Tensor, temperature: float = TEMPERATURE) -> torch.Tensor:
        return self(grey)

    def config(self) -> dict[str, Any]:
        return {"kind": "unet", "backbone": self.backbone, "width": self.width,
                "critic_width": self.critic_width, **self.settings()}


def build_colorizer(kind: str = "classification", backbone: str = "efficientnet_lite0",
                    width: int = 64, critic_width: int = 32, pretrained: bool = True,
                    short_side: int = 128, temperature: float = TEMPERATURE) -> nn.Module:
    """A colouriser by ``kind`` (``classification``, ``regression``, ``unet``); ``short_side``
    and ``temperature`` are stored for prediction."""
    check_choice(kind, KINDS, "model")
    model: _Colorizer
    if kind == "unet":
        model = UNetColorizer(backbone, width, critic_width, pretrained)
    else:
        model = ColorNet(kind, backbone, width, pretrained)
    model.short_side, model.temperature = int(short_side), float(temperature)
    return model
