"""Feed-forward style networks.

- :class:`TransformerNet` — Johnson, Alahi & Fei-Fei (2016) image transformation network with
  instance normalisation (Ulyanov et al. 2016) and resize-convolution upsampling (nearest x2 then
  a convolution, Odena et al. 2016, no checkerboard): 9x9 conv, two stride-2 convs, residual
  blocks, two resize-convs, 9x9 conv, sigmoid to [0, 1]. ``width`` scales the channels
  (the paper's is 32: 32/64/128).
- :func:`adain` and :class:`AdaINNet` — Huang & Belongie (2017): the content features'
  per-channel mean/std replaced by the style's, decoded by a trained decoder; the encoder is the
  frozen feature network up to one layer.

Inputs and outputs are NCHW float32 in [0, 1]; any height and width (padded inside to a
multiple of the network's stride).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from oculi.stylize.losses import mean_std


def _conv(cin: int, cout: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(k // 2), nn.Conv2d(cin, cout, k, stride))


def _conv_in_relu(cin: int, cout: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(_conv(cin, cout, k, stride), nn.InstanceNorm2d(cout, affine=True),
                         nn.ReLU(inplace=True))


class _Residual(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_conv_in_relu(c, c, 3), _conv(c, c, 3),
                                  nn.InstanceNorm2d(c, affine=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class _UpConv(nn.Module):
    """Nearest-neighbour x2 upsampling followed by a convolution (+ IN + ReLU)."""

    def __init__(self, cin: int, cout: int, k: int = 3, norm: bool = True) -> None:
        super().__init__()
        self.conv = _conv_in_relu(cin, cout, k) if norm else nn.Sequential(
            _conv(cin, cout, k), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def _pad_to(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, int, int]:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect" if min(h, w) > max(ph, pw) else "replicate")
    return x, h, w


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network (see the module doc).

    Args:
        width: channels of the first layer (x2, x4 after the downsamplings).
        blocks: residual blocks at 1/4 resolution.

    Shapes:
        ``(N, 3, H, W)`` in [0, 1] -> ``(N, 3, H, W)`` in [0, 1].
    """

    def __init__(self, width: int = 16, blocks: int = 5) -> None:
        super().__init__()
        self.width, self.blocks = width, blocks
        w = width
        self.body = nn.Sequential(
            _conv_in_relu(3, w, 9), _conv_in_relu(w, 2 * w, 3, 2),
            _conv_in_relu(2 * w, 4 * w, 3, 2),
            *[_Residual(4 * w) for _ in range(blocks)],
            _UpConv(4 * w, 2 * w), _UpConv(2 * w, w), _conv(w, 3, 9))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, h, w = _pad_to(x, 4)
        return torch.sigmoid(self.body(x))[..., :h, :w]

    def config(self) -> dict[str, Any]:
        return {"model": "johnson", "width": self.width, "blocks": self.blocks}


def adain(content: torch.Tensor, style: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Adaptive instance normalisation: ``σ(s) · (c − μ(c)) / σ(c) + μ(s)`` per channel.

    Args:
        content: ``(N, C, H, W)`` features.
        style: ``(N or 1, C, h, w)`` features (any spatial size).

    Returns:
        ``(N, C, H, W)`` with each channel's mean and std equal to the style's.
    """
    mc, sc = mean_std(content, eps)
    ms, ss = mean_std(style, eps)
    return ss * (content - mc) / sc + ms


class AdaINNet(nn.Module):
    """Encoder (frozen :class:`~oculi.stylize.features.StyleFeatures` up to ``layer``) + AdaIN +
    a decoder mirroring the encoder's stride with resize-convolutions.

    Args:
        features: the frozen feature network (not saved with the decoder: it is rebuilt from
            the registry weights).
        layer: the encoder layer AdaIN works on (its stride must be a power of two).
        width: decoder channels at the finest scale (doubled per coarser scale).

    Shapes:
        ``forward(content, style, alpha)``: ``(N, 3, H, W)`` and ``(N or 1, 3, h, w)`` in [0, 1]
        -> ``(N, 3, H, W)`` in [0, 1]; ``alpha`` in [0, 1] trades content (0) for style (1).
    """

    def __init__(self, features: nn.Module, layer: str = "blocks.3", width: int = 16) -> None:
        super().__init__()
        self.layer, self.width = layer, width
        object.__setattr__(self, "encoder", features)  # frozen, kept out of the state dict
        with torch.no_grad():
            probe = features(torch.zeros(1, 3, 64, 64), [layer])[layer]
        cin, stride = probe.shape[1], 64 // probe.shape[-1]
        self.levels = max(1, stride.bit_length() - 1)
        chans = [width * 2 ** i for i in range(self.levels)][::-1]
        layers: list[nn.Module] = [_conv(cin, chans[0], 3), nn.ReLU(inplace=True)]
        for i in range(self.levels):
            nxt = chans[i + 1] if i + 1 < self.levels else width
            layers += [_UpConv(chans[i], nxt, norm=False), _conv(nxt, nxt, 3),
                       nn.ReLU(inplace=True)]
        layers.append(_conv(width, 3, 3))
        self.decoder = nn.Sequential(*layers)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x, [self.layer])[self.layer]

    def decode(self, t: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        out = torch.sigmoid(self.decoder(t))
        if out.shape[-2:] != size:
            out = F.interpolate(out, size=size, mode="bilinear", align_corners=False)
        return out

    def forward(self, content: torch.Tensor, style: torch.Tensor,
                alpha: float = 1.0) -> torch.Tensor:
        return self.stylize(content, style, alpha)[0]

    def stylize(self, content: torch.Tensor, style: torch.Tensor,
                alpha: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """``(output, t)``: the decoded image and the AdaIN target features ``t``."""
        x, h, w = _pad_to(content, 2 ** self.levels)
        with torch.no_grad():  # the encoder is frozen
            fc, fs = self.encode(x), self.encode(style)
        t = adain(fc, fs)
        t = alpha * t + (1 - alpha) * fc
        return self.decode(t, x.shape[-2:])[..., :h, :w], t

    def config(self) -> dict[str, Any]:
        return {"model": "adain", "layer": self.layer, "width": self.width,
                "backbone": getattr(self.encoder, "backbone", "efficientnet_lite0")}


def build_stylizer(config: dict[str, Any], features: nn.Module | None = None) -> nn.Module:
    """Rebuild a network from its :meth:`config` dict (AdaIN needs the feature network)."""
    conf = {k: v for k, v in config.items() if k != "style"}
    kind = conf.pop("model", "johnson")
    if kind == "johnson":
        return TransformerNet(**conf)
    if features is None:
        from oculi.stylize.features import StyleFeatures

        features = StyleFeatures(conf.get("backbone", "efficientnet_lite0"))
    return AdaINNet(features, conf["layer"], conf["width"])
