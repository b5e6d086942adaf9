"""Explainability for CNNs: CAM family, gradient methods, SmoothGrad and faithfulness metrics.

Every method has the signature ``method(model, images, targets=None, layer=None, **options)`` and
returns an :class:`Explanation` (maps ``(N, H, W)`` in [0, 1] at the input size, raw low-res
maps, targets, scores). :data:`methods` is the registry; :func:`explain` calls one by name.

    >>> import torch, timm
    >>> from oculi.explain import explain, methods
    >>> net = timm.create_model("resnet18", pretrained=False, num_classes=10)
    >>> e = explain("gradcam++", net, torch.rand(1, 3, 64, 64), targets=[[1, 2, 3]])
    >>> tuple(e.maps.shape)
    (1, 3, 64, 64)
"""

from __future__ import annotations

from typing import Any

from oculi.explain._base import Explanation, methods, normalize_maps
from oculi.explain.cam import cam, features, gradcam, gradcampp, hirescam, layercam, scorecam
from oculi.explain.gradient import (
    deconvnet,
    guided_backprop,
    guided_gradcam,
    integrated_gradients,
    saliency,
)
from oculi.explain.metrics import evaluate
from oculi.explain.smoothgrad import smoothgrad


def explain(
    method: str, model: Any, images: Any, targets: Any = None, layer: Any = None, **options: Any
) -> Explanation:
    """Run the registered ``method`` (see ``methods.names()``) on an ``(N, C, H, W)`` batch in
    [0, 1]; ``targets``: None (top class), an int, N ints, or N rows of K ints."""
    return methods.get(method)(model, images, targets, layer, **options)


__all__ = [
    "Explanation",
    "cam",
    "deconvnet",
    "evaluate",
    "explain",
    "features",
    "gradcam",
    "gradcampp",
    "guided_backprop",
    "guided_gradcam",
    "hirescam",
    "integrated_gradients",
    "layercam",
    "methods",
    "normalize_maps",
    "saliency",
    "scorecam",
    "smoothgrad",
]
