"""Backbones: a registry name as a timm feature extractor with its (offline) pretrained weights.

The perceptual loss, the detection backbones and the segmentation encoders build timm feature
extractors (``features_only``) and need the registry's weights in them; the weights come from
:func:`oculi.models.create_model` (packaged offline files first), never from a second loader.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from oculi.core.constants import DEFAULT_BACKBONE
from oculi.core.errors import MissingDependencyError

__all__ = ["DEFAULT_BACKBONE", "TimmBackbone", "load_into_features", "timm_backbone"]


@dataclass
class TimmBackbone:
    """What building a timm feature extractor for a registry name needs."""

    key: str  #: the oculi registry name
    timm_name: str  #: timm's model name (no pretrained tag)
    state_dict: dict[str, torch.Tensor] | None  #: the classifier body's weights, or None
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


def timm_backbone(
    name: str, pretrained: bool = True, *, allow_download: bool = False
) -> TimmBackbone:
    """Resolve ``name`` through :mod:`oculi.models`; with ``pretrained`` load its weights offline.

    Raises:
        UnknownNameError: not a registry name.
        MissingDependencyError: not a timm model, or no weights offline.
    """
    from oculi.models import create_model, input_spec, resolve

    entry = resolve(name)
    if entry.library != "timm":
        raise MissingDependencyError(
            f"backbone {name!r}: only timm models of the registry can serve as encoders "
            f"(this one is {entry.library or 'unavailable'}) — pick e.g. efficientnet_lite0"
        )
    spec = input_spec(entry.key)
    state = None
    if pretrained:
        model = create_model(entry.key, pretrained=True, allow_download=allow_download)
        state = {k: v.detach().clone() for k, v in model.body.state_dict().items()}
        spec = model.spec
    return TimmBackbone(entry.key, entry.lib_name, state, tuple(spec.mean), tuple(spec.std))


def load_into_features(
    features: torch.nn.Module, state: dict[str, torch.Tensor], name: str
) -> None:
    """Load a classifier body's state dict into a timm ``features_only`` copy of it.

    The feature extractor lacks the classifier head (and, for some families, the last conv);
    every one of *its* tensors must come from ``state`` with the same shape.

    Raises:
        MissingDependencyError: a tensor of the extractor is not in ``state``.
    """
    own = features.state_dict()
    missing = [k for k in own if k not in state or state[k].shape != own[k].shape]
    if missing:
        raise MissingDependencyError(
            f"backbone {name!r}: the pretrained weights do not cover {len(missing)} tensor(s) of "
            f"the feature extractor (e.g. {missing[:3]})"
        )
    features.load_state_dict({k: state[k] for k in own}, strict=True)
