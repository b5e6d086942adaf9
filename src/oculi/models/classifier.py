"""The :class:`Classifier` every oculi model is: normalisation, a library backbone, a head.

Input is an NCHW float tensor in [0, 1]; the model normalises it with its own input spec, runs the
backbone's ``forward_features`` (feature maps, NCHW) and a head: the library's own pooled linear
classifier (``head="linear"``, like :class:`~oculi.models.layers.LinearHead`) or a
:class:`~oculi.models.layers.ConvHead` (``head="conv"``). Both accept any input size at least the
network's total stride.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from oculi.models.spec import InputSpec, Normalize


class Classifier(nn.Module):
    """An image classifier: ``(N, 3, H, W)`` float in [0, 1] -> ``(N, num_classes)`` logits.

    Attributes:
        name: the oculi model name (the alias table key).
        spec: the :class:`InputSpec` (size, mean, std, interpolation, crop).
        head_type: ``"linear"`` or ``"conv"``.
        num_classes: number of outputs.
        class_names: one name per output, or None.
        normalize: the :class:`Normalize` module (first op of ``forward``).
        body: the timm / torchvision / oculi backbone (has ``forward_features``).
        head: the :class:`ConvHead` for ``head="conv"``; None when the body's own head is used.
    """

    def __init__(
        self,
        body: nn.Module,
        *,
        spec: InputSpec,
        num_classes: int,
        name: str = "",
        head_type: str = "linear",
        head: nn.Module | None = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.spec = spec
        self.head_type = head_type
        self.num_classes = num_classes
        self.class_names = list(class_names) if class_names is not None else None
        self.normalize = Normalize(spec.mean, spec.std)
        self.body = body
        self.head = head

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """[0, 1] images (N, 3, H, W) -> backbone feature maps (N, C, h, w) before the head."""
        return self.body.forward_features(self.normalize(x))

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """Feature maps (N, C, h, w) -> logits (N, num_classes)."""
        if self.head is not None:
            return self.head(features)
        return self.body.forward_head(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def preprocess(self, images: np.ndarray | Sequence[np.ndarray]) -> torch.Tensor:
        """HWC RGB images -> (N, 3, H, W) float tensor in [0, 1] at this model's input size."""
        return self.spec.preprocess(images)

    def config(self) -> dict[str, Any]:
        """What :func:`oculi.models.create_model` needs to rebuild this model (JSON-friendly)."""
        return {"model": self.name, "num_classes": self.num_classes, "head": self.head_type,
                "spec": self.spec.to_dict(), "class_names": self.class_names}

    def extra_repr(self) -> str:
        return f"name={self.name!r}, num_classes={self.num_classes}, head={self.head_type!r}"


class TorchvisionBody(nn.Module):
    """timm's interface (``forward_features``, ``forward_head``, ``reset_classifier``,
    ``num_features``) over a torchvision SqueezeNet or ShuffleNet v2 kept intact as ``net``."""

    def __init__(self, net: nn.Module, family: str) -> None:
        super().__init__()
        self.net = net
        self.family = family
        if family == "squeezenet":
            self.num_features = net.classifier[1].in_channels
            self.num_classes = net.classifier[1].out_channels
        elif family == "shufflenet":
            self.num_features = net.fc.in_features
            self.num_classes = net.fc.out_features
        else:  # pragma: no cover - guarded by the table
            raise ValueError(f"unsupported torchvision family {family!r}")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        n = self.net
        if self.family == "squeezenet":
            return n.features(x)
        x = n.maxpool(n.conv1(x))
        return n.conv5(n.stage4(n.stage3(n.stage2(x))))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        n = self.net
        if self.family == "squeezenet":
            if pre_logits:
                return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
            return torch.flatten(n.classifier(x), 1)
        x = x.mean([2, 3])
        return x if pre_logits else n.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Module:
        return self.net.classifier if self.family == "squeezenet" else self.net.fc

    def reset_classifier(self, num_classes: int, global_pool: str = "avg") -> None:
        self.num_classes = num_classes
        if self.family == "squeezenet":
            conv = nn.Conv2d(self.num_features, max(num_classes, 1), 1)
            self.net.classifier[1] = conv if num_classes else nn.Identity()
        else:
            self.net.fc = (nn.Linear(self.num_features, num_classes) if num_classes
                           else nn.Identity())
