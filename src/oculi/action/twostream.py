"""The two-stream variant: a second stream that sees only motion, read from :mod:`oculi.flow`.

:func:`clip_flow` turns the frames a clip classifier already receives into the dense flow of
every pair of consecutive sampled frames (``oculi.flow.compute_flow`` with ``farneback``, ``dis``,
... computed on 8-bit grey frames; no gradient flows through it). :class:`FlowStream` is a small
TSM network (:class:`~oculi.action.models.FrameNet` with the temporal shift) trained from scratch
on those ``T - 1`` two-channel fields, or with ``grid`` > 0 a linear classifier on the motion
layout (:func:`~oculi.action.flowlayout.motion_layout`: ``u``, ``v``, ``|u|``, ``|v|`` or a
histogram of flow directions per cell of a ``grid`` x ``grid`` grid and per time bin,
standardised per clip; for a handful of training clips, where a network on the raw fields learns
the people instead of the motion). The layout of a clip is remembered (keyed by its pixels), so
a run without random frames, crop or flip computes each clip's flow once.
:class:`~oculi.action.models.ActionNet` with ``flow`` adds its logits to the appearance stream's
(late fusion; each stream is trained on its own loss), so the flow is computed after the clip's
crop and flip and stays consistent with the pixels the first stream sees.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from oculi.action.flowlayout import layout_size, motion_layout
from oculi.action.models import FrameNet
from oculi.core.errors import DataError

#: flow is divided by this fraction of the frame side (a motion across 1/32 of the frame is 1)
_FLOW_UNIT = 1 / 32
#: layouts of this many clips are remembered per stream (oldest forgotten first)
_MEMO_CLIPS = 2048


def clip_flow(clips: torch.Tensor, method: str = "dis") -> torch.Tensor:
    """Dense flow between consecutive frames of clips.

    Args:
        clips: ``(N, C, T, H, W)`` float in [0, 1], C 1 (grey) or 3 (RGB), T >= 2.
        method: an :mod:`oculi.flow` method name (``dis``, ``farneback``, ``hs``, ...).

    Returns:
        ``(N, 2, T - 1, H, W)`` float32 on the clips' device: ``(u, v)`` from frame t to t + 1
        in units of 1/32 of the frame side (pixels * 32 / W for u, * 32 / H for v).
    """
    from oculi.flow import compute_flow

    if clips.ndim != 5 or clips.shape[1] not in (1, 3) or clips.shape[2] < 2:
        raise DataError(f"clips: expected (N, 1 or 3, T >= 2, H, W) frames for flow, got "
                        f"{tuple(clips.shape)}")
    n, _, t, h, w = clips.shape
    grey = (clips.detach().float().mean(1).clamp(0, 1) * 255).round().to(torch.uint8)
    frames = grey.cpu().numpy()
    out = np.empty((n, t - 1, h, w, 2), np.float32)
    for i in range(n):
        for k in range(t - 1):
            out[i, k] = compute_flow(frames[i, k], frames[i, k + 1], method)
    out[..., 0] /= _FLOW_UNIT * w
    out[..., 1] /= _FLOW_UNIT * h
    return torch.from_numpy(out).permute(0, 4, 1, 2, 3).contiguous().to(clips.device)


class FlowStream(nn.Module):
    """TSM on the flow fields of a clip, or a linear classifier on its motion layout (see the
    module doc).

    Args:
        classes: number of classes.
        clip_len: frames per clip T (the stream sees T - 1 fields).
        method: the :mod:`oculi.flow` method.
        width: channels of the first stage.
        dropout: dropout before the classifier.
        grid: 0: TSM on the fields; > 0: the linear classifier on the ``grid`` x ``grid``
            motion layout.
        bins: time bins of the layout (1: the mean over the clip).
        orientations: 0: ``u, v, |u|, |v|`` per cell; K >= 2: a K-direction flow histogram.

    Input ``(N, C, T, H, W)`` frames in [0, 1]; output ``(N, classes)`` logits. The layout's
    classifier starts at zero weights, so with fixed frames and full batches its training does
    not depend on the seed.
    """

    def __init__(self, classes: int, clip_len: int, method: str = "dis", width: int = 16,
                 dropout: float = 0.2, grid: int = 0, bins: int = 1,
                 orientations: int = 0) -> None:
        super().__init__()
        if clip_len < 2:
            raise DataError(f"clip_len: the flow stream needs at least 2 frames, got {clip_len}")
        if bins > clip_len - 1:
            raise DataError(f"bins: {bins} time bins need clip_len > {bins}, got {clip_len}")
        self.method, self.grid, self.bins, self.orientations = method, grid, bins, orientations
        self._memo: OrderedDict[bytes, torch.Tensor] = OrderedDict()
        if grid:
            self.net = None
            size = layout_size(grid, bins, orientations)
            # each clip's layout standardised on its own: the classifier sees where and which
            # way things move, not how fast (people near the camera move more pixels)
            self.scale = nn.LayerNorm(size, elementwise_affine=False)
            linear = nn.Linear(size, classes)
            nn.init.zeros_(linear.weight)
            nn.init.zeros_(linear.bias)
            self.head = nn.Sequential(nn.Dropout(dropout), linear)
        else:
            self.net = FrameNet(classes, clip_len - 1, 2, width, dropout, shift=True)
            self.head = self.net.head

    def layout(self, flow: torch.Tensor) -> torch.Tensor:
        """``(N, 2, T - 1, H, W)`` fields -> ``(N, D)`` motion layout
        (:func:`~oculi.action.flowlayout.motion_layout` with this stream's grid, bins and
        orientations)."""
        return motion_layout(flow, self.grid, self.bins, self.orientations)

    def clip_layouts(self, clips: torch.Tensor) -> torch.Tensor:
        """``(N, C, T, H, W)`` frames -> ``(N, D)`` layouts, each clip's flow computed once
        (remembered by a hash of its pixels)."""
        keys = [hashlib.blake2b(c.detach().cpu().float().numpy().tobytes(), digest_size=16)
                .digest() + repr(tuple(c.shape)).encode() for c in clips]
        todo = [i for i, k in enumerate(keys) if k not in self._memo]
        if todo:
            fresh = self.layout(clip_flow(clips[todo].detach(), self.method)).cpu()
            for i, row in zip(todo, fresh, strict=True):
                self._memo[keys[i]] = row
                if len(self._memo) > _MEMO_CLIPS:
                    self._memo.popitem(last=False)
        return torch.stack([self._memo[k] for k in keys]).to(clips.device)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        if self.net is None:
            return self.head(self.scale(self.clip_layouts(clips)))
        return self.net(clip_flow(clips, self.method))
