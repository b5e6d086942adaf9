"""The configuration of the ``stylize`` trainable task (the one place its defaults live): a
Johnson et al. feed-forward network per style, or an AdaIN decoder for arbitrary styles, trained
on random crops of content photos. The module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: the trainable style networks
MODELS = ("johnson", "adain")
#: the style weight per model when ``style_weight`` is 0 (Gram loss for johnson, mean/std loss
#: for adain; both on the default feature network)
DEFAULT_STYLE_WEIGHT = {"johnson": 1e4, "adain": 10.0}


@dataclass
class StylizeConfig(TrainConfig):
    """Training a feed-forward style network on random crops of content photos.

    ``johnson`` learns one style (``style`` is an image): content loss + Gram style loss + total
    variation on the frozen feature network, as in Johnson et al. (2016). ``adain`` trains the
    decoder of Huang & Belongie (2017): the content's encoder features get the style's
    per-channel mean and std (AdaIN) and the decoder learns to invert them; ``style`` is an image
    or a folder of style images (random crops of them are drawn per item).

    Attributes:
        model: ``johnson`` (one style per network) or ``adain`` (arbitrary style decoder).
        style: the style image (johnson), or a style image or folder of style images (adain);
            required for training.
        backbone: the loss/encoder network: ``efficientnet_lite0`` (ImageNet weights offline),
            ``vgg16`` or ``vgg19`` (need ``vgg_weights``; johnson only).
        vgg_weights: a torchvision VGG state-dict file (the user's; never downloaded).
        content_layers: comma-separated content layer names ('' : the backbone's default).
        style_layers: comma-separated style layer names ('' : the backbone's default).
        content_weight: weight of the content (feature) loss.
        style_weight: weight of the style loss (0: 1e4 for johnson's Gram loss, 10 for adain's
            mean/std loss).
        tv_weight: weight of the total-variation loss (johnson).
        width: johnson: first-layer channels (the paper's 32); adain: decoder channels at full
            resolution.
        blocks: johnson: residual blocks.
        adain_layer: adain: the encoder layer the statistics are swapped on.
        image_size: training crop side in pixels (content and style crops).
        style_size: johnson: the style image's longer side in pixels when its Gram targets are
            computed.
        repeat: random crops drawn from each training image per epoch.
        with_embedded: also train on the embedded photos (the only data when none is given).
        val_split: fraction of a folder's images held out (last in name order) when it has no
            ``train/`` + ``val/``.
        val_images: at most this many validation images (a central crop of ``image_size``).
    """

    model: str = "johnson"
    style: str = ""
    backbone: str = "efficientnet_lite0"
    vgg_weights: str | None = None
    content_layers: str = ""
    style_layers: str = ""
    content_weight: float = 1.0
    style_weight: float = 0.0
    tv_weight: float = 10.0
    width: int = 8
    blocks: int = 5
    adain_layer: str = "blocks.3"
    image_size: int = 256
    style_size: int = 256
    repeat: int = 4
    with_embedded: bool = False
    val_split: float = 0.1
    val_images: int = 4
    epochs: int = 2
    batch_size: int = 4
    lr: float = 2e-3
    weight_decay: float = 0.0
    warmup_epochs: float = 0.0
    min_lr_ratio: float = 0.1
    clip_grad_norm: float = 0.0
    monitor: str = "val_loss"

    @property
    def style_weight_value(self) -> float:
        """``style_weight``, or the model's default when 0."""
        return self.style_weight or DEFAULT_STYLE_WEIGHT[self.model]

    def layer_list(self, which: str) -> list[str] | None:
        """``content_layers`` / ``style_layers`` as a list (None: the backbone's default)."""
        text = getattr(self, f"{which}_layers")
        names = [n.strip() for n in text.split(",") if n.strip()]
        return names or None

    def validate(self) -> None:
        super().validate()
        check_choice(self.model, MODELS, "model")
        check_choice(self.backbone, ("efficientnet_lite0", "vgg16", "vgg19"), "backbone")
        if self.backbone != "efficientnet_lite0" and not self.vgg_weights:
            raise ParameterError(f"vgg_weights: {self.backbone} needs a weights file (none is "
                                 "available offline) — pass --vgg-weights PATH")
        if self.model == "adain" and self.backbone != "efficientnet_lite0":
            raise ParameterError("backbone: adain's encoder is efficientnet_lite0")
        for name in ("content_weight", "style_weight", "tv_weight"):
            check_positive(getattr(self, name), name, allow_zero=True)
        for name in ("width", "repeat", "val_images"):
            check_positive(getattr(self, name), name)
        check_positive(self.blocks, "blocks", allow_zero=True)
        for name in ("image_size", "style_size"):
            if getattr(self, name) < 32:
                raise ParameterError(f"{name}: expected at least 32 pixels, got "
                                     f"{getattr(self, name)!r}")
        check_fraction(self, "val_split", upper_inclusive=False)
