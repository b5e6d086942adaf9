"""SqueezeNext (Gholami et al., CVPR-W 2018), which neither timm nor torchvision provides.

``1.0-SqNxt-23``: a 7x7/2 stem with 64 channels, 3x3/2 max pooling, four stages of SqueezeNext
blocks (depths 6, 6, 8, 1; widths 32, 64, 128, 256 times the width multiplier) and a 1x1 conv to
128 channels before global pooling. Each block squeezes with two 1x1 convolutions, factorises the
3x3 conv into 1x3 and 3x1, expands with a 1x1 and adds a (projected) shortcut. No pretrained
weights exist offline; the network is meant for training from scratch.
"""

from __future__ import annotations

import torch
from torch import nn

from oculi.core.checks import check_positive


def _conv_bn(cin: int, cout: int, k: int | tuple[int, int], stride: int = 1,
             padding: int | tuple[int, int] = 0, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, padding, bias=False),
                               nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class SqueezeNextBlock(nn.Module):
    """One SqueezeNext unit: (N, cin, H, W) -> (N, cout, H/stride, W/stride)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        if stride == 2:
            reduction = 1
        elif cin > cout:
            reduction = 4
        else:
            reduction = 2
        mid = max(cin // reduction, 1)
        self.body = nn.Sequential(
            _conv_bn(cin, mid, 1, stride),
            _conv_bn(mid, max(mid // 2, 1), 1),
            _conv_bn(max(mid // 2, 1), mid, (1, 3), padding=(0, 1)),
            _conv_bn(mid, mid, (3, 1), padding=(1, 0)),
            _conv_bn(mid, cout, 1, act=False),
        )
        self.shortcut = (nn.Identity() if stride == 1 and cin == cout
                         else _conv_bn(cin, cout, 1, stride, act=False))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class SqueezeNext(nn.Module):
    """SqueezeNext classifier with timm's interface (``forward_features``, ``forward_head``,
    ``reset_classifier``, ``num_features``).

    Args:
        num_classes: output classes (0 keeps only the pooled features).
        width: width multiplier (1.0, 1.5, 2.0 in the paper).
        depths: blocks per stage; (6, 6, 8, 1) is SqNxt-23.

    Shapes:
        ``(N, 3, H, W)`` normalised float, H, W >= 32 -> ``(N, num_classes)`` logits.
    """

    def __init__(self, num_classes: int = 1000, width: float = 1.0,
                 depths: tuple[int, ...] = (6, 6, 8, 1)) -> None:
        super().__init__()
        check_positive(width, "width")
        widths = [int(c * width) for c in (32, 64, 128, 256)]
        stem = int(64 * width)
        self.stem = nn.Sequential(_conv_bn(3, stem, 7, 2, 3),
                                  nn.MaxPool2d(3, 2, ceil_mode=True))
        blocks: list[nn.Module] = []
        cin = stem
        for i, (cout, depth) in enumerate(zip(widths, depths, strict=True)):
            for j in range(depth):
                blocks.append(SqueezeNextBlock(cin, cout, 2 if (j == 0 and i > 0) else 1))
                cin = cout
        self.stages = nn.Sequential(*blocks)
        self.num_features = int(128 * width)
        self.conv_head = _conv_bn(cin, self.num_features, 1)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.num_classes = num_classes
        self.classifier: nn.Module = (nn.Linear(self.num_features, num_classes)
                                      if num_classes else nn.Identity())
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_head(self.stages(self.stem(x)))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = torch.flatten(self.global_pool(x), 1)
        return x if pre_logits else self.classifier(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Module:
        return self.classifier

    def reset_classifier(self, num_classes: int, global_pool: str = "avg") -> None:
        self.num_classes = num_classes
        self.classifier = (nn.Linear(self.num_features, num_classes) if num_classes
                           else nn.Identity())
