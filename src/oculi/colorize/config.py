"""The configuration of the ``colorize`` trainable task (the one place its defaults live). The
module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_in_range, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction
from oculi.train.phases import RECIPES

#: the colourisers (built in :mod:`oculi.colorize.nets`)
MODELS = ("classification", "regression", "unet")
#: the GAN loss kinds of :mod:`oculi.train.losses.gan` (that module imports torch)
GAN_KINDS = ("vanilla", "lsgan", "hinge", "wgan", "wgan-gp", "relativistic", "ragan")


@dataclass
class ColorizeConfig(TrainConfig):
    """Training a colouriser (lightness in, ab out, CIE Lab) on random crops of colour photos.

    Attributes:
        model: ``classification`` (Zhang et al. 2016: a distribution over the in-gamut ab bins,
            soft-encoded targets, class rebalancing, annealed-mean readout), ``regression``
            (the same network predicting ab with an L2 or Huber loss) or ``unet``
            (DeOldify-style U-Net: self-attention, spectral norm, trained by ``recipe``).
        backbone: registry encoder (ImageNet weights, offline), or ``tiny`` (random, tests).
        pretrained: load the backbone's ImageNet weights.
        width: decoder channels.
        critic_width: first-layer channels of the U-Net's PatchGAN critic.
        short_side: photos are resized to this short side (pixels) for training crops,
            validation and prediction (the scale the network sees).
        image_size: training crop side in pixels (a multiple of 32).
        repeat: random crops per training image per epoch.
        val_split: fraction of a folder's images held out (last in name order) when it has no
            ``train/`` + ``val/``.
        val_images: at most this many validation images (central square crops).
        temperature: the annealed-mean temperature T (0.38 in the paper; 1: the mean).
        rebalance: λ of the class rebalancing: the uniform distribution's share in the
            smoothed prior whose inverse weights the loss (0.5 in the paper; 1: no rebalancing).
        regression_loss: ``l2`` or ``huber`` (δ = 10 ab units), the regression model's loss.
        recipe: the U-Net's training: ``nogan`` (generator with pixel + perceptual loss, then
            the critic alone on its outputs, then ``adversarial_epochs`` of both), ``gan``
            (adversarial throughout) or ``pixel`` (no critic).
        critic_epochs: NoGAN: epochs training only the critic.
        adversarial_epochs: NoGAN: closing epochs training critic and generator together.
        gan_loss: GAN loss kind (``hinge``, ``vanilla``, ``lsgan``, ...).
        adversarial_weight: weight of the GAN term in the generator's loss.
        perceptual_weight: weight of the perceptual (EfficientNet-Lite0 feature) loss in the
            U-Net's content loss (0: L1 on ab only). Its raw value is ~30 on 64-pixel crops
            (five feature levels, squared distances) against ~0.1 for the L1 term: 0.01 keeps
            the two, and the GAN term, on one scale.
        critic_lr: the critic's learning rate (``lr`` is the generator's).
    """

    model: str = "classification"
    backbone: str = "efficientnet_lite0"
    pretrained: bool = True
    width: int = 64
    critic_width: int = 32
    short_side: int = 128
    image_size: int = 64
    repeat: int = 4
    val_split: float = 0.1
    val_images: int = 16
    temperature: float = 0.38
    rebalance: float = 0.5
    regression_loss: str = "l2"
    recipe: str = "nogan"
    critic_epochs: int = 1
    adversarial_epochs: int = 1
    gan_loss: str = "hinge"
    adversarial_weight: float = 0.05
    perceptual_weight: float = 0.01
    critic_lr: float = 2e-4
    epochs: int = 8
    batch_size: int = 16
    lr: float = 5e-4
    weight_decay: float = 1e-4
    warmup_epochs: float = 0.0
    min_lr_ratio: float = 0.1
    monitor: str = "val_ab_auc"

    def validate(self) -> None:
        super().validate()
        from oculi.train.phases import recipe_phases

        check_choice(self.model, MODELS, "model")
        check_choice(self.recipe, RECIPES, "recipe")
        check_choice(self.regression_loss, ("l2", "huber"), "regression_loss")
        check_choice(self.gan_loss.lower().replace("_", "-"), GAN_KINDS, "gan_loss")
        for name in ("width", "critic_width", "repeat", "val_images", "temperature",
                     "critic_lr"):
            check_positive(getattr(self, name), name)
        for name in ("adversarial_weight", "perceptual_weight"):
            check_positive(getattr(self, name), name, allow_zero=True)
        check_in_range(self.rebalance, "rebalance", 0.0, 1.0)
        check_fraction(self, "val_split", upper_inclusive=False)
        if self.image_size < 32 or self.image_size % 32:
            raise ParameterError(f"image_size: expected a multiple of 32 pixels, got "
                                 f"{self.image_size!r}")
        if self.short_side < self.image_size:
            raise ParameterError(f"short_side: expected at least image_size "
                                 f"({self.image_size}), got {self.short_side!r}")
        if self.model == "unet":
            recipe_phases(self.recipe, self.epochs, self.critic_epochs, self.adversarial_epochs)

    def single_process_reason(self) -> str | None:
        """The U-Net's critic (recipes ``nogan`` and ``gan``) is stepped outside the
        data-parallel wrapper, so its gradients would not be averaged over processes: such a
        run trains in one process. The other models and ``recipe: pixel`` train data-parallel."""
        if self.model == "unet" and self.recipe != "pixel":
            return (f"the U-Net with a critic (recipe {self.recipe}) trains in one process: "
                    "drop --ray / torchrun, or use recipe pixel")
        return None
