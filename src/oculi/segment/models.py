"""Segmentation models by name: smp architectures on registry encoders, torchvision FCN, and the
networks oculi writes (SegNet, ENet, V-Net, 3-D U-Net).

Every model is a :class:`Segmenter`: ``(N, C, H, W)`` (or ``(N, C, D, H, W)``) float input in
[0, 1] (CT: already windowed to [0, 1]) -> logits with one channel for a binary task
(``num_classes=2``: sigmoid) or ``num_classes`` channels (softmax). Normalisation with the
encoder's mean/std happens inside.

    >>> model = create_segmenter("unet", num_classes=2, pretrained=False)
    >>> model.out_channels, model.config()["arch"]
    (1, 'unet')
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from oculi.core.constants import DEFAULT_BACKBONE, IMAGENET_MEAN, IMAGENET_STD
from oculi.core.errors import MissingDependencyError, ParameterError
from oculi.core.registry import Registry

#: smp architectures: oculi name -> smp name
SMP_ARCHS = {
    "unet": "unet",
    "unetplusplus": "unetplusplus",
    "fpn": "fpn",
    "linknet": "linknet",
    "pspnet": "pspnet",
    "deeplabv3": "deeplabv3",
    "deeplabv3plus": "deeplabv3plus",
    "pan": "pan",
}
DEFAULT_ENCODER = DEFAULT_BACKBONE  # deprecated name

segmenters: Registry[dict[str, Any]] = Registry("segmentation model")
for _k, _alias in [
    ("unet", ("u-net",)),
    ("unetplusplus", ("unet++", "u-net++")),
    ("fpn", ()),
    ("linknet", ()),
    ("pspnet", ()),
    ("deeplabv3", ()),
    ("deeplabv3plus", ("deeplabv3+",)),
    ("pan", ()),
]:
    segmenters.register(
        _k,
        {"kind": "smp", "dims": 2},
        aliases=_alias,
        help=f"segmentation_models_pytorch {SMP_ARCHS[_k]} on a timm encoder",
    )
segmenters.register(
    "fcn",
    {"kind": "torchvision", "dims": 2},
    help="torchvision FCN-ResNet50 (registry resnet50 weights in the backbone)",
)
segmenters.register("segnet", {"kind": "oculi", "dims": 2}, help="SegNet, written in oculi")
segmenters.register("enet", {"kind": "oculi", "dims": 2}, help="ENet, written in oculi")
segmenters.register(
    "vnet",
    {"kind": "oculi", "dims": 3},
    aliases=("v-net",),
    help="V-Net for volumes, written in oculi",
)
segmenters.register(
    "unet3d",
    {"kind": "oculi", "dims": 3},
    aliases=("3d-unet", "unet-3d"),
    help="3-D U-Net for volumes, written in oculi",
)


class Segmenter(nn.Module):
    """A segmentation network with its input normalisation and the facts needed to rebuild it.

    Attributes:
        arch, encoder: names used to build it.
        num_classes: classes including background; ``out_channels`` is 1 when it is 2.
        dims: 2 (images) or 3 (volumes).
        stride: input sizes must be multiples of this per axis (tuple, one per spatial axis).
        class_names: optional names.
    """

    def __init__(
        self,
        net: nn.Module,
        *,
        arch: str,
        encoder: str | None,
        num_classes: int,
        in_channels: int,
        mean: Sequence[float],
        std: Sequence[float],
        dims: int,
        stride: Sequence[int],
        options: dict[str, Any] | None = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.net = net
        self.arch, self.encoder, self.num_classes = arch, encoder, num_classes
        self.in_channels, self.dims = in_channels, dims
        self.stride = tuple(int(s) for s in stride)
        self.options = dict(options or {})
        self.class_names = list(class_names) if class_names is not None else None
        shape = (1, -1) + (1,) * dims
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(shape))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(shape))

    @property
    def out_channels(self) -> int:
        return 1 if self.num_classes == 2 else self.num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net((x - self.mean) / self.std)
        if isinstance(out, dict):  # torchvision segmentation models
            out = out["out"]
        return out

    def config(self) -> dict[str, Any]:
        """JSON-friendly facts :func:`create_segmenter` rebuilds the model from."""
        return {
            "arch": self.arch,
            "encoder": self.encoder,
            "num_classes": self.num_classes,
            "in_channels": self.in_channels,
            "dims": self.dims,
            "options": self.options,
            "class_names": self.class_names,
        }


def _smp(
    arch: str, encoder: str, out: int, in_channels: int, pretrained: bool, options: dict[str, Any]
) -> tuple[nn.Module, tuple, tuple]:
    import segmentation_models_pytorch as smp

    from oculi.models.backbones import load_into_features, timm_backbone

    bb = timm_backbone(encoder, pretrained)
    net = smp.create_model(
        SMP_ARCHS[arch],
        encoder_name=f"tu-{bb.timm_name}",
        encoder_weights=None,
        in_channels=in_channels,
        classes=out,
        **options,
    )
    if bb.state_dict is not None:
        if in_channels != 3:
            raise ParameterError(
                f"in_channels: pretrained encoders take RGB (3), got {in_channels} — convert gray "
                "images to RGB or pass pretrained=False"
            )
        load_into_features(net.encoder.model, bb.state_dict, encoder)
    return net, bb.mean, bb.std


def _fcn(out: int, in_channels: int, pretrained: bool) -> nn.Module:
    from torchvision.models.segmentation import fcn_resnet50

    net = fcn_resnet50(weights=None, weights_backbone=None, num_classes=out, aux_loss=False)
    if in_channels != 3:
        net.backbone.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    if pretrained:
        from oculi.models import create_model

        try:
            body = create_model("resnet50", pretrained=True, allow_download=False).body
        except MissingDependencyError as exc:
            raise MissingDependencyError(
                f"fcn: the resnet50 backbone weights are not available offline ({exc}) — "
                "pass pretrained=False"
            ) from exc
        sd = {k: v for k, v in body.state_dict().items() if not k.startswith("fc.")}
        net.backbone.load_state_dict(sd, strict=True)
    return net


def create_segmenter(
    arch: str = "unet",
    *,
    num_classes: int = 2,
    encoder: str = DEFAULT_ENCODER,
    pretrained: bool = True,
    in_channels: int | None = None,
    class_names: Sequence[str] | None = None,
    **options: Any,
) -> Segmenter:
    """Build a segmentation model by name.

    Args:
        arch: a name of :data:`segmenters` (``unet``, ``unetplusplus``, ``fpn``, ``linknet``,
            ``pspnet``, ``deeplabv3``, ``deeplabv3plus``, ``pan``, ``fcn``, ``segnet``, ``enet``,
            ``vnet``, ``unet3d``).
        num_classes: classes including background (2 = binary: one sigmoid output channel).
        encoder: registry backbone for the smp architectures (timm models of
            :mod:`oculi.models`; default EfficientNet-Lite0).
        pretrained: load the encoder's ImageNet weights offline (smp archs, fcn).
        in_channels: input channels (default 3 for 2-D, 1 for volumes).
        class_names: stored with the model.
        **options: architecture options (smp keyword arguments such as ``decoder_channels``;
            ``width`` for segnet/enet; ``base``/``features`` and ``strides`` for vnet/unet3d).

    Raises:
        UnknownNameError: unknown architecture (close matches listed).
        MissingDependencyError: pretrained weights not available offline.
    """
    entry = segmenters.entry(arch)
    key, dims, kind = entry.name, entry.obj["dims"], entry.obj["kind"]
    if not isinstance(num_classes, numbers.Integral) or num_classes < 2:
        raise ParameterError(
            f"num_classes: expected 2 or more (background included), got {num_classes!r}"
        )
    cin = in_channels if in_channels is not None else (3 if dims == 2 else 1)
    out = 1 if num_classes == 2 else num_classes
    mean: tuple = IMAGENET_MEAN if cin == 3 else (0.0,) * cin
    std: tuple = IMAGENET_STD if cin == 3 else (1.0,) * cin
    enc: str | None = None
    if kind == "smp":
        net, mean, std = _smp(key, encoder, out, cin, pretrained, options)
        if not pretrained:
            mean, std = (0.5,) * cin, (0.5,) * cin
        enc, stride = encoder, (32, 32)
    elif key == "fcn":
        net, stride = _fcn(out, cin, pretrained), (8, 8)
        enc = "resnet50"
    elif key == "segnet":
        from oculi.segment._segnet import SegNet

        net, stride = SegNet(out, cin, **options), (32, 32)
    elif key == "enet":
        from oculi.segment._enet import ENet

        net, stride = ENet(out, cin, **options), (8, 8)
    else:
        from oculi.segment._volumetric import UNet3D, VNet, total_stride

        net = VNet(out, cin, **options) if key == "vnet" else UNet3D(out, cin, **options)
        stride = total_stride(net.strides)
    return Segmenter(
        net,
        arch=key,
        encoder=enc,
        num_classes=num_classes,
        in_channels=cin,
        mean=mean,
        std=std,
        dims=dims,
        stride=stride,
        options=options,
        class_names=class_names,
    )


def rebuild(config: dict[str, Any]) -> Segmenter:
    """A fresh (untrained, no downloads) model from :meth:`Segmenter.config`."""
    return create_segmenter(
        config["arch"],
        num_classes=config["num_classes"],
        encoder=config.get("encoder") or DEFAULT_ENCODER,
        pretrained=False,
        in_channels=config.get("in_channels"),
        class_names=config.get("class_names"),
        **config.get("options", {}),
    )
