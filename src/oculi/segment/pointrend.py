"""PointRend (Kirillov et al., CVPR 2020): a point-wise refinement head on the most uncertain
points of a segmentation network's coarse prediction.

The base network is an smp architecture (``unet`` by default). Its segmentation head's
convolution gives the *coarse* logits at the decoder's resolution (the U-Net's: the input's;
FPN / DeepLabV3+ / PAN: a quarter of it). A small MLP (1x1 convolutions, the point's coarse logits
fed again at every layer) predicts the logits of single points from bilinear samples of the
*fine* features there — the decoder output and the encoder's stride-2 map — and the coarse logits.

* Training (:func:`sample_points`): ``oversample * points`` random points, the
  ``importance * points`` most uncertain of them by the coarse logits' margin kept, plus uniform
  ones; the point loss is taken at these points beside the coarse loss on the whole map
  (:func:`point_loss`).
* Inference (:func:`subdivide`): adaptive subdivision — upsample the logits x2 (bilinear), recompute
  the ``subdivision_points`` most uncertain pixels with the head, repeat until the output
  resolution; a map already at the output resolution gets one refinement pass.

Coordinates are ``(x, y)`` normalised to [0, 1] over the image (pixel ``(i, j)`` of an ``h x w``
map has its centre at ``((j + 0.5) / w, (i + 0.5) / h)``).

    >>> import torch
    >>> from oculi.segment import create_segmenter
    >>> model = create_segmenter("pointrend", num_classes=2, pretrained=False).eval()
    >>> tuple(model(torch.rand(1, 3, 64, 64)).shape)
    (1, 1, 64, 64)
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError, ShapeError

#: the options :func:`split_options` takes for the point head (the rest go to the base network)
POINT_OPTIONS = ("points", "oversample", "importance", "hidden", "layers", "subdivision_points")


def point_sample(features: torch.Tensor, coords: torch.Tensor, mode: str = "bilinear"):
    """Sample ``features`` ``(N, C, H, W)`` at ``coords`` ``(N, P, 2)`` (``(x, y)`` in [0, 1])
    -> ``(N, C, P)``; ``mode="nearest"`` for labels. Points outside repeat the border."""
    grid = (2.0 * coords - 1.0).unsqueeze(2).to(features.dtype)
    out = F.grid_sample(features, grid, mode=mode, padding_mode="border", align_corners=False)
    return out[..., 0]


def uncertainty(logits: torch.Tensor) -> torch.Tensor:
    """How close a prediction is to the decision boundary, higher = less certain: ``-|l|`` for one
    sigmoid channel, ``-(top1 - top2)`` of the logits for several. ``(N, C, ...)`` ->
    ``(N, ...)``."""
    if logits.shape[1] == 1:
        return -logits[:, 0].abs()
    top2 = logits.topk(2, dim=1).values
    return top2[:, 1] - top2[:, 0]


def sample_points(
    coarse: torch.Tensor,
    points: int,
    *,
    oversample: int = 3,
    importance: float = 0.75,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Training points (Kirillov et al., sec. 3.1): draw ``oversample * points`` uniform points,
    keep the ``round(importance * points)`` most uncertain by the coarse logits sampled there,
    add uniform points up to ``points``.

    Args:
        coarse: ``(N, C, H, W)`` coarse logits (no gradient needed).
        points: points per image.
        oversample: k >= 1.
        importance: beta in [0, 1].
        generator: random source (default torch's).

    Returns:
        ``(N, points, 2)`` float ``(x, y)`` in [0, 1].
    """
    check_positive(points, "points")
    check_positive(oversample, "oversample")
    if not 0.0 <= importance <= 1.0:
        raise ParameterError(f"importance: expected [0, 1], got {importance}")
    n, dev = coarse.shape[0], coarse.device
    keep = round(importance * points)
    cand = torch.rand(n, oversample * points, 2, generator=generator).to(dev)
    with torch.no_grad():
        unc = uncertainty(point_sample(coarse.detach().float(), cand))  # (N, kP)
    idx = unc.topk(keep, dim=1).indices
    chosen = cand.gather(1, idx[..., None].expand(-1, -1, 2))
    rand = torch.rand(n, points - keep, 2, generator=generator).to(dev)
    return torch.cat([chosen, rand], dim=1)


def uncertain_pixels(logits: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``count`` most uncertain pixels of ``logits`` ``(N, C, H, W)``: their flat indices
    ``(N, P)`` (int64) and centre coordinates ``(N, P, 2)`` in [0, 1]."""
    n, _, h, w = logits.shape
    count = min(int(count), h * w)
    idx = uncertainty(logits).reshape(n, -1).topk(count, dim=1).indices
    x = ((idx % w).float() + 0.5) / w
    y = (torch.div(idx, w, rounding_mode="floor").float() + 0.5) / h
    return idx, torch.stack([x, y], dim=-1)


class PointHead(nn.Module):
    """The shared point MLP: 1x1 convolutions over points, the coarse logits concatenated to the
    input of every layer.

    Args:
        fine_channels: channels of the fine features at a point.
        classes: logit channels C.
        hidden: width of the hidden layers.
        layers: hidden layers.
    """

    def __init__(self, fine_channels: int, classes: int, hidden: int = 64, layers: int = 3):
        super().__init__()
        check_positive(layers, "layers")
        self.layers = nn.ModuleList()
        cin = fine_channels
        for _ in range(layers):
            self.layers.append(nn.Conv1d(cin + classes, hidden, 1))
            cin = hidden
        self.out = nn.Conv1d(cin + classes, classes, 1)

    def forward(self, fine: torch.Tensor, coarse: torch.Tensor) -> torch.Tensor:
        """``fine`` ``(N, F, P)``, ``coarse`` ``(N, C, P)`` -> point logits ``(N, C, P)``."""
        x = fine
        for layer in self.layers:
            x = F.relu(layer(torch.cat([x, coarse], dim=1)))
        return self.out(torch.cat([x, coarse], dim=1))


def subdivide(
    logits: torch.Tensor,
    size: tuple[int, int],
    predict: Any,
    count: int,
) -> torch.Tensor:
    """Adaptive subdivision: upsample ``logits`` x2 (bilinear, the last step to exactly ``size``),
    replace the ``count`` most uncertain pixels by ``predict(coords, logits_at_coords)``, repeat
    until ``size``; a map already of ``size`` gets one pass.

    Args:
        logits: ``(N, C, h, w)`` coarse logits.
        size: output ``(H, W)``, at least ``(h, w)``.
        predict: ``(coords (N, P, 2), coarse (N, C, P)) -> (N, C, P)`` point logits.
        count: points recomputed per step.

    Returns:
        ``(N, C, H, W)`` logits.
    """
    h, w = (int(s) for s in size)
    if logits.shape[-2] > h or logits.shape[-1] > w:
        raise ShapeError(f"logits: expected at most {h}x{w}, got {tuple(logits.shape[-2:])}")
    first = True
    while first or logits.shape[-2:] != (h, w):
        if logits.shape[-2:] != (h, w):
            nh, nw = min(2 * logits.shape[-2], h), min(2 * logits.shape[-1], w)
            logits = F.interpolate(logits, size=(nh, nw), mode="bilinear", align_corners=False)
        first = False
        n, c = logits.shape[:2]
        idx, coords = uncertain_pixels(logits, count)
        flat = logits.reshape(n, c, -1)
        at = flat.gather(2, idx[:, None].expand(-1, c, -1))
        new = predict(coords, at).to(flat.dtype)
        logits = flat.scatter(2, idx[:, None].expand(-1, c, -1), new).view_as(logits)
    return logits


class PointRend(nn.Module):
    """An smp segmentation network with a PointRend head.

    Training mode returns a dict: ``out`` the base network's own logits ``(N, C, H, W)`` (for the
    task's usual loss), ``point_logits`` ``(N, C, P)`` and ``point_coords`` ``(N, P, 2)``
    (:func:`point_loss`). Evaluation mode returns the subdivided logits ``(N, C, H, W)``.

    Args:
        net: an smp model (``encoder``, ``decoder``, ``segmentation_head``).
        points: training points per image.
        oversample, importance: :func:`sample_points`.
        hidden, layers: :class:`PointHead`.
        subdivision_points: points recomputed per subdivision step at inference.
    """

    def __init__(
        self,
        net: nn.Module,
        *,
        points: int = 1024,
        oversample: int = 3,
        importance: float = 0.75,
        hidden: int = 64,
        layers: int = 3,
        subdivision_points: int = 8192,
    ) -> None:
        super().__init__()
        if not all(hasattr(net, a) for a in ("encoder", "decoder", "segmentation_head")):
            raise ParameterError("pointrend: the base must be an smp architecture")
        self.net = net
        self.points, self.oversample, self.importance = int(points), int(oversample), importance
        self.subdivision_points = int(subdivision_points)
        check_positive(self.subdivision_points, "subdivision_points")
        conv = net.segmentation_head[0]
        fine = conv.in_channels + int(net.encoder.out_channels[1])
        self.head = PointHead(fine, conv.out_channels, hidden, layers)

    def _fine(self, maps: list[torch.Tensor], coords: torch.Tensor) -> torch.Tensor:
        return torch.cat([point_sample(m, coords) for m in maps], dim=1)

    def forward(self, x: torch.Tensor) -> Any:
        feats = self.net.encoder(x)
        dec = self.net.decoder(feats)
        head = self.net.segmentation_head
        coarse = head[0](dec)
        maps = [dec, feats[1]]
        if not self.training:
            return subdivide(
                coarse,
                tuple(x.shape[-2:]),
                lambda c, at: self.head(self._fine(maps, c), at),
                self.subdivision_points,
            )
        out = coarse
        for layer in list(head)[1:]:
            out = layer(out)
        if out.shape[-2:] != x.shape[-2:]:
            out = F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)
        coords = sample_points(
            coarse, self.points, oversample=self.oversample, importance=self.importance
        )
        point_logits = self.head(self._fine(maps, coords), point_sample(coarse, coords))
        return {"out": out, "point_logits": point_logits, "point_coords": coords}


def point_loss(
    point_logits: torch.Tensor,
    coords: torch.Tensor,
    target: torch.Tensor,
    ignore_index: int | None = None,
) -> torch.Tensor:
    """The point loss: binary cross-entropy (one channel) or cross-entropy (several) between
    ``point_logits`` ``(N, C, P)`` and the labels of ``target`` ``(N, H, W)`` (integer) at
    ``coords`` ``(N, P, 2)`` (nearest pixel); ``ignore_index`` points are left out."""
    labels = point_sample(target[:, None].float(), coords, mode="nearest")[:, 0].long()
    keep = torch.ones_like(labels, dtype=torch.bool)
    if ignore_index is not None:
        keep = labels != ignore_index
    if not keep.any():
        return point_logits.sum() * 0.0
    logits = point_logits.float()
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0][keep], (labels[keep] == 1).float())
    return F.cross_entropy(logits.permute(0, 2, 1)[keep], labels[keep])


def split_options(options: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``(base architecture, its options, point-head options)`` from the ``pointrend``
    architecture's options (``base`` defaults to ``unet``)."""
    opts = dict(options)
    base = str(opts.pop("base", "unet"))
    head = {k: opts.pop(k) for k in POINT_OPTIONS if k in opts}
    return base, opts, head
