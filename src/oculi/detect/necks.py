"""Detection necks shared by the detectors: PANet's top-down + bottom-up path (YOLO's neck, and
an option of the torchvision detectors) and EfficientDet's BiFPN with fast normalised fusion.

A neck takes the backbone's stride-8/16/32 maps (``channels`` given by
:class:`~oculi.detect.backbone.TimmFeatures`) and returns maps of one width, finest first.
:class:`NeckBackbone` wraps a neck and the features into what torchvision's detectors take as a
backbone (an ``OrderedDict`` of maps and ``out_channels``), with the extra coarser levels those
detectors expect (``"pool"``: one max-pooled level for Faster R-CNN, ``"p6p7"``: two for
RetinaNet/FCOS).

    >>> import torch
    >>> neck = BiFPN([40, 112, 320], width=64, num_layers=2, levels=5)
    >>> maps = neck([torch.rand(1, 40, 32, 32), torch.rand(1, 112, 16, 16),
    ...              torch.rand(1, 320, 8, 8)])
    >>> [tuple(m.shape[1:]) for m in maps]
    [(64, 32, 32), (64, 16, 16), (64, 8, 8), (64, 4, 4), (64, 2, 2)]
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

#: neck names :class:`NeckBackbone` builds
NECKS = ("pan", "bifpn")


class ConvBN(nn.Sequential):
    """``k``\\ x ``k`` convolution (stride ``s``, same padding), BatchNorm, SiLU."""

    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1) -> None:
        super().__init__(nn.Conv2d(c1, c2, k, s, k // 2, bias=False), nn.BatchNorm2d(c2),
                         nn.SiLU(inplace=True))


class CSPBlock(nn.Module):
    """Cross-stage-partial block (YOLOv5's C3): half the channels through ``n`` bottlenecks."""

    def __init__(self, c1: int, c2: int, n: int = 1) -> None:
        super().__init__()
        h = c2 // 2
        self.a, self.b = ConvBN(c1, h), ConvBN(c1, h)
        self.m = nn.Sequential(*[nn.Sequential(ConvBN(h, h, 1), ConvBN(h, h, 3))
                                 for _ in range(n)])
        self.out = ConvBN(2 * h, c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.cat([self.m(self.a(x)), self.b(x)], 1))


class PAN(nn.Module):
    """FPN top-down then PANet bottom-up path (Liu et al., 2018) over three maps.

    Args:
        channels: channels of the stride-8/16/32 inputs.
        width: channels of the three outputs (strides 8, 16, 32).
    """

    def __init__(self, channels: Sequence[int], width: int) -> None:
        super().__init__()
        self.lat = nn.ModuleList(ConvBN(c, width) for c in channels)
        self.td4, self.td3 = CSPBlock(2 * width, width), CSPBlock(2 * width, width)
        self.down3, self.down4 = ConvBN(width, width, 3, 2), ConvBN(width, width, 3, 2)
        self.bu4, self.bu5 = CSPBlock(2 * width, width), CSPBlock(2 * width, width)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        l3, l4, l5 = (m(f) for m, f in zip(self.lat, feats, strict=True))
        t4 = self.td4(torch.cat([F.interpolate(l5, size=l4.shape[-2:], mode="nearest"), l4], 1))
        t3 = self.td3(torch.cat([F.interpolate(t4, size=l3.shape[-2:], mode="nearest"), l3], 1))
        b4 = self.bu4(torch.cat([self.down3(t3), t4], 1))
        b5 = self.bu5(torch.cat([self.down4(b4), l5], 1))
        return [t3, b4, b5]


def _batchnorm(c: int) -> nn.BatchNorm2d:
    """BatchNorm with EfficientDet's eps (1e-3) and torch's default momentum 0.1: the paper's
    0.01 (TF's 0.99) suits 300 epochs; after a few hundred steps its running variance still
    holds ~10 % of the initial 1, and evaluation-mode maps shrink layer after layer."""
    return nn.BatchNorm2d(c, eps=1e-3)


class SeparableConv(nn.Sequential):
    """Depthwise 3x3 + pointwise 1x1 convolution and a norm: BatchNorm (``groups`` 0) or
    GroupNorm with ``groups`` groups (for towers shared across pyramid levels, where one set of
    BatchNorm running statistics would mix the levels); ``activation`` adds a SiLU after."""

    def __init__(self, c1: int, c2: int, *, activation: bool = False, groups: int = 0) -> None:
        norm = nn.GroupNorm(groups, c2) if groups else _batchnorm(c2)
        layers: list[nn.Module] = [nn.Conv2d(c1, c1, 3, 1, 1, groups=c1, bias=False),
                                   nn.Conv2d(c1, c2, 1, bias=False), norm]
        if activation:
            layers.append(nn.SiLU(inplace=True))
        super().__init__(*layers)


class FastFusion(nn.Module):
    """EfficientDet's fast normalised fusion of ``n`` same-shaped maps:
    ``sum_i w_i x_i / (eps + sum_j w_j)`` with ``w = relu(weight)`` (learned, one scalar per
    input, initialised to 1): non-negative weights summing to (almost) 1, without a softmax.
    """

    def __init__(self, n: int, eps: float = 1e-4) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def normalised(self) -> torch.Tensor:
        """The ``(n,)`` fusion weights in use (each >= 0, sum <= 1)."""
        w = F.relu(self.weight)
        return w / (w.sum() + self.eps)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        w = self.normalised()
        return sum(w[i] * x for i, x in enumerate(inputs))


def _resize_to(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """``x`` brought to ``ref``'s spatial size: nearest upsampling, or 3x3/2 max pooling to go
    down one level (then nearest resizing when odd sizes leave one row or column off)."""
    if x.shape[-1] > ref.shape[-1]:
        x = F.max_pool2d(x, 3, 2, 1)
    if x.shape[-2:] != ref.shape[-2:]:
        x = F.interpolate(x, size=ref.shape[-2:], mode="nearest")
    return x


class BiFPNLayer(nn.Module):
    """One BiFPN layer over ``levels`` maps of ``width`` channels (finest first).

    Top-down: ``td_i = conv(fuse(P_i, up(td_{i+1})))`` from the second-coarsest level to the
    finest; bottom-up: ``out_i = conv(fuse(P_i, td_i, down(out_{i-1})))`` (the coarsest level
    fuses only ``P_i`` and ``down(out_{i-1})``). Every fusion is a :class:`FastFusion`, every
    ``conv`` SiLU then a :class:`SeparableConv`.
    """

    def __init__(self, width: int, levels: int) -> None:
        super().__init__()
        self.levels = levels
        self.fuse_td = nn.ModuleList(FastFusion(2) for _ in range(levels - 1))
        self.conv_td = nn.ModuleList(SeparableConv(width, width) for _ in range(levels - 1))
        self.fuse_bu = nn.ModuleList(FastFusion(3 if i < levels - 1 else 2)
                                     for i in range(1, levels))
        self.conv_bu = nn.ModuleList(SeparableConv(width, width) for _ in range(levels - 1))

    def fusions(self) -> list[FastFusion]:
        """Every fusion node of the layer (top-down, then bottom-up)."""
        return [*self.fuse_td, *self.fuse_bu]

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        n = self.levels
        td = list(feats)
        for i in range(n - 2, -1, -1):
            fused = self.fuse_td[i]([feats[i], _resize_to(td[i + 1], feats[i])])
            td[i] = self.conv_td[i](F.silu(fused))
        out = [td[0]]
        for i in range(1, n):
            ins = [feats[i], _resize_to(out[-1], feats[i])]
            if i < n - 1:
                ins.insert(1, td[i])
            out.append(self.conv_bu[i - 1](F.silu(self.fuse_bu[i - 1](ins))))
        return out


class BiFPN(nn.Module):
    """EfficientDet's bidirectional FPN (Tan, Pang & Le, 2020).

    Args:
        channels: channels of the backbone maps (strides 8, 16, 32, ...).
        width: channels of every output map (EfficientDet-D0: 64).
        num_layers: BiFPN layers stacked (D0: 3).
        levels: output levels; those beyond the backbone's come from a 1x1 projection of the
            coarsest map, max pooled (3x3, stride 2) once per level (D0: 5, P3-P7).

    Input: the backbone's maps ``(N, channels[i], H_i, W_i)``; output: ``levels`` maps
    ``(N, width, H_i, W_i)``, finest first, each half the size of the previous one.
    """

    def __init__(self, channels: Sequence[int], width: int = 64, num_layers: int = 3,
                 levels: int = 5) -> None:
        super().__init__()
        from oculi.core.checks import check_positive

        check_positive(num_layers, "num_layers")
        if levels < len(channels):
            from oculi.core.errors import ParameterError

            raise ParameterError(f"levels: {levels} is fewer than the {len(channels)} "
                                 "backbone maps")
        self.width, self.levels = int(width), int(levels)

        def project(c: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c, width, 1, bias=False), _batchnorm(width))

        self.lateral = nn.ModuleList(project(c) for c in channels)
        self.extra = project(channels[-1]) if levels > len(channels) else None
        self.layers = nn.ModuleList(BiFPNLayer(width, levels) for _ in range(num_layers))

    def fusions(self) -> list[FastFusion]:
        """Every fusion node, layer by layer."""
        return [f for layer in self.layers for f in layer.fusions()]

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        maps = [m(f) for m, f in zip(self.lateral, feats, strict=True)]
        if self.extra is not None:
            x = self.extra(feats[-1])
            while len(maps) < self.levels:
                x = F.max_pool2d(x, 3, 2, 1)
                maps.append(x)
        for layer in self.layers:
            maps = layer(maps)
        return maps


class NeckBackbone(nn.Module):
    """Backbone features + a shared neck, shaped as torchvision's detectors want a backbone.

    Args:
        features: :class:`~oculi.detect.backbone.TimmFeatures` (stride-8/16/32 maps).
        neck: ``"pan"`` (:class:`PAN`) or ``"bifpn"`` (:class:`BiFPN`, ``bifpn_layers`` deep).
        out_channels: width of every map.
        extra: ``"pool"`` (one more level, 1x1 max pooling with stride 2 of the coarsest, as
            torchvision's FPN for Faster R-CNN) or ``"p6p7"`` (two more, RetinaNet/FCOS); with
            ``"bifpn"`` the extra levels are BiFPN's own (fused like the others).
        bifpn_layers: BiFPN layers (``"bifpn"`` only).

    ``forward(x)`` with ``x`` ``(N, 3, H, W)`` normalised returns an ``OrderedDict`` ``"0"``,
    ``"1"``, ... of ``(N, out_channels, h, w)`` maps, finest (stride 8) first.
    """

    def __init__(self, features: nn.Module, neck: str = "pan", out_channels: int = 128,
                 extra: str = "pool", bifpn_layers: int = 3) -> None:
        super().__init__()
        from oculi.core.checks import check_choice

        check_choice(neck, NECKS, "neck")
        check_choice(extra, ("pool", "p6p7"), "extra")
        self.features, self.kind, self.extra = features, neck, extra
        self.out_channels = int(out_channels)
        n_extra = 1 if extra == "pool" else 2
        if neck == "bifpn":
            self.neck: nn.Module = BiFPN(features.channels, out_channels, bifpn_layers,
                                         len(features.channels) + n_extra)
        else:
            self.neck = PAN(features.channels, out_channels)
            if extra == "p6p7":
                self.p6 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
                self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        maps = self.neck(self.features(x))
        if self.kind == "pan":
            if self.extra == "pool":
                maps.append(F.max_pool2d(maps[-1], 1, 2, 0))
            else:
                p6 = self.p6(maps[-1])
                maps += [p6, self.p7(F.relu(p6))]
        return OrderedDict((str(i), m) for i, m in enumerate(maps))
