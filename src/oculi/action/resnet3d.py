"""The 18-layer video ResNets of Tran et al. 2018 ("A closer look at spatiotemporal convolutions
for action recognition"), written here at their published size: R(2+1)D-18, R3D-18 and MC3-18.

All three share one skeleton, the layout of torchvision's ``r2plus1d_18`` / ``r3d_18`` /
``mc3_18`` (so their checkpoints load, :mod:`oculi.action.videoweights`):

- stem: R(2+1)D: a 1x7x7 convolution (stride 2 in space) to 45 channels, then a 3x1x1 temporal
  convolution to 64; R3D / MC3: one 3x7x7 convolution to 64 (stride 2 in space);
- four stages of two basic residual blocks, 64 / 128 / 256 / 512 channels; stages 2-4 halve time
  and space in their first block (MC3: space only) and project the skip with a strided 1x1x1
  convolution;
- each block: two 3x3x3 convolutions. R(2+1)D factorises each into a 1x3x3 spatial convolution to
  ``M`` channels, batch norm, ReLU and a 3x1x1 temporal convolution, with ``M`` chosen so the pair
  has about the parameters of the full 3x3x3 kernel:
  ``M = floor(27 * Cin * Cout / (9 * Cin + 3 * Cout))`` (the block's input and output channels;
  the block's second convolution reuses the first one's ``M``). MC3 keeps 3x3x3 in stage 1 and
  uses 1x3x3 (no temporal extent) in stages 2-4;
- head: global average pooling over time and space, dropout, a linear classifier.

Input ``(N, C, T, H, W)`` float clips in [0, 1]; the network first normalises them with the
Kinetics-400 mean and standard deviation those checkpoints were trained with (grey clips: the
means of the three). Output ``(N, classes)`` logits. At ``width=64`` and 400 classes R(2+1)D-18
has 31,505,325 parameters, R3D-18 33,371,472 and MC3-18 11,695,440: torchvision's counts (the
tests load torchvision's state dicts and compare outputs).
"""

from __future__ import annotations

import torch
from torch import nn

from oculi.core.checks import check_choice
from oculi.core.errors import ParameterError

#: the convolution of each stage: "full" 3x3x3, "2+1" factorised, "space" 1x3x3
KINDS = {"r2plus1d": ("2+1",) * 4, "r3d": ("full",) * 4, "mc3": ("full",) + ("space",) * 3}
#: Kinetics-400 RGB mean / std of torchvision's video checkpoints
KINETICS_MEAN = (0.43216, 0.394666, 0.37645)
KINETICS_STD = (0.22803, 0.22145, 0.216989)


def mid_channels(cin: int, cout: int) -> int:
    """Channels between the spatial and temporal halves of a (2+1)-D convolution that give it
    about the parameters of a full ``cin`` -> ``cout`` 3x3x3 kernel (Tran et al. 2018, eq. 2)."""
    return (27 * cin * cout) // (9 * cin + 3 * cout)


def _conv(kind: str, cin: int, cout: int, mid: int, stride: int) -> nn.Module:
    """One 3x3x3-sized convolution; ``stride`` in time and space ("space": space only)."""
    if kind == "full":
        return nn.Conv3d(cin, cout, 3, stride, 1, bias=False)
    if kind == "space":
        return nn.Conv3d(cin, cout, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False)
    return nn.Sequential(
        nn.Conv3d(cin, mid, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False),
        nn.BatchNorm3d(mid), nn.ReLU(inplace=True),
        nn.Conv3d(mid, cout, (3, 1, 1), (stride, 1, 1), (1, 0, 0), bias=False))


class VideoBlock(nn.Module):
    """A basic residual block: ``relu(bn_b(conv_b(relu(bn_a(conv_a(x))))) + skip(x))``."""

    def __init__(self, kind: str, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        mid = mid_channels(cin, cout)
        self.conv_a = _conv(kind, cin, cout, mid, stride)
        self.bn_a = nn.BatchNorm3d(cout)
        self.conv_b = _conv(kind, cout, cout, mid, 1)
        self.bn_b = nn.BatchNorm3d(cout)
        t = 1 if kind == "space" else stride
        self.skip = (nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv3d(cin, cout, 1, (t, stride, stride), bias=False), nn.BatchNorm3d(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn_a(self.conv_a(x)))
        return torch.relu(self.bn_b(self.conv_b(y)) + self.skip(x))


class VideoResNet18(nn.Module):
    """R(2+1)D-18, R3D-18 or MC3-18 (see the module doc).

    Args:
        classes: number of classes.
        kind: ``r2plus1d``, ``r3d`` or ``mc3``.
        in_channels: 3 (RGB) or 1 (grey).
        width: channels of the first stage (64 is the published network; stages w, 2w, 4w, 8w;
            the R(2+1)D stem's 45 scales with it).
        dropout: dropout before the classifier.
        normalize: subtract the Kinetics mean and divide by its standard deviation first.
    """

    def __init__(self, classes: int, kind: str = "r2plus1d", in_channels: int = 3,
                 width: int = 64, dropout: float = 0.0, normalize: bool = True) -> None:
        super().__init__()
        check_choice(kind, tuple(KINDS), "kind")
        if in_channels not in (1, 3):
            raise ParameterError(f"in_channels: expected 1 or 3, got {in_channels!r}")
        self.kind = kind
        mean = torch.tensor(KINETICS_MEAN).view(3, 1, 1, 1)
        std = torch.tensor(KINETICS_STD).view(3, 1, 1, 1)
        if in_channels == 1:
            mean, std = mean.mean(0, keepdim=True), std.mean(0, keepdim=True)
        self.normalize = normalize
        self.register_buffer("mean", mean, persistent=False)
        self.register_buffer("std", std, persistent=False)
        if kind == "r2plus1d":
            stem_mid = round(45 * width / 64)
            self.stem = nn.Sequential(
                nn.Conv3d(in_channels, stem_mid, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False),
                nn.BatchNorm3d(stem_mid), nn.ReLU(inplace=True),
                nn.Conv3d(stem_mid, width, (3, 1, 1), 1, (1, 0, 0), bias=False),
                nn.BatchNorm3d(width), nn.ReLU(inplace=True))
        else:
            self.stem = nn.Sequential(
                nn.Conv3d(in_channels, width, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False),
                nn.BatchNorm3d(width), nn.ReLU(inplace=True))
        stages, cin = [], width
        for i, conv in enumerate(KINDS[kind]):
            cout = width * 2 ** i
            stride = 2 if i else 1
            stages.append(nn.Sequential(VideoBlock(conv, cin, cout, stride),
                                        VideoBlock(conv, cout, cout, 1)))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(cin, classes))
        self._init()

    def _init(self) -> None:
        """He initialisation of the convolutions (fan out), unit batch norms, a small classifier
        (the scheme of the published training code)."""
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        x = (clips - self.mean) / self.std if self.normalize else clips
        x = self.stages(self.stem(x))
        return self.head(x.mean((2, 3, 4)))
