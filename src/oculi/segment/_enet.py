"""ENet (Paszke et al. 2016), the real-time segmentation network, written from the paper.

Initial block (3x3 stride-2 conv ‖ max pool), bottleneck stages 1–3 at 1/2, 1/4, 1/8 with regular,
dilated (2, 4, 8, 16) and asymmetric (5x1 · 1x5) bottlenecks, and a decoder (stages 4–5) that
unpools with the encoder's max-pool indices, then a full-resolution transposed convolution.
PReLU throughout, spatial dropout 0.01 in stage 1 and 0.1 after. ~0.36 M parameters at width 1.
Input height and width must be multiples of 8.
"""

from __future__ import annotations

import torch
from torch import nn


class _Initial(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout - cin, 3, stride=2, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.PReLU(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(torch.cat([self.conv(x), self.pool(x)], 1)))


class _Bottleneck(nn.Module):
    """Regular / dilated / asymmetric bottleneck; ``downsample`` returns max-pool indices too."""

    def __init__(
        self,
        channels: int,
        out: int | None = None,
        *,
        dilation: int = 1,
        asymmetric: bool = False,
        downsample: bool = False,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        out = out or channels
        mid = channels // 4
        self.downsample = downsample
        k = 2 if downsample else 1
        if asymmetric:
            conv = nn.Sequential(
                nn.Conv2d(mid, mid, (5, 1), padding=(2, 0), bias=False),
                nn.Conv2d(mid, mid, (1, 5), padding=(0, 2), bias=False),
            )
        else:
            conv = nn.Conv2d(mid, mid, 3, padding=dilation, dilation=dilation, bias=False)
        self.branch = nn.Sequential(
            nn.Conv2d(channels, mid, k, stride=k, bias=False),
            nn.BatchNorm2d(mid),
            nn.PReLU(mid),
            conv,
            nn.BatchNorm2d(mid),
            nn.PReLU(mid),
            nn.Conv2d(mid, out, 1, bias=False),
            nn.BatchNorm2d(out),
            nn.Dropout2d(dropout),
        )
        self.pool = nn.MaxPool2d(2, 2, return_indices=True) if downsample else None
        self.extra = out - channels
        self.act = nn.PReLU(out)

    def forward(self, x: torch.Tensor):
        idx = None
        main = x
        if self.pool is not None:
            main, idx = self.pool(x)
        if self.extra > 0:
            n, _, h, w = main.shape
            main = torch.cat([main, main.new_zeros(n, self.extra, h, w)], 1)
        y = self.act(main + self.branch(x))
        return (y, idx) if self.downsample else y


class _Upsample(nn.Module):
    def __init__(self, cin: int, cout: int, dropout: float = 0.1) -> None:
        super().__init__()
        mid = cin // 4
        self.main = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.branch = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(mid, mid, 2, stride=2, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.Dropout2d(dropout),
        )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor, idx: torch.Tensor, size: torch.Size) -> torch.Tensor:
        main = self.unpool(self.main(x), idx, output_size=size)
        return self.act(main + self.branch(x))


class ENet(nn.Module):
    """ENet: ``(N, in_channels, H, W)`` normalised input -> ``(N, num_classes, H, W)`` logits.

    Args:
        num_classes: output channels.
        in_channels: input channels (3 for RGB).
        width: channel multiplier (1.0: the paper's 16/64/128).
    """

    def __init__(self, num_classes: int, in_channels: int = 3, width: float = 1.0) -> None:
        super().__init__()
        c0, c1, c2 = (max(8, round(c * width / 4) * 4) for c in (16, 64, 128))
        self.initial = _Initial(in_channels, max(c0, in_channels + 4))
        c0 = max(c0, in_channels + 4)
        self.down1 = _Bottleneck(c0, c1, downsample=True, dropout=0.01)
        self.stage1 = nn.Sequential(*[_Bottleneck(c1, dropout=0.01) for _ in range(4)])
        self.down2 = _Bottleneck(c1, c2, downsample=True)
        body = []
        for _ in range(2):  # stages 2 and 3 share the pattern (stage 3 without its downsampling)
            body += [
                _Bottleneck(c2),
                _Bottleneck(c2, dilation=2),
                _Bottleneck(c2, asymmetric=True),
                _Bottleneck(c2, dilation=4),
                _Bottleneck(c2),
                _Bottleneck(c2, dilation=8),
                _Bottleneck(c2, asymmetric=True),
                _Bottleneck(c2, dilation=16),
            ]
        self.stage23 = nn.Sequential(*body)
        self.up4 = _Upsample(c2, c1)
        self.stage4 = nn.Sequential(_Bottleneck(c1), _Bottleneck(c1))
        self.up5 = _Upsample(c1, c0)
        self.stage5 = _Bottleneck(c0)
        self.full = nn.ConvTranspose2d(c0, num_classes, 3, stride=2, padding=1, output_padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x0 = self.initial(x)
        x1, i1 = self.down1(x0)
        x1 = self.stage1(x1)
        x2, i2 = self.down2(x1)
        x2 = self.stage23(x2)
        y = self.stage4(self.up4(x2, i2, x1.shape))
        y = self.stage5(self.up5(y, i1, x0.shape))
        return self.full(y)
