"""The GAN codec's training (``gan: true``; Agustsson et al. 2019, HiFiC: Mentzer et al. 2020):
the scale hyperprior's decoder g_s becomes the generator of a conditional GAN whose
discriminator (:class:`~oculi.compress.critic.LatentCritic`) sees an image beside the quantised
latent ŷ it was decoded from.

Each training step (the engine's named optimizers, as in :mod:`oculi.train.example`):

1. the codec encodes the batch; the decoder gets the rounded latent ŷ (straight-through
   gradient), the rate is estimated from the noisy latents' likelihoods;
2. ``critic``: the discriminator loss of ``D(x, ŷ)`` against ``D(x̂, ŷ)`` (both detached from the
   codec), :func:`oculi.train.losses.gan.discriminator_loss` of ``gan_loss``;
3. ``main``: the generator loss ``w·bpp + λ·255²·MSE + k_P·P(x̂, x) + β·A`` on the critic just
   updated — ``P`` the EfficientNet-Lite0 perceptual distance
   (:class:`oculi.train.losses.perceptual.PerceptualLoss`; LPIPS weights are not available
   offline), ``A`` the generator loss of ``gan_loss`` (non-saturating by default), ``w`` 1, or
   ``rate_boost`` while the batch's bpp is above ``rate_target`` (HiFiC's rate control);
4. ``aux``: the factorized density's quantile loss, as in MSE training.

With ``perceptual_weight`` and ``adversarial_weight`` 0 and no rate target the generator loss is
the MSE codec's ``bpp + λ·255²·MSE``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import torch
from torch import nn

from oculi.compress.config import CompressConfig
from oculi.core.errors import ParameterError
from oculi.train.losses.gan import discriminator_loss, generator_loss
from oculi.train.task import Step, StepOutput

#: the codec settings an ``init`` run must share with a GAN run
CODEC_KEYS = ("model", "channels", "latent_channels")


def rate_weight(bpp: float, cfg: CompressConfig) -> float:
    """HiFiC's rate control: ``rate_boost`` when ``rate_target`` is set and ``bpp`` is above it,
    else 1.

    >>> cfg = CompressConfig(rate_target=0.15, rate_boost=8.0)
    >>> rate_weight(0.2, cfg), rate_weight(0.1, cfg), rate_weight(0.2, CompressConfig())
    (8.0, 1.0, 1.0)
    """
    return cfg.rate_boost if cfg.rate_target and bpp > cfg.rate_target else 1.0


def generator_objective(bpp: torch.Tensor, mse: torch.Tensor, perceptual: torch.Tensor,
                        fake_scores: torch.Tensor, cfg: CompressConfig
                        ) -> tuple[torch.Tensor, dict[str, float]]:
    """The generator (codec) loss ``w·bpp + λ·255²·mse + k_P·perceptual + β·A(fake_scores)``
    and its terms (floats: ``rate_weight``, ``adversarial``).

    Args:
        bpp: estimated bits per pixel (scalar tensor).
        mse: MSE of [0, 1] images (scalar tensor).
        perceptual: the perceptual distance (scalar tensor; 0 when its weight is 0).
        fake_scores: the discriminator's logits of the decoded images (any shape).
        cfg: the run's settings (λ, k_P, β, ``gan_loss``, the rate control).
    """
    w = rate_weight(float(bpp.detach()), cfg)
    adv = generator_loss(cfg.gan_loss, fake_scores)
    total = (w * bpp + cfg.rd_lambda * 255.0 ** 2 * mse + cfg.perceptual_weight * perceptual
             + cfg.adversarial_weight * adv)
    return total, {"rate_weight": w, "adversarial": float(adv.detach())}


def critic_objective(real_scores: torch.Tensor, fake_scores: torch.Tensor,
                     cfg: CompressConfig) -> torch.Tensor:
    """The discriminator loss of ``gan_loss`` (real: originals, fake: decoded images)."""
    return discriminator_loss(cfg.gan_loss, real_scores, fake_scores)


def check_init(init: str | os.PathLike[str], cfg: CompressConfig) -> None:
    """Refuse an ``init`` run whose codec (architecture, N, M) differs from the GAN run's.

    Raises:
        DataError: no checkpoint there, or not a ``compress`` run.
        ParameterError: the codec settings differ (named with both values).
    """
    from oculi.compress.task import CHECKPOINT_KEY
    from oculi.core.errors import DataError
    from oculi.models.weights import read_metadata
    from oculi.train.checkpoint import resolve_checkpoint

    ckpt = resolve_checkpoint(init, "compress")
    raw = read_metadata(ckpt).get(CHECKPOINT_KEY)
    if raw is None:
        raise DataError(f"init: {ckpt} is not a checkpoint of 'oculi train compress'")
    theirs = json.loads(raw)
    diff = [f"{k} {theirs.get(k)!r} (this run: {getattr(cfg, k)!r})" for k in CODEC_KEYS
            if theirs.get(k) != getattr(cfg, k)]
    if diff:
        raise ParameterError(f"init: {init} is another codec — {', '.join(diff)}; a GAN run "
                             "starts from a run of the same codec (same model, channels, "
                             "latent_channels)")


class GanStep:
    """One GAN training step of the ``compress`` task (see the module doc); holds the
    perceptual loss (built once, moved to the step's device)."""

    def __init__(self, cfg: CompressConfig) -> None:
        self.cfg = cfg
        self.perceptual: nn.Module | None = None
        if cfg.perceptual_weight:
            from oculi.train.losses.perceptual import PerceptualLoss

            self.perceptual = PerceptualLoss("efficientnet_lite0")

    def distance(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The perceptual distance of a batch (0 without a perceptual term)."""
        if self.perceptual is None:
            return x.new_zeros(())
        self.perceptual.to(x.device)
        return self.perceptual(x_hat, x)

    def __call__(self, step: Step, x: torch.Tensor) -> StepOutput:
        from oculi.compress.task import rd_terms

        cfg = self.cfg
        codec = getattr(step.model, "module", step.model)
        x_hat, likelihoods, y_hat = codec.train_outputs(x, ste=True)
        bpp, mse = rd_terms(x, x_hat, likelihoods)
        cond = y_hat.detach()
        d_loss = critic_objective(codec.critic(x, cond), codec.critic(x_hat.detach(), cond), cfg)
        step.optimize(d_loss, "critic")
        p = self.distance(x_hat, x)
        g_loss, terms = generator_objective(bpp, mse, p, codec.critic(x_hat, cond), cfg)
        step.optimize(g_loss, "main")
        aux = codec.aux_loss()
        step.optimize(aux, "aux")
        n = x.shape[0]
        stats = {"bpp": float(bpp.detach()), "psnr": float(-10 * torch.log10(mse.detach())),
                 "perceptual": float(p.detach()), "critic_loss": float(d_loss.detach()),
                 "aux_loss": float(aux.detach()), **terms}
        return StepOutput(g_loss.detach(), {k: v * n for k, v in stats.items()}, n)


def init_summary(cfg: CompressConfig) -> dict[str, Any]:
    """The GAN settings written to ``data.json``."""
    return {k: getattr(cfg, k) for k in ("gan_loss", "critic_width", "critic_lr",
                                         "perceptual_weight", "adversarial_weight",
                                         "rate_target", "rate_boost")}
