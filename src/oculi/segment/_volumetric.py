"""Volumetric networks written in oculi: V-Net (Milletari et al. 2016) and 3-D U-Net (Çiçek et al.
2016). MONAI has both, but it is not a dependency of oculi; these follow the papers.

Both take ``(N, C, D, H, W)`` and return ``(N, num_classes, D, H, W)`` logits. ``strides`` gives the
down-sampling factor per level and axis, so anisotropic CT (5 mm slices, 0.8 mm pixels) can keep its
few slices: e.g. ``((1, 2, 2), (1, 2, 2), (2, 2, 2), (2, 2, 2))``. The input size per axis must be
a multiple of the product of the strides along it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

Stride = tuple[int, int, int]


def _strides(strides: Sequence[int | Sequence[int]] | None, levels: int) -> list[Stride]:
    if strides is None:
        return [(2, 2, 2)] * levels
    out = [tuple([s] * 3) if isinstance(s, int) else tuple(s) for s in strides]
    if len(out) != levels or any(len(s) != 3 for s in out):
        raise ValueError(f"strides: expected {levels} entries of 3 ints, got {strides}")
    return out  # type: ignore[return-value]


def total_stride(strides: Sequence[Stride]) -> Stride:
    """The product of the per-level strides along each axis."""
    d = h = w = 1
    for s in strides:
        d, h, w = d * s[0], h * s[1], w * s[2]
    return (d, h, w)


class _VStage(nn.Module):
    """n x (conv 5x5x5 - BN - PReLU) with a residual connection."""

    def __init__(self, channels: int, n: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(n):
            layers += [
                nn.Conv3d(channels, channels, 5, padding=2, bias=False),
                nn.BatchNorm3d(channels),
            ]
            if i < n - 1:
                layers.append(nn.PReLU(channels))
        self.body = nn.Sequential(*layers)
        self.act = nn.PReLU(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + x)


class VNet(nn.Module):
    """V-Net: residual 5x5x5 stages, strided-conv down, transposed-conv up, PReLU.

    Args:
        num_classes: output channels.
        in_channels: input channels (1 for CT).
        base: channels of the first stage (16 in the paper; doubles per level).
        strides: per-level down-sampling (4 levels).
        convs: convolutions per encoder stage (paper: 1, 2, 3, 3, 3).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 1,
        base: int = 16,
        strides: Sequence[int | Sequence[int]] | None = None,
        convs: Sequence[int] = (1, 2, 3, 3, 3),
    ) -> None:
        super().__init__()
        self.strides = _strides(strides, 4)
        ch = [base * 2**i for i in range(5)]
        self.inp = nn.Sequential(
            nn.Conv3d(in_channels, base, 5, padding=2, bias=False), nn.BatchNorm3d(base)
        )
        self.in_act = nn.PReLU(base)
        self.in_channels = in_channels
        self.enc = nn.ModuleList()
        self.down = nn.ModuleList()
        for i in range(4):
            s = self.strides[i]
            self.down.append(
                nn.Sequential(
                    nn.Conv3d(ch[i], ch[i + 1], s, stride=s, bias=False),
                    nn.BatchNorm3d(ch[i + 1]),
                    nn.PReLU(ch[i + 1]),
                )
            )
            self.enc.append(_VStage(ch[i + 1], convs[i + 1]))
        # decoder level i: transposed conv (bottom: ch[4]; above: the previous stage's 2·ch[i+1])
        # -> ch[i], concatenated with the skip (ch[i]) into a 2·ch[i] residual stage
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in reversed(range(4)):
            s = self.strides[i]
            self.up.append(
                nn.Sequential(
                    nn.ConvTranspose3d(
                        ch[4] if i == 3 else 2 * ch[i + 1], ch[i], s, stride=s, bias=False
                    ),
                    nn.BatchNorm3d(ch[i]),
                    nn.PReLU(ch[i]),
                )
            )
            self.dec.append(_VStage(2 * ch[i], convs[i + 1] if i > 0 else 1))
        self.out = nn.Conv3d(2 * base, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = self.inp[0].out_channels  # residual: the input repeated to `base` channels
        rep = x.repeat(1, base // x.shape[1] + 1, 1, 1, 1)[:, :base]
        x0 = self.in_act(self.inp(x) + rep)
        skips = [x0]
        y = x0
        for down, stage in zip(self.down, self.enc, strict=True):
            y = stage(down(y))
            skips.append(y)
        skips.pop()
        for up, stage in zip(self.up, self.dec, strict=True):
            y = stage(torch.cat([up(y), skips.pop()], 1))
        return self.out(y)


class UNet3D(nn.Module):
    """3-D U-Net: two conv3x3x3-BN-ReLU per level, max-pool down, transposed conv up, skips.

    Args:
        num_classes: output channels.
        in_channels: input channels.
        features: channels per level (the paper: 32/64, 128, 256, 512; smaller for CPU).
        strides: per-level down-sampling (``len(features) - 1`` levels).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 1,
        features: Sequence[int] = (16, 32, 64, 128),
        strides: Sequence[int | Sequence[int]] | None = None,
    ) -> None:
        super().__init__()
        f = list(features)
        self.strides = _strides(strides, len(f) - 1)

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv3d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm3d(cout),
                nn.ReLU(inplace=True),
                nn.Conv3d(cout, cout, 3, padding=1, bias=False),
                nn.BatchNorm3d(cout),
                nn.ReLU(inplace=True),
            )

        self.enc = nn.ModuleList([block(in_channels, f[0])])
        self.pools = nn.ModuleList()
        for i in range(1, len(f)):
            self.pools.append(nn.MaxPool3d(self.strides[i - 1], self.strides[i - 1]))
            self.enc.append(block(f[i - 1], f[i]))
        self.ups = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in reversed(range(1, len(f))):
            s = self.strides[i - 1]
            self.ups.append(nn.ConvTranspose3d(f[i], f[i - 1], s, stride=s))
            self.dec.append(block(2 * f[i - 1], f[i - 1]))
        self.out = nn.Conv3d(f[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        y = self.enc[0](x)
        for pool, enc in zip(self.pools, self.enc[1:], strict=True):
            skips.append(y)
            y = enc(pool(y))
        for up, dec in zip(self.ups, self.dec, strict=True):
            y = dec(torch.cat([up(y), skips.pop()], 1))
        return self.out(y)
