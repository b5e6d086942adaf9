"""GAN critic and generator losses: vanilla (non-saturating), LSGAN, hinge, WGAN(-GP), relativistic.

The critic's raw outputs (logits / scores) of real and generated samples go in, any shape; every
loss is a mean over elements. Formulas (``r`` real scores, ``f`` fake scores, ``σ`` sigmoid,
``softplus(x) = log(1 + eˣ)`` so ``−log σ(x) = softplus(−x)``):

=============== ======================================== ====================================
kind            critic                                   generator
=============== ======================================== ====================================
vanilla         softplus(−r) + softplus(f)               softplus(−f) (non-saturating)
lsgan           ½(r − 1)² + ½f²                          ½(f − 1)²
hinge           relu(1 − r) + relu(1 + f)                −f
wgan, wgan-gp   f − r  (+ λ·GP, :func:`gradient_penalty`) −f
relativistic    softplus(−(r − f))                       softplus(−(f − r))
ragan           softplus(−(r − f̄)) + softplus(f − r̄)     softplus(−(f − r̄)) + softplus(r − f̄)
=============== ======================================== ====================================

(``f̄``, ``r̄``: batch means; "ragan" is the relativistic-average GAN of Jolicoeur-Martineau 2018.)

Regularisers: :func:`gradient_penalty` (WGAN-GP, at interpolates), :func:`r1_penalty` (on real
samples, Mescheder et al. 2018) and the generator's :func:`feature_matching_loss` (Salimans et al.
2016).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from oculi.core.checks import check_choice
from oculi.core.errors import ShapeError

GAN_KINDS = ("vanilla", "lsgan", "hinge", "wgan", "wgan-gp", "relativistic", "ragan")


def discriminator_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The critic's loss for scores of real and fake samples (see the module table)."""
    kind = check_choice(kind.lower().replace("_", "-"), GAN_KINDS, "kind")
    if kind == "vanilla":
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if kind == "lsgan":
        return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if kind in ("wgan", "wgan-gp"):
        return fake.mean() - real.mean()
    if kind == "relativistic":
        _same(real, fake)
        return F.softplus(-(real - fake)).mean()
    return F.softplus(-(real - fake.mean())).mean() + F.softplus(fake - real.mean()).mean()


def generator_loss(kind: str, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
    """The generator's loss; the relativistic kinds also need the real scores."""
    kind = check_choice(kind.lower().replace("_", "-"), GAN_KINDS, "kind")
    if kind == "vanilla":
        return F.softplus(-fake).mean()
    if kind == "lsgan":
        return 0.5 * ((fake - 1) ** 2).mean()
    if kind in ("hinge", "wgan", "wgan-gp"):
        return -fake.mean()
    if real is None:
        raise ShapeError(
            f"real: the {kind} generator loss needs the critic's scores of real samples"
        )
    if kind == "relativistic":
        _same(real, fake)
        return F.softplus(-(fake - real)).mean()
    return F.softplus(-(fake - real.mean())).mean() + F.softplus(real - fake.mean()).mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    weight: float = 10.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP penalty ``λ · E[(‖∇ₓ D(x̂)‖₂ − 1)²]`` at random interpolates ``x̂`` of real and fake.

    Args:
        critic: maps a batch ``(N, ...)`` to scores (any shape with N first).
        real, fake: samples of the same shape ``(N, ...)``.
        weight: λ (10 in Gulrajani et al. 2017).
        generator: RNG for the interpolation weights (reproducible tests).
    """
    _same(real, fake)
    eps = torch.rand(
        (real.shape[0],) + (1,) * (real.ndim - 1),
        generator=generator,
        device=real.device,
        dtype=real.dtype,
    )
    x = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x)
    (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    norm = grad.reshape(grad.shape[0], -1).norm(2, dim=1)
    return weight * ((norm - 1) ** 2).mean()


def r1_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, *, weight: float = 10.0
) -> torch.Tensor:
    """R1 penalty ``γ/2 · E[‖∇ₓ D(x)‖₂²]`` on real samples ``x`` (N, ...) (Mescheder et al. 2018).

    Args:
        critic: maps a batch ``(N, ...)`` to scores (any shape with N first).
        real: real samples.
        weight: γ.
    """
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return 0.5 * weight * grad.reshape(grad.shape[0], -1).pow(2).sum(1).mean()


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Feature matching for the generator: ``‖mean f(real) − mean f(fake)‖₂²`` over the batch of
    critic features ``(N, F)`` (the real features are treated as constants)."""
    if real_features.shape[1:] != fake_features.shape[1:]:
        raise ShapeError(f"real and fake features: expected the same feature shape, got "
                         f"{tuple(real_features.shape)} and {tuple(fake_features.shape)}")
    diff = real_features.detach().mean(0) - fake_features.mean(0)
    return diff.pow(2).sum()


class GANLoss:
    """A GAN loss kind bound to a name: ``.critic(real, fake)``, ``.generator(fake, real)``."""

    def __init__(self, kind: str = "hinge") -> None:
        self.kind = check_choice(kind.lower().replace("_", "-"), GAN_KINDS, "kind")

    def critic(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return discriminator_loss(self.kind, real, fake)

    def generator(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        return generator_loss(self.kind, fake, real)

    def __repr__(self) -> str:
        return f"GANLoss({self.kind!r})"


def _same(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape != b.shape:
        raise ShapeError(
            f"real and fake: expected the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
