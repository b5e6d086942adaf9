"""The frozen feature network of style transfer, with its layers chosen by name.

Two families:

- ``efficientnet_lite0`` (the default): the registry's ImageNet EfficientNet-Lite0 (weights
  available offline, loaded through :func:`oculi.models.backbones.timm_backbone` as the perceptual
  loss does). Layers: ``stem`` (stride 2, 32 channels) and ``blocks.0`` .. ``blocks.6`` (timm's
  stages: strides 2, 4, 8, 16, 16, 32, 32; 16, 24, 40, 80, 112, 192, 320 channels).
- ``vgg16`` / ``vgg19``: torchvision's architecture built with ``weights=None`` and loaded from a
  state-dict file the user supplies (``weights=PATH``; oculi never downloads it). Layers are
  named as in the papers: ``conv1_1``, ``relu1_1``, ..., ``pool1``, ``conv2_1``, ...

Inputs are NCHW float32 in [0, 1]; the network's own normalisation is applied inside.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import nn

from oculi.core.checks import check_tensor_images
from oculi.core.constants import IMAGENET_MEAN, IMAGENET_STD
from oculi.core.errors import DataError, ParameterError, UnknownNameError

#: the feature networks by name
BACKBONES = ("efficientnet_lite0", "vgg16", "vgg19")

#: default ``(content layers, style layers)`` per backbone (VGG: Gatys et al. 2016 for vgg19,
#: Johnson et al. 2016 for vgg16)
DEFAULT_LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "efficientnet_lite0": (("blocks.3",), ("stem", "blocks.0", "blocks.1", "blocks.2",
                                           "blocks.3")),
    "vgg16": (("relu3_3",), ("relu1_2", "relu2_2", "relu3_3", "relu4_3")),
    "vgg19": (("relu4_2",), ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")),
}


def _lite0_stages(pretrained: bool) -> tuple[list[tuple[str, nn.Module]], tuple, tuple]:
    import timm

    from oculi.models.backbones import timm_backbone

    bb = timm_backbone("efficientnet_lite0", pretrained)
    net = timm.create_model(bb.timm_name, pretrained=False)
    if bb.state_dict is not None:
        net.load_state_dict(bb.state_dict, strict=False)
    stages = [("stem", nn.Sequential(net.conv_stem, net.bn1))]
    stages += [(f"blocks.{i}", block) for i, block in enumerate(net.blocks)]
    return stages, bb.mean, bb.std


def _vgg_names(features: nn.Sequential) -> list[str]:
    """``conv1_1``, ``relu1_1``, ..., ``pool1`` for the layers of a torchvision VGG body."""
    names, block, index = [], 1, 1
    for layer in features:
        if isinstance(layer, nn.Conv2d):
            names.append(f"conv{block}_{index}")
        elif isinstance(layer, nn.ReLU):
            names.append(f"relu{block}_{index}")
            index += 1
        else:
            names.append(f"pool{block}")
            block, index = block + 1, 1
    return names


def load_vgg_features(name: str, weights: str | os.PathLike[str]) -> nn.Sequential:
    """The convolutional body of torchvision's ``vgg16`` / ``vgg19`` with weights from a file.

    Args:
        name: ``vgg16`` or ``vgg19``.
        weights: a state dict (``torch.save`` or ``.safetensors``, read by
            :func:`oculi.models.weights.read_state_dict`) of the whole classifier
            (``features.0.weight``, ..., as torchvision's own files) or of its ``features``
            alone (``0.weight``, ...).

    Raises:
        DataError: a missing or unreadable file, or tensors that do not fit the architecture.
    """
    import torchvision

    from oculi.models.weights import read_state_dict

    path = Path(weights)
    if not path.is_file():
        raise DataError(f"{path}: no such VGG weights file")
    state = read_state_dict(path)  # .pth or .safetensors, weights_only, timed
    body = getattr(torchvision.models, name)(weights=None).features
    if any(k.startswith("features.") for k in state):
        state = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    try:
        body.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).splitlines()[1].strip() if "\n" in str(err) else str(err)
        raise DataError(f"{path}: not {name} weights ({first[:120]})") from None
    return body


class StyleFeatures(nn.Module):
    """A frozen feature network returning the activations of named layers.

    Args:
        backbone: ``efficientnet_lite0``, ``vgg16`` or ``vgg19``.
        weights: the VGG state-dict file (required for VGG; ignored for Lite0).
        pretrained: Lite0: load the registry's ImageNet weights (False: random, for tests).

    Shapes:
        ``forward(x, layers)``: x ``(N, 3, H, W)`` float in [0, 1] -> ``{name: (N, C, h, w)}``.
    """

    def __init__(self, backbone: str = "efficientnet_lite0", *,
                 weights: str | os.PathLike[str] | None = None, pretrained: bool = True) -> None:
        super().__init__()
        if backbone not in BACKBONES:
            raise UnknownNameError(f"backbone: unknown {backbone!r}; known: {', '.join(BACKBONES)}")
        self.backbone = backbone
        if backbone == "efficientnet_lite0":
            stages, mean, std = _lite0_stages(pretrained)
        else:
            if weights is None:
                raise ParameterError(f"backbone {backbone}: no VGG weights offline — pass "
                                     "weights=PATH (a torchvision state dict), or use "
                                     "efficientnet_lite0")
            body = load_vgg_features(backbone, weights)
            stages = list(zip(_vgg_names(body), body, strict=True))
            for _, layer in stages:
                if isinstance(layer, nn.ReLU):
                    layer.inplace = False
            mean, std = IMAGENET_MEAN, IMAGENET_STD
        self.names = [n for n, _ in stages]
        self.stages = nn.ModuleList([m for _, m in stages])
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)

    def train(self, mode: bool = True) -> StyleFeatures:  # always in eval mode (frozen BN)
        return super().train(False)

    def check_layers(self, layers: Iterable[str]) -> list[str]:
        """The names, validated (UnknownNameError lists the known ones)."""
        layers = list(layers)
        unknown = [n for n in layers if n not in self.names]
        if unknown:
            raise UnknownNameError(f"layers: unknown {', '.join(unknown)} for {self.backbone}; "
                                   f"known: {', '.join(self.names)}")
        return layers

    def forward(self, x: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        check_tensor_images(x, "images", channels=3)
        wanted = set(self.check_layers(layers))
        last = max(self.names.index(n) for n in wanted)
        out: dict[str, torch.Tensor] = {}
        h = (x - self.mean) / self.std
        for name, stage in zip(self.names[:last + 1], self.stages, strict=False):
            h = stage(h)
            if name in wanted:
                out[name] = h
        return out


def default_layers(backbone: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(content layers, style layers)`` used when none are given."""
    if backbone not in DEFAULT_LAYERS:
        raise UnknownNameError(f"backbone: unknown {backbone!r}; known: {', '.join(BACKBONES)}")
    return DEFAULT_LAYERS[backbone]
