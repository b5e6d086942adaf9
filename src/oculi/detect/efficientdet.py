"""EfficientDet (Tan, Pang & Le, 2020): a registry backbone, a BiFPN neck
(:class:`oculi.detect.necks.BiFPN`, weighted bidirectional fusion with fast normalised weights)
over P3-P7, and RetinaNet's focal-loss head with depthwise-separable towers — the head, anchor
matching, focal loss and post-processing are torchvision's :class:`RetinaNet`, as the
``retinanet`` entry uses.

**Compound scaling** grows the three parts together with one coefficient ``phi``
(:func:`compound_scaling`): BiFPN width ``64 * 1.35**phi`` (rounded to a multiple of 8),
BiFPN depth ``3 + phi``, head depth ``3 + phi // 3`` and input size ``512 + 128 * phi``; the
paper pairs D-``phi`` with the EfficientNet-B``phi`` backbone (here: any registry backbone,
``--backbone``). ``phi=0`` is the D0 size (64 channels, 3 BiFPN layers, 3 head layers); the
input size is the detection task's ``image_size`` (a benchmark sets it equal across models),
``compound_scaling(phi).image_size`` is the paper's.

    >>> compound_scaling(0)
    Scaling(width=64, bifpn_layers=3, head_layers=3, image_size=512)
    >>> compound_scaling(2)
    Scaling(width=120, bifpn_layers=5, head_layers=3, image_size=768)

Differences from the paper, for size, reuse and short CPU budgets: the towers, shared across
levels, normalise with GroupNorm (``gcd(width, 16)`` groups, as torchvision's RetinaNet v2
head) where the paper keeps one BatchNorm per level; BatchNorm momentum is torch's 0.1, not the
paper's 0.01 (see :mod:`oculi.detect.necks`); the final 3x3 class and box convolutions are
plain ones (torchvision's); anchors are RetinaNet's (3 scales x 3 ratios, 4x the stride, as the
paper's anchor scale 4); the box loss is L1 on the encoded deltas (torchvision's RetinaNet;
the paper: Huber), ``box_loss="giou"`` the IoU loss torchvision's RetinaNet v2 uses — on a
hold-out of raccoon's training images it did not beat L1 after 5 epochs (val mAP@[.5:.95]
0.39 against 0.45).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from torch import nn


class Scaling(NamedTuple):
    """One EfficientDet size: BiFPN ``width`` (channels), ``bifpn_layers``, ``head_layers``
    (separable convolutions per tower) and the paper's input ``image_size`` (pixels)."""

    width: int
    bifpn_layers: int
    head_layers: int
    image_size: int


def compound_scaling(phi: int) -> Scaling:
    """EfficientDet's compound scaling rule for coefficient ``phi`` >= 0 (module doc)."""
    from oculi.core.errors import ParameterError

    if isinstance(phi, bool) or not isinstance(phi, int) or phi < 0:
        raise ParameterError(f"phi: expected an integer >= 0, got {phi!r}")
    width = int(round(64 * 1.35 ** phi / 8) * 8)
    return Scaling(width, 3 + phi, 3 + phi // 3, 512 + 128 * phi)


def _tower(width: int, depth: int) -> nn.Sequential:
    from oculi.detect.necks import SeparableConv

    groups = math.gcd(width, 16)
    tower = nn.Sequential(*[SeparableConv(width, width, activation=True, groups=groups)
                            for _ in range(depth)])
    for m in tower.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, std=0.01)
    return tower


#: box regression losses of the head (torchvision's names)
BOX_LOSSES = ("l1", "smooth_l1", "giou", "diou", "ciou")


def _head(width: int, num_anchors: int, num_classes: int, depth: int, box_loss: str = "l1"
          ) -> nn.Module:
    """torchvision's RetinaNet head (focal loss, its priors and init; ``box_loss`` on the
    encoded deltas or, for the IoU losses, on the decoded boxes) with ``depth``
    depthwise-separable layers in each tower instead of four 3x3 convolutions."""
    from torchvision.models.detection.retinanet import RetinaNetHead

    from oculi.core.checks import check_choice

    check_choice(box_loss, BOX_LOSSES, "box_loss")
    head = RetinaNetHead(width, num_anchors, num_classes)
    head.classification_head.conv = _tower(width, depth)
    head.regression_head.conv = _tower(width, depth)
    head.regression_head._loss_type = box_loss
    return head


def build_efficientdet(num_classes: int, feats: nn.Module, image_size: int, *, phi: int = 0,
                       width: int | None = None, bifpn_layers: int | None = None,
                       head_layers: int | None = None, box_loss: str = "l1", **kw: Any
                       ) -> nn.Module:
    """The ``efficientdet`` registry factory.

    Args:
        num_classes: object classes (labels ``1..K``).
        feats: :class:`~oculi.detect.backbone.TimmFeatures` with the stride-8/16/32 maps.
        image_size: longer side images are resized to inside the model, pixels.
        phi: compound coefficient (0: D0); ``width``, ``bifpn_layers``, ``head_layers``
            override its values one by one.
        box_loss: the head's box regression loss: ``"l1"`` on the encoded deltas (the
            default, torchvision's RetinaNet), ``"smooth_l1"``, or an IoU loss on the decoded
            boxes (``"giou"``, torchvision's RetinaNet v2; ``"diou"``, ``"ciou"``).
        **kw: torchvision :class:`RetinaNet` keywords (``score_thresh``, ``nms_thresh``,
            ``detections_per_img``, ...).

    Returns:
        A torchvision ``RetinaNet`` (labels ``1..K`` only) with a
        :class:`~oculi.detect.necks.NeckBackbone` (BiFPN, P3-P7) and the separable focal-loss
        head.
    """
    from oculi.detect.models import _common, focal_retinanet, retinanet_anchors
    from oculi.detect.necks import NeckBackbone

    s = compound_scaling(phi)
    w = int(width or s.width)
    body = NeckBackbone(feats, "bifpn", w, "p6p7", bifpn_layers or s.bifpn_layers)
    anchors = retinanet_anchors()
    head = _head(w, anchors.num_anchors_per_location()[0], num_classes + 1,
                 head_layers or s.head_layers, box_loss)
    return focal_retinanet()(body, num_classes + 1, anchor_generator=anchors, head=head,
                             **_common(feats, image_size), **kw)
