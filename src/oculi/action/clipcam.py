"""Grad-CAM over space and time for clip classifiers: the per-frame networks (TSN, TSM,
two-stream's appearance stream; small or ImageNet backbones) and the 3-D CNNs (``r2plus1d``,
``r2plus1d18`` / ``r3d18`` / ``mc318``, ``x3d``).

Per-frame networks: :func:`clip_gradcam` hands the clip to :func:`oculi.explain.gradcam` as a
batch of its T frames: a thin wrapper builds the ``(1, C, T, H, W)`` clip from them and repeats
the clip's logits for every frame, so Grad-CAM's per-image channel weights become per-frame
weights of the clip's class score at a layer that sees each frame (the last stage of the 2-D
network by default).

3-D networks: the map is taken at a 3-D convolution stage whose output ``A`` is
``(K, t, h, w)``: channel weights ``w_k = mean_{t,h,w} dy/dA_k`` (the gradient of the class score
averaged over time and space), ``raw = ReLU(sum_k w_k A_k)``, then trilinear upsampling in time
and space to the clip's ``(T, H, W)``. The default stage is the deepest whose time stride is at
most 4 (the small ``r2plus1d``'s last stage, stage 3 of the 18-layer networks, X3D's last stage,
which keeps every frame), so the map still changes from frame to frame; ``layer=`` picks another.

Either way the maps of the T frames are scaled **together** (divided by the clip's maximum), so a
frame that mattered little stays dim: a heat map over space and time, with each frame's share of
the total. :func:`video_gradcam` does it for the centred clip of a video file as the run samples
it; :meth:`ClipCam.strip` draws the frames with their maps overlaid side by side. ``frame`` (one
frame) and the flow stream alone are refused.
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
        raw: float32 Grad-CAM at the layer before upsampling and scaling: ``(T, h, w)`` for a
            per-frame network, ``(t, h, w)`` for a 3-D one.
    """

    frames: np.ndarray
    maps: np.ndarray
    frame_weight: np.ndarray
    label: str
    score: float
    layer: str
    raw: np.ndarray | None = None

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


def _is_3d(model: nn.Module) -> bool:
    from oculi.action.models import VIDEO_RESNETS

    return getattr(model, "info", {}).get("model") in ("r2plus1d", "x3d", *VIDEO_RESNETS)


def default_cam_layer(model: nn.Module) -> str:
    """Name (in ``model``) of the layer Grad-CAM reads. Per-frame networks: the appearance
    stream's final feature maps (the small network's last stage, EfficientNet's activated head
    convolution ``bn2``, ResNet's ``layer4``); 3-D networks: the deepest stage with a time stride
    of at most 4 (see the module doc)."""
    info = getattr(model, "info", {})
    if info.get("model") not in ("tsm", "tsn") and not _is_3d(model):
        raise ParameterError(f"model: video Grad-CAM needs a per-frame network (tsm, tsn) or a "
                             f"3-D one (r2plus1d, r2plus1d18, r3d18, mc318, x3d), got "
                             f"{info.get('model')!r} ('frame' sees one frame)")
    net = model.net
    if _is_3d(model):
        # R(2+1)D-18 / R3D-18 halve time in stages 2-4: stage 3 is the last at stride <= 4
        last = net.stages[2] if getattr(net, "kind", "mc3") != "mc3" else net.stages
    elif hasattr(net, "backbone"):
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
        model: an :class:`~oculi.action.models.ActionNet` (``tsm``, ``tsn`` or a 3-D model).
        clip: ``(C, T, H, W)`` float in [0, 1], as the model's input pipeline makes it.
        target: class index or name to explain; None: the predicted class.
        layer: a module name inside ``model``: for a per-frame network a layer seeing every
            frame, for a 3-D one a layer with ``(N, K, t, h, w)`` output; None:
            :func:`default_cam_layer`.

    Returns:
        A :class:`ClipCam`.

    Raises:
        ParameterError: a centre-frame or flow-only model, an unknown layer or class, a 3-D
            model's layer whose output is not ``(N, K, t, h, w)``.
    """
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
    if _is_3d(model):
        raw, k, prob = _cam_3d(model, clip.float(), target, module, name)
        size = (frames.shape[0], *frames.shape[-2:])                 # (T, H, W)
        maps = F.interpolate(raw[None, None], size=size, mode="trilinear",
                             align_corners=False)[0, 0]
        mass = maps.sum((1, 2))
    else:
        from oculi.explain import gradcam

        targets = None if target is None else [int(target)] * frames.shape[0]
        e = gradcam(_FramesAsImages(model), frames, targets, module)
        raw = e.raw.float().clamp_min(0)                           # (T, h, w)
        k, prob = int(e.targets[0]), float(e.probs[0])
        mass = raw.sum((1, 2))
        maps = F.interpolate(raw[:, None], size=tuple(frames.shape[-2:]), mode="bilinear",
                             align_corners=False)[:, 0]
    peak = float(raw.max())
    weight = (mass / mass.sum()) if float(mass.sum()) > 0 else torch.zeros_like(mass)
    maps = (maps / peak).clamp(0, 1) if peak > 0 else torch.zeros_like(maps)
    rgb = frames if frames.shape[1] == 3 else frames.expand(-1, 3, -1, -1)
    pixels = (rgb.permute(0, 2, 3, 1).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    return ClipCam(pixels, maps.numpy().astype(np.float32), weight.numpy().astype(np.float32),
                   classes[k], prob, name, raw.numpy().astype(np.float32))


def _cam_3d(model: nn.Module, clip: torch.Tensor, target: int | None, module: nn.Module,
            name: str) -> tuple[torch.Tensor, int, float]:
    """Grad-CAM of a 3-D network at ``module``: ``(t, h, w)`` raw map, class index, its
    probability."""
    seen: list[torch.Tensor] = []
    hook = module.register_forward_hook(lambda m, i, o: seen.append(o))
    try:
        with torch.enable_grad():
            logits = model(clip[None])
    finally:
        hook.remove()
    act = seen[-1] if seen else None
    if act is None or act.ndim != 5 or not act.requires_grad:
        shape = None if act is None else tuple(act.shape)
        raise ParameterError(f"layer: {name!r} must output 3-D feature maps (N, K, t, h, w) "
                             f"that depend on the weights, got {shape}")
    k = int(logits[0].argmax()) if target is None else int(target)
    if not 0 <= k < logits.shape[1]:
        raise ParameterError(f"target: class index {k} out of range 0-{logits.shape[1] - 1}")
    (grad,) = torch.autograd.grad(logits[0, k], act)
    raw = F.relu((grad.mean((2, 3, 4), keepdim=True) * act).sum(1))[0].detach()
    return raw.float(), k, float(logits.detach().softmax(1)[0, k])


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
