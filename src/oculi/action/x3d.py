"""An X3D-XS-sized 3-D CNN (Feichtenhofer 2020), written here and trained from scratch.

X3D expands a tiny 2-D mobile network along time, width and depth; its XS member is the
smallest. :class:`X3DNet` keeps XS's shape at ``width=24``:

- stem: a 1x3x3 convolution (stride 2 in space) then a depthwise 5x1x1 temporal convolution;
- four stages of (1, 2, 5, 3) bottleneck blocks with (w, 2w, 4w, 8w) output channels, each block a
  1x1x1 expansion to 2.25x the channels, a **depthwise** 3x3x3 convolution (stride 2 in space in a
  stage's first block), a squeeze-excitation gate (every other block, 1/16 of the channels),
  swish, and a 1x1x1 projection, with a residual connection;
- head: a 1x1x1 convolution to 18w channels (432 at XS's width), global average pooling, a
  2048-unit fully connected layer, dropout and the classifier.

Time is never strided (X3D keeps its few frames). Input ``(N, C, T, H, W)`` float; output
``(N, classes)`` logits.
"""

from __future__ import annotations

import torch
from torch import nn

#: blocks per stage (X3D-XS / -S / -M)
DEPTHS = (1, 2, 5, 3)
#: channel multiplier of the bottleneck's inner layer
EXPANSION = 2.25


class _SqueezeExcite(nn.Module):
    def __init__(self, channels: int, ratio: float = 1 / 16) -> None:
        super().__init__()
        hidden = max(8, round(channels * ratio))
        self.gate = nn.Sequential(nn.AdaptiveAvgPool3d(1), nn.Conv3d(channels, hidden, 1),
                                  nn.ReLU(inplace=True), nn.Conv3d(hidden, channels, 1),
                                  nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class _Bottleneck(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, se: bool) -> None:
        super().__init__()
        inner = round(EXPANSION * cout)
        self.branch = nn.Sequential(
            nn.Conv3d(cin, inner, 1, bias=False), nn.BatchNorm3d(inner), nn.ReLU(inplace=True),
            nn.Conv3d(inner, inner, 3, (1, stride, stride), 1, groups=inner, bias=False),
            nn.BatchNorm3d(inner), _SqueezeExcite(inner) if se else nn.Identity(), nn.SiLU(),
            nn.Conv3d(inner, cout, 1, bias=False), nn.BatchNorm3d(cout))
        self.skip = (nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv3d(cin, cout, 1, (1, stride, stride), bias=False), nn.BatchNorm3d(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.branch(x) + self.skip(x))


class X3DNet(nn.Module):
    """An X3D-XS-shaped 3-D CNN (see the module doc).

    Args:
        classes: number of classes.
        in_channels: 1 (grey) or 3 (RGB).
        width: stem and first-stage channels (24 is X3D-XS; stages w, 2w, 4w, 8w).
        dropout: dropout before the classifier.
        fc: units of the fully connected layer before the classifier (2048 in X3D).
    """

    def __init__(self, classes: int, in_channels: int = 1, width: int = 24,
                 dropout: float = 0.2, fc: int = 2048) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(in_channels, width, (1, 3, 3), (1, 2, 2), (0, 1, 1), bias=False),
            nn.Conv3d(width, width, (5, 1, 1), 1, (2, 0, 0), groups=width, bias=False),
            nn.BatchNorm3d(width), nn.ReLU(inplace=True))
        blocks, cin = [], width
        for i, depth in enumerate(DEPTHS):
            cout = width * 2 ** i
            for b in range(depth):
                blocks.append(_Bottleneck(cin, cout, 2 if b == 0 else 1, se=b % 2 == 0))
                cin = cout
        self.stages = nn.Sequential(*blocks)
        head = round(width * 18)
        self.head = nn.Sequential(
            nn.Conv3d(cin, head, 1, bias=False), nn.BatchNorm3d(head), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(head, fc), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(fc, classes))

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(clips)))
