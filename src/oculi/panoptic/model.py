"""Panoptic FPN (Kirillov, Girshick, He & Dollár, CVPR 2019): one FPN feeding Mask R-CNN's
instance branch (the things) and a semantic FPN head (the stuff), merged by the paper's
heuristic (:func:`oculi.segment.panoptic_merge.merge_panoptic`).

The instance branch is oculi's ``maskrcnn`` detector (:func:`oculi.detect.create_detector`, FPN
neck on a registry backbone, default EfficientNet-Lite0): its FPN maps (strides 8, 16, 32 on the
Lite0 features) also feed :class:`SemanticFPNHead`. The paper's head starts at P2 (stride 4);
this FPN starts at stride 8, so the head merges at 1/8 and upsamples x8 (the paper: at 1/4, x4).

    >>> import torch
    >>> m = PanopticFPN(num_classes=4, things=[2, 3], pretrained=False, image_size=64,
    ...                 fpn_channels=16, semantic_channels=16).eval()
    >>> m.semantic_classes, m.stuff          # stuff 0, 1 and one "things" class
    (3, [0, 1])
    >>> maps = m.panoptic([torch.rand(3, 48, 64)])
    >>> maps[0].shape, maps[0].dtype
    ((48, 64), dtype('int64'))

Training: ``model(images, targets)`` returns Mask R-CNN's losses plus ``loss_semantic``
(``semantic_weight`` x the cross-entropy of the semantic head at the input's pixels, void
ignored). ``instances=False`` is the baseline without the instance branch: the same FPN and head
over every class; its thing instances are the connected components of each thing class.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.constants import DEFAULT_BACKBONE
from oculi.core.errors import ParameterError

#: target value of void pixels in the semantic loss
IGNORE = -100


class SemanticFPNHead(nn.Module):
    """The semantic FPN branch: each level goes to the finest level's scale through
    ``log2(stride / finest)`` stages of 3x3 conv + GroupNorm + ReLU + 2x bilinear upsampling (the
    finest level: one conv + GN + ReLU), the maps are summed and a 1x1 conv gives the logits.

    Args:
        in_channels: channels of every FPN map.
        strides: the strides of the maps it reads, finest first (e.g. 8, 16, 32).
        num_classes: output classes.
        channels: channels of the stages (the paper: 128).

    Input: the FPN maps ``(N, in_channels, H/s, W/s)``; output ``(N, num_classes, H/s0, W/s0)``
    logits at the finest stride ``s0`` (:attr:`stride`).
    """

    def __init__(self, in_channels: int, strides: Sequence[int], num_classes: int,
                 channels: int = 128) -> None:
        super().__init__()
        self.stride = int(min(strides))
        groups = math.gcd(32, channels)
        self.stages = nn.ModuleList()
        for s in strides:
            ups = round(math.log2(s / self.stride))
            layers: list[nn.Module] = []
            for k in range(max(1, ups)):
                layers += [nn.Conv2d(in_channels if k == 0 else channels, channels, 3, padding=1,
                                     bias=False), nn.GroupNorm(groups, channels),
                           nn.ReLU(inplace=True)]
                if ups:
                    layers.append(nn.Upsample(scale_factor=2, mode="bilinear",
                                              align_corners=False))
            self.stages.append(nn.Sequential(*layers))
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        size = feats[0].shape[-2:]
        x = None
        for stage, f in zip(self.stages, feats, strict=False):
            y = stage(f)
            if y.shape[-2:] != size:
                y = F.interpolate(y, size=size, mode="bilinear", align_corners=False)
            x = y if x is None else x + y
        return self.classifier(x)


class PanopticFPN(nn.Module):
    """Panoptic FPN over ``num_classes`` categories of which ``things`` have instances.

    Args:
        num_classes: categories (void excluded), labelled ``0..num_classes-1``.
        things: the thing categories; the others are stuff.
        class_names: a name per category.
        backbone, pretrained, image_size, frozen_stages: as
            :func:`oculi.detect.create_detector` (images are resized inside so that their
            longer side is ``image_size``).
        fpn_channels: FPN width; semantic_channels: the semantic head's width.
        semantic_weight: weight of ``loss_semantic``.
        instances: False builds the baseline (no RPN and RoI heads; the semantic head over
            every category).
        score_threshold, overlap_threshold, min_stuff_fraction: the merge's settings
            (:func:`~oculi.segment.panoptic_merge.merge_panoptic`; the stuff area is a
            fraction of the image's pixels).
        ignore_index: the void label of the masks it learns from (kept for evaluation).
        detector_options: further keywords of the ``maskrcnn`` construction.
    """

    def __init__(self, *, num_classes: int, things: Sequence[int],
                 class_names: Sequence[str] | None = None, backbone: str = DEFAULT_BACKBONE,
                 pretrained: bool = True, image_size: int = 320, frozen_stages: int = 2,
                 fpn_channels: int = 128, semantic_channels: int = 128,
                 semantic_weight: float = 0.5, instances: bool = True,
                 score_threshold: float = 0.5, overlap_threshold: float = 0.5,
                 min_stuff_fraction: float = 0.004, ignore_index: int | None = None,
                 detector_options: dict[str, Any] | None = None) -> None:
        super().__init__()
        from oculi.detect.models import create_detector

        self.num_classes = int(num_classes)
        self.things = sorted({int(t) for t in things})
        if not self.things or self.things[0] < 0 or self.things[-1] >= self.num_classes:
            raise ParameterError(f"things: expected categories in 0..{self.num_classes - 1}, "
                                 f"got {list(things)}")
        self.stuff = [c for c in range(self.num_classes) if c not in self.things]
        self.class_names = (list(class_names) if class_names
                            else [str(c) for c in range(self.num_classes)])
        if len(self.class_names) < self.num_classes:
            raise ParameterError(f"class_names: expected {self.num_classes} names, got "
                                 f"{len(self.class_names)}")
        self.instances = bool(instances)
        self.ignore_index = None if ignore_index is None else int(ignore_index)
        self.settings = {"backbone": backbone, "image_size": int(image_size),
                         "frozen_stages": int(frozen_stages), "fpn_channels": int(fpn_channels),
                         "semantic_channels": int(semantic_channels),
                         "detector_options": dict(detector_options or {})}
        self.semantic_weight = float(semantic_weight)
        self.merge = {"score_threshold": float(score_threshold),
                      "overlap_threshold": float(overlap_threshold),
                      "min_stuff_fraction": float(min_stuff_fraction)}
        det = create_detector("maskrcnn", num_classes=len(self.things),
                              class_names=[self.class_names[c] for c in self.things],
                              backbone=backbone, pretrained=pretrained, image_size=image_size,
                              frozen_stages=frozen_stages, fpn_channels=fpn_channels,
                              **dict(detector_options or {}))
        self.net = det.net
        if not self.instances:  # the baseline keeps only the normalising transform and the FPN
            self.net.rpn = None
            self.net.roi_heads = None
        self.semantic_classes = len(self.stuff) + 1 if self.instances else self.num_classes
        strides = self.net.backbone.features.strides
        self.semantic = SemanticFPNHead(fpn_channels, strides, self.semantic_classes,
                                        semantic_channels)
        lut = torch.full((self.num_classes + 1,), IGNORE, dtype=torch.long)  # last: void (-1)
        if self.instances:
            for i, c in enumerate(self.stuff):
                lut[c] = i
            lut[self.things] = len(self.stuff)
        else:
            lut[: self.num_classes] = torch.arange(self.num_classes)
        self.register_buffer("lut", lut, persistent=False)

    def config(self) -> dict[str, Any]:
        """The keywords that rebuild this model (:func:`rebuild`)."""
        return {"num_classes": self.num_classes, "things": self.things,
                "class_names": self.class_names, "instances": self.instances,
                "ignore_index": self.ignore_index,
                "semantic_weight": self.semantic_weight, **self.settings, **self.merge}

    def semantic_target(self, category: torch.Tensor) -> torch.Tensor:
        """HxW int64 category map (-1 void) -> the semantic head's target (void: -100)."""
        c = category.long()
        return self.lut[torch.where((c >= 0) & (c < self.num_classes), c, -1)]

    def forward(self, images: list[torch.Tensor], targets: list[dict] | None = None):
        """``images``: ``(3, H, W)`` float tensors in [0, 1]. Training (``targets`` with
        ``boxes``, ``labels`` 1..T, ``masks`` and ``category`` HxW int64, -1 void): a dict of
        losses. Evaluation: one dict per image with ``semantic`` ``(K, H, W)`` logits at the
        image's pixels and, with instances, Mask R-CNN's ``boxes``, ``scores``, ``labels``,
        ``masks`` ``(n, 1, H, W)``."""
        net = self.net
        original = [tuple(int(v) for v in im.shape[-2:]) for im in images]
        det_targets = None
        if targets is not None and self.instances:
            det_targets = [{k: t[k] for k in ("boxes", "labels", "masks")} for t in targets]
        batch, det_targets = net.transform(images, det_targets)
        feats = net.backbone(batch.tensors)
        logits = self.semantic(list(feats.values())[: len(self.semantic.stages)])
        logits = F.interpolate(logits, size=batch.tensors.shape[-2:], mode="bilinear",
                               align_corners=False)
        per_image = [F.interpolate(logits[i: i + 1, :, : h, : w], size=size, mode="bilinear",
                                   align_corners=False)[0]
                     for i, ((h, w), size) in enumerate(zip(batch.image_sizes, original,
                                                            strict=True))]
        losses: dict[str, torch.Tensor] = {}
        detections: list[dict[str, torch.Tensor]] = [{} for _ in images]
        if self.instances:
            proposals, rpn_losses = net.rpn(batch, feats, det_targets)
            dets, roi_losses = net.roi_heads(feats, proposals, batch.image_sizes, det_targets)
            losses.update(rpn_losses)
            losses.update(roi_losses)
            if not self.training:
                detections = net.transform.postprocess(dets, batch.image_sizes, original)
        if self.training:
            if targets is None:
                raise ParameterError("targets: training needs targets (boxes, labels, masks, "
                                     "category)")
            total, count = logits.new_zeros(()), 0
            for lg, t in zip(per_image, targets, strict=True):
                y = self.semantic_target(t["category"])
                total = total + F.cross_entropy(lg[None], y[None], ignore_index=IGNORE,
                                                reduction="sum")
                count += int((y != IGNORE).sum())
            losses["loss_semantic"] = self.semantic_weight * total / max(count, 1)
            return losses
        return [{**d, "semantic": s} for d, s in zip(detections, per_image, strict=True)]

    def category_map(self, semantic: torch.Tensor) -> np.ndarray:
        """``(K, H, W)`` semantic logits -> HxW int64 category map (the "things" class: -1)."""
        idx = semantic.argmax(0).cpu().numpy()
        if not self.instances:
            return idx.astype(np.int64)
        lut = np.asarray([*self.stuff, -1], np.int64)
        return lut[idx]

    @torch.no_grad()
    def panoptic(self, images: list[torch.Tensor], **merge: float) -> list[np.ndarray]:
        """Panoptic maps of ``(3, H, W)`` float images in [0, 1].

        Args:
            images: the images (sizes may differ).
            **merge: overrides of ``score_threshold``, ``overlap_threshold``,
                ``min_stuff_fraction``.

        Returns:
            One HxW int64 panoptic map per image (:mod:`oculi.segment.panoptic` encoding,
            ``category * 1000 + instance``, -1 void).
        """
        from oculi.segment.panoptic_merge import components_as_instances, merge_panoptic

        opts = {**self.merge, **{k: v for k, v in merge.items() if v is not None}}
        unknown = set(opts) - set(self.merge)
        if unknown:
            raise ParameterError(f"merge: unknown settings {sorted(unknown)}; known: "
                                 f"{sorted(self.merge)}")
        self.eval()
        heads = self.net.roi_heads
        kept = heads.score_thresh if heads is not None else None
        if heads is not None:  # boxes the merge would drop get no mask pasted (CPU time)
            heads.score_thresh = max(kept, opts["score_threshold"])
        try:
            results = self.forward(list(images))
        finally:
            if heads is not None:
                heads.score_thresh = kept
        out = []
        for r in results:
            cat = self.category_map(r["semantic"])
            if self.instances:
                parts = {"stuff": cat, "masks": r["masks"][:, 0].cpu().numpy() > 0.5,
                         "scores": r["scores"].cpu().numpy(),
                         "categories": np.asarray(self.things, np.int64)[
                             r["labels"].cpu().numpy() - 1]}
            else:
                parts = components_as_instances(cat, self.things)
            area = round(opts["min_stuff_fraction"] * cat.size)
            out.append(merge_panoptic(**parts, score_threshold=opts["score_threshold"],
                                      overlap_threshold=opts["overlap_threshold"],
                                      min_stuff_area=area))
        return out


def rebuild(config: dict[str, Any]) -> PanopticFPN:
    """A fresh model (random weights, no pretrained loading) from :meth:`PanopticFPN.config`."""
    return PanopticFPN(**config, pretrained=False)
