"""Perceptual (feature) loss: the distance between a frozen backbone's features of two images.

``L = Σ_l w_l · mean(|φ_l(x) − φ_l(y)|^p)`` over the chosen feature levels ``l`` (Johnson et al.
2016 use VGG relu features with p = 2). The backbone is a registry model's feature extractor
(frozen, eval mode, no gradient into its weights) or any module returning a list of feature maps.
Images go in as the house convention has them, NCHW float in [0, 1]; the backbone's ImageNet
normalisation is applied here.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from oculi.core.checks import check_choice, check_tensor_images
from oculi.core.constants import IMAGENET_MEAN, IMAGENET_STD
from oculi.core.errors import ParameterError, ShapeError

_MEAN, _STD = IMAGENET_MEAN, IMAGENET_STD


def _registry_features(name: str, pretrained: bool) -> tuple[nn.Module, tuple, tuple]:
    """A timm ``features_only`` extractor for a registry name, with the registry's weights."""
    import timm

    from oculi.models.backbones import load_into_features, timm_backbone

    bb = timm_backbone(name, pretrained)
    model = timm.create_model(bb.timm_name, pretrained=False, features_only=True)
    if bb.state_dict is not None:
        load_into_features(model, bb.state_dict, name)
    return model, bb.mean, bb.std


class PerceptualLoss(nn.Module):
    """Feature-space distance on a frozen backbone.

    Args:
        backbone: a registry model name (e.g. ``"efficientnet_lite0"``) or a module mapping an
            NCHW batch to a list of feature maps.
        layers: indices of the feature levels used (default all).
        layer_weights: weight per used level (default 1 each).
        kind: ``"l2"`` (mean squared) or ``"l1"`` distance.
        normalize: apply the backbone's mean/std (ImageNet's for a module) to the [0, 1] inputs.
        pretrained: load the registry's pretrained weights (names only).

    Shapes:
        prediction, target: ``(N, 3, H, W)`` float in [0, 1]. Returns a scalar.
    """

    def __init__(
        self,
        backbone: str | nn.Module = "efficientnet_lite0",
        *,
        layers: Sequence[int] | None = None,
        layer_weights: Sequence[float] | None = None,
        kind: str = "l2",
        normalize: bool = True,
        pretrained: bool = True,
    ) -> None:
        super().__init__()
        self.kind = check_choice(kind, ("l1", "l2"), "kind")
        mean, std = _MEAN, _STD
        if isinstance(backbone, str):
            net, mean, std = _registry_features(backbone, pretrained)
        else:
            net = backbone
        net.eval()
        for p in net.parameters():
            p.requires_grad_(False)
        self.backbone = net
        self.layers = list(layers) if layers is not None else None
        if layer_weights is not None and layers is not None and len(layer_weights) != len(layers):
            raise ParameterError(
                f"layer_weights: expected {len(layers)} weights, got {len(layer_weights)}"
            )
        self.layer_weights = list(layer_weights) if layer_weights is not None else None
        self.normalize = normalize
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def train(self, mode: bool = True) -> PerceptualLoss:  # the backbone stays in eval mode
        super().train(mode)
        self.backbone.eval()
        return self

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The used feature maps of an NCHW [0, 1] batch."""
        if self.normalize:
            x = (x - self.mean) / self.std
        feats = self.backbone(x)
        if isinstance(feats, torch.Tensor):
            feats = [feats]
        feats = list(feats)
        return [feats[i] for i in self.layers] if self.layers is not None else feats

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_tensor_images(prediction, "prediction")
        check_tensor_images(target, "target")
        if prediction.shape != target.shape:
            raise ShapeError(
                f"prediction and target: expected the same shape, got {tuple(prediction.shape)} "
                f"and {tuple(target.shape)}"
            )
        fp = self.features(prediction)
        with torch.no_grad():
            ft = self.features(target)
        weights = self.layer_weights or [1.0] * len(fp)
        total = prediction.new_zeros(())
        for w, a, b in zip(weights, fp, ft, strict=True):
            d = a - b
            total = total + w * (d.abs().mean() if self.kind == "l1" else (d * d).mean())
        return total
