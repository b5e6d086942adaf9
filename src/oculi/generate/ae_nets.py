"""The networks and losses of the ``vae`` task: one convolutional encoder/decoder pair serving as
autoencoder, denoising autoencoder or variational autoencoder (Kingma & Welling 2014).

Images are ``(N, 1, 28, 28)`` float in [0, 1]; the decoder returns logits of the same shape
(``sigmoid`` gives the mean image).

    >>> import torch
    >>> net = ConvAutoencoder(latent_dim=2, variational=True)
    >>> out = net(torch.rand(3, 1, 28, 28))
    >>> tuple(out["logits"].shape), tuple(out["mu"].shape)
    ((3, 1, 28, 28), (3, 2))
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

SIDE = 28


class ConvAutoencoder(nn.Module):
    """Encoder: two stride-2 4x4 convolutions (``width``, ``2 width`` channels, 28 -> 14 -> 7) and
    a linear layer to the code (to mean and log-variance when ``variational``); the decoder
    mirrors it with transposed convolutions."""

    def __init__(self, latent_dim: int = 16, width: int = 32, variational: bool = True) -> None:
        super().__init__()
        self.latent_dim, self.width, self.variational = latent_dim, width, variational
        flat = 2 * width * 7 * 7
        self.encoder = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(flat, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, latent_dim * (2 if variational else 1)))
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, flat), nn.ReLU(),
            nn.Unflatten(1, (2 * width, 7, 7)),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Code mean ``(N, latent_dim)`` and log-variance (None for a plain autoencoder)."""
        h = self.encoder(x)
        if not self.variational:
            return h, None
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, 1, 28, 28)`` of codes ``(N, latent_dim)``."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None
                ) -> dict[str, Any]:
        """``logits``, ``mu``, ``logvar`` (None unless variational) and the code ``z``: in
        training a VAE's z is the reparameterised sample ``mu + exp(logvar / 2) * eps``, in eval
        mode its mean."""
        mu, logvar = self.encode(x)
        z = mu
        if logvar is not None and self.training:
            eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
            z = mu + torch.exp(0.5 * logvar) * eps
        return {"logits": self.decode(z), "mu": mu, "logvar": logvar, "z": z}

    def config(self) -> dict[str, Any]:
        return {"latent_dim": self.latent_dim, "width": self.width,
                "variational": self.variational}


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per item ``(N,)``, in nats (closed form)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


def reconstruction_nll(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Bernoulli negative log-likelihood per item ``(N,)``: binary cross-entropy of the logits
    against the grey levels in [0, 1], summed over pixels (nats)."""
    bce = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return bce.flatten(1).sum(1)


def autoencoder_loss(out: dict[str, Any], target: torch.Tensor, beta: float
                     ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The batch-mean loss ``recon + beta * kl`` and its per-item terms ``recon``, ``kl``
    (``kl`` is zeros for a plain autoencoder)."""
    recon = reconstruction_nll(out["logits"], target)
    kl = (kl_to_standard_normal(out["mu"], out["logvar"]) if out["logvar"] is not None
          else torch.zeros_like(recon))
    return (recon + beta * kl).mean(), {"recon": recon, "kl": kl}


def bits_per_dim(nll_nats: float, dims: int = SIDE * SIDE) -> float:
    """Nats per image -> bits per pixel."""
    return nll_nats / (dims * math.log(2.0))


def add_input_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None
                    ) -> torch.Tensor:
    """``x`` plus Gaussian noise of standard deviation ``sigma``, clipped to [0, 1]."""
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return (x + sigma * noise).clamp(0.0, 1.0)


__all__ = ["ConvAutoencoder", "add_input_noise", "autoencoder_loss", "bits_per_dim",
           "kl_to_standard_normal", "reconstruction_nll"]
