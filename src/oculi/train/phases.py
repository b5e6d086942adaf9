"""The phases of the adversarial recipes (:mod:`oculi.train.adversarial`): which optimizers
step in which epochs. No torch import, so task configs can validate a recipe."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError

RECIPES = ("nogan", "gan", "pixel")
GENERATOR, CRITIC = "generator", "critic"


@dataclass(frozen=True)
class Phase:
    """One stretch of training: ``epochs`` epochs stepping ``optimizers`` (in that order)."""

    name: str
    epochs: int
    optimizers: tuple[str, ...]


def recipe_phases(recipe: str, epochs: int, critic_epochs: int = 1,
                  adversarial_epochs: int = 1) -> list[Phase]:
    """The phases of ``recipe`` over ``epochs`` epochs in all.

    ``nogan``: ``epochs - critic_epochs - adversarial_epochs`` generator epochs (at least one),
    then the critic's, then the adversarial ones. ``gan``/``pixel``: one phase of ``epochs``.

    Raises:
        ParameterError: an unknown recipe, or NoGAN phases that do not fit in ``epochs``.
    """
    check_choice(recipe, RECIPES, "recipe")
    check_positive(epochs, "epochs")
    if recipe == "gan":
        return [Phase("adversarial", epochs, (CRITIC, GENERATOR))]
    if recipe == "pixel":
        return [Phase("generator", epochs, (GENERATOR,))]
    check_positive(critic_epochs, "critic_epochs")
    check_positive(adversarial_epochs, "adversarial_epochs")
    first = epochs - critic_epochs - adversarial_epochs
    if first < 1:
        raise ParameterError(
            f"epochs: the NoGAN recipe needs at least one generator epoch before "
            f"{critic_epochs} critic and {adversarial_epochs} adversarial epoch(s), got "
            f"epochs={epochs} — raise epochs to {critic_epochs + adversarial_epochs + 1}")
    return [Phase("generator", first, (GENERATOR,)),
            Phase("critic", critic_epochs, (CRITIC,)),
            Phase("adversarial", adversarial_epochs, (CRITIC, GENERATOR))]
