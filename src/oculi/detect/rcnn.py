"""R-CNN (Girshick et al., 2014) and Fast R-CNN (Girshick, 2015): the region-based detectors
before Faster R-CNN, kept as teaching baselines so that the evolution can be measured.

Both take their regions from **selective search** (OpenCV's ``ximgproc`` fast mode, run on the
resized image, at most ``max_proposals`` boxes, ranked as OpenCV returns them) instead of a
learned proposal network:

* :class:`RCNN` — every proposal is *warped* (bilinear resampling of the box, padded by
  ``context`` of its size on each side, to ``crop_size``\\ ² pixels) and pushed through the
  **frozen** ImageNet backbone on its own; the globally pooled last-stage features feed a linear
  **SVM per class** (one-vs-rest hinge loss; weight decay is the SVM's L2 term) and a linear
  class-specific **box regressor** (least squares). SVM positives are the ground-truth boxes and
  proposals with IoU >= ``positive_iou`` (0.7; the paper used ground truth only — a few images
  need more positives), negatives proposals with IoU < 0.3; the regressor learns from proposals
  with IoU >= 0.6. Scores are ``sigmoid(margin)``, so 0.5 is the SVM's decision boundary.
  Cost: one backbone pass per proposal.
* :class:`FastRCNN` — one backbone pass per image (stride-16 map), **RoI pooling** (``roi_op``
  ``"pool"``: max pooling, the paper's; ``"align"``: bilinear RoIAlign) of every proposal to
  ``pool_size``\\ ² cells, two fully connected layers and two heads (softmax over ``K + 1``
  classes, class-specific box deltas) trained **end to end** with the backbone (multi-task loss:
  cross-entropy + smooth L1). Training samples ``rois_per_image`` proposals (plus the
  ground-truth boxes) per image, a quarter foreground (IoU >= 0.5), the rest background
  (IoU in [0.1, 0.5), topped up from [0, 0.1) when short).

Both follow the :class:`~oculi.detect.Detector` contract (a list of ``(3, H, W)`` float images
in [0, 1]; losses in training mode, ``boxes``/``scores``/``labels`` per image in the input's
pixels in eval mode), so ``oculi train detect --arch rcnn|fastrcnn`` trains them with the same
engine as the other detectors. Box deltas are R-CNN's ``(dx, dy, dw, dh)`` =
``((gx − px) / pw, (gy − py) / ph, log(gw / pw), log(gh / ph))`` on box centres and sizes,
scaled by (10, 10, 5, 5). Per-class NMS at ``iou_threshold`` 0.3 (both papers).

    >>> import numpy as np
    >>> p = np.array([[10., 10., 30., 50.]]); g = np.array([[12., 8., 36., 48.]])
    >>> d = encode_boxes(torch.from_numpy(p), torch.from_numpy(g))
    >>> decode_boxes(torch.from_numpy(p), d).numpy().round(3).tolist()
    [[12.0, 8.0, 36.0, 48.0]]
"""

from __future__ import annotations

import functools
import math
import threading
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.checks import check_positive

#: delta scaling of (dx, dy, dw, dh), as Fast/Faster R-CNN implementations use
BOX_WEIGHTS = (10.0, 10.0, 5.0, 5.0)
_CLAMP = math.log(1000.0 / 16)


@functools.cache
def _c_srand() -> Any:
    """The C library's ``srand`` (None where ctypes cannot find it)."""
    import ctypes
    import ctypes.util

    for name in (None, ctypes.util.find_library("c"), "msvcrt"):
        try:
            srand = ctypes.CDLL(name).srand
        except (OSError, TypeError, AttributeError):
            continue
        srand.argtypes, srand.restype = [ctypes.c_uint], None
        return srand
    return None


_SS_LOCK = threading.Lock()


def selective_search(image: np.ndarray, *, max_proposals: int = 300, min_size: int = 4,
                     seed: int | None = 0) -> np.ndarray:
    """Selective search proposals (OpenCV ``ximgproc``, fast mode).

    OpenCV ranks the hierarchy's regions by ``rand() * level`` (Uijlings et al.'s
    pseudo-random ranking) with the C library's ``rand()``: unseeded, the order — and with it
    which boxes ``max_proposals`` keeps — changed from call to call (14 of 100 boxes in common
    on a 256 px photo). ``seed`` seeds that generator first, so the same image always gives the
    same proposals (where ctypes cannot reach ``srand`` the order stays OpenCV's unseeded one).
    The C generator is process-wide: another thread calling ``rand()`` during the search
    (a library's background thread) still shifts the ranking.

    Args:
        image: HxWx3 uint8 RGB image (the caller resizes: cost grows with the pixel count,
            ~0.06 s at 160x120, ~0.3 s at 256x170 on one core).
        max_proposals: keep the first this many (OpenCV's ranking).
        min_size: drop boxes narrower or lower than this (pixels).
        seed: seed of the ranking's ``rand()`` (None: leave the C generator as it is).

    Returns:
        ``(n, 4)`` float32 xyxy boxes in ``image``'s pixels, duplicates removed.
    """
    import cv2

    from oculi.core.checks import check_image
    from oculi.core.convert import ensure_uint8, to_rgb

    check_positive(max_proposals, "max_proposals")
    rgb = ensure_uint8(to_rgb(check_image(image)))
    ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
    ss.setBaseImage(np.ascontiguousarray(rgb[..., ::-1]))
    ss.switchToSelectiveSearchFast()
    srand = _c_srand() if seed is not None else None
    with _SS_LOCK:  # one seeded sequence per call, not interleaved with another thread's
        if srand is not None:
            srand(int(seed) & 0xFFFFFFFF)
        rects = np.asarray(ss.process(), np.float32).reshape(-1, 4)
    rects = rects[(rects[:, 2] >= min_size) & (rects[:, 3] >= min_size)]
    _, first = np.unique(rects, axis=0, return_index=True)
    rects = rects[np.sort(first)][:max_proposals]
    return np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], 1).astype(np.float32)


def encode_boxes(proposals: torch.Tensor, targets: torch.Tensor,
                 weights: tuple[float, ...] = BOX_WEIGHTS) -> torch.Tensor:
    """R-CNN box deltas ``(n, 4)`` that move xyxy ``proposals`` onto ``targets`` (module doc)."""
    pw, ph = proposals[:, 2] - proposals[:, 0], proposals[:, 3] - proposals[:, 1]
    px, py = proposals[:, 0] + 0.5 * pw, proposals[:, 1] + 0.5 * ph
    gw, gh = targets[:, 2] - targets[:, 0], targets[:, 3] - targets[:, 1]
    gx, gy = targets[:, 0] + 0.5 * gw, targets[:, 1] + 0.5 * gh
    wx, wy, ww, wh = weights
    return torch.stack([wx * (gx - px) / pw, wy * (gy - py) / ph, ww * torch.log(gw / pw),
                        wh * torch.log(gh / ph)], 1)


def decode_boxes(proposals: torch.Tensor, deltas: torch.Tensor,
                 weights: tuple[float, ...] = BOX_WEIGHTS) -> torch.Tensor:
    """Apply deltas ``(n, 4)`` (or ``(n, 4k)``) to xyxy ``proposals`` ``(n, 4)``: the inverse of
    :func:`encode_boxes`; returns xyxy boxes of the deltas' shape."""
    pw, ph = proposals[:, 2:3] - proposals[:, 0:1], proposals[:, 3:4] - proposals[:, 1:2]
    px, py = proposals[:, 0:1] + 0.5 * pw, proposals[:, 1:2] + 0.5 * ph
    wx, wy, ww, wh = weights
    dx, dy = deltas[:, 0::4] / wx, deltas[:, 1::4] / wy
    dw = (deltas[:, 2::4] / ww).clamp(max=_CLAMP)
    dh = (deltas[:, 3::4] / wh).clamp(max=_CLAMP)
    cx, cy, w, h = px + dx * pw, py + dy * ph, pw * torch.exp(dw), ph * torch.exp(dh)
    out = torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], 2)
    return out.reshape(deltas.shape)


class _RegionDetector(nn.Module):
    """What R-CNN and Fast R-CNN share: resizing and normalising, selective search on the
    resized image, matching proposals to ground truth, and the per-class post-processing."""

    def __init__(self, feats: nn.Module, num_classes: int, image_size: int, *,
                 max_proposals: int, proposal_size: int | None, iou_threshold: float,
                 box_score_thresh: float, detections_per_img: int) -> None:
        super().__init__()
        self.features = feats
        self.num_classes, self.image_size = int(num_classes), int(image_size)
        self.max_proposals = int(max_proposals)
        self.proposal_size = int(proposal_size or image_size)
        self.iou_threshold, self.score_thresh = float(iou_threshold), float(box_score_thresh)
        self.detections_per_img = int(detections_per_img)
        self.register_buffer("mean", torch.tensor(feats.mean).view(3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(feats.std).view(3, 1, 1), persistent=False)

    def _prepare(self, image: torch.Tensor) -> tuple[torch.Tensor, float, torch.Tensor]:
        """The normalised image resized to ``image_size`` (longer side), its scale, and its
        selective-search proposals in the resized image's pixels."""
        h, w = image.shape[-2:]
        scale = self.image_size / max(h, w)
        x = F.interpolate(image[None], size=(max(1, round(h * scale)), max(1, round(w * scale))),
                          mode="bilinear", align_corners=False, antialias=scale < 1)[0]
        ps = self.proposal_size / max(x.shape[-2:])
        small = x if ps >= 1 else F.interpolate(
            x[None], scale_factor=ps, mode="bilinear", antialias=True)[0]
        rgb = (small.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()
        boxes = torch.from_numpy(selective_search(rgb, max_proposals=self.max_proposals))
        boxes = (boxes / min(ps, 1.0)).to(x.device)
        return (x - self.mean) / self.std, scale, boxes

    @staticmethod
    def _match(proposals: torch.Tensor, target: dict[str, torch.Tensor] | None, scale: float
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Each proposal's best IoU with a ground-truth box, that box (resized pixels) and its
        label (0 without ground truth)."""
        from torchvision.ops import box_iou

        n = len(proposals)
        if target is None or len(target["boxes"]) == 0:
            return proposals.new_zeros(n), proposals.clone(), torch.zeros(
                n, dtype=torch.int64, device=proposals.device)
        gt = target["boxes"].to(proposals) * scale
        iou, idx = box_iou(proposals, gt).max(1)
        return iou, gt[idx], target["labels"].to(proposals.device)[idx]

    def _postprocess(self, boxes: torch.Tensor, scores: torch.Tensor, deltas: torch.Tensor,
                     shape: tuple[int, int], scale: float) -> dict[str, torch.Tensor]:
        """Per-class boxes from ``(n, K)`` scores and ``(n, 4K)`` deltas: decode, clip,
        threshold, per-class NMS, top ``detections_per_img``, back to the input's pixels."""
        from torchvision.ops import batched_nms, clip_boxes_to_image, remove_small_boxes

        k = self.num_classes
        pred = decode_boxes(boxes, deltas).view(-1, k, 4)
        pred = clip_boxes_to_image(pred.reshape(-1, 4), shape).view(-1, k, 4)
        labels = torch.arange(1, k + 1, device=boxes.device).expand(len(boxes), k)
        pred, scores, labels = pred.reshape(-1, 4), scores.reshape(-1), labels.reshape(-1)
        keep = scores > self.score_thresh
        pred, scores, labels = pred[keep], scores[keep], labels[keep]
        keep = remove_small_boxes(pred, 1.0)
        pred, scores, labels = pred[keep], scores[keep], labels[keep]
        keep = batched_nms(pred, scores, labels, self.iou_threshold)[:self.detections_per_img]
        return {"boxes": pred[keep] / scale, "scores": scores[keep], "labels": labels[keep]}


class RCNN(_RegionDetector):
    """R-CNN: warped proposals through the frozen backbone, linear SVMs + box regressors.

    Args:
        feats: :class:`~oculi.detect.backbone.TimmFeatures` (last stage; frozen here).
        num_classes: object classes (labels ``1..K``).
        image_size: longer side images are resized to, pixels.
        crop_size: side of each warped proposal, pixels (the paper: 227).
        context: padding around a proposal before warping, fraction of its size per side.
        max_proposals: selective-search boxes per image (the paper: 2000).
        proposal_size: longer side selective search runs at (None: ``image_size``).
        rois_per_image: proposals sampled per training image (positives first, 1:3 negatives).
        positive_iou: proposals at least this close to a ground-truth box are SVM positives.
        iou_threshold: per-class NMS overlap; box_score_thresh: lowest score kept;
        detections_per_img: boxes kept per image; chunk: warped crops per backbone pass.
    """

    def __init__(self, feats: nn.Module, num_classes: int, image_size: int, *,
                 crop_size: int = 96, context: float = 0.08, max_proposals: int = 300,
                 proposal_size: int | None = None, rois_per_image: int = 32,
                 positive_iou: float = 0.7, iou_threshold: float = 0.3,
                 box_score_thresh: float = 0.05, detections_per_img: int = 100,
                 chunk: int = 64) -> None:
        super().__init__(feats, num_classes, image_size, max_proposals=max_proposals,
                         proposal_size=proposal_size, iou_threshold=iou_threshold,
                         box_score_thresh=box_score_thresh,
                         detections_per_img=detections_per_img)
        for p in feats.parameters():
            p.requires_grad_(False)
        dim = feats.channels[-1]
        self.crop_size, self.context, self.chunk = int(crop_size), float(context), int(chunk)
        self.rois_per_image, self.positive_iou = int(rois_per_image), float(positive_iou)
        self.svm = nn.Linear(dim, num_classes)
        self.regressor = nn.Linear(dim, 4 * num_classes)
        nn.init.zeros_(self.regressor.weight)
        nn.init.zeros_(self.regressor.bias)

    def train(self, mode: bool = True) -> RCNN:
        super().train(mode)
        self.features.eval()  # fixed features: no BatchNorm or dropout updates
        return self

    def region_features(self, image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """``(n, C)`` features of ``boxes`` (resized-image pixels) of one normalised image:
        each box padded by ``context``, warped to ``crop_size``\\ ², through the backbone,
        averaged over space and L2-normalised (scaled by 10)."""
        from torchvision.ops import roi_align

        pad = (boxes[:, 2:] - boxes[:, :2]) * self.context
        padded = torch.cat([boxes[:, :2] - pad, boxes[:, 2:] + pad], 1)
        out = []
        with torch.no_grad():
            for s in range(0, len(padded), self.chunk):
                crops = roi_align(image[None], [padded[s:s + self.chunk]], self.crop_size, 1.0,
                                  sampling_ratio=2, aligned=True)
                out.append(self.features(crops)[-1].mean((2, 3)))
        f = torch.cat(out) if out else image.new_zeros(0, self.features.channels[-1])
        return F.normalize(f, dim=1) * 10.0

    def _sample(self, proposals: torch.Tensor, target: dict, scale: float, gen: torch.Generator
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        iou, gt, label = self._match(proposals, target, scale)
        gt_boxes = target["boxes"].to(proposals) * scale
        pos = torch.nonzero(iou >= self.positive_iou).flatten()
        neg = torch.nonzero(iou < 0.3).flatten()
        reg = torch.nonzero(iou >= 0.6).flatten()
        n_pos = min(len(pos), max(self.rois_per_image // 4 - len(gt_boxes), 0))
        pos = pos[torch.randperm(len(pos), generator=gen)[:n_pos]]
        n_neg = max(self.rois_per_image - len(gt_boxes) - n_pos, 0)
        neg = neg[torch.randperm(len(neg), generator=gen)[:n_neg]]
        reg = reg[torch.randperm(len(reg), generator=gen)[:self.rois_per_image // 2]]
        boxes = torch.cat([gt_boxes, proposals[pos], proposals[neg], proposals[reg]])
        labels = torch.cat([target["labels"].to(proposals.device), label[pos],
                            torch.zeros_like(neg), label[reg]])
        # the last len(reg) rows train the regressor, the others the SVMs
        regress = torch.arange(len(boxes), device=boxes.device) >= len(boxes) - len(reg)
        return boxes, labels, torch.cat([gt_boxes, gt[pos], gt[neg], gt[reg]]), regress

    def forward(self, images: list[torch.Tensor], targets: list[dict] | None = None):
        if self.training:
            return self._losses(images, targets or [])
        out = []
        for image in images:
            x, scale, props = self._prepare(image)
            f = self.region_features(x, props)
            scores = torch.sigmoid(self.svm(f))
            out.append(self._postprocess(props, scores, self.regressor(f), tuple(x.shape[-2:]),
                                         scale))
        return out

    def _losses(self, images: list[torch.Tensor], targets: list[dict]) -> dict[str, torch.Tensor]:
        gen = torch.Generator().manual_seed(int(torch.randint(0, 2**31 - 1, ())))
        feats, labels, gts, boxes, regress = [], [], [], [], []
        for image, target in zip(images, targets, strict=True):
            x, scale, props = self._prepare(image)
            b, lab, gt, reg = self._sample(props, target, scale, gen)
            feats.append(self.region_features(x, b))
            labels.append(lab)
            gts.append(gt)
            boxes.append(b)
            regress.append(reg)
        f, lab, gt, b, reg = (torch.cat(v) for v in (feats, labels, gts, boxes, regress))
        margins = self.svm(f[~reg])
        classes = torch.arange(1, self.num_classes + 1, device=f.device)
        y = torch.where(lab[~reg, None] == classes, 1.0, -1.0)
        loss_svm = F.relu(1.0 - y * margins).mean() * self.num_classes
        if reg.any():
            k = lab[reg] - 1
            d = self.regressor(f[reg]).view(-1, self.num_classes, 4)[torch.arange(len(k)), k]
            loss_box = F.mse_loss(d, encode_boxes(b[reg], gt[reg]), reduction="sum") / max(
                len(k), 1) * 0.25
        else:
            loss_box = f.sum() * 0.0 + self.regressor.bias.sum() * 0.0
        return {"loss_svm": loss_svm, "loss_box_reg": loss_box}


class FastRCNN(_RegionDetector):
    """Fast R-CNN: one stride-16 feature map per image, RoI pooling of the proposals, FC heads.

    Args:
        feats: :class:`~oculi.detect.backbone.TimmFeatures` with one stride-16 map.
        num_classes, image_size, max_proposals, proposal_size, iou_threshold,
        box_score_thresh, detections_per_img: as :class:`RCNN`.
        roi_op: ``"pool"`` (RoI max pooling, the paper's) or ``"align"`` (RoIAlign).
        pool_size: RoI grid side (the paper: 7).
        hidden: width of the two fully connected layers (the paper: 4096).
        rois_per_image: RoIs sampled per training image (the paper: 64).
        fg_fraction: share of foreground RoIs (IoU >= 0.5) in a training sample.
    """

    def __init__(self, feats: nn.Module, num_classes: int, image_size: int, *,
                 roi_op: str = "pool", pool_size: int = 7, hidden: int = 256,
                 max_proposals: int = 300, proposal_size: int | None = None,
                 rois_per_image: int = 64, fg_fraction: float = 0.25,
                 iou_threshold: float = 0.3, box_score_thresh: float = 0.05,
                 detections_per_img: int = 100) -> None:
        from oculi.core.checks import check_choice

        super().__init__(feats, num_classes, image_size, max_proposals=max_proposals,
                         proposal_size=proposal_size, iou_threshold=iou_threshold,
                         box_score_thresh=box_score_thresh,
                         detections_per_img=detections_per_img)
        check_choice(roi_op, ("pool", "align"), "roi_op")
        self.roi_op = roi_op
        self.pool_size, self.stride = int(pool_size), int(feats.strides[-1])
        self.rois_per_image, self.fg_fraction = int(rois_per_image), float(fg_fraction)
        self.head = nn.Sequential(nn.Flatten(),
                                  nn.Linear(feats.channels[-1] * pool_size ** 2, hidden),
                                  nn.ReLU(inplace=True), nn.Linear(hidden, hidden),
                                  nn.ReLU(inplace=True))
        self.cls_score = nn.Linear(hidden, num_classes + 1)
        self.bbox_pred = nn.Linear(hidden, 4 * num_classes)
        nn.init.normal_(self.cls_score.weight, std=0.01)
        nn.init.normal_(self.bbox_pred.weight, std=0.001)
        nn.init.zeros_(self.cls_score.bias)
        nn.init.zeros_(self.bbox_pred.bias)

    def _heads(self, fmap: torch.Tensor, boxes: torch.Tensor) -> tuple[torch.Tensor, ...]:
        from torchvision.ops import roi_align, roi_pool

        if self.roi_op == "pool":
            r = roi_pool(fmap, [boxes], self.pool_size, 1.0 / self.stride)
        else:
            r = roi_align(fmap, [boxes], self.pool_size, 1.0 / self.stride, sampling_ratio=2,
                          aligned=True)
        h = self.head(r)
        return self.cls_score(h), self.bbox_pred(h)

    def _sample(self, proposals: torch.Tensor, target: dict, scale: float, gen: torch.Generator
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        gt_boxes = target["boxes"].to(proposals) * scale
        cand = torch.cat([gt_boxes, proposals])
        iou, gt, label = self._match(cand, target, scale)
        fg = torch.nonzero(iou >= 0.5).flatten()
        bg = torch.nonzero((iou < 0.5) & (iou >= 0.1)).flatten()
        low = torch.nonzero(iou < 0.1).flatten()
        bg = torch.cat([bg[torch.randperm(len(bg), generator=gen)],
                        low[torch.randperm(len(low), generator=gen)]])
        n_fg = min(len(fg), round(self.rois_per_image * self.fg_fraction))
        fg = fg[torch.randperm(len(fg), generator=gen)[:n_fg]]
        bg = bg[:self.rois_per_image - n_fg]
        idx = torch.cat([fg, bg])
        labels = torch.cat([label[fg], torch.zeros_like(bg)])
        return cand[idx], labels, gt[idx]

    def forward(self, images: list[torch.Tensor], targets: list[dict] | None = None):
        if self.training:
            return self._losses(images, targets or [])
        out = []
        for image in images:
            x, scale, props = self._prepare(image)
            logits, deltas = self._heads(self.features(x[None])[-1], props)
            scores = F.softmax(logits, -1)[:, 1:]
            out.append(self._postprocess(props, scores, deltas, tuple(x.shape[-2:]), scale))
        return out

    def _losses(self, images: list[torch.Tensor], targets: list[dict]) -> dict[str, torch.Tensor]:
        gen = torch.Generator().manual_seed(int(torch.randint(0, 2**31 - 1, ())))
        logits, deltas, labels, boxes, gts = [], [], [], [], []
        for image, target in zip(images, targets, strict=True):
            x, scale, props = self._prepare(image)
            b, lab, gt = self._sample(props, target, scale, gen)
            lg, d = self._heads(self.features(x[None])[-1], b)
            logits.append(lg)
            deltas.append(d)
            labels.append(lab)
            boxes.append(b)
            gts.append(gt)
        lg, d, lab, b, gt = (torch.cat(v) for v in (logits, deltas, labels, boxes, gts))
        loss_cls = F.cross_entropy(lg, lab)
        fg = torch.nonzero(lab > 0).flatten()
        if len(fg):
            k = lab[fg] - 1
            d_fg = d.view(-1, self.num_classes, 4)[fg, k]
            loss_box = F.smooth_l1_loss(d_fg, encode_boxes(b[fg], gt[fg]), beta=1.0,
                                        reduction="sum") / len(lab)
        else:
            loss_box = d.sum() * 0.0
        return {"loss_classifier": loss_cls, "loss_box_reg": loss_box}


def build_rcnn(num_classes: int, feats: nn.Module, image_size: int, **kw: Any) -> RCNN:
    """The ``rcnn`` registry factory (``kw``: :class:`RCNN`'s keywords)."""
    return RCNN(feats, num_classes, image_size, **kw)


def build_fastrcnn(num_classes: int, feats: nn.Module, image_size: int, **kw: Any) -> FastRCNN:
    """The ``fastrcnn`` registry factory (``kw``: :class:`FastRCNN`'s keywords)."""
    return FastRCNN(feats, num_classes, image_size, **kw)
