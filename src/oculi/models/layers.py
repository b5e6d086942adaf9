"""Building blocks: the depthwise-separable convolution and the two any-input-size heads.

The two classic ways to make a CNN accept any input size, both ending in global pooling:

* :class:`LinearHead` — ``AdaptiveAvgPool2d(1) → Linear(features, classes)``;
* :class:`ConvHead` — ``Conv2d(features, classes, 3, padding=1) → AdaptiveAvgPool2d(1)``.

    >>> import torch
    >>> head = ConvHead(64, 10)
    >>> head(torch.zeros(2, 64, 5, 7)).shape, head(torch.zeros(2, 64, 9, 9)).shape
    (torch.Size([2, 10]), torch.Size([2, 10]))
"""

from __future__ import annotations

import torch
from torch import nn

from oculi.core.checks import check_positive


class SeparableConv2d(nn.Module):
    """Depthwise-separable convolution: a per-channel ``k x k`` conv, then a 1x1 pointwise conv.

    As in Xception / MobileNet: ``in*k*k + in*out`` weights instead of ``in*out*k*k``. Each conv is
    followed by BatchNorm and (optionally) ReLU.

    Args:
        in_channels, out_channels: channel counts.
        kernel_size: odd spatial size of the depthwise kernel.
        stride: stride of the depthwise conv.
        dilation: dilation of the depthwise conv.
        norm: add BatchNorm after each conv.
        activation: add ReLU after each conv (``"relu"``) or not (``None``).

    Shapes:
        ``(N, in, H, W)`` float -> ``(N, out, ceil(H/stride), ceil(W/stride))``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        dilation: int = 1,
        *,
        norm: bool = True,
        activation: str | None = "relu",
    ) -> None:
        super().__init__()
        for v, n in ((in_channels, "in_channels"), (out_channels, "out_channels"),
                     (kernel_size, "kernel_size"), (stride, "stride"), (dilation, "dilation")):
            check_positive(v, n)
        pad = dilation * (kernel_size - 1) // 2
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size, stride, pad,
                                   dilation=dilation, groups=in_channels, bias=not norm)
        self.bn_dw = nn.BatchNorm2d(in_channels) if norm else nn.Identity()
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=not norm)
        self.bn_pw = nn.BatchNorm2d(out_channels) if norm else nn.Identity()
        self.act = nn.ReLU(inplace=True) if activation == "relu" else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.bn_dw(self.depthwise(x)))
        return self.act(self.bn_pw(self.pointwise(x)))


class LinearHead(nn.Module):
    """``AdaptiveAvgPool2d(1) → Flatten → Dropout → Linear``: (N, C, H, W) -> (N, classes)."""

    def __init__(self, in_features: int, num_classes: int, drop_rate: float = 0.0) -> None:
        super().__init__()
        check_positive(num_classes, "num_classes")
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.drop(torch.flatten(self.pool(x), 1)))


class ConvHead(nn.Module):
    """``Conv2d(C, classes, 3, padding=1) → AdaptiveAvgPool2d(1) → Flatten``: per-location class
    scores averaged over the map; (N, C, H, W) -> (N, classes) logits for any H, W >= 1."""

    def __init__(self, in_features: int, num_classes: int, drop_rate: float = 0.0) -> None:
        super().__init__()
        check_positive(num_classes, "num_classes")
        self.drop = nn.Dropout2d(drop_rate) if drop_rate > 0 else nn.Identity()
        self.conv = nn.Conv2d(in_features, num_classes, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.conv(self.drop(x))), 1)

    def class_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Per-location class scores before pooling: (N, C, H, W) -> (N, classes, H, W)."""
        return self.conv(x)


HEADS = {"linear": LinearHead, "conv": ConvHead}
