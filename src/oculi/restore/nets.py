"""The restoration networks written in oculi, all mapping float images in [0, 1] (N x C x h x w)
to float images: the SR networks to N x C x (h*scale) x (w*scale), DnCNN to the same size.

- ``srcnn`` — SRCNN (Dong et al. 2014), 9-1-5 with 64/32 filters, on the bicubic-upsampled
  input (torch's bicubic).
- ``fsrcnn`` — FSRCNN (Dong et al. 2016): d=56 feature extraction (5x5), s=12 shrinking (1x1),
  m=4 mapping layers (3x3), expanding (1x1), PReLU, a 9x9 transposed convolution of stride
  ``scale``.
- ``espcn`` — ESPCN (Shi et al. 2016): 5x5 64, 3x3 32 (tanh), 3x3 to ``C*scale**2`` planes and
  a pixel shuffle.
- ``edsr`` — EDSR-baseline (Lim et al. 2017): 16 residual blocks of 64 channels, no batch
  normalisation, a global skip, pixel-shuffle upsampling (x4 as two x2 steps).
- ``srmd`` — SRMD (Zhang et al. 2018), super-resolution for several degradations: the blur
  kernel is projected on a ``components``-dimensional PCA basis (:func:`oculi.restore.kernels.
  kernel_basis`, stored in the module's buffers, hence in every checkpoint), the code and the
  noise level are stretched into ``components + 1`` constant maps and concatenated with the LR
  image, then ``depth`` 3x3 convolutions of ``features`` channels (batch normalisation and ReLU
  between them) end in ``C*scale**2`` planes and a pixel shuffle. The paper's: 12 layers of
  128. Unlike the paper, the output adds torch's bicubic upsampling of the LR image (a global
  skip; the last layer starts near zero, so an untrained network is bicubic): on a CPU budget
  of ~10^3 steps the paper's plain network stayed under bicubic. ``forward(x, degradation)``
  takes the N x (kernel_size**2 + 1) vectors of
  :func:`oculi.restore.kernels.degradation_vector`.
- ``dncnn`` — DnCNN (Zhang et al. 2017): 17 3x3 layers of 64 channels with batch normalisation
  in the middle ones, residual learning (the network predicts the noise, the output is
  ``input - noise``).

``build_network(model, scale=..., channels=..., features=0, depth=0)`` builds any of them
(0: the paper's width/depth); every network has ``config()``, the dict that rebuilds it.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from oculi.core.errors import ParameterError
from oculi.core.registry import Registry

#: network classes; metadata ``problem`` (``sr`` or ``denoise``)
networks: Registry[type[nn.Module]] = Registry("restoration network")


class _Net(nn.Module):
    """What every restoration network keeps: its name and the arguments that rebuild it."""

    name = ""

    def __init__(self, scale: int, channels: int, features: int, depth: int) -> None:
        super().__init__()
        self.scale, self.channels, self.features, self.depth = scale, channels, features, depth

    def config(self) -> dict[str, Any]:
        return {"model": self.name, "scale": self.scale, "channels": self.channels,
                "features": self.features, "depth": self.depth}


def _conv(cin: int, cout: int, k: int, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias)


@networks.register("srcnn", help="SRCNN 9-1-5 on the bicubic-upsampled input", problem="sr")
class SRCNN(_Net):
    name = "srcnn"

    def __init__(self, scale: int, channels: int = 1, features: int = 0, depth: int = 0) -> None:
        super().__init__(scale, channels, features or 64, depth)
        f = self.features
        self.body = nn.Sequential(_conv(channels, f, 9), nn.ReLU(inplace=True),
                                  _conv(f, f // 2, 1), nn.ReLU(inplace=True),
                                  _conv(f // 2, channels, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return self.body(up)


@networks.register("fsrcnn", help="FSRCNN (d=56, s=12, m=4), transposed-conv upsampling",
                   problem="sr")
class FSRCNN(_Net):
    name = "fsrcnn"

    def __init__(self, scale: int, channels: int = 1, features: int = 0, depth: int = 0) -> None:
        super().__init__(scale, channels, features or 56, depth or 4)
        d, s = self.features, 12
        layers: list[nn.Module] = [_conv(channels, d, 5), nn.PReLU(d), _conv(d, s, 1),
                                   nn.PReLU(s)]
        for _ in range(self.depth):
            layers += [_conv(s, s, 3), nn.PReLU(s)]
        layers += [_conv(s, d, 1), nn.PReLU(d)]
        self.body = nn.Sequential(*layers)
        self.up = nn.ConvTranspose2d(d, channels, 9, stride=scale, padding=4,
                                     output_padding=scale - 1)
        nn.init.normal_(self.up.weight, std=1e-3)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.body(x))


@networks.register("espcn", help="ESPCN, sub-pixel (pixel shuffle) upsampling", problem="sr")
class ESPCN(_Net):
    name = "espcn"

    def __init__(self, scale: int, channels: int = 1, features: int = 0, depth: int = 0) -> None:
        super().__init__(scale, channels, features or 64, depth)
        f = self.features
        self.body = nn.Sequential(_conv(channels, f, 5), nn.Tanh(), _conv(f, f // 2, 3),
                                  nn.Tanh(), _conv(f // 2, channels * scale * scale, 3),
                                  nn.PixelShuffle(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class _ResBlock(nn.Module):
    def __init__(self, f: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_conv(f, f, 3), nn.ReLU(inplace=True), _conv(f, f, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _upsampler(f: int, scale: int) -> nn.Sequential:
    """Pixel-shuffle upsampling: x2 steps for powers of two, one step otherwise."""
    steps = [2] * int(math.log2(scale)) if scale & (scale - 1) == 0 else [scale]
    layers: list[nn.Module] = []
    for s in steps:
        layers += [_conv(f, f * s * s, 3), nn.PixelShuffle(s)]
    return nn.Sequential(*layers)


@networks.register("edsr", help="EDSR-baseline: 16 residual blocks of 64 channels, no BN",
                   problem="sr")
class EDSR(_Net):
    name = "edsr"

    def __init__(self, scale: int, channels: int = 1, features: int = 0, depth: int = 0) -> None:
        super().__init__(scale, channels, features or 64, depth or 16)
        f = self.features
        self.head = _conv(channels, f, 3)
        self.body = nn.Sequential(*[_ResBlock(f) for _ in range(self.depth)], _conv(f, f, 3))
        self.tail = nn.Sequential(_upsampler(f, scale), _conv(f, channels, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x - 0.5)
        return self.tail(h + self.body(h)) + 0.5


@networks.register("srmd", help="SRMD: LR image + kernel-PCA and noise maps, 12 conv layers "
                   "of 128, BN, pixel shuffle (non-blind: give the kernel and noise)",
                   problem="sr")
class SRMD(_Net):
    name = "srmd"

    def __init__(self, scale: int, channels: int = 1, features: int = 0, depth: int = 0,
                 kernel_size: int = 15, components: int = 15) -> None:
        from oculi.restore.kernels import kernel_basis

        super().__init__(scale, channels, features or 128, depth or 12)
        if self.depth < 2:
            raise ParameterError(f"depth: SRMD needs at least 2 layers, got {self.depth}")
        self.kernel_size, self.components = kernel_size, components
        basis, mean = kernel_basis(kernel_size, components)
        self.register_buffer("basis", torch.from_numpy(basis))
        self.register_buffer("kernel_mean", torch.from_numpy(mean))
        f = self.features
        layers: list[nn.Module] = [_conv(channels + components + 1, f, 3), nn.ReLU(inplace=True)]
        for _ in range(self.depth - 2):
            layers += [_conv(f, f, 3, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True)]
        last = _conv(f, channels * scale * scale, 3)
        nn.init.normal_(last.weight, std=1e-3)
        nn.init.zeros_(last.bias)
        self.body = nn.Sequential(*layers, last, nn.PixelShuffle(scale))

    def config(self) -> dict[str, Any]:
        return {**super().config(), "kernel_size": self.kernel_size,
                "components": self.components}

    def code(self, degradation: torch.Tensor) -> torch.Tensor:
        """N x (kernel_size**2 + 1) kernels and noise levels -> N x (components + 1) codes."""
        k = degradation[:, :-1] - self.kernel_mean
        return torch.cat([k @ self.basis.T, degradation[:, -1:]], dim=1)

    def forward(self, x: torch.Tensor, degradation: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        maps = self.code(degradation.to(x.dtype))[:, :, None, None].expand(n, -1, h, w)
        up = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return up + self.body(torch.cat([x, maps], dim=1))


@networks.register("dncnn", help="DnCNN: 17 layers, BN, residual (noise) learning",
                   problem="denoise")
class DnCNN(_Net):
    name = "dncnn"

    def __init__(self, scale: int = 1, channels: int = 3, features: int = 0,
                 depth: int = 0) -> None:
        super().__init__(1, channels, features or 64, depth or 17)
        f = self.features
        layers: list[nn.Module] = [_conv(channels, f, 3), nn.ReLU(inplace=True)]
        for _ in range(self.depth - 2):
            layers += [_conv(f, f, 3, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True)]
        layers.append(_conv(f, channels, 3))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.body(x)


def build_network(model: str, scale: int = 2, channels: int = 1, features: int = 0,
                  depth: int = 0, **extra: Any) -> nn.Module:
    """A restoration network by name (see the module doc); ``extra``: SRMD's ``kernel_size``
    and ``components``.

    Raises:
        UnknownNameError: an unknown model. ParameterError: a depth too small for DnCNN.
    """
    cls = networks.get(model)
    if cls is DnCNN and 0 < depth < 3:
        raise ParameterError(f"depth: DnCNN needs at least 3 layers, got {depth}")
    return cls(scale, channels, features, depth, **extra)
