"""Feature networks for photo-generator scores, each score named for its network:

* ``lite0``: the ImageNet EfficientNet-Lite0 of the model registry (weights offline), global
  average pool of its last feature map, 1,280 values — scores are **FID-Lite0** / **KID-Lite0**.
* ``inception``: torchvision's Inception-v3 pool features (2,048 values) with **a weights file
  the user supplies** (a torchvision ``inception_v3`` ImageNet state dict, ``.pth`` or
  ``.safetensors``; nothing is downloaded) — scores are **FID-Inception**. This is torchvision's
  Inception, not the TensorFlow graph of the original FID code, so its values differ slightly
  from published FIDs.

    >>> from oculi.generate.extractors import photo_feature_networks
    >>> photo_feature_networks.names()
    ['inception', 'lite0']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.core.registry import Registry

#: photo feature networks: name -> builder ``(weights) -> nn.Module`` (images in, features out)
photo_feature_networks: Registry[Any] = Registry("photo feature network")


class Lite0Pool(nn.Module):
    """EfficientNet-Lite0 (ImageNet, offline) pool features: ``(N, 3, H, W)`` float in [0, 1] at
    the model's input size -> ``(N, 1280)``."""

    num_features = 1280

    def __init__(self) -> None:
        super().__init__()
        from oculi.models import create_model

        self.model = create_model("efficientnet_lite0", pretrained=True, allow_download=False)
        self.size = tuple(self.model.spec.size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forward_features(x).mean((2, 3))


class InceptionPool(nn.Module):
    """torchvision Inception-v3 with a user-supplied ImageNet state dict: ``(N, 3, H, W)`` float
    in [0, 1] -> ``(N, 2048)`` pool features (resized to 299 x 299 bilinearly, scaled to
    [-1, 1] as the torchvision weights' ``transform_input`` does).

    Args:
        weights: path of the state dict (its ``AuxLogits.*`` tensors, if any, are ignored).

    Raises:
        DataError: missing/unreadable file, or tensors that do not fit Inception-v3.
    """

    num_features = 2048
    size = (299, 299)

    def __init__(self, weights: str | os.PathLike[str]) -> None:
        super().__init__()
        from torchvision.models import inception_v3

        from oculi.models.weights import read_state_dict

        state = {k: v for k, v in read_state_dict(weights).items()
                 if not k.startswith("AuxLogits.")}
        net = inception_v3(weights=None, aux_logits=False, init_weights=False)
        own = net.state_dict()
        missing = sorted(set(own) - set(state))
        wrong = sorted(k for k in own if k in state and state[k].shape != own[k].shape)
        if missing or wrong:
            raise DataError(f"weights: {weights} is not an Inception-v3 state dict "
                            f"({len(missing)} tensors missing, {len(wrong)} of the wrong shape, "
                            f"e.g. {(missing + wrong)[:2]})")
        net.load_state_dict({k: state[k] for k in own})
        net.fc = nn.Identity()
        self.net = net.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != self.size:
            x = nn.functional.interpolate(x, size=self.size, mode="bilinear",
                                          align_corners=False)
        return self.net((x - 0.5) / 0.5)


photo_feature_networks.register("lite0", lambda weights=None: Lite0Pool(),
                                help="ImageNet EfficientNet-Lite0 pool features (FID-Lite0)")
photo_feature_networks.register(
    "inception", lambda weights=None: InceptionPool(_need(weights)),
    help="torchvision Inception-v3 pool features from a user-supplied weights file")


def _need(weights: str | os.PathLike[str] | None) -> str | os.PathLike[str]:
    if weights is None:
        raise ParameterError("weights: the inception feature network needs a weights file "
                             "(a torchvision inception_v3 ImageNet state dict); oculi never "
                             "downloads it — or use features='lite0'")
    return weights


def _batch(images: Any, size: tuple[int, int], name: str) -> torch.Tensor:
    """RGB uint8 / float [0, 1] images ``(N, H, W, 3)`` (array or list) -> ``(N, 3, h, w)``
    float at ``size`` (bilinear)."""
    from oculi.core.checks import check_images
    from oculi.core.convert import ensure_float01

    items = list(images) if not isinstance(images, np.ndarray) or images.ndim == 4 else None
    if not items:
        raise ShapeError(f"{name}: expected N >= 1 RGB images (N, H, W, 3), got "
                         f"{getattr(images, 'shape', type(images).__name__)}")
    out = []
    for img in check_images(items, name):
        if img.ndim != 3 or img.shape[2] != 3:
            raise ShapeError(f"{name}: expected H x W x 3 RGB images, got shape {img.shape}")
        t = torch.from_numpy(np.ascontiguousarray(ensure_float01(img, name))).permute(2, 0, 1)
        out.append(nn.functional.interpolate(t[None], size=size, mode="bilinear",
                                             align_corners=False, antialias=True)[0])
    return torch.stack(out)


@torch.no_grad()
def photo_features(images: Sequence[np.ndarray] | np.ndarray, network: nn.Module,
                   name: str = "images", batch: int = 32) -> np.ndarray:
    """Features ``(N, D)`` float64 of RGB images with a network of
    :data:`photo_feature_networks`."""
    x = _batch(images, network.size, name)
    return np.concatenate([network(x[i:i + batch]).double().numpy()
                           for i in range(0, len(x), batch)])


def photo_scores(fake: Any, real: Any, *, features: str = "lite0",
                 weights: str | os.PathLike[str] | None = None) -> dict[str, float]:
    """FID / KID / precision / recall of generated RGB photos against real ones.

    Args:
        fake, real: RGB images ``(N, H, W, 3)`` (uint8 or float in [0, 1]; arrays or lists of
            any sizes, resized to the network's input). FID needs more images than feature
            dimensions (1,280 for lite0, 2,048 for inception).
        features: ``lite0`` or ``inception``.
        weights: the Inception-v3 weights file (``inception`` only).

    Returns:
        ``fid_<features>``, ``kid_<features>``, ``precision``, ``recall``.
    """
    from oculi.generate.metrics import scores_from_features

    network = photo_feature_networks.get(features)(weights).eval()
    ff = photo_features(fake, network, "fake")
    fr = photo_features(real, network, "real")
    return scores_from_features(fr, ff, prefix=features)


__all__ = ["InceptionPool", "Lite0Pool", "photo_feature_networks", "photo_features",
           "photo_scores"]
