"""The GAN family's generators and critics, built from :mod:`oculi.generate.gan_blocks`:

* ``mlp``: fully connected generator and critic (Goodfellow et al. 2014);
* ``dcgan``: upsample + 3x3 conv + batch norm generator, strided-conv critic (Radford et al.
  2016; nearest upsampling instead of transposed convs, no checkerboards);
* ``stylegan``: mapping network, learned constant, modulated/demodulated convolutions with noise
  (Karras et al. 2019/2020) at 28 or 32 pixels.

Options on top: class conditioning (embedding in the generator, projection in the critic),
InfoGAN codes with a Q head on the critic, SAGAN self-attention at the middle resolution,
spectral normalisation of the critic, and ProGAN growing (a to-image / from-image layer per
resolution; the stage and fade-in alpha live in the model's buffers, so checkpoints keep them).

Images are ``(N, 1, S, S)`` in [-1, 1], S = ``size`` (28 or 32).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from oculi.generate.gan_blocks import (
    MappingNetwork,
    SelfAttention,
    StyleConv,
    fade_in,
    spectral,
)


def _layout(size: int) -> tuple[int, int]:
    """Base resolution and number of 2x upsamplings for a model side (28: 7 -> 14 -> 28;
    32: 4 -> 8 -> 16 -> 32)."""
    return (7, 2) if size == 28 else (4, 3)


class Generator(nn.Module):
    """Noise (+ class, + InfoGAN codes) -> images at the current growing stage."""

    def __init__(self, arch: str, size: int, in_dim: int, width: int, attention: bool) -> None:
        super().__init__()
        self.arch, self.size = arch, size
        self.base, ups = _layout(size)
        chans = [max(width >> i, 8) for i in range(ups + 1)]
        self.stages = ups + 1
        if arch == "mlp":
            hidden = 4 * width
            self.net = nn.Sequential(
                nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2 * hidden), nn.ReLU(),
                nn.Linear(2 * hidden, size * size), nn.Tanh())
            self.stages = 1
            return
        self.attn_at = 1 if attention else -1
        if arch == "stylegan":
            w_dim = chans[0]
            self.mapping = MappingNetwork(in_dim, w_dim)
            self.const = nn.Parameter(torch.randn(1, chans[0], self.base, self.base))
            self.head = StyleConv(chans[0], chans[0], w_dim)
            self.blocks = nn.ModuleList(StyleConv(chans[i], chans[i + 1], w_dim)
                                        for i in range(ups))
            self.to_img = nn.ModuleList(StyleConv(c, 1, w_dim, 1, demodulate=False,
                                                  activate=False) for c in chans)
        else:
            self.head = nn.Sequential(nn.Linear(in_dim, chans[0] * self.base ** 2),
                                      nn.Unflatten(1, (chans[0], self.base, self.base)),
                                      nn.BatchNorm2d(chans[0]), nn.ReLU())
            self.blocks = nn.ModuleList(nn.Sequential(
                nn.Upsample(scale_factor=2), nn.Conv2d(chans[i], chans[i + 1], 3, padding=1),
                nn.BatchNorm2d(chans[i + 1]), nn.ReLU()) for i in range(ups))
            self.to_img = nn.ModuleList(nn.Conv2d(c, 1, 3, padding=1) for c in chans)
        self.attn = SelfAttention(chans[1]) if attention else None

    def forward(self, code: torch.Tensor, stage: int | None = None,
                alpha: float = 1.0) -> torch.Tensor:
        """Images ``(N, 1, s, s)`` in [-1, 1] at ``stage`` (resolution base·2^stage; None: the
        full size) from input codes ``(N, in_dim)``."""
        if self.arch == "mlp":
            return self.net(code).view(-1, 1, self.size, self.size)
        stage = self.stages - 1 if stage is None else stage
        style = self.arch == "stylegan"
        w = self.mapping(code) if style else None
        x = (self.head(self.const.expand(code.shape[0], -1, -1, -1), w) if style
             else self.head(code))
        prev = None
        for i in range(stage):
            prev = x
            x = (self.blocks[i](F.interpolate(x, scale_factor=2), w) if style
                 else self.blocks[i](x))
            if i + 1 == self.attn_at:
                x = self.attn(x)
        img = self.to_img[stage](x, w) if style else self.to_img[stage](x)
        if prev is not None and alpha < 1.0:
            old = self.to_img[stage - 1](prev, w) if style else self.to_img[stage - 1](prev)
            img = fade_in(alpha, F.interpolate(old, scale_factor=2), img)
        return torch.tanh(img)


class Critic(nn.Module):
    """Images -> (score (N,), features (N, F)); projection term for classes, Q head for InfoGAN
    codes."""

    def __init__(self, arch: str, size: int, width: int, *, classes: int, q_outputs: int,
                 attention: bool, sn: bool) -> None:
        super().__init__()
        self.arch, self.size = arch, size
        self.base, downs = _layout(size)
        chans = [max(width >> i, 8) for i in range(downs + 1)]  # chans[k]: at stage k
        self.stages = downs + 1
        feat = 2 * width
        if arch == "mlp":
            self.stages = 1
            self.body = nn.Sequential(nn.Flatten(), spectral(nn.Linear(size * size, 2 * feat), sn),
                                      nn.LeakyReLU(0.2), spectral(nn.Linear(2 * feat, feat), sn),
                                      nn.LeakyReLU(0.2))
        else:
            self.from_img = nn.ModuleList(
                nn.Sequential(spectral(nn.Conv2d(1, c, 1), sn), nn.LeakyReLU(0.2)) for c in chans)
            # blocks[k-1] takes stage k's resolution down to stage k-1's
            self.blocks = nn.ModuleList(nn.Sequential(
                spectral(nn.Conv2d(chans[k], chans[k - 1], 3, padding=1), sn), nn.LeakyReLU(0.2),
                nn.AvgPool2d(2)) for k in range(1, downs + 1))
            self.attn = SelfAttention(chans[1], sn) if attention else None
            self.body = nn.Sequential(
                spectral(nn.Conv2d(chans[0], chans[0], 3, padding=1), sn), nn.LeakyReLU(0.2),
                nn.Flatten(), spectral(nn.Linear(chans[0] * self.base ** 2, feat), sn),
                nn.LeakyReLU(0.2))
        self.out = spectral(nn.Linear(feat, 1), sn)
        self.embed = spectral(nn.Embedding(classes, feat), sn) if classes else None
        self.q_head = (nn.Sequential(nn.Linear(feat, feat), nn.LeakyReLU(0.2),
                                     nn.Linear(feat, q_outputs)) if q_outputs else None)

    def features(self, x: torch.Tensor, stage: int | None = None,
                 alpha: float = 1.0) -> torch.Tensor:
        """Penultimate features ``(N, F)`` of images at ``stage`` (None: full size)."""
        if self.arch == "mlp":
            return self.body(x)
        stage = self.stages - 1 if stage is None else stage
        h = self.from_img[stage](x)
        for k in range(stage, 0, -1):
            if k == 1 and self.attn is not None:
                h = self.attn(h)
            h = self.blocks[k - 1](h)
            if k == stage and alpha < 1.0:
                h = fade_in(alpha, self.from_img[k - 1](F.avg_pool2d(x, 2)), h)
        return self.body(h)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None,
                stage: int | None = None, alpha: float = 1.0,
                ) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x, stage, alpha)
        score = self.out(h).squeeze(1)
        if self.embed is not None and labels is not None:
            score = score + (self.embed(labels) * h).sum(1)
        return score, h


class GanModel(nn.Module):
    """Generator + critic of one GAN configuration, with the growing stage in buffers.

    Args:
        arch: ``mlp``, ``dcgan`` or ``stylegan``.
        size: image side (28 or 32).
        latent: noise dimensions.
        width: base channel count.
        classes: number of classes of a conditional model (0: unconditional).
        info_categorical, info_continuous: InfoGAN code sizes (0: none).
        attention: self-attention blocks.
        spectral_norm: spectral normalisation of the critic.
    """

    def __init__(self, arch: str = "dcgan", size: int = 28, latent: int = 64, width: int = 64,
                 classes: int = 0, info_categorical: int = 0, info_continuous: int = 0,
                 attention: bool = False, spectral_norm: bool = False) -> None:
        super().__init__()
        self.settings = {"arch": arch, "size": size, "latent": latent, "width": width,
                         "classes": classes, "info_categorical": info_categorical,
                         "info_continuous": info_continuous, "attention": attention,
                         "spectral_norm": spectral_norm}
        self.latent, self.classes = latent, classes
        self.info_categorical, self.info_continuous = info_categorical, info_continuous
        embed = 16 if classes else 0
        self.class_embed = nn.Embedding(classes, embed) if classes else None
        in_dim = latent + embed + info_categorical + info_continuous
        self.generator = Generator(arch, size, in_dim, width, attention)
        self.critic = Critic(arch, size, width, classes=classes,
                             q_outputs=info_categorical + info_continuous, attention=attention,
                             sn=spectral_norm)
        self.register_buffer("stage", torch.tensor(self.generator.stages - 1))
        self.register_buffer("alpha", torch.tensor(1.0))

    def config(self) -> dict[str, Any]:
        return dict(self.settings)

    def code(self, z: torch.Tensor, labels: torch.Tensor | None = None,
             info: torch.Tensor | None = None) -> torch.Tensor:
        """The generator's input: noise ``(N, latent)``, the class embedding, the InfoGAN codes
        ``(N, info_categorical + info_continuous)`` (one-hot part first)."""
        parts = [z]
        if self.class_embed is not None:
            if labels is None:
                raise ValueError("a conditional generator needs labels")
            parts.append(self.class_embed(labels))
        if info is not None:
            parts.append(info)
        return torch.cat(parts, 1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None,
                info: torch.Tensor | None = None) -> torch.Tensor:
        """Images ``(N, 1, size, size)`` in [-1, 1] at the current stage, upsampled (nearest)
        to the full size when growing has not reached it."""
        stage, alpha = int(self.stage), float(self.alpha)
        img = self.generator(self.code(z, labels, info), stage, alpha)
        if img.shape[-1] != self.generator.size:
            img = F.interpolate(img, size=(self.generator.size,) * 2)
        return img
