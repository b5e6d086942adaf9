"""The configurations of the image-to-image tasks ``pix2pix`` (paired: U-Net generator +
conditional PatchGAN, Isola et al. 2017) and ``cyclegan`` (unpaired: two generators, two PatchGAN
critics, cycle and identity losses, Zhu et al. 2017): the one place their defaults live. The
module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction
from oculi.train.phases import RECIPES

#: generator families (:mod:`oculi.generate.img2img_nets`)
GENERATORS = ("unet", "resnet")
#: PatchGAN receptive fields in pixels and the critic's stride-2 layers giving them
PATCH_LAYERS = {1: 0, 16: 1, 34: 2, 70: 3}
#: normalisation layers of generators and critics
NORMS = ("instance", "batch")
#: how plain photos become (A, B) pairs: Canny edges -> photo, grey -> colour
DERIVE = ("none", "edges", "grey")
#: adversarial losses of pix2pix's step (:mod:`oculi.train.losses.gan` kinds that need
#: neither paired scores nor a penalty)
PIX2PIX_LOSSES = ("vanilla", "lsgan", "hinge", "wgan", "ragan")
#: which side of a pair is the input
DIRECTIONS = ("a2b", "b2a")


@dataclass
class _Img2ImgConfig(TrainConfig):
    """Fields both image-to-image tasks share (see the task configs for the docs)."""

    image_size: int = 32
    generator: str = "unet"
    width: int = 32
    depth: int = 0
    res_blocks: int = 6
    dropout: float = 0.5
    norm: str = "instance"
    patch: int = 16
    critic_width: int = 32
    spectral_norm: bool = False
    derive: str = "none"
    direction: str = "a2b"
    train_images: int = 0
    val_images: int = 500
    beta1: float = 0.5
    beta2: float = 0.999
    epochs: int = 10
    batch_size: int = 16
    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_epochs: float = 0.0
    schedule: str = "constant"
    clip_grad_norm: float = 0.0
    monitor: str = "val_l1_error"

    def validate(self) -> None:
        """Raise :class:`ParameterError` for a value out of range or a bad combination."""
        super().validate()
        check_choice(self.generator, GENERATORS, "generator")
        check_choice(self.norm, NORMS, "norm")
        check_choice(self.derive, DERIVE, "derive")
        check_choice(self.direction, DIRECTIONS, "direction")
        if self.patch not in PATCH_LAYERS:
            raise ParameterError(f"patch: expected a PatchGAN receptive field of "
                                 f"{', '.join(map(str, PATCH_LAYERS))} pixels, got {self.patch!r}")
        for name in ("image_size", "width", "critic_width", "res_blocks", "val_images"):
            check_positive(getattr(self, name), name)
        for name in ("depth", "train_images"):
            check_positive(getattr(self, name), name, allow_zero=True)
        check_fraction(self, "dropout", upper_inclusive=False)
        check_fraction(self, "beta1", upper_inclusive=False)
        check_fraction(self, "beta2", upper_inclusive=False)
        depth = unet_depth(self.image_size, self.depth)
        if self.generator == "unet" and self.image_size % 2 ** depth:
            raise ParameterError(f"image_size: the U-Net halves the image {depth} times, so the "
                                 f"side must be a multiple of {2 ** depth}, got {self.image_size}")
        if self.generator == "resnet" and self.image_size % 4:
            raise ParameterError(f"image_size: the ResNet generator halves the image twice, so "
                                 f"the side must be a multiple of 4, got {self.image_size}")

    def single_process_reason(self) -> str | None:
        """pix2pix and CycleGAN step their generator and critic optimizers on the unwrapped
        model, outside the data-parallel wrapper: they train in one process."""
        return ("pix2pix and CycleGAN train in one process (generator and critic step outside "
                "the data-parallel wrapper): drop --ray / torchrun")


def unet_depth(image_size: int, depth: int) -> int:
    """The U-Net's number of stride-2 levels: ``depth``, or when 0 as many as bring
    ``image_size`` down to 1 pixel (at most 8, the paper's 256-pixel U-Net)."""
    if depth:
        return int(depth)
    return max(1, min(8, int(image_size).bit_length() - 1))


@dataclass
class Pix2PixConfig(_Img2ImgConfig):
    """pix2pix on paired images: a U-Net generator learns A -> B with an L1 loss to the true B
    (weight ``l1_weight``) plus a conditional PatchGAN's adversarial loss on (A, output) pairs.

    DATA: ``edges2fashion`` / ``edges2mnist`` (built in: edge maps of 28x28 Fashion-MNIST or MNIST
    images -> the images, padded to 32), a folder with ``A/`` and ``B/`` sub-folders of images with
    matching names (optionally under ``train/`` and ``val/``), a folder of side-by-side ``A|B``
    images (as the pix2pix data sets ship), or a folder of photos with ``derive`` set.

    Attributes:
        image_size: side of the square training crops in pixels (images are resized to it).
        generator: ``unet`` (encoder-decoder with skip connections, dropout) or ``resnet``
            (two stride-2 convolutions, ``res_blocks`` residual blocks, two up-convolutions).
        width: channels of the generator's first layer (doubled per level up to 8x).
        depth: U-Net levels (stride-2 convolutions); 0: down to 1 pixel (at most 8).
        res_blocks: residual blocks of the ``resnet`` generator.
        dropout: dropout in the U-Net's three innermost decoder levels while training (the
            paper's noise source); 0: off.
        norm: ``instance`` or ``batch`` normalisation in generator and critic.
        patch: the PatchGAN critic's receptive field in pixels: 1 (PixelGAN), 16, 34 or 70.
        critic_width: channels of the critic's first layer.
        spectral_norm: spectral normalisation of every critic convolution.
        derive: pairs made from plain photos: ``edges`` (Canny edges -> photo), ``grey``
            (grey -> colour); ``none``: the data holds the pairs.
        direction: ``a2b`` (learn A -> B) or ``b2a``.
        train_images: use the first N training pairs (0: all).
        val_images: pairs held out for validation (built-in sets: from their test split).
        beta1: Adam's first-moment decay (both optimizers).
        beta2: Adam's second-moment decay (both optimizers).
        l1_weight: λ of the L1 term (100 in the paper).
        gan_loss: adversarial loss kind: ``vanilla`` (the paper's non-saturating loss),
            ``lsgan``, ``hinge``, ``wgan`` or ``ragan``.
        recipe: ``gan`` (L1 + adversarial throughout), ``pixel`` (L1 only: a plain U-Net, no
            critic) or ``nogan`` (L1 first, then the critic alone, then both).
        critic_epochs: NoGAN: epochs training the critic alone.
        adversarial_epochs: NoGAN: adversarial epochs at the end.
    """

    l1_weight: float = 100.0
    gan_loss: str = "vanilla"
    recipe: str = "gan"
    critic_epochs: int = 1
    adversarial_epochs: int = 1

    def validate(self) -> None:
        super().validate()
        check_positive(self.l1_weight, "l1_weight", allow_zero=True)
        check_choice(self.gan_loss, PIX2PIX_LOSSES, "gan_loss")
        check_choice(self.recipe, RECIPES, "recipe")


@dataclass
class CycleGanConfig(_Img2ImgConfig):
    """CycleGAN on unpaired images: generators G: A -> B and F: B -> A, critics D_B and D_A
    (PatchGAN, LSGAN loss), the cycle loss ``cycle_weight``·(|F(G(a)) - a| + |G(F(b)) - b|) and
    the identity loss ``identity·cycle_weight``·(|G(b) - b| + |F(a) - a|). Each critic sees a
    random mix of the newest fakes and up to ``history`` older ones (Shrivastava et al. 2017).

    DATA: ``edges2fashion`` / ``edges2mnist`` (built in; A and B are shuffled apart, so the
    training sees no pairs; validation scores against the true pairs), a folder with ``A/`` and
    ``B/`` (or ``trainA/``, ``trainB/``, ``testA/``, ``testB/`` as the CycleGAN data sets ship) of
    any images, unpaired, or a folder of photos with ``derive`` set (then shuffled apart too).

    Attributes:
        image_size: side of the square training crops in pixels (images are resized to it).
        generator: ``resnet`` (the paper's) or ``unet``.
        width: channels of the generator's first layer.
        depth: U-Net levels when ``generator`` is ``unet`` (0: down to 1 pixel, at most 8).
        res_blocks: residual blocks of the ``resnet`` generator (9 at 256 px in the paper).
        dropout: dropout of the U-Net generator (0: off).
        norm: ``instance`` or ``batch`` normalisation in generators and critics.
        patch: the PatchGAN critics' receptive field in pixels: 1, 16, 34 or 70.
        critic_width: channels of the critics' first layer.
        spectral_norm: spectral normalisation of every critic convolution.
        derive: domains made from plain photos: ``edges`` (Canny edges / photos) or ``grey``
            (grey / colour); ``none``: the data holds both domains.
        direction: ``a2b``: ``oculi generate RUN --input`` maps A -> B; ``b2a`` the other way.
        train_images: use the first N images of each domain (0: all).
        val_images: images held out for validation.
        beta1: Adam's first-moment decay (both optimizers).
        beta2: Adam's second-moment decay (both optimizers).
        gan_loss: adversarial loss kind (``lsgan`` in the paper).
        cycle_weight: λ of the cycle-consistency loss (10 in the paper).
        identity: weight of the identity loss as a fraction of ``cycle_weight`` (0.5; 0: off).
        history: fakes kept per critic in the image history buffer (50; 0: newest only).
        monitor: the validation metric selecting ``best.safetensors``: ``val_cycle_error``
            (needs no pairs) or, with true validation pairs, ``val_l1_error`` / ``val_psnr``.
    """

    generator: str = "resnet"
    dropout: float = 0.0
    gan_loss: str = "lsgan"
    cycle_weight: float = 10.0
    identity: float = 0.5
    history: int = 50
    monitor: str = "val_cycle_error"

    def validate(self) -> None:
        super().validate()
        check_choice(self.gan_loss, PIX2PIX_LOSSES[:4], "gan_loss")
        check_positive(self.cycle_weight, "cycle_weight", allow_zero=True)
        check_positive(self.identity, "identity", allow_zero=True)
        check_positive(self.history, "history", allow_zero=True)
