"""The transforms' building blocks: GDN / inverse GDN (Ballé et al. 2016) and the strided
convolutions of the analysis and synthesis transforms.

GDN divides each channel by a learned norm of all channels at the same pixel:
``y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j²)``; the inverse multiplies by it. ``beta`` and
``gamma`` are kept non-negative by a squared parametrisation (with a small floor on beta).
"""

from __future__ import annotations

import torch
from torch import nn


class GDN(nn.Module):
    """Generalized divisive normalization over the channels of an N x C x H x W tensor.

    Args:
        channels: C.
        inverse: the inverse transform (IGDN, used in the synthesis transforms).
    """

    def __init__(self, channels: int, inverse: bool = False) -> None:
        super().__init__()
        self.inverse = inverse
        self.beta_sqrt = nn.Parameter(torch.ones(channels))
        gamma = 0.1 * torch.eye(channels) + 1e-4
        self.gamma_sqrt = nn.Parameter(gamma.sqrt())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        beta = self.beta_sqrt ** 2 + 1e-6
        gamma = (self.gamma_sqrt ** 2).view(c, c, 1, 1)
        norm = nn.functional.conv2d(x * x, gamma, beta)
        return x * norm.sqrt() if self.inverse else x * torch.rsqrt(norm)


def down(cin: int, cout: int, k: int = 5) -> nn.Conv2d:
    """A stride-2 convolution halving H and W (``k`` x ``k`` kernel)."""
    return nn.Conv2d(cin, cout, k, stride=2, padding=k // 2)


def up(cin: int, cout: int, k: int = 5) -> nn.ConvTranspose2d:
    """A stride-2 transposed convolution doubling H and W exactly."""
    return nn.ConvTranspose2d(cin, cout, k, stride=2, padding=k // 2, output_padding=1)


def analysis(n: int, m: int) -> nn.Sequential:
    """g_a: N x 3 x H x W image -> N x m x H/16 x W/16 latent (four stride-2 convs, GDN)."""
    return nn.Sequential(down(3, n), GDN(n), down(n, n), GDN(n), down(n, n), GDN(n), down(n, m))


def synthesis(n: int, m: int) -> nn.Sequential:
    """g_s: the mirror of :func:`analysis` with IGDN (latent -> image, 16x larger)."""
    return nn.Sequential(up(m, n), GDN(n, True), up(n, n), GDN(n, True), up(n, n),
                         GDN(n, True), up(n, 3))


def hyper_analysis(n: int, m: int) -> nn.Sequential:
    """h_a: |y| (m channels) -> z (n channels, 4x smaller), Ballé 2018."""
    return nn.Sequential(nn.Conv2d(m, n, 3, padding=1), nn.ReLU(inplace=True), down(n, n),
                         nn.ReLU(inplace=True), down(n, n))


def hyper_synthesis(n: int, m: int) -> nn.Sequential:
    """h_s: z_hat -> the scales of y (m channels, 4x larger, non-negative)."""
    return nn.Sequential(up(n, n), nn.ReLU(inplace=True), up(n, n), nn.ReLU(inplace=True),
                         nn.Conv2d(n, m, 3, padding=1), nn.ReLU(inplace=True))
