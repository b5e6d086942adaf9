"""A compact YOLO-family detector, written here (YOLOv3's three scales with anchors from k-means
on the training boxes, YOLOv4/v5's PAN neck — :class:`oculi.detect.necks.PAN`, shared with the
other detectors — CIoU box loss and grid-offset target assignment).

    >>> import numpy as np
    >>> wh = np.array([[10, 10], [11, 9], [100, 50], [98, 52], [300, 300], [290, 310]], float)
    >>> kmeans_anchors(wh, 3, seed=0).round().astype(int).tolist()
    [[10, 10], [99, 51], [295, 305]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.deprecation import renamed_parameters
from oculi.detect.necks import PAN

#: YOLOv5's P3-P5 anchors for 640-pixel inputs (width, height), used when none are given
DEFAULT_ANCHORS = ((10, 13), (16, 30), (33, 23), (30, 61), (62, 45), (59, 119),
                   (116, 90), (156, 198), (373, 326))


def wh_iou(wh1: np.ndarray, wh2: np.ndarray) -> np.ndarray:
    """IoU of boxes given by width and height, aligned at one corner: ``(n, m)``."""
    inter = np.minimum(wh1[:, None], wh2[None]).prod(2)
    return inter / (wh1.prod(1)[:, None] + wh2.prod(1)[None] - inter)


def kmeans_anchors(wh: np.ndarray, k: int = 9, *, iters: int = 100, seed: int = 0) -> np.ndarray:
    """Anchor shapes by k-means with the ``1 - IoU`` distance (YOLOv2), sorted by area.

    Args:
        wh: ``(n, 2)`` box widths and heights in pixels (at the model's input size).
        k: number of anchors.

    Returns:
        ``(k, 2)`` float32 anchors (fewer boxes than ``k``: the boxes are repeated).
    """
    wh = np.asarray(wh, np.float64).reshape(-1, 2)
    wh = wh[(wh > 1).all(1)]
    if len(wh) == 0:
        return np.asarray(DEFAULT_ANCHORS[:k], np.float32)
    rng = np.random.default_rng(seed)
    if len(wh) < k:
        wh = wh[rng.integers(0, len(wh), k)] * rng.uniform(0.8, 1.2, (k, 2))
    # k-means++ seeding on the IoU distance, then Lloyd iterations with medians
    centers = [wh[rng.integers(len(wh))]]
    for _ in range(1, k):
        d = (1 - wh_iou(wh, np.array(centers))).min(1) ** 2
        centers.append(wh[rng.choice(len(wh), p=d / d.sum()) if d.sum() > 0 else 0])
    c = np.array(centers)
    for _ in range(iters):
        assign = wh_iou(wh, c).argmax(1)
        new = np.array([np.median(wh[assign == j], 0) if (assign == j).any() else c[j]
                        for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return c[np.argsort(c.prod(1))].astype(np.float32)


def ciou(box1: torch.Tensor, box2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Complete IoU (Zheng et al. 2020) of paired ``xyxy`` boxes ``(n, 4)``:
    ``IoU - rho^2 / c^2 - alpha * v`` with ``v`` the aspect-ratio term."""
    b1x0, b1y0, b1x1, b1y1 = box1.unbind(-1)
    b2x0, b2y0, b2x1, b2y1 = box2.unbind(-1)
    w1, h1 = b1x1 - b1x0, (b1y1 - b1y0).clamp(min=eps)
    w2, h2 = b2x1 - b2x0, (b2y1 - b2y0).clamp(min=eps)
    inter = ((torch.min(b1x1, b2x1) - torch.max(b1x0, b2x0)).clamp(0)
             * (torch.min(b1y1, b2y1) - torch.max(b1y0, b2y0)).clamp(0))
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = torch.max(b1x1, b2x1) - torch.min(b1x0, b2x0)
    ch = torch.max(b1y1, b2y1) - torch.min(b1y0, b2y0)
    c2 = cw**2 + ch**2 + eps
    rho2 = ((b2x0 + b2x1 - b1x0 - b1x1) ** 2 + (b2y0 + b2y1 - b1y0 - b1y1) ** 2) / 4
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class YOLO(nn.Module):
    """Backbone (stride 8/16/32 maps) + PAN + one 1x1 head per scale, 3 anchors each.

    Args:
        features: a :class:`~oculi.detect.backbone.TimmFeatures`.
        num_classes: object classes (labels ``1..K`` in targets and outputs).
        image_size: longer side of the network input (pixels, a multiple of 32 is best).
        anchors: 9 ``(w, h)`` pixel anchors at ``image_size``, sorted by area (default: YOLOv5's
            rescaled); :func:`kmeans_anchors` on the training boxes gives data-fitted ones.
        width: neck channels.
        anchor_t: a target matches an anchor when their side ratios are within this factor.
        score_threshold, iou_threshold, max_det: inference filtering (NMS overlap, boxes kept).
    """

    @renamed_parameters(score_thresh="score_threshold", nms_thresh="iou_threshold")
    def __init__(self, features: nn.Module, num_classes: int, *, image_size: int = 416,
                 anchors: Sequence[Sequence[float]] | None = None, width: int = 96,
                 anchor_t: float = 4.0, score_threshold: float = 0.001,
                 iou_threshold: float = 0.6,
                 max_det: int = 100) -> None:
        super().__init__()
        self.features = features
        self.nc, self.na, self.nl = num_classes, 3, 3
        self.image_size, self.anchor_t = image_size, anchor_t
        self.score_threshold, self.iou_threshold = score_threshold, iou_threshold
        self.max_det = max_det
        if anchors is None:
            anchors = np.asarray(DEFAULT_ANCHORS, np.float32) * image_size / 640
        a = torch.as_tensor(np.asarray(anchors, np.float32)).view(self.nl, self.na, 2)
        self.register_buffer("anchors", a)  # pixels
        self.strides = (8, 16, 32)
        self.neck = PAN(features.channels, width)
        self.heads = nn.ModuleList(nn.Conv2d(width, self.na * (5 + num_classes), 1)
                                   for _ in range(self.nl))
        self.register_buffer("mean", torch.tensor(features.mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(features.std).view(1, 3, 1, 1))
        for head, s in zip(self.heads, self.strides, strict=True):  # YOLOv5's prior biases
            b = head.bias.view(self.na, -1).detach()
            b[:, 4] = math.log(8 / (640 / s) ** 2)
            b[:, 5:] = math.log(0.6 / max(num_classes - 0.99, 0.01))
            head.bias = nn.Parameter(b.reshape(-1))

    # -- input ------------------------------------------------------------------------------
    def _batch(self, images: list[torch.Tensor]) -> tuple[torch.Tensor, list[float]]:
        scaled, ratios = [], []
        for im in images:
            h, w = im.shape[-2:]
            r = self.image_size / max(h, w)
            if abs(r - 1) > 1e-3:
                size = (max(1, round(h * r)), max(1, round(w * r)))
                im = F.interpolate(im[None], size=size, mode="bilinear", align_corners=False,
                                   antialias=r < 1)[0]
            scaled.append(im)
            ratios.append(r)
        hh = max(x.shape[-2] for x in scaled)
        ww = max(x.shape[-1] for x in scaled)
        hh, ww = math.ceil(hh / 32) * 32, math.ceil(ww / 32) * 32
        batch = scaled[0].new_full((len(scaled), 3, hh, ww), 114 / 255)
        for i, x in enumerate(scaled):
            batch[i, :, : x.shape[-2], : x.shape[-1]] = x
        return (batch - self.mean) / self.std, ratios

    def forward(self, images: list[torch.Tensor], targets: list[dict] | None = None):
        x, ratios = self._batch(images)
        maps = self.neck(self.features(x))
        preds = []
        for head, m in zip(self.heads, maps, strict=True):
            p = head(m)
            b, _, h, w = p.shape
            preds.append(p.view(b, self.na, 5 + self.nc, h, w).permute(0, 1, 3, 4, 2))
        if self.training:
            if targets is None:
                from oculi.core.errors import ParameterError

                raise ParameterError("targets: required in training mode (call .eval() to "
                                     "detect)")
            return self.loss(preds, targets, ratios)
        return self.decode(preds, ratios, [im.shape[-2:] for im in images])

    # -- training ---------------------------------------------------------------------------
    def _targets(self, targets: list[dict], ratios: list[float], device) -> torch.Tensor:
        rows = []
        for i, (t, r) in enumerate(zip(targets, ratios, strict=True)):
            b = t["boxes"].to(device).float() * r
            if len(b):
                xywh = torch.cat([(b[:, :2] + b[:, 2:]) / 2, b[:, 2:] - b[:, :2]], 1)
                cls = (t["labels"].to(device).float() - 1)[:, None]
                rows.append(torch.cat([torch.full_like(cls, i), cls, xywh], 1))
        return torch.cat(rows) if rows else torch.zeros((0, 6), device=device)

    def loss(self, preds: list[torch.Tensor], targets: list[dict],
             ratios: list[float]) -> dict[str, torch.Tensor]:
        """CIoU box loss, BCE objectness (target = the IoU) and BCE classes (YOLOv5's recipe:
        each target assigned to the anchors within ``anchor_t`` of its shape, in its cell and
        the two nearest neighbouring cells)."""
        dev = preds[0].device
        t_all = self._targets(targets, ratios, dev)
        lbox, lobj, lcls = (torch.zeros((), device=dev) for _ in range(3))
        balance = (4.0, 1.0, 0.4)
        g = 0.5
        off = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], device=dev).float() * g
        for i, p in enumerate(preds):
            s = self.strides[i]
            _, _, h, w, _ = p.shape
            tobj = torch.zeros(p.shape[:4], device=dev)
            anchors = self.anchors[i] / s
            if len(t_all):
                t = t_all.clone()
                t[:, 2:] /= s
                r = t[None, :, 4:6] / anchors[:, None]
                ok = torch.max(r, 1 / r).max(2).values < self.anchor_t  # (na, nt)
                ai = torch.arange(self.na, device=dev)[:, None].expand_as(ok)
                t, a = t[None].expand(self.na, -1, -1)[ok], ai[ok]
                gxy = t[:, 2:4]
                gxi = torch.tensor([w, h], device=dev) - gxy
                left, top = ((gxy % 1 < g) & (gxy > 1)).T
                right, bottom = ((gxi % 1 < g) & (gxi > 1)).T
                sel = torch.stack([torch.ones_like(left), left, top, right, bottom])
                t = t[None].expand(5, -1, -1)[sel]
                a = a[None].expand(5, -1)[sel]
                offsets = (torch.zeros_like(gxy)[None] + off[:, None])[sel]
                gij = (t[:, 2:4] - offsets).long()
                gi = gij[:, 0].clamp(0, w - 1)
                gj = gij[:, 1].clamp(0, h - 1)
                bi = t[:, 0].long()
                if len(t):
                    ps = p[bi, a, gj, gi]
                    pxy = ps[:, :2].sigmoid() * 2 - 0.5
                    pwh = (ps[:, 2:4].sigmoid() * 2) ** 2 * anchors[a]
                    txy = t[:, 2:4] - torch.stack([gi, gj], 1).float()
                    pbox = torch.cat([pxy - pwh / 2, pxy + pwh / 2], 1)
                    tbox = torch.cat([txy - t[:, 4:6] / 2, txy + t[:, 4:6] / 2], 1)
                    iou = ciou(pbox, tbox)
                    lbox = lbox + (1 - iou).mean()
                    tobj[bi, a, gj, gi] = iou.detach().clamp(0).to(tobj.dtype)
                    if self.nc > 1:
                        tc = torch.zeros_like(ps[:, 5:])
                        tc[torch.arange(len(t)), t[:, 1].long()] = 1.0
                        lcls = lcls + F.binary_cross_entropy_with_logits(ps[:, 5:], tc)
            lobj = lobj + F.binary_cross_entropy_with_logits(p[..., 4], tobj) * balance[i]
        scale = (self.image_size / 640) ** 2
        return {"loss_box": lbox * 0.05, "loss_obj": lobj * 1.0 * max(scale, 0.25),
                "loss_cls": lcls * 0.5 * min(1.0, self.nc / 80 + 0.2)}

    # -- inference --------------------------------------------------------------------------
    @torch.no_grad()
    def decode(self, preds: list[torch.Tensor], ratios: list[float],
               sizes: list[Any]) -> list[dict[str, torch.Tensor]]:
        from torchvision.ops import batched_nms

        rows = []
        for i, p in enumerate(preds):
            b, _, h, w, _ = p.shape
            s = self.strides[i]
            gy, gx = torch.meshgrid(torch.arange(h, device=p.device),
                                    torch.arange(w, device=p.device), indexing="ij")
            grid = torch.stack([gx, gy], -1).float()[None, None]
            y = p.float().sigmoid()
            xy = (y[..., :2] * 2 - 0.5 + grid) * s
            wh = (y[..., 2:4] * 2) ** 2 * self.anchors[i].view(1, self.na, 1, 1, 2)
            conf = y[..., 4:5] * (y[..., 5:] if self.nc > 1 else 1.0)
            rows.append(torch.cat([xy - wh / 2, xy + wh / 2, conf.expand(
                *conf.shape[:-1], self.nc)], -1).view(b, -1, 4 + self.nc))
        allp = torch.cat(rows, 1)
        out = []
        for k in range(allp.shape[0]):
            boxes, scores = allp[k, :, :4], allp[k, :, 4:]
            idx, cls = (scores > self.score_threshold).nonzero(as_tuple=True)
            sc = scores[idx, cls]
            if len(sc) > 3000:
                top = sc.topk(3000).indices
                idx, cls, sc = idx[top], cls[top], sc[top]
            bx = boxes[idx] / ratios[k]
            hh, ww = sizes[k]
            bx[:, 0::2] = bx[:, 0::2].clamp(0, ww)
            bx[:, 1::2] = bx[:, 1::2].clamp(0, hh)
            keep = batched_nms(bx, sc, cls, self.iou_threshold)[: self.max_det]
            out.append({"boxes": bx[keep], "scores": sc[keep], "labels": cls[keep] + 1})
        return out
