"""SegNet (Badrinarayanan et al. 2017), written from the paper.

A VGG16-style encoder (13 conv3x3-BN-ReLU layers in 5 blocks, each followed by 2x2 max pooling
that keeps its indices) and a mirrored decoder that upsamples with those indices (max unpooling,
no learned upsampling, no skip features) followed by conv-BN-ReLU layers. ``width`` scales the
channels (1.0: the paper's 64..512, 29.4 M parameters). Trained from scratch (no offline VGG
weights). Input sizes: multiples of 32.
"""

from __future__ import annotations

import torch
from torch import nn

_CFG = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


def _cbr(cin: int, cout: int) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    ]


class SegNet(nn.Module):
    """SegNet: ``(N, in_channels, H, W)`` -> ``(N, num_classes, H, W)`` logits."""

    def __init__(self, num_classes: int, in_channels: int = 3, width: float = 1.0) -> None:
        super().__init__()
        chans = [(max(8, int(c * width)), n) for c, n in _CFG]
        self.enc = nn.ModuleList()
        cin = in_channels
        for c, n in chans:
            layers: list[nn.Module] = []
            for _ in range(n):
                layers += _cbr(cin, c)
                cin = c
            self.enc.append(nn.Sequential(*layers))
        self.dec = nn.ModuleList()
        rev = list(reversed(chans))
        for i, (c, n) in enumerate(rev):
            out = rev[i + 1][0] if i + 1 < len(rev) else c
            layers = []
            for j in range(n):
                last = j == n - 1
                layers += _cbr(c, out if last else c)
            self.dec.append(nn.Sequential(*layers))
        self.head = nn.Conv2d(chans[0][0], num_classes, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stack = []
        for block in self.enc:
            x = block(x)
            size = x.shape
            x, idx = self.pool(x)
            stack.append((idx, size))
        for block in self.dec:
            idx, size = stack.pop()
            x = block(self.unpool(x, idx, output_size=size))
        return self.head(x)
