"""TSN and TSM on the model registry's 2-D ImageNet backbones (real offline weights).

:class:`ImageNetFrameNet` wraps a :class:`~oculi.models.Classifier` of
:func:`oculi.models.create_model` (EfficientNet-Lite0 by default, its ImageNet weights from the
installed package), so the backbone's own input spec normalises the ``[0, 1]`` RGB frames.
Every frame of a clip goes through the backbone; the clip's logits are the mean of the frames'
logits (TSN's average consensus).

With ``shift=True`` (TSM, Lin et al. 2019) a :class:`TemporalShift` is put in front of the first
convolution of every residual branch of the trainable stages ("residual shift"): 1/8 of that
branch's input channels come from the next frame and 1/8 from the previous one, so the 2-D
network exchanges information along time at no cost in parameters. Blocks without a skip
connection are left alone (a shift there would erase the current frame's channels for good).

Fine-tuning on a few clips: ``freeze_stages`` keeps the stem and the first stages at their
ImageNet weights (no gradients, no shift), and ``frozen_bn`` keeps every batch-norm layer in
inference mode (running statistics of ImageNet; batches of a few clips would make poor ones).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from oculi.action.models import temporal_shift
from oculi.core.errors import DataError, ParameterError

#: the first convolution of a residual branch, by block class (timm's EfficientNet / MobileNet
#: blocks, ResNet basic and bottleneck blocks)
_BRANCH_INPUT = {"InvertedResidual": "conv_pw", "DepthwiseSeparableConv": "conv_dw",
                 "BasicBlock": "conv1", "Bottleneck": "conv1"}


class TemporalShift(nn.Module):
    """``op(temporal_shift(x))`` for ``(N*T, C, H, W)`` frames of clips of ``frames`` frames.

    Args:
        op: the wrapped module (the first convolution of a residual branch).
        frames: frames per clip T.
        fold_div: 1/``fold_div`` of the channels is shifted each way.
    """

    def __init__(self, op: nn.Module, frames: int, fold_div: int = 8) -> None:
        super().__init__()
        self.op = op
        self.frames = frames
        self.fold_div = fold_div

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(temporal_shift(x, self.frames, self.fold_div))

    def extra_repr(self) -> str:
        return f"frames={self.frames}, fold_div={self.fold_div}"


def backbone_stages(body: nn.Module) -> tuple[list[nn.Module], list[nn.Module]]:
    """(stem modules, stages) of a timm backbone: EfficientNet/MobileNet (``conv_stem``,
    ``bn1``, ``blocks``) or ResNet (``conv1``, ``bn1``, ``layer1``-``layer4``).

    Raises:
        ParameterError: another architecture (its stages are not known here).
    """
    if hasattr(body, "blocks") and hasattr(body, "conv_stem"):
        return [body.conv_stem, body.bn1], list(body.blocks)
    if all(hasattr(body, f"layer{i}") for i in range(1, 5)):
        return ([body.conv1, body.bn1],
                [getattr(body, f"layer{i}") for i in range(1, 5)])
    raise ParameterError(f"backbone: {type(body).__name__} has no known stage layout (TSM and "
                         "stage freezing support timm EfficientNet, MobileNet and ResNet bodies)")


def insert_temporal_shift(stages: list[nn.Module], frames: int, fold_div: int = 8) -> int:
    """Put a :class:`TemporalShift` before the first convolution of every residual block in
    ``stages`` (in place). Returns the number of blocks shifted."""
    count = 0
    for stage in stages:
        for block in list(stage.modules()):
            name = _BRANCH_INPUT.get(type(block).__name__)
            if name is None or not getattr(block, "has_skip", True):
                continue
            op = getattr(block, name, None)
            if isinstance(op, nn.Conv2d):
                setattr(block, name, TemporalShift(op, frames, fold_div))
                count += 1
    return count


class ImageNetFrameNet(nn.Module):
    """TSN or TSM on a registry ImageNet backbone (see the module doc).

    Args:
        backbone: a registry model name (``efficientnet_lite0``, ``resnet18``, ...).
        classes: number of classes.
        clip_len: frames per clip T.
        shift: TSM (temporal shift in the residual blocks of the trainable stages).
        pretrained: load the ImageNet weights (offline package first; see
            :func:`oculi.models.create_model`).
        freeze_stages: stages (after the stem, which is frozen whenever this is > 0) kept at
            their ImageNet weights.
        frozen_bn: keep every batch-norm layer in inference mode while training.
        dropout: dropout before the classifier.

    Input ``(N, 3, T, H, W)`` float RGB in [0, 1]; output ``(N, classes)`` logits.
    """

    def __init__(self, backbone: str, classes: int, clip_len: int, *, shift: bool = False,
                 pretrained: bool = True, freeze_stages: int = 0, frozen_bn: bool = True,
                 dropout: float = 0.2) -> None:
        super().__init__()
        from oculi.models import create_model

        self.clip_len = clip_len
        self.frozen_bn = frozen_bn
        self.backbone = create_model(backbone, pretrained=pretrained, num_classes=classes,
                                     drop_rate=dropout)
        stem, stages = backbone_stages(self.backbone.body)
        if not 0 <= freeze_stages < len(stages):
            raise ParameterError(f"freeze_stages: expected 0..{len(stages) - 1} for {backbone} "
                                 f"({len(stages)} stages), got {freeze_stages!r}")
        frozen = (stem + stages[:freeze_stages]) if freeze_stages else []
        for module in frozen:
            module.requires_grad_(False)
        self.shifted = (insert_temporal_shift(stages[freeze_stages:], clip_len)
                        if shift else 0)
        if shift and not self.shifted:
            raise ParameterError(f"backbone: {backbone} has no residual block to shift in its "
                                 f"trainable stages (freeze_stages={freeze_stages})")

    def train(self, mode: bool = True) -> ImageNetFrameNet:
        super().train(mode)
        if mode and self.frozen_bn:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def frame_logits(self, clips: torch.Tensor) -> torch.Tensor:
        """``(N, 3, T, H, W)`` clips -> ``(N, T, classes)`` logits of every frame."""
        if clips.ndim != 5 or clips.shape[1] != 3:
            raise DataError(f"clips: expected (N, 3, T, H, W) RGB clips, got "
                            f"{tuple(clips.shape)}")
        n, c, t, h, w = clips.shape
        if t != self.clip_len:
            raise DataError(f"clips: the model was built for {self.clip_len} frames, got {t}")
        frames = clips.transpose(1, 2).reshape(n * t, c, h, w)
        return self.backbone(frames).view(n, t, -1)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.frame_logits(clips).mean(1)

    def extra_info(self) -> dict[str, Any]:
        """Trainable and total parameter counts and the number of shifted blocks."""
        params = list(self.parameters())
        return {"parameters": sum(p.numel() for p in params),
                "trainable": sum(p.numel() for p in params if p.requires_grad),
                "shifted_blocks": self.shifted}
