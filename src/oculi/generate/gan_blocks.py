"""Building blocks shared by the GAN generators and critics: spectral normalisation, SAGAN
self-attention, StyleGAN's mapping network and modulated convolution, noise inputs, the ProGAN
fade-in and its schedule. Tensors are ``(N, C, H, W)`` float32 unless stated."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def spectral(module: nn.Module, on: bool) -> nn.Module:
    """``module`` with spectral normalisation of its weight (Miyato et al. 2018) when ``on``: the
    weight is divided by its top singular value, estimated by one power iteration per forward
    pass in training mode."""
    return nn.utils.parametrizations.spectral_norm(module) if on else module


class SelfAttention(nn.Module):
    """SAGAN self-attention (Zhang et al. 2019): every position attends to every other one;
    the output is ``x + γ·attention(x)`` with ``γ`` starting at 0 (the block starts as identity).

    Args:
        channels: input and output channels C (>= 8).
        sn: spectral normalisation of the 1x1 projections.
    """

    def __init__(self, channels: int, sn: bool = False) -> None:
        super().__init__()
        inner = max(channels // 8, 1)
        self.query = spectral(nn.Conv2d(channels, inner, 1), sn)
        self.key = spectral(nn.Conv2d(channels, inner, 1), sn)
        self.value = spectral(nn.Conv2d(channels, channels, 1), sn)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q = self.query(x).flatten(2).transpose(1, 2)  # N, HW, C'
        k = self.key(x).flatten(2)  # N, C', HW
        attn = torch.softmax(q @ k, dim=-1)  # N, HW, HW
        v = self.value(x).flatten(2)  # N, C, HW
        out = (v @ attn.transpose(1, 2)).view(n, c, h, w)
        return x + self.gamma * out


class ModulatedConv2d(nn.Module):
    """StyleGAN2's modulated convolution: the kernel is scaled per sample and input channel by
    a style ``s`` (N, C_in), then (``demodulate``) each output filter is rescaled to unit norm;
    one grouped convolution does the batch. With ``s = 1`` and no demodulation it is a plain
    convolution with the same weight (and bias). Weights use the equalised learning rate
    (stored ~N(0, 1), scaled by 1/sqrt(fan_in) at run time).

    Args:
        in_channels, out_channels: channels.
        kernel: square kernel side (odd; "same" padding).
        demodulate: normalise each output filter.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 3,
                 demodulate: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.scale = 1.0 / math.sqrt(in_channels * kernel * kernel)
        self.demodulate, self.padding = demodulate, kernel // 2

    def effective_weight(self) -> torch.Tensor:
        """The kernel a plain convolution would use, (C_out, C_in, k, k)."""
        return self.weight * self.scale

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        weight = self.effective_weight()[None] * style[:, None, :, None, None]  # N,O,I,k,k
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum(dim=(2, 3, 4), keepdim=True) + 1e-8)
        out_ch = weight.shape[1]
        y = F.conv2d(x.reshape(1, n * c, h, w), weight.reshape(n * out_ch, c, *weight.shape[3:]),
                     padding=self.padding, groups=n)
        return y.view(n, out_ch, h, w) + self.bias.view(1, -1, 1, 1)


class StyleConv(nn.Module):
    """A modulated convolution whose style comes from ``w`` through a learned affine map
    (bias 1, so a new layer starts near the plain convolution), then per-pixel noise scaled by a
    learned strength, then leaky ReLU (omitted for the to-image layer)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel: int = 3, *,
                 demodulate: bool = True, activate: bool = True) -> None:
        super().__init__()
        self.affine = nn.Linear(w_dim, in_channels)
        nn.init.ones_(self.affine.bias)
        self.conv = ModulatedConv2d(in_channels, out_channels, kernel, demodulate)
        self.noise_strength = nn.Parameter(torch.zeros(())) if activate else None

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        y = self.conv(x, self.affine(w))
        if self.noise_strength is None:
            return y
        noise = torch.randn(y.shape[0], 1, *y.shape[2:], device=y.device, dtype=y.dtype)
        return F.leaky_relu(y + self.noise_strength * noise, 0.2)


class MappingNetwork(nn.Module):
    """StyleGAN's mapping network: the (pixel-normalised) input code through ``layers`` fully
    connected layers with leaky ReLU, giving the intermediate latent ``w`` (N, w_dim)."""

    def __init__(self, in_dim: int, w_dim: int, layers: int = 4) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        for i in range(layers):
            mods += [nn.Linear(in_dim if i == 0 else w_dim, w_dim), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*mods)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        return self.net(z)


def fade_in(alpha: float | torch.Tensor, old: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
    """ProGAN's blend of a new layer's output ``new`` with the previous path ``old`` (same
    shape): ``alpha·new + (1 − alpha)·old``."""
    return old + alpha * (new - old)


def grow_schedule(step: int, steps_per_stage: int, stages: int) -> tuple[int, float]:
    """The ProGAN stage and fade-in alpha after ``step`` training steps.

    Stage ``k`` (resolution ``base·2^k``) lasts ``steps_per_stage`` steps; in every stage but
    the first, alpha rises linearly from 0 to 1 over its first half, then stays 1. The last
    stage lasts for ever.

    >>> grow_schedule(0, 100, 3), grow_schedule(125, 100, 3), grow_schedule(999, 100, 3)
    ((0, 1.0), (1, 0.5), (2, 1.0))
    """
    if steps_per_stage <= 0:
        return stages - 1, 1.0
    stage = min(step // steps_per_stage, stages - 1)
    if stage == 0:
        return 0, 1.0
    into = step - stage * steps_per_stage
    return stage, min(1.0, into / (steps_per_stage / 2))
