"""Clip classifiers small enough to train on a CPU in minutes.

Every model takes ``(N, C, T, H, W)`` float clips and returns ``(N, classes)`` logits:

- :class:`R2Plus1dNet`: a 3-D residual CNN whose 3x3x3 convolutions are factorised into a 1x3x3
  spatial and a 3x1x1 temporal convolution ((2+1)-D, Tran et al. 2018), four stages (the
  published 18-layer R(2+1)D, R3D and MC3 are :mod:`oculi.action.resnet3d`).
- :class:`FrameNet` with ``shift=True`` (TSM, Lin et al. 2019): a 2-D residual network run on
  every frame, 1/8 of the channels shifted one frame back and 1/8 one frame forward at the start
  of every residual branch, logits averaged over the frames. ``shift=False`` is TSN's bag of
  frames; ``frames="centre"`` classifies the centre frame alone (the model that cannot see
  motion).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from oculi.action.config import VIDEO_RESNETS as VIDEO_NETS
from oculi.core.errors import DataError, ParameterError

#: channel multiplier of the four stages
_STAGES = (1, 2, 4, 8)
#: the full-size video ResNets (:mod:`oculi.action.resnet3d`): model name -> kind
VIDEO_RESNETS = {name: name.removesuffix("18") for name in VIDEO_NETS}


def temporal_shift(x: torch.Tensor, frames: int, fold_div: int = 8) -> torch.Tensor:
    """TSM's shift: ``(N*T, C, H, W)`` -> the same shape, the first ``C // fold_div`` channels
    taken from the next frame, the next ``C // fold_div`` from the previous frame (zeros past the
    clip's ends), the rest unchanged."""
    nt, c, h, w = x.shape
    if nt % frames:
        raise DataError(f"temporal_shift: batch of {nt} frames is not a multiple of {frames}")
    v = x.view(nt // frames, frames, c, h, w)
    f = c // fold_div
    zero = v.new_zeros(v.shape[0], 1, f, h, w)
    back = torch.cat([v[:, 1:, :f], zero], 1)
    fwd = torch.cat([zero, v[:, :-1, f:2 * f]], 1)
    return torch.cat([back, fwd, v[:, :, 2 * f:]], 2).view(nt, c, h, w)


class _Block2d(nn.Module):
    """A basic residual block; with ``frames`` > 0 the branch input is temporally shifted."""

    def __init__(self, cin: int, cout: int, stride: int, frames: int) -> None:
        super().__init__()
        self.frames = frames
        self.branch = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cout))
        self.skip = (nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = temporal_shift(x, self.frames) if self.frames > 1 else x
        return torch.relu(self.branch(y) + self.skip(x))


def _conv2plus1d(cin: int, cout: int, stride: tuple[int, int]) -> nn.Sequential:
    """1x3x3 spatial then 3x1x1 temporal convolution; ``stride`` = (temporal, spatial)."""
    t, s = stride
    return nn.Sequential(
        nn.Conv3d(cin, cout, (1, 3, 3), (1, s, s), (0, 1, 1), bias=False), nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True), nn.Conv3d(cout, cout, (3, 1, 1), (t, 1, 1), (1, 0, 0), bias=False))


class _Block3d(nn.Module):
    def __init__(self, cin: int, cout: int, stride: tuple[int, int]) -> None:
        super().__init__()
        t, s = stride
        self.branch = nn.Sequential(
            _conv2plus1d(cin, cout, stride), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
            _conv2plus1d(cout, cout, (1, 1)), nn.BatchNorm3d(cout))
        self.skip = (nn.Identity() if stride == (1, 1) and cin == cout else nn.Sequential(
            nn.Conv3d(cin, cout, 1, (t, s, s), bias=False), nn.BatchNorm3d(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.branch(x) + self.skip(x))


class R2Plus1dNet(nn.Module):
    """A small (2+1)-D residual 3-D CNN (see the module doc).

    Args:
        classes: number of classes.
        in_channels: 1 (grey) or 3 (RGB).
        width: channels of the first stage (x1, x2, x4, x8 over the four stages).
        dropout: dropout before the classifier.

    The stem and every stage halve the side (stages 2-4; the stem too); stages 3 and 4 halve the
    time axis.
    """

    def __init__(self, classes: int, in_channels: int = 1, width: int = 16,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(in_channels, width, (1, 5, 5), (1, 2, 2), (0, 2, 2), bias=False),
            nn.BatchNorm3d(width), nn.ReLU(inplace=True))
        layers, cin = [], width
        for i, m in enumerate(_STAGES):
            stride = (2 if i >= 2 else 1, 2 if i else 1)
            layers.append(_Block3d(cin, width * m, stride))
            cin = width * m
        self.stages = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(cin, classes))

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(clips))
        return self.head(x.mean((2, 3, 4)))


class FrameNet(nn.Module):
    """A 2-D residual network on frames: TSM (``shift``), TSN or the centre frame alone.

    Args:
        classes: number of classes.
        clip_len: frames per clip T (the shift needs it).
        in_channels: 1 or 3.
        width: channels of the first stage.
        dropout: dropout before the classifier.
        shift: temporal shift in every block (TSM).
        centre_only: classify frame ``T // 2`` alone (no time at all).
    """

    def __init__(self, classes: int, clip_len: int, in_channels: int = 1, width: int = 16,
                 dropout: float = 0.2, *, shift: bool = False, centre_only: bool = False) -> None:
        super().__init__()
        self.clip_len = clip_len
        self.centre_only = centre_only
        frames = clip_len if shift and not centre_only else 0
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 5, 2, 2, bias=False), nn.BatchNorm2d(width),
            nn.ReLU(inplace=True))
        layers, cin = [], width
        for i, m in enumerate(_STAGES):
            layers.append(_Block2d(cin, width * m, 2 if i else 1, frames))
            cin = width * m
        self.stages = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(cin, classes))

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        n, c, t, h, w = clips.shape
        if self.centre_only:
            frames = clips[:, :, t // 2]
            t = 1
        else:
            if t != self.clip_len:
                raise DataError(f"clips: the model was built for {self.clip_len} frames, got {t}")
            frames = clips.transpose(1, 2).reshape(n * t, c, h, w)
        x = self.stages(self.stem(frames)).mean((2, 3))
        return self.head(x).view(n, t, -1).mean(1)


class ActionNet(nn.Module):
    """A clip classifier and what it was trained on (classes, frames, size), so a checkpoint
    rebuilds it and its input pipeline: ``ActionNet(**net.config())``.

    Args:
        model: ``r2plus1d``, ``r2plus1d18`` / ``r3d18`` / ``mc318`` (the published 18-layer
            networks, :class:`~oculi.action.resnet3d.VideoResNet18`; ``width`` does not apply),
            ``x3d`` (:class:`~oculi.action.x3d.X3DNet`), ``tsm``, ``tsn``, ``frame`` or ``flow``
            (the flow stream alone; needs ``flow``).
        classes: the class names (their order is the logits' order).
        clip_len, sampling, stride, size, channels, key, group: the input pipeline
            (:class:`~oculi.action.config.ActionConfig`).
        width, dropout: the network's size.
        backbone: a registry ImageNet model name for ``tsm`` / ``tsn``
            (:class:`~oculi.action.imagenet.ImageNetFrameNet`, RGB input); None: the small
            network trained from scratch.
        pretrained, freeze_stages, frozen_bn: the ImageNet backbone's weights and fine-tuning.
        test_clips: clips per video at test (scores averaged).
        flow: an :mod:`oculi.flow` method (``dis``, ``farneback``, ...): add a second stream
            (:class:`~oculi.action.twostream.FlowStream`) reading the flow of consecutive
            frames, its logits added to this network's (two-stream); None: one stream.
        flow_grid: the flow stream: 0 TSM on the fields; > 0 a linear classifier on their
            ``flow_grid`` x ``flow_grid`` motion layout.
        flow_bins, flow_orientations: the layout's time bins and direction bins
            (:func:`~oculi.action.flowlayout.motion_layout`; 1 and 0: the time mean of ``u, v,
            |u|, |v|``).
    """

    def __init__(self, model: str, classes: list[str], *, clip_len: int = 8,
                 sampling: str = "segments", stride: int = 2, size: int = 64, channels: int = 1,
                 width: int = 16, dropout: float = 0.2, key: str | None = None,
                 group: str | None = None, backbone: str | None = None,
                 pretrained: bool = True, freeze_stages: int = 0,
                 frozen_bn: bool = True, test_clips: int = 1,
                 flow: str | None = None, flow_grid: int = 0, flow_bins: int = 1,
                 flow_orientations: int = 0) -> None:
        super().__init__()
        if not classes:
            raise ParameterError("classes: expected at least one class name")
        self.info: dict[str, Any] = {
            "model": model, "classes": list(classes), "clip_len": clip_len, "sampling": sampling,
            "stride": stride, "size": size, "channels": channels, "width": width,
            "dropout": dropout, "key": key, "group": group, "backbone": backbone,
            "pretrained": pretrained, "freeze_stages": freeze_stages, "frozen_bn": frozen_bn,
            "test_clips": test_clips, "flow": flow, "flow_grid": flow_grid,
            "flow_bins": flow_bins, "flow_orientations": flow_orientations}
        k = len(classes)
        if backbone:
            if model not in ("tsm", "tsn") or channels != 3:
                raise ParameterError(f"backbone: an ImageNet backbone serves the tsm and tsn "
                                     f"models on RGB clips (channels 3), got model {model!r} "
                                     f"with {channels} channel(s)")
            from oculi.action.imagenet import ImageNetFrameNet

            self.net = ImageNetFrameNet(backbone, k, clip_len, shift=model == "tsm",
                                        pretrained=pretrained, freeze_stages=freeze_stages,
                                        frozen_bn=frozen_bn, dropout=dropout)
        elif model == "flow":
            if not flow:
                raise ParameterError("model: 'flow' (the motion stream alone) needs a flow "
                                     "method (flow: dis, farneback, ...)")
            self.net = None
        elif model == "x3d":
            from oculi.action.x3d import X3DNet

            self.net = X3DNet(k, channels, width, dropout)
        elif model == "r2plus1d":
            self.net: nn.Module = R2Plus1dNet(k, channels, width, dropout)
        elif model in VIDEO_RESNETS:
            from oculi.action.resnet3d import VideoResNet18

            # the published 18-layer network: 64 channels in stage 1 whatever ``width`` says
            self.net = VideoResNet18(k, VIDEO_RESNETS[model], channels, 64, dropout)
        elif model in ("tsm", "tsn", "frame"):
            self.net = FrameNet(k, clip_len, channels, width, dropout, shift=model == "tsm",
                                centre_only=model == "frame")
        else:
            raise ParameterError(f"model: expected r2plus1d, {', '.join(VIDEO_RESNETS)}, x3d, "
                                 f"tsm, tsn, frame or flow, got {model!r}")
        self.flow_net: nn.Module | None = None
        self.last_streams: list[torch.Tensor] = []
        if flow:
            from oculi.action.twostream import FlowStream

            self.flow_net = FlowStream(k, clip_len, flow, width, dropout, flow_grid, flow_bins,
                                       flow_orientations)

    @property
    def classes(self) -> list[str]:
        return self.info["classes"]

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """``(N, C, T, H, W)`` float clips in [0, 1] -> ``(N, classes)`` logits (two-stream:
        the sum of both streams' logits; in training mode each stream's logits are also kept in
        ``last_streams``)."""
        streams = [] if self.net is None else [self.net(clips)]
        if self.flow_net is not None:
            streams.append(self.flow_net(clips))
        # training keeps each stream's logits (two-stream: a loss per stream)
        self.last_streams = streams if self.training else []
        return streams[0] if len(streams) == 1 else streams[0] + streams[1]

    def head_parameters(self) -> list[nn.Parameter]:
        """The parameters of the final linear classifier(s) (the layers a fine-tune starts
        from random weights; both streams' with ``flow``)."""
        if self.net is None:
            heads = []
        elif hasattr(self.net, "backbone"):
            body = self.net.backbone
            heads = [body.head if body.head is not None else body.body.get_classifier()]
        else:
            heads = [[m for m in self.net.head.modules() if isinstance(m, nn.Linear)][-1]]
        if self.flow_net is not None:
            heads.append(self.flow_net.head)
        return [p for h in heads for p in h.parameters()]

    def config(self) -> dict[str, Any]:
        return dict(self.info)
