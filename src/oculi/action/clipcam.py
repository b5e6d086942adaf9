"""Grad-CAM over space and time for the per-frame clip classifiers (TSN, TSM, two-stream's
appearance stream; small or ImageNet backbones).

:func:`clip_gradcam` hands the clip to :func:`oculi.explain.gradcam` as a batch of its T frames:
a thin wrapper builds the ``(1, C, T, H, W)`` clip from them and repeats the clip's logits for
every frame, so Grad-CAM's per-image channel weights become per-frame weights of the clip's class
score at a layer that sees each frame (the last stage of the 2-D network by default). The raw maps
of the T frames are then scaled **together** (divided by the clip's maximum), so a frame that
mattered little stays dim: a heat map over space and time. :func:`video_gradcam` does it for the
centred clip of a video file as the run samples it; :meth:`ClipCam.strip` draws the frames with
their maps overlaid side by side.

The 3-D models (``r2plus1d``, ``x3d``) mix frames inside every layer and ``frame`` sees one
frame; they are refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.errors import DataError, ParameterError

PathLike = str | os.PathLike[str]


@dataclass
class ClipCam:
    """Grad-CAM of one clip (:func:`clip_gradcam`).

    Attributes:
        frames: ``(T, H, W, 3)`` uint8 RGB, the frames the model saw.
        maps: ``(T, H, W)`` float32 in [0, 1], scaled by the clip's maximum (not per frame).
        frame_weight: ``(T,)`` float32, each frame's share of the clip's total map mass.
        label: the explained class. score: its probability for the clip.
        layer: the layer the maps come from.
    """

    frames: np.ndarray
    maps: np.ndarray
    frame_weight: np.ndarray
    label: str
    score: float
    layer: str

    def strip(self, alpha: float = 0.5, gap: int = 2) -> np.ndarray:
        """The frames side by side, each with its map overlaid (jet, ``alpha``):
        ``(H, T * W + (T - 1) * gap, 3)`` uint8 RGB."""
        from oculi.explain.visual import overlay

        tiles = [overlay(f, m, alpha=alpha) for f, m in zip(self.frames, self.maps, strict=True)]
        h = tiles[0].shape[0]
        spacer = np.full((h, gap, 3), 255, np.uint8)
        parts = [p for t in tiles for p in (t, spacer)][:-1]
        return np.concatenate(parts, 1)


class _FramesAsImages(nn.Module):
    """``(T, C, H, W)`` frames of one clip -> the clip model's logits repeated ``(T, classes)``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        logits = self.model(frames.transpose(0, 1).unsqueeze(0))
        return logits.expand(frames.shape[0], -1)


def default_cam_layer(model: nn.Module) -> str:
    """Name (in ``model``) of the appearance stream's final feature maps, one per frame: the
    small network's last stage, EfficientNet's activated head convolution (``bn2``), ResNet's
    ``layer4``."""
    info = getattr(model, "info", {})
    if info.get("model") not in ("tsm", "tsn"):
        raise ParameterError(f"model: video Grad-CAM needs a per-frame network (tsm, tsn), got "
                             f"{info.get('model')!r} (3-D models mix frames in every layer, "
                             "'frame' sees one frame)")
    net = model.net
    if hasattr(net, "backbone"):
        from oculi.action.imagenet import backbone_stages

        body = net.backbone.body
        # EfficientNet / MobileNet: the head convolution's activated output; ResNet: layer4
        last = body.bn2 if hasattr(body, "conv_head") else backbone_stages(body)[1][-1]
    else:
        last = net.stages
    return next(name for name, m in model.named_modules() if m is last)


def clip_gradcam(model: nn.Module, clip: torch.Tensor, target: int | str | None = None,
                 layer: str | None = None) -> ClipCam:
    """Grad-CAM of one clip over its frames (see the module doc).

    Args:
        model: an :class:`~oculi.action.models.ActionNet` (``tsm`` or ``tsn``).
        clip: ``(C, T, H, W)`` float in [0, 1], as the model's input pipeline makes it.
        target: class index or name to explain; None: the predicted class.
        layer: a module name inside ``model`` seeing every frame; None:
            :func:`default_cam_layer`.

    Returns:
        A :class:`ClipCam`.

    Raises:
        ParameterError: a 3-D or centre-frame model, an unknown layer or class.
    """
    from oculi.explain import gradcam

    name = layer or default_cam_layer(model)
    module = dict(model.named_modules()).get(name)
    if module is None:
        raise ParameterError(f"layer: {name!r} is not a module of the model")
    if clip.ndim != 4:
        raise ParameterError(f"clip: expected (C, T, H, W), got {tuple(clip.shape)}")
    frames = clip.transpose(0, 1).float()                          # (T, C, H, W)
    classes = list(model.classes)
    if isinstance(target, str):
        if target not in classes:
            raise ParameterError(f"target: {target!r} is not one of the classes {classes}")
        target = classes.index(target)
    targets = None if target is None else [int(target)] * frames.shape[0]
    e = gradcam(_FramesAsImages(model), frames, targets, module)
    raw = e.raw.float().clamp_min(0)                               # (T, h, w)
    peak = float(raw.max())
    mass = raw.sum((1, 2))
    weight = (mass / mass.sum()) if float(mass.sum()) > 0 else torch.zeros_like(mass)
    size = tuple(frames.shape[-2:])
    maps = F.interpolate(raw[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    maps = (maps / peak).clamp(0, 1) if peak > 0 else torch.zeros_like(maps)
    rgb = frames if frames.shape[1] == 3 else frames.expand(-1, 3, -1, -1)
    pixels = (rgb.permute(0, 2, 3, 1).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    k = int(e.targets[0])
    return ClipCam(pixels, maps.numpy().astype(np.float32), weight.numpy().astype(np.float32),
                   classes[k], float(e.probs[0]), name)


def video_gradcam(run: PathLike | nn.Module, video: PathLike,
                  target: int | str | None = None) -> ClipCam:
    """Grad-CAM of a video's centred clip, sampled as the run samples test clips.

    Args:
        run: an action run folder or checkpoint, or a loaded ActionNet.
        video: a video file, a folder of frames or an ``.npz`` clip.
        target: class index or name; None: the predicted class.

    Raises:
        ImageReadError: an unreadable video. DataError: fewer frames than the clip needs.
    """
    from oculi.action.clipdata import ClipTensors, clip_sampler
    from oculi.action.clips import ClipItem, clip_frames
    from oculi.action.task import load_action_model

    model = run if isinstance(run, nn.Module) else load_action_model(run)
    info = model.info
    sampler = clip_sampler(info["sampling"], info["clip_len"], info["stride"], False)
    n, key = clip_frames(video, info["key"])
    if n < sampler.min_frames:
        raise DataError(f"{video}: {n} frame(s), the model needs at least {sampler.min_frames}")
    item = ClipItem(str(video), model.classes[0], None, n, key)
    data = ClipTensors([item], model.classes, sampling=info["sampling"],
                       clip_len=info["clip_len"], stride=info["stride"], size=info["size"],
                       channels=info["channels"])
    return clip_gradcam(model, data[0][0], target)
