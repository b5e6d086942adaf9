"""The configuration of the ``compress`` trainable task (the one place its defaults live):
learned image codecs (Ballé et al. 2017 factorized prior, 2018 scale hyperprior) trained for one
rate-distortion trade-off ``lmbda`` on random crops of photos. The module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: the codec architectures (built in :mod:`oculi.compress.models`)
MODELS = ("factorized", "hyperprior")
#: the adversarial losses of ``gan: true`` (kinds of :mod:`oculi.train.losses.gan`)
GAN_LOSSES = ("vanilla", "lsgan", "hinge")
#: the λ of each quality level 1..8 (loss λ·255²·MSE + bpp, MSE of [0, 1] images)
LAMBDAS = (0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800)


def quality_lambda(quality: int) -> float:
    """The λ of quality level ``quality`` (1..8, low to high bit rate).

    >>> quality_lambda(1), quality_lambda(8)
    (0.0018, 0.18)
    """
    if isinstance(quality, bool) or not isinstance(quality, int) or not (
            1 <= quality <= len(LAMBDAS)):
        raise ParameterError(f"quality: expected an integer 1..{len(LAMBDAS)}, got {quality!r}")
    return LAMBDAS[quality - 1]


@dataclass
class CompressConfig(TrainConfig):
    """Training a learned image codec on random crops of photos.

    The loss is ``lmbda * 255² * MSE + bpp`` (MSE of [0, 1] RGB, bits per pixel estimated from the
    entropy model's likelihoods of the noisy latents); the auxiliary optimizer fits the
    factorized densities' quantiles. One run is one quality level.

    Attributes:
        model: ``hyperprior`` (Ballé 2018 scale hyperprior) or ``factorized`` (Ballé 2017).
        channels: N, the channels of the hidden transform layers (and of the hyper-latent z).
        latent_channels: M, the channels of the latent y.
        lmbda: the rate-distortion trade-off λ; 0: the λ of ``quality``.
        quality: the quality level 1..8 this run is for (its λ when ``lmbda`` is 0; stored in
            the files the run writes).
        init: a run folder (or checkpoint) whose weights start this run (those with matching
            names and shapes): fine-tuning one quality from another; empty: random.
        image_size: training crop side in pixels (a multiple of 64).
        repeat: random crops drawn from each training image per epoch.
        with_embedded: also train on the embedded photos (the only data when none is given).
        val_split: fraction of a folder's images held out when it has no train/ + val/.
        val_images: at most this many validation images (a central ``val_size`` crop each).
        val_size: validation crop side in pixels (a multiple of 64).
        aux_lr: learning rate of the auxiliary (quantile) optimizer.
        gan: HiFiC-style training (Mentzer et al. 2020; hyperprior only): a discriminator
            conditioned on the quantised latent (:class:`~oculi.compress.critic.LatentCritic`,
            its own optimizer) and the generator loss ``w·bpp + λ·255²·MSE + perceptual_weight
            · P + adversarial_weight · A`` (P: the EfficientNet-Lite0 perceptual distance, A:
            the ``gan_loss`` generator loss); meant to start from an MSE run (``init``).
        gan_loss: ``vanilla`` (non-saturating, HiFiC's), ``lsgan`` or ``hinge``.
        critic_width: channels of the discriminator's first convolution.
        critic_lr: the discriminator's learning rate (``lr`` is the codec's).
        perceptual_weight: k_P, the weight of the Lite0 perceptual distance (mean squared
            difference of its five feature levels; ~80 between a photo and its 4x blur).
        adversarial_weight: β, the weight of the adversarial term.
        rate_target: HiFiC's rate control, in bits per pixel: the rate weight w is
            ``rate_boost`` while a batch's estimated bpp is above it, 1 otherwise; 0: w = 1.
        rate_boost: the rate weight above ``rate_target``.
    """

    model: str = "hyperprior"
    channels: int = 64
    latent_channels: int = 96
    lmbda: float = 0.0
    quality: int = 5
    init: str = ""
    image_size: int = 128
    repeat: int = 8
    with_embedded: bool = True
    val_split: float = 0.1
    val_images: int = 6
    val_size: int = 256
    aux_lr: float = 1e-2
    gan: bool = False
    gan_loss: str = "vanilla"
    critic_width: int = 32
    critic_lr: float = 1e-4
    perceptual_weight: float = 0.002
    adversarial_weight: float = 0.1
    rate_target: float = 0.0
    rate_boost: float = 8.0
    epochs: int = 20
    batch_size: int = 8
    lr: float = 5e-4
    weight_decay: float = 0.0
    warmup_epochs: float = 0.0
    min_lr_ratio: float = 0.1
    clip_grad_norm: float = 1.0
    amp: bool = False
    monitor: str = "val_loss"

    @property
    def patch(self) -> int:
        """The training crop side (``image_size``; the name the restore crop sampler reads)."""
        return self.image_size

    @property
    def rd_lambda(self) -> float:
        """``lmbda``, or the λ of ``quality``."""
        return self.lmbda or quality_lambda(self.quality)

    def validate(self) -> None:
        super().validate()
        check_choice(self.model, MODELS, "model")
        for name in ("channels", "latent_channels", "repeat", "val_images", "aux_lr"):
            check_positive(getattr(self, name), name)
        check_positive(self.lmbda, "lmbda", allow_zero=True)
        quality_lambda(self.quality)
        for name in ("image_size", "val_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 64 or v % 64:
                raise ParameterError(f"{name}: expected a multiple of 64 pixels, got {v!r}")
        check_fraction(self, "val_split", upper_inclusive=False)
        check_choice(self.gan_loss, GAN_LOSSES, "gan_loss")
        for name in ("critic_width", "critic_lr", "rate_boost"):
            check_positive(getattr(self, name), name)
        for name in ("perceptual_weight", "adversarial_weight", "rate_target"):
            check_positive(getattr(self, name), name, allow_zero=True)
        if self.gan and self.model != "hyperprior":
            raise ParameterError(f"gan: the GAN codec is a hyperprior — set model hyperprior "
                                 f"(got {self.model!r})")

    def single_process_reason(self) -> str | None:
        """The GAN codec (``gan``) steps its codec and critic on the unwrapped model, outside the
        data-parallel wrapper: it trains in one process."""
        if self.gan:
            return ("the GAN codec (gan: true) trains in one process: drop --ray / torchrun, "
                    "or train without gan")
        return None
