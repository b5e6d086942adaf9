"""The configuration of the ``gan`` trainable task (the one place its defaults live): the GAN
family on 28x28 grey images, one training recipe whose architecture, loss and tricks are options.
The module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: generator/critic families (built in :mod:`oculi.generate.gan_nets`)
GAN_ARCHS = ("mlp", "dcgan", "stylegan")
#: adversarial losses (:mod:`oculi.train.losses.gan` kinds)
GAN_LOSSES = ("vanilla", "lsgan", "wgan-gp", "hinge", "ragan")
#: model sides: 28 (the images as they are) or 32 (padded by 2 pixels)
GAN_SIZES = (28, 32)


@dataclass
class GanConfig(TrainConfig):
    """Training a GAN on 28x28 grey images (MNIST, Fashion-MNIST, IDX or image folders).

    The critic (discriminator) steps on every batch, the generator every ``critic_steps``
    batches. Evaluation and samples use the generator's moving average when ``ema_decay`` > 0.

    Attributes:
        arch: ``mlp`` (fully connected GAN), ``dcgan`` (transposed-convolution-free DCGAN:
            upsample + conv + batch norm; strided-conv critic) or ``stylegan`` (mapping network,
            learned constant, modulated/demodulated convolutions with noise inputs).
        loss: ``vanilla`` (non-saturating), ``lsgan``, ``wgan-gp`` (gradient penalty of weight
            ``gp_weight``), ``hinge`` or ``ragan`` (relativistic average).
        size: model side, 28 or 32 (images padded by 2 pixels).
        latent: noise dimensions.
        width: channels of the first generator block (halved per upsampling) and of the
            critic's last block; the MLP's hidden width is 4x this.
        conditional: class-conditional GAN: the generator gets a class embedding, the critic a
            projection term (Miyato & Koyama 2018). Needs labels.
        info_categorical: InfoGAN categorical code size (0: off; 10 for digits).
        info_continuous: InfoGAN continuous codes, uniform in [-1, 1] (0: off).
        info_weight: weight of the mutual-information (Q head) loss.
        attention: SAGAN self-attention block at the middle resolution of generator and critic.
        spectral_norm: spectral normalisation of every critic layer.
        grow_epochs: progressive growing (ProGAN): epochs per resolution stage, the first half
            of each new stage fading the new layers in; 0: off (conv archs only).
        critic_steps: critic updates per generator update.
        generator_lr: the generator's learning rate (``lr`` is the critic's: two time-scales).
        beta1: Adam's first-moment decay (both optimizers).
        beta2: Adam's second-moment decay (both optimizers).
        gp_weight: gradient-penalty weight of ``wgan-gp``.
        r1_weight: R1 penalty weight on real images (0: off; any loss).
        feature_matching: weight of the feature-matching term of the generator (Salimans et al.
            2016: squared distance between mean critic features of real and fake; 0: off).
        train_images: use the first N training images (0: all).
        val_images: real images held out for ``val_swd_error`` and the sample statistics.
        grid: samples in each epoch's grid (``samples/epoch_NNN.png``; 0: none).
        divergence_steps: stop when the critic separates every real from every fake image for
            this many consecutive steps (a collapsed generator; 0: never).
    """

    arch: str = "dcgan"
    loss: str = "vanilla"
    size: int = 28
    latent: int = 64
    width: int = 128
    conditional: bool = False
    info_categorical: int = 0
    info_continuous: int = 0
    info_weight: float = 1.0
    attention: bool = False
    spectral_norm: bool = False
    grow_epochs: float = 0.0
    critic_steps: int = 1
    generator_lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    gp_weight: float = 10.0
    r1_weight: float = 0.0
    feature_matching: float = 0.0
    train_images: int = 0
    val_images: int = 1000
    grid: int = 64
    divergence_steps: int = 1000
    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_epochs: float = 0.0
    schedule: str = "constant"
    clip_grad_norm: float = 0.0
    ema_decay: float = 0.999
    monitor: str = "val_swd_error"

    def validate(self) -> None:
        """Raise :class:`ParameterError` for a value out of range or a bad combination."""
        super().validate()
        check_choice(self.arch, GAN_ARCHS, "arch")
        check_choice(self.loss, GAN_LOSSES, "loss")
        if self.size not in GAN_SIZES:
            raise ParameterError(f"size: expected 28 or 32, got {self.size!r}")
        for name in ("latent", "width", "critic_steps", "generator_lr", "val_images"):
            check_positive(getattr(self, name), name)
        for name in ("info_categorical", "info_continuous", "info_weight", "grow_epochs",
                     "gp_weight", "r1_weight", "feature_matching", "train_images", "grid",
                     "divergence_steps"):
            check_positive(getattr(self, name), name, allow_zero=True)
        check_fraction(self, "beta1", upper_inclusive=False)
        check_fraction(self, "beta2", upper_inclusive=False)
        if self.info_categorical == 1:
            raise ParameterError("info_categorical: a categorical code needs >= 2 values, got 1")
        if self.grow_epochs and self.arch == "mlp":
            raise ParameterError("grow_epochs: progressive growing needs a conv arch "
                                 "(dcgan or stylegan), got arch 'mlp'")
        if self.attention and self.arch == "mlp":
            raise ParameterError("attention: self-attention needs a conv arch (dcgan or "
                                 "stylegan), got arch 'mlp'")

    def single_process_reason(self) -> str | None:
        """The GAN task steps its generator and critic on the model's parts, outside the
        data-parallel wrapper: it trains in one process."""
        return ("the GAN task trains in one process (generator and critic step outside the "
                "data-parallel wrapper): drop --ray / torchrun")
