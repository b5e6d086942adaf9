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
from dataclasses import dataclass
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

#: every architecture: a factory ``(arch, out, in_channels, encoder, pretrained, options) ->
#: Built`` with metadata ``dims`` (2 or 3) and ``family`` (filled in at the end of this module)
segmenters: Registry[Any] = Registry("segmentation model")


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
        if isinstance(out, dict) and "point_logits" not in out:  # torchvision segmentation models
            out = out["out"]
        return out  # a PointRend model in training mode: its dict (oculi.segment.pointrend)

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
    key, dims = entry.name, entry.meta["dims"]
    if not isinstance(num_classes, numbers.Integral) or num_classes < 2:
        raise ParameterError(
            f"num_classes: expected 2 or more (background included), got {num_classes!r}"
        )
    cin = in_channels if in_channels is not None else (3 if dims == 2 else 1)
    out = 1 if num_classes == 2 else num_classes
    mean: tuple = IMAGENET_MEAN if cin == 3 else (0.0,) * cin
    std: tuple = IMAGENET_STD if cin == 3 else (1.0,) * cin
    built = entry.obj(key, out, cin, encoder, pretrained, options)
    if built.mean is not None:
        mean, std = built.mean, built.std
    net, stride, enc = built.net, built.stride, built.encoder
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


@dataclass
class Built:
    """What an architecture factory returns: the network, its output stride, and the encoder
    name and input normalisation when the architecture has its own (else the defaults)."""

    net: nn.Module
    stride: tuple[int, ...]
    encoder: str | None = None
    mean: tuple | None = None
    std: tuple | None = None


def _build_smp(key: str, out: int, cin: int, encoder: str, pretrained: bool,
               options: dict[str, Any]) -> Built:
    net, mean, std = _smp(key, encoder, out, cin, pretrained, options)
    if not pretrained:
        mean, std = (0.5,) * cin, (0.5,) * cin
    return Built(net, (32, 32), encoder, mean, std)


def _build_fcn(key: str, out: int, cin: int, encoder: str, pretrained: bool,
               options: dict[str, Any]) -> Built:
    return Built(_fcn(out, cin, pretrained), (8, 8), "resnet50")


def _build_segnet(key: str, out: int, cin: int, encoder: str, pretrained: bool,
                  options: dict[str, Any]) -> Built:
    from oculi.segment._segnet import SegNet

    return Built(SegNet(out, cin, **options), (32, 32))


def _build_enet(key: str, out: int, cin: int, encoder: str, pretrained: bool,
                options: dict[str, Any]) -> Built:
    from oculi.segment._enet import ENet

    return Built(ENet(out, cin, **options), (8, 8))


def _build_pointrend(key: str, out: int, cin: int, encoder: str, pretrained: bool,
                     options: dict[str, Any]) -> Built:
    from oculi.segment.pointrend import PointRend, split_options

    base, base_options, head = split_options(options)
    entry = segmenters.entry(base)
    if entry.meta["family"] != "smp":
        raise ParameterError(f"pointrend: base must be an smp architecture, got {base!r}")
    built = entry.obj(entry.name, out, cin, encoder, pretrained, base_options)
    built.net = PointRend(built.net, **head)
    return built


def _build_volumetric(key: str, out: int, cin: int, encoder: str, pretrained: bool,
                      options: dict[str, Any]) -> Built:
    from oculi.segment._volumetric import UNet3D, VNet, total_stride

    net = VNet(out, cin, **options) if key == "vnet" else UNet3D(out, cin, **options)
    return Built(net, total_stride(net.strides))


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
    segmenters.register(_k, _build_smp, dims=2, family="smp", aliases=_alias,
                        help=f"segmentation_models_pytorch {SMP_ARCHS[_k]} on a timm encoder")
segmenters.register("fcn", _build_fcn, dims=2, family="torchvision",
                    help="torchvision FCN-ResNet50 (registry resnet50 weights in the backbone)")
segmenters.register("segnet", _build_segnet, dims=2, family="oculi",
                    help="SegNet, written in oculi")
segmenters.register("enet", _build_enet, dims=2, family="oculi", help="ENet, written in oculi")
segmenters.register("pointrend", _build_pointrend, dims=2, family="oculi",
                    aliases=("point-rend", "unet-pointrend"),
                    help="PointRend head on an smp architecture (option base, default unet)")
segmenters.register("vnet", _build_volumetric, dims=3, family="oculi", aliases=("v-net",),
                    help="V-Net for volumes, written in oculi")
segmenters.register("unet3d", _build_volumetric, dims=3, family="oculi",
                    aliases=("3d-unet", "unet-3d"), help="3-D U-Net for volumes, written in oculi")
