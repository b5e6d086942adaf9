"""Networks of the image-to-image tasks. Images are ``N x C x H x W`` float32 in [-1, 1]
(generator outputs end in tanh); H and W as the config allows (see each class).

- :class:`UNetGenerator`: pix2pix's encoder-decoder; ``depth`` 4x4 stride-2 convolutions down,
  as many transposed convolutions up, the decoder of each level concatenating the encoder's
  output of the same size (skip connections); dropout in the three innermost decoder levels.
- :class:`ResnetGenerator`: CycleGAN's (Johnson et al. 2016): 7x7 conv, two stride-2 convs,
  residual blocks, two transposed convs, 7x7 conv; reflection padding.
- :class:`PatchCritic`: PatchGAN: a score per overlapping patch of ``patch`` pixels
  (:func:`receptive_field` computes it from the layers), ``N x 1 x h x w``.
- :class:`Img2ImgModel`: what a run stores: ``generator`` (A -> B) and ``critic``; for CycleGAN
  also ``generator_ba`` (B -> A) and ``critic_a``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from oculi.core.checks import check_choice
from oculi.core.errors import ParameterError, ShapeError
from oculi.generate.gan_blocks import spectral
from oculi.generate.img2img_config import NORMS, PATCH_LAYERS, unet_depth


def _norm(kind: str, channels: int) -> nn.Module:
    check_choice(kind, NORMS, "norm")
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    return nn.InstanceNorm2d(channels, affine=False)


class UNetGenerator(nn.Module):
    """pix2pix U-Net: ``C_in x S x S`` -> ``C_out x S x S`` in [-1, 1], S a multiple of
    ``2**depth``. Channels ``width * min(2**level, 8)``; the innermost level has no norm (it may
    be 1 x 1)."""

    def __init__(self, in_channels: int, out_channels: int, width: int = 64, depth: int = 8,
                 dropout: float = 0.5, norm: str = "batch") -> None:
        super().__init__()
        self.depth = depth
        chans = [width * min(2 ** i, 8) for i in range(depth)]
        bias = norm == "instance"  # batch norm has its own shift
        downs = [nn.Conv2d(in_channels, chans[0], 4, 2, 1)]
        for i in range(1, depth):
            layers: list[nn.Module] = [nn.LeakyReLU(0.2),
                                       nn.Conv2d(chans[i - 1], chans[i], 4, 2, 1, bias=bias)]
            if i < depth - 1:
                layers.append(_norm(norm, chans[i]))
            downs.append(nn.Sequential(*layers))
        self.downs = nn.ModuleList(downs)
        ups: list[nn.Module] = []
        for i in range(depth - 1, 0, -1):  # innermost first
            c_in = chans[i] if i == depth - 1 else 2 * chans[i]
            layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, chans[i - 1], 4, 2, 1, bias=bias),
                      _norm(norm, chans[i - 1])]
            if dropout > 0 and i >= depth - 3 and i > 1:
                layers.append(nn.Dropout(dropout))
            ups.append(nn.Sequential(*layers))
        c_last = chans[0] if depth == 1 else 2 * chans[0]
        ups.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(c_last, out_channels, 4, 2, 1),
                                 nn.Tanh()))
        self.ups = nn.ModuleList(ups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 2 ** self.depth or x.shape[-2] % 2 ** self.depth:
            raise ShapeError(f"input: the U-Net needs sides that are multiples of "
                             f"{2 ** self.depth}, got {tuple(x.shape[-2:])}")
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        for k, up in enumerate(self.ups):
            x = up(x)
            if k < len(self.ups) - 1:
                x = torch.cat([x, skips[-k - 2]], 1)
        return x


class _ResBlock(nn.Module):
    def __init__(self, channels: int, norm: str) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(norm, channels),
            nn.ReLU(), nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
            _norm(norm, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's generator: ``C_in x H x W`` -> ``C_out x H x W`` in [-1, 1], H and W multiples
    of 4 (``c7s1-w, d2w, d4w, R4w x blocks, u2w, uw, c7s1-C_out``)."""

    def __init__(self, in_channels: int, out_channels: int, width: int = 64, blocks: int = 9,
                 norm: str = "instance") -> None:
        super().__init__()
        w = width
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, w, 7),
                                   _norm(norm, w), nn.ReLU()]
        for m in (1, 2):
            layers += [nn.Conv2d(w * m, w * 2 * m, 3, 2, 1), _norm(norm, w * 2 * m), nn.ReLU()]
        layers += [_ResBlock(4 * w, norm) for _ in range(blocks)]
        for m in (4, 2):
            layers += [nn.ConvTranspose2d(w * m, w * m // 2, 3, 2, 1, output_padding=1),
                       _norm(norm, w * m // 2), nn.ReLU()]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(w, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ShapeError(f"input: the ResNet generator needs sides that are multiples of 4, "
                             f"got {tuple(x.shape[-2:])}")
        return self.net(x)


class PatchCritic(nn.Module):
    """PatchGAN critic: ``C x H x W`` -> raw scores ``1 x h x w``, one per ``patch``-pixel
    window (1: a 1x1-conv PixelGAN; 16, 34, 70: 1, 2, 3 stride-2 4x4 convolutions then two
    stride-1 ones, as in pix2pix). The first layer has no norm; spectral norm on every conv when
    ``sn``."""

    def __init__(self, in_channels: int, width: int = 64, patch: int = 70,
                 norm: str = "instance", sn: bool = False) -> None:
        super().__init__()
        if patch not in PATCH_LAYERS:
            raise ParameterError(f"patch: expected one of {', '.join(map(str, PATCH_LAYERS))} "
                                 f"pixels, got {patch!r}")
        self.patch = patch
        n = PATCH_LAYERS[patch]
        if n == 0:
            layers: list[nn.Module] = [
                spectral(nn.Conv2d(in_channels, width, 1), sn), nn.LeakyReLU(0.2),
                spectral(nn.Conv2d(width, 2 * width, 1), sn), _norm(norm, 2 * width),
                nn.LeakyReLU(0.2), spectral(nn.Conv2d(2 * width, 1, 1), sn)]
        else:
            layers = [spectral(nn.Conv2d(in_channels, width, 4, 2, 1), sn), nn.LeakyReLU(0.2)]
            c = width
            for k in range(1, n + 1):
                out = width * min(2 ** k, 8)
                stride = 2 if k < n else 1
                layers += [spectral(nn.Conv2d(c, out, 4, stride, 1), sn), _norm(norm, out),
                           nn.LeakyReLU(0.2)]
                c = out
            layers.append(spectral(nn.Conv2d(c, 1, 4, 1, 1), sn))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def receptive_field(module: nn.Module) -> int:
    """Receptive field in pixels of a chain of convolutions (every ``Conv2d`` in ``module``, in
    registration order; other layers are taken as pointwise): ``r += (k - 1)·j; j *= s``."""
    r, j = 1, 1
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            k, s, d = m.kernel_size[0], m.stride[0], m.dilation[0]
            r += (k - 1) * d * j
            j *= s
    return r


def build_generator(kind: str, in_channels: int, out_channels: int, *, width: int, depth: int,
                    res_blocks: int, dropout: float, norm: str, image_size: int) -> nn.Module:
    """A ``unet`` or ``resnet`` generator (see the classes)."""
    check_choice(kind, ("unet", "resnet"), "generator")
    if kind == "unet":
        return UNetGenerator(in_channels, out_channels, width, unet_depth(image_size, depth),
                             dropout, norm)
    return ResnetGenerator(in_channels, out_channels, width, res_blocks, norm)


class Img2ImgModel(nn.Module):
    """An image-to-image model (see the module doc); ``forward(a)`` is ``generator(a)``.

    Args:
        mode: ``paired`` (pix2pix: one generator, a critic on (A, B) pairs) or ``unpaired``
            (CycleGAN: two generators, two critics on single images).
        in_channels, out_channels: channels of A and B (1 grey, 3 RGB).
        critic: build the critic(s) (False for an L1-only generator).
        the others: as in :class:`~oculi.generate.img2img_config.Pix2PixConfig`.
    """

    def __init__(self, mode: str, in_channels: int, out_channels: int, *, generator: str = "unet",
                 width: int = 64, depth: int = 0, res_blocks: int = 9, dropout: float = 0.5,
                 norm: str = "instance", patch: int = 70, critic_width: int = 64,
                 spectral_norm: bool = False, image_size: int = 256, critic: bool = True) -> None:
        super().__init__()
        self.mode = check_choice(mode, ("paired", "unpaired"), "mode")
        self.settings = {"mode": mode, "in_channels": in_channels, "out_channels": out_channels,
                         "generator": generator, "width": width, "depth": depth,
                         "res_blocks": res_blocks, "dropout": dropout, "norm": norm,
                         "patch": patch, "critic_width": critic_width,
                         "spectral_norm": spectral_norm, "image_size": image_size,
                         "critic": critic}
        kw = {"width": width, "depth": depth, "res_blocks": res_blocks, "dropout": dropout,
              "norm": norm, "image_size": image_size}
        self.generator = build_generator(generator, in_channels, out_channels, **kw)
        self.generator_ba = (build_generator(generator, out_channels, in_channels, **kw)
                             if mode == "unpaired" else None)
        c_in = in_channels + out_channels if mode == "paired" else out_channels
        self.critic = (PatchCritic(c_in, critic_width, patch, norm, spectral_norm)
                       if critic else None)
        self.critic_a = (PatchCritic(in_channels, critic_width, patch, norm, spectral_norm)
                         if critic and mode == "unpaired" else None)

    @property
    def in_channels(self) -> int:
        return int(self.settings["in_channels"])

    @property
    def out_channels(self) -> int:
        return int(self.settings["out_channels"])

    @property
    def image_size(self) -> int:
        return int(self.settings["image_size"])

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return self.generator(a)

    def generators(self) -> list[nn.Module]:
        return [g for g in (self.generator, self.generator_ba) if g is not None]

    def critics(self) -> list[nn.Module]:
        return [c for c in (self.critic, self.critic_a) if c is not None]

    def config(self) -> dict[str, Any]:
        return dict(self.settings)
