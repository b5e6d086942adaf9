"""Phased adversarial training for image-to-image models: the NoGAN recipe (DeOldify, Antic
2019), a plain conditional GAN (pix2pix: content + adversarial loss throughout) and content-loss
only training, as one schedule over the engine's named optimizers.

A task builds two optimizers, ``generator`` and ``critic`` (:meth:`Task.build_optimizers`), and
hands each batch to :meth:`AdversarialSchedule.step` with three callables: ``generate()``
(the generator's output for the batch), ``critic(x)`` (scores of an output, conditioning
included) and ``content(fake)`` (the pixel/perceptual loss against the target). The epoch picks
the phase:

=============  ================================================  ======================
phase          losses                                            optimizers stepped
=============  ================================================  ======================
generator      content                                           generator
critic         GAN critic loss on the frozen generator's output  critic
adversarial    critic loss, then content + w·GAN generator loss  critic, then generator
=============  ================================================  ======================

Recipes: ``nogan`` = generator, critic, adversarial phases in that order; ``gan`` = adversarial
throughout; ``pixel`` = generator throughout. GAN losses come from
:mod:`oculi.train.losses.gan` (any of its kinds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError
from oculi.train.losses.gan import GANLoss
from oculi.train.phases import CRITIC, GENERATOR, RECIPES, Phase, recipe_phases
from oculi.train.task import Step, StepOutput

__all__ = ["CRITIC", "GENERATOR", "RECIPES", "AdversarialSchedule", "Phase", "recipe_phases"]


class AdversarialSchedule:
    """Which phase an epoch is in, and one training step of it (see the module doc).

    Args:
        phases: from :func:`recipe_phases`.
        gan_loss: a kind of :data:`oculi.train.losses.GAN_KINDS`.
        adversarial_weight: w, the GAN term's weight in the generator's loss.
    """

    def __init__(self, phases: list[Phase], gan_loss: str = "hinge",
                 adversarial_weight: float = 0.1) -> None:
        if not phases:
            raise ParameterError("phases: expected at least one phase")
        self.phases = list(phases)
        self.gan = GANLoss(gan_loss)
        self.weight = check_positive(adversarial_weight, "adversarial_weight", allow_zero=True)

    @property
    def epochs(self) -> int:
        return sum(p.epochs for p in self.phases)

    @property
    def uses_critic(self) -> bool:
        return any(CRITIC in p.optimizers for p in self.phases)

    def phase(self, epoch: int) -> Phase:
        """The phase of 0-based ``epoch`` (the last phase after the planned epochs)."""
        end = 0
        for p in self.phases:
            end += p.epochs
            if epoch < end:
                return p
        return self.phases[-1]

    def step(self, step: Step, *, generate: Callable[[], torch.Tensor],
             critic: Callable[[torch.Tensor], torch.Tensor],
             content: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
             n: int) -> StepOutput:
        """One batch of the current phase: losses computed and optimizers stepped through
        ``step.optimize``.

        Args:
            step: the engine's step.
            generate: the generator's output for the batch (called once).
            critic: scores of a real or generated output.
            content: the content loss of a generated output.
            real: the real output the critic compares against.
            n: items in the batch.

        Returns:
            The step's :class:`StepOutput`: the generator's loss (the critic's in the critic
            phase) and the sums ``content_loss``, ``critic_loss``, ``adversarial_loss``.
        """
        phase = self.phase(step.epoch)
        stats: dict[str, Any] = {}
        if phase.optimizers == (GENERATOR,):
            loss = content(generate())
            step.optimize(loss, GENERATOR)
            stats["content_loss"] = float(loss.detach()) * n
            return StepOutput(loss, stats, n)
        if GENERATOR in phase.optimizers:
            fake = generate()
        else:
            with torch.no_grad():
                fake = generate()
        critic_loss = self.gan.critic(critic(real), critic(fake.detach()))
        step.optimize(critic_loss, CRITIC)
        stats["critic_loss"] = float(critic_loss.detach()) * n
        if GENERATOR not in phase.optimizers:
            return StepOutput(critic_loss, stats, n)
        c = content(fake)
        real_scores = critic(real).detach() if self.gan.kind in ("relativistic",
                                                                   "ragan") else None
        adv = self.gan.generator(critic(fake), real_scores)
        loss = c + self.weight * adv
        step.optimize(loss, GENERATOR)
        stats.update(content_loss=float(c.detach()) * n, adversarial_loss=float(adv.detach()) * n)
        return StepOutput(loss, stats, n)
