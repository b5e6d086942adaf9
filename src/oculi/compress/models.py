"""The learned codecs: :class:`FactorizedPrior` (Ballé et al. 2017) and :class:`ScaleHyperprior`
(Ballé et al. 2018), registered in :data:`codecs`.

Each model works on N x 3 x H x W float32 RGB in [0, 1] with H and W multiples of
:attr:`multiple` (the codec pads images, :mod:`oculi.compress.codec`):

- ``forward(x)`` (training): the latents get additive uniform noise in [-0.5, 0.5); returns
  ``(x_hat, likelihoods)`` for the rate-distortion loss;
- :meth:`symbols` / :meth:`reconstruct` (test): the latents are rounded (the factorized latents
  around their medians) and clamped to ±2¹⁵; ``reconstruct`` is what a decoder outputs;
- :meth:`encode` / :meth:`decode`: the same symbols range-coded with integer tables
  (:mod:`oculi.compress.coding`) to byte streams and back; ``decode(encode(x))`` equals
  ``reconstruct(x)`` bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from oculi.compress.coding import (
    VALUE_LIMIT,
    decode_groups,
    encode_groups,
    gaussian_tables,
    quantize_pmf,
    scale_indexes,
)
from oculi.compress.critic import LatentCritic
from oculi.compress.entropy import FactorizedDensity, gaussian_likelihood
from oculi.compress.layers import analysis, hyper_analysis, hyper_synthesis, synthesis
from oculi.core.registry import Registry


def _noisy(y: torch.Tensor) -> torch.Tensor:
    return y + torch.empty_like(y).uniform_(-0.5, 0.5)


def _round(y: torch.Tensor, means: torch.Tensor | float) -> torch.Tensor:
    """Integer symbols (float tensor) of ``y`` rounded around ``means``, clamped."""
    return torch.round(y - means).clamp(-VALUE_LIMIT, VALUE_LIMIT)


def _factorized_tables(density: FactorizedDensity) -> list[tuple[np.ndarray, int]]:
    masses, offsets = density.pmf_tables()
    return [(quantize_pmf(m.numpy()), o) for m, o in zip(masses, offsets, strict=True)]


def _channel_groups(shape: tuple[int, ...]) -> np.ndarray:
    """The channel index of each element of a 1 x C x h x w latent."""
    return np.broadcast_to(np.arange(shape[1]).reshape(1, -1, 1, 1), shape)


class FactorizedPrior(nn.Module):
    """g_a / g_s with GDN and a factorized density of the latent y (Ballé et al. 2017).

    Args:
        channels: N, the hidden channels.
        latent_channels: M, the channels of y (stride 16).
    """

    kind = "factorized"
    multiple = 16

    def __init__(self, channels: int = 64, latent_channels: int = 96) -> None:
        super().__init__()
        self.channels, self.latent_channels = channels, latent_channels
        self.g_a = analysis(channels, latent_channels)
        self.g_s = synthesis(channels, latent_channels)
        self.density = FactorizedDensity(latent_channels)

    def config(self) -> dict[str, Any]:
        return {"model": self.kind, "channels": self.channels,
                "latent_channels": self.latent_channels}

    def densities(self) -> list[FactorizedDensity]:
        """The factorized densities (their quantiles have the auxiliary optimizer)."""
        return [self.density]

    def aux_loss(self) -> torch.Tensor:
        return sum(d.aux_loss() for d in self.densities())

    def analyze(self, x: torch.Tensor) -> torch.Tensor:
        """g_a of images in [0, 1] (centred on 0 first: it trains much faster)."""
        return self.g_a(x - 0.5)

    def synthesize_latent(self, y: torch.Tensor) -> torch.Tensor:
        """g_s of a latent, back in the [0, 1] range (not clamped)."""
        return self.g_s(y) + 0.5

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        y = _noisy(self.analyze(x))
        return self.synthesize_latent(y), [self.density.likelihood(y)]

    def _medians(self) -> torch.Tensor:
        return self.density.medians.view(1, -1, 1, 1)

    @torch.no_grad()
    def symbols(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The integer symbols of a 1 x 3 x H x W image: ``{"y": 1 x M x H/16 x W/16}``."""
        return {"y": _round(self.analyze(x), self._medians())}

    @torch.no_grad()
    def synthesize(self, symbols: dict[str, torch.Tensor]) -> torch.Tensor:
        """The reconstruction (N x 3 x H x W, clamped to [0, 1]) from :meth:`symbols`."""
        return self.synthesize_latent(symbols["y"] + self._medians()).clamp(0.0, 1.0)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """What the decoder outputs for ``x`` (quantised latents, no entropy coding)."""
        return self.synthesize(self.symbols(x))

    def latent_shape(self, height: int, width: int) -> tuple[int, int]:
        return height // 16, width // 16

    def encode(self, x: torch.Tensor) -> list[bytes]:
        """Range-code a 1 x 3 x H x W image (H, W multiples of :attr:`multiple`)."""
        y = self.symbols(x)["y"].numpy().astype(np.int64)
        return [encode_groups(y, _channel_groups(y.shape), _factorized_tables(self.density))]

    @torch.no_grad()
    def decode(self, streams: list[bytes], height: int, width: int) -> torch.Tensor:
        """The 1 x 3 x height x width reconstruction from :meth:`encode`'s streams."""
        shape = (1, self.latent_channels, *self.latent_shape(height, width))
        y = decode_groups(streams[0], _channel_groups(shape), _factorized_tables(self.density))
        return self.synthesize({"y": torch.from_numpy(y).float()})


class ScaleHyperprior(FactorizedPrior):
    """The factorized prior's transforms plus a hyperprior: z = h_a(|y|) is coded with a
    factorized density, and h_s(z_hat) gives the scale of a zero-mean Gaussian per element of y
    (Ballé et al. 2018)."""

    kind = "hyperprior"
    multiple = 64

    def __init__(self, channels: int = 64, latent_channels: int = 96, critic: int = 0) -> None:
        super().__init__(channels, latent_channels)
        del self.density
        self.h_a = hyper_analysis(channels, latent_channels)
        self.h_s = hyper_synthesis(channels, latent_channels)
        self.z_density = FactorizedDensity(channels)
        #: the GAN codec's discriminator (``critic`` > 0: its first width), trained beside the
        #: codec and unused by coding (the decoder is the generator g_s)
        self.critic = LatentCritic(latent_channels, critic) if critic else None

    def config(self) -> dict[str, Any]:
        conf = super().config()
        if self.critic is not None:
            conf["critic"] = self.critic.width
        return conf

    def densities(self) -> list[FactorizedDensity]:
        return [self.z_density]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x_hat, likelihoods, _ = self.train_outputs(x)
        return x_hat, likelihoods

    def train_outputs(self, x: torch.Tensor, *, ste: bool = False
                      ) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
        """``(x_hat, likelihoods, y_hat)`` of a training batch: the likelihoods are those of the
        noisy latents; with ``ste`` the decoder gets the rounded latent ``y_hat`` (what it gets
        at test time) with a straight-through gradient, as HiFiC trains — else the noisy one
        (then ``y_hat`` is the noisy latent)."""
        y = self.analyze(x)
        z = _noisy(self.h_a(y.abs()))
        scales = self.h_s(z)
        y_tilde = _noisy(y)
        y_hat = y + (torch.round(y) - y).detach() if ste else y_tilde
        return self.synthesize_latent(y_hat), [gaussian_likelihood(y_tilde, scales),
                                               self.z_density.likelihood(z)], y_hat

    def _z_medians(self) -> torch.Tensor:
        return self.z_density.medians.view(1, -1, 1, 1)

    @torch.no_grad()
    def symbols(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{"y": 1 x M x H/16 x W/16, "z": 1 x N x H/64 x W/64}`` integer symbols."""
        y = self.analyze(x)
        return {"y": _round(y, 0.0), "z": _round(self.h_a(y.abs()), self._z_medians())}

    @torch.no_grad()
    def synthesize(self, symbols: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.synthesize_latent(symbols["y"]).clamp(0.0, 1.0)

    @torch.no_grad()
    def _scale_groups(self, z: torch.Tensor) -> np.ndarray:
        return scale_indexes(self.h_s(z + self._z_medians()).numpy())

    def encode(self, x: torch.Tensor) -> list[bytes]:
        s = self.symbols(x)
        z = s["z"].numpy().astype(np.int64)
        z_stream = encode_groups(z, _channel_groups(z.shape), _factorized_tables(self.z_density))
        groups = self._scale_groups(s["z"])
        return [z_stream, encode_groups(s["y"].numpy().astype(np.int64), groups,
                                        gaussian_tables())]

    @torch.no_grad()
    def decode(self, streams: list[bytes], height: int, width: int) -> torch.Tensor:
        h, w = self.latent_shape(height, width)
        z_shape = (1, self.channels, h // 4, w // 4)
        z = decode_groups(streams[0], _channel_groups(z_shape),
                          _factorized_tables(self.z_density))
        groups = self._scale_groups(torch.from_numpy(z).float())
        y = decode_groups(streams[1], groups, gaussian_tables())
        return self.synthesize({"y": torch.from_numpy(y).float()})


#: the codec architectures by name (``create(name, channels=, latent_channels=)``)
codecs: Registry[type] = Registry("learned codec")
codecs.register("factorized", FactorizedPrior, help="Ballé et al. 2017: GDN transforms, "
                "factorized density")
codecs.register("hyperprior", ScaleHyperprior, help="Ballé et al. 2018: scale hyperprior "
                "(with critic=W: the GAN codec's discriminator, HiFiC)")


def build_codec(config: dict[str, Any]) -> FactorizedPrior:
    """A codec from its :meth:`~FactorizedPrior.config` dict."""
    conf = dict(config)
    return codecs.get(conf.pop("model"))(**conf)
