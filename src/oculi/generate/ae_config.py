"""The configuration of the ``vae`` trainable task (the one place its defaults live): a
convolutional autoencoder, denoising autoencoder or variational autoencoder on 28x28 grey images.
The module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.train.config import TrainConfig, check_fraction

#: the three models of the task
AE_MODELS = ("ae", "dae", "vae")


@dataclass
class AutoencoderConfig(TrainConfig):
    """Training an autoencoder on 28x28 grey images (MNIST, Fashion-MNIST, IDX or image folders).

    The decoder outputs per-pixel logits; the reconstruction term is the binary cross-entropy
    against the grey levels in [0, 1] summed over the pixels (a Bernoulli likelihood), averaged
    over the batch. The VAE adds ``beta`` x KL(q(z|x) || N(0, I)) (closed form, reparameterised
    sampling); with ``beta`` = 1 the loss is the negative ELBO in nats per image.

    Attributes:
        model: ``ae`` (deterministic code), ``dae`` (denoising: Gaussian noise of ``noise``
            added to the inputs only, the clean image is the target) or ``vae``.
        latent_dim: size of the code z (2 gives a decoded manifold map in the run folder).
        width: channels of the first encoder convolution (doubled in the second).
        beta: weight of the KL term (``vae``; 0 leaves a plain autoencoder with a noisy code).
        kl_warmup_epochs: the KL weight rises linearly from 0 to ``beta`` over these epochs
            (0: ``beta`` from the start).
        noise: standard deviation of the input noise of ``dae``, in [0, 1] grey units (the
            noisy input is clipped to [0, 1]).
        train_images: use the first N shuffled training images (0: all).
        val_images: held-out images scored each epoch (a set's test split, else the last
            shuffled training images).
    """

    model: str = "vae"
    latent_dim: int = 16
    width: int = 32
    beta: float = 1.0
    kl_warmup_epochs: float = 0.0
    noise: float = 0.3
    train_images: int = 0
    val_images: int = 1000
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_epochs: float = 0.0
    schedule: str = "constant"
    clip_grad_norm: float = 0.0
    monitor: str = "val_loss"

    def validate(self) -> None:
        super().validate()
        check_choice(self.model, AE_MODELS, "model")
        for name in ("latent_dim", "width", "val_images"):
            check_positive(getattr(self, name), name)
        for name in ("beta", "kl_warmup_epochs", "train_images"):
            check_positive(getattr(self, name), name, allow_zero=True)
        check_fraction(self, "noise")
