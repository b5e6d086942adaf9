"""The :class:`Explanation` result, the method registry and map normalisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from oculi.core.registry import Registry

#: every explanation method: ``fn(model, images, targets=None, layer=None, **options)``
methods: Registry[Any] = Registry("explanation method")


@dataclass
class Explanation:
    """Maps for a batch of images.

    Attributes:
        method: registry name of the method.
        maps: ``(N, H, W)`` float32 in [0, 1] at the input size (``(N, K, H, W)`` when K targets per
            image were asked for); each map is min-max normalised on its own (all zeros when flat).
        raw: the maps before normalisation: ``(N, h, w)`` at the layer's resolution for CAM
            methods, ``(N, H, W)`` channel-reduced attributions for gradient methods (with a K axis
            like ``maps``).
        targets: ``(N,)`` (or ``(N, K)``) class indices explained.
        scores: logits of those classes, same shape as ``targets``.
        probs: softmax probabilities of those classes.
        layer: the target layer's name (CAM methods), else None.
        attributions: ``(N, C, H, W)`` (or ``(N, K, C, H, W)``) input attributions of gradient
            methods, else None.
    """

    method: str
    maps: torch.Tensor
    raw: torch.Tensor
    targets: torch.Tensor
    scores: torch.Tensor
    probs: torch.Tensor
    layer: str | None = None
    attributions: torch.Tensor | None = None

    def numpy(self) -> Any:
        """``maps`` as a float32 numpy array."""
        return self.maps.detach().cpu().numpy()


def normalize_maps(m: torch.Tensor) -> torch.Tensor:
    """Min-max normalise each map over its last two axes to [0, 1]; flat maps (a span within
    1e-5 of the values) become zeros."""
    flat = m.flatten(-2)
    lo = flat.amin(-1, keepdim=True)
    hi = flat.amax(-1, keepdim=True)
    span = hi - lo
    # a span within rounding of the values (e.g. an upsampled 1x1 map) is a flat map
    flat_map = span <= 1e-5 * torch.maximum(hi.abs(), lo.abs())
    ok = (span > 0) & ~flat_map
    out = torch.where(ok, (flat - lo) / span.clamp_min(torch.finfo(m.dtype).tiny), 0.0)
    return out.view_as(m)


def upsample(raw: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear (half-pixel centres, like ``cv2.resize``) upsampling of ``(..., h, w)`` maps."""
    if tuple(raw.shape[-2:]) == tuple(size):
        return raw
    lead = raw.shape[:-2]
    x = raw.reshape(-1, 1, *raw.shape[-2:])
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False).view(*lead, *size)


def finish(
    method: str,
    raw: torch.Tensor,
    size: tuple[int, int],
    targets: torch.Tensor,
    logits: torch.Tensor,
    multi: bool,
    layer: str | None = None,
    attributions: torch.Tensor | None = None,
) -> Explanation:
    """Upsample and normalise ``(N, K, h, w)`` raw maps and package an :class:`Explanation`."""
    maps = normalize_maps(upsample(raw.float(), size))
    logits = logits.detach().float()
    scores = logits.gather(1, targets)
    probs = logits.softmax(1).gather(1, targets)
    if not multi:
        maps, raw, targets, scores, probs = (t[:, 0] for t in (maps, raw, targets, scores, probs))
        if attributions is not None:
            attributions = attributions[:, 0]
    return Explanation(method, maps, raw.detach(), targets, scores, probs, layer,
                       None if attributions is None else attributions.detach())
