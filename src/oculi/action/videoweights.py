"""Standard video checkpoints from local files: torchvision's ``r2plus1d_18`` / ``r3d_18`` /
``mc3_18`` state dicts loaded into :class:`~oculi.action.resnet3d.VideoResNet18`.

No weights are downloaded: a file saved with ``torch.save(model.state_dict(), PATH)`` (or a
``.safetensors`` file) is read with :func:`oculi.models.weights.read_state_dict` (it records the
load time), its keys renamed onto oculi's modules (:func:`torchvision_to_oculi`), its layout
recognised from its shapes (:func:`checkpoint_layout`) and every tensor's shape checked before
anything is copied. The classifier is replaced (left at its fresh initialisation) when the file's
class count differs from the model's; a grey (1-channel) model takes the sum of the RGB stem
kernel over its colour channels.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from oculi.core.errors import DataError, ShapeError

PathLike = str | os.PathLike[str]

#: torchvision key -> oculi key, first match wins (``{}`` groups are copied)
_RULES = (
    (r"stem\.(\d+)\.(.+)", "stem.{0}.{1}"),
    (r"layer(\d)\.(\d+)\.conv1\.0\.(.+)", "stages.{L}.{1}.conv_a.{2}"),
    (r"layer(\d)\.(\d+)\.conv1\.1\.(.+)", "stages.{L}.{1}.bn_a.{2}"),
    (r"layer(\d)\.(\d+)\.conv2\.0\.(.+)", "stages.{L}.{1}.conv_b.{2}"),
    (r"layer(\d)\.(\d+)\.conv2\.1\.(.+)", "stages.{L}.{1}.bn_b.{2}"),
    (r"layer(\d)\.(\d+)\.downsample\.(\d)\.(.+)", "stages.{L}.{1}.skip.{2}.{3}"),
    (r"fc\.(weight|bias)", "head.1.{0}"),
)
#: the classifier's keys in oculi's model
HEAD_KEYS = ("head.1.weight", "head.1.bias")


def torchvision_to_oculi(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename a torchvision ``VideoResNet`` state dict onto
    :class:`~oculi.action.resnet3d.VideoResNet18` (``layerL.B.conv1.0`` ->
    ``stages.{L-1}.B.conv_a``, ``fc`` -> ``head.1``, ...). Keys already in oculi's layout pass
    unchanged.

    Raises:
        DataError: a key of neither layout (not a video ResNet checkpoint).
    """
    out, unknown = {}, []
    for key, value in state.items():
        for pattern, target in _RULES:
            m = re.fullmatch(pattern, key)
            if m:
                groups = m.groups()
                level = int(groups[0]) - 1 if key.startswith("layer") else 0
                key = target.format(*groups, L=level)
                break
        else:
            if not re.match(r"(stem|stages|head)\.", key):
                unknown.append(key)
        out[key] = value
    if unknown:
        raise DataError(f"weights: {len(unknown)} key(s) of no video ResNet layout (e.g. "
                        f"{unknown[:3]}) — expected a torchvision r2plus1d_18 / r3d_18 / mc3_18 "
                        "state dict or an oculi one")
    return out


def checkpoint_layout(state: Mapping[str, torch.Tensor]) -> str | None:
    """``r2plus1d18``, ``r3d18`` or ``mc318`` from an oculi-keyed state dict's shapes (the stem
    and the second stage's first convolution), None when it is none of them."""
    stem = state.get("stem.0.weight")
    if stem is None or stem.ndim != 5:
        return None
    if tuple(stem.shape[2:]) == (1, 7, 7) and "stem.3.weight" in state:
        return "r2plus1d18"
    if tuple(stem.shape[2:]) != (3, 7, 7):
        return None
    conv = state.get("stages.1.0.conv_a.weight")
    if conv is None or conv.ndim != 5:
        return None
    return "mc318" if conv.shape[2] == 1 else "r3d18"


@dataclass
class LoadedWeights:
    """What :func:`load_video_weights` did.

    Attributes:
        path: the file. layout: its recognised layout (``r2plus1d18``, ...).
        tensors: tensors copied into the model.
        head: ``"loaded"`` or ``"replaced (K -> k classes)"`` (the classifier kept its fresh
            initialisation).
        grey_stem: the RGB stem kernel was summed over colours for a 1-channel model.
    """

    path: str
    layout: str | None
    tensors: int
    head: str
    grey_stem: bool = False

    def describe(self) -> str:
        grey = "; stem summed over RGB for grey clips" if self.grey_stem else ""
        return (f"weights {self.path}: {self.layout or 'video ResNet'} layout, {self.tensors} "
                f"tensors loaded, classifier {self.head}{grey}")

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "layout": self.layout, "tensors": self.tensors,
                "head": self.head, "grey_stem": self.grey_stem}


def load_video_weights(model: nn.Module, weights: PathLike | Mapping[str, torch.Tensor],
                       *, replace_head: bool = True) -> LoadedWeights:
    """Load a video ResNet checkpoint into ``model`` (a
    :class:`~oculi.action.resnet3d.VideoResNet18`), every name and shape checked first.

    Args:
        model: the network to fill (its own classifier is kept when the class counts differ).
        weights: a ``.pth`` / ``.pt`` / ``.safetensors`` state dict file in torchvision's or
            oculi's key layout, or the state dict itself.
        replace_head: allow a classifier of another class count (False: a ShapeError).

    Returns:
        A :class:`LoadedWeights` (``describe()`` is the line a run prints).

    Raises:
        DataError: unreadable file, keys of no video ResNet, keys missing from the file.
        ShapeError: a tensor whose shape differs from the model's (another architecture or
            width), naming the file's layout and the first mismatches.
    """
    from oculi.models.weights import read_state_dict

    path = "state dict" if isinstance(weights, Mapping) else str(weights)
    raw = dict(weights) if isinstance(weights, Mapping) else read_state_dict(weights)
    sd = torchvision_to_oculi(raw)
    own = model.state_dict()
    layout = checkpoint_layout(sd)
    want = getattr(model, "kind", None)
    grey = False
    stem = sd.get("stem.0.weight")
    if (stem is not None and "stem.0.weight" in own and stem.shape[1] == 3
            and own["stem.0.weight"].shape[1] == 1 and stem.shape[:1] + stem.shape[2:]
            == own["stem.0.weight"].shape[:1] + own["stem.0.weight"].shape[2:]):
        sd["stem.0.weight"] = stem.sum(1, keepdim=True)
        grey = True
    head = "loaded"
    fw, mw = sd.get(HEAD_KEYS[0]), own.get(HEAD_KEYS[0])
    if fw is not None and mw is not None and fw.shape != mw.shape and fw.shape[1:] == mw.shape[1:]:
        if not replace_head:
            raise ShapeError(f"weights {path}: classifier of {fw.shape[0]} classes, the model has "
                             f"{mw.shape[0]}")
        head = f"replaced ({fw.shape[0]} -> {mw.shape[0]} classes)"
        for k in HEAD_KEYS:
            sd.pop(k, None)
    bad = [f"{k}: file {tuple(v.shape)} vs model {tuple(own[k].shape)}"
           for k, v in sd.items() if k in own and v.shape != own[k].shape]
    if bad:
        kind = f"{want}18 model" if want else "model"
        raise ShapeError(f"weights {path}: {len(bad)} tensor(s) of the wrong shape for this "
                         f"{kind} (the file looks like {layout or 'no known layout'}): "
                         + "; ".join(bad[:3]))
    missing = sorted(set(own) - set(sd) - (set(HEAD_KEYS) if head != "loaded" else set()))
    unexpected = sorted(set(sd) - set(own))
    if missing or unexpected:
        raise DataError(f"weights {path}: {len(missing)} key(s) missing from the file (e.g. "
                        f"{missing[:3]}), {len(unexpected)} not in the model (e.g. "
                        f"{unexpected[:3]}) — the file looks like {layout or 'no known layout'}")
    model.load_state_dict(sd, strict=False)
    return LoadedWeights(path, layout, len(sd), head, grey)
