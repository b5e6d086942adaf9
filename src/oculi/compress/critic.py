"""The latent-conditioned discriminator of the GAN codec (HiFiC, Mentzer et al. 2020, §3.2 and
appendix A.1): a PatchGAN-style stack of spectrally normalised convolutions that scores patches
of an image given the quantised latent ŷ the decoder synthesised it from.

The latent ``N x M x H/s x W/s`` is mapped to 12 channels by a 3x3 convolution (LeakyReLU),
upsampled by nearest neighbour to the image size and concatenated with the image (centred on 0);
four 4x4 convolutions (stride 2, 2, 2, 1; ``width``, 2·``width``, 4·``width``, 8·``width``
channels, LeakyReLU 0.2) and a 1x1 convolution give one logit per patch,
``N x 1 x H/8 x W/8`` (a patch of ~46 pixels). Spectral norm on every convolution.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from oculi.core.errors import ShapeError

#: channels of the embedded latent (HiFiC's 12)
LATENT_EMBED = 12


def _conv(cin: int, cout: int, k: int, stride: int) -> nn.Module:
    """A spectrally normalised k x k convolution whose output is the input size / stride."""
    conv = spectral_norm(nn.Conv2d(cin, cout, k, stride, padding=k // 2 if k % 2 else 0))
    if k % 2 == 0:  # even kernels (stride 1 or 2): pad k/2 - 1 before, one more after at stride 1
        lo = k // 2 - 1
        hi = lo + (1 if stride == 1 else 0)
        return nn.Sequential(nn.ZeroPad2d((lo, hi, lo, hi)), conv)
    return conv


class LatentCritic(nn.Module):
    """The conditional PatchGAN discriminator (see the module doc).

    Args:
        latent_channels: M, the channels of the codec's latent y.
        width: channels of the first convolution (doubled at each of the next three).

    Shapes:
        ``forward(x, y_hat)``: ``x`` N x 3 x H x W float in [0, 1] (H, W multiples of 8),
        ``y_hat`` N x M x h x w with H/h = W/w an integer (16 for the codecs); returns
        N x 1 x H/8 x W/8 logits (real: high).
    """

    def __init__(self, latent_channels: int, width: int = 32) -> None:
        super().__init__()
        self.latent_channels, self.width = latent_channels, width
        self.embed = nn.Sequential(_conv(latent_channels, LATENT_EMBED, 3, 1),
                                   nn.LeakyReLU(0.2))
        w = width
        chans = [3 + LATENT_EMBED, w, 2 * w, 4 * w, 8 * w]
        layers: list[nn.Module] = []
        for i, stride in enumerate((2, 2, 2, 1)):
            layers += [_conv(chans[i], chans[i + 1], 4, stride), nn.LeakyReLU(0.2)]
        layers.append(_conv(chans[-1], 1, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, y_hat: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        if (y_hat.ndim != 4 or y_hat.shape[0] != n or y_hat.shape[1] != self.latent_channels
                or h % y_hat.shape[2] or w % y_hat.shape[3]
                or h // y_hat.shape[2] != w // y_hat.shape[3]):
            raise ShapeError(f"y_hat: expected {n} x {self.latent_channels} x h x w with the "
                             f"image's {h} x {w} an equal multiple of h x w, got "
                             f"{tuple(y_hat.shape)}")
        if h % 8 or w % 8:
            raise ShapeError(f"x: expected sides that are multiples of 8, got {h} x {w}")
        cond = nn.functional.interpolate(self.embed(y_hat), size=(h, w), mode="nearest")
        return self.net(torch.cat([x - 0.5, cond], 1))
