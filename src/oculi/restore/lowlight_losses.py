"""The four non-reference losses of Zero-DCE (Guo et al., CVPR 2020), on torch tensors, in the
form of the published training code (which the published weights were trained with); where the
paper's text writes the term differently, the docstring says so.

Inputs: ``N x 3 x H x W`` float32 batches in [0, 1] (``low`` the network input, ``enhanced`` its
output) and the curve-parameter maps ``N x C x H x W`` (C = 24 for Zero-DCE, 3 for Zero-DCE++).
Each function returns a 0-d tensor (the batch mean).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def spatial_consistency(low: torch.Tensor, enhanced: torch.Tensor, region: int = 4
                        ) -> torch.Tensor:
    """``L_spa``: the channel means of both images are averaged over ``region`` x ``region``
    regions; for each region ``i`` and each of its 4 neighbours ``j`` inside the image,
    ``((Y_i - Y_j) - (I_i - I_j))^2`` (``Y`` enhanced, ``I`` input) is summed, and the sum is
    divided by the number of regions K.

    The paper writes ``(|Y_i - Y_j| - |I_i - I_j|)^2``; the published code keeps the signs (and
    pads the border with zeros, which this function does not: border regions have fewer
    neighbours).
    """
    d = (F.avg_pool2d(enhanced.mean(1, keepdim=True), region)
         - F.avg_pool2d(low.mean(1, keepdim=True), region))
    # (Y_i - Y_j) - (I_i - I_j) = d_i - d_j; each neighbouring pair is met from both sides
    horizontal = ((d[..., :, 1:] - d[..., :, :-1]) ** 2).sum((1, 2, 3))
    vertical = ((d[..., 1:, :] - d[..., :-1, :]) ** 2).sum((1, 2, 3))
    regions = d.shape[-1] * d.shape[-2]
    return (2.0 * (horizontal + vertical) / regions).mean()


def exposure_control(enhanced: torch.Tensor, level: float = 0.6, patch: int = 16
                     ) -> torch.Tensor:
    """``L_exp``: the mean of ``(Y_k - level)^2`` over the non-overlapping ``patch`` x ``patch``
    patches ``k`` of the channel-mean image ``Y``. The paper writes ``|Y_k - E|``; the published
    code squares."""
    y = F.avg_pool2d(enhanced.mean(1, keepdim=True), patch)
    return ((y - level) ** 2).mean()


def color_constancy(enhanced: torch.Tensor) -> torch.Tensor:
    """``L_col`` (Gray-World): with ``D_pq = (J^p - J^q)^2`` for the channel means ``J`` of each
    image and the pairs (R, G), (R, B), (G, B): ``sqrt(D_rg^2 + D_rb^2 + D_gb^2)``, averaged over
    the batch (the published code's form; the paper writes ``sum D_pq``)."""
    j = enhanced.mean((2, 3))
    r, g, b = j[:, 0], j[:, 1], j[:, 2]
    squares = ((r - g) ** 2) ** 2 + ((r - b) ** 2) ** 2 + ((g - b) ** 2) ** 2
    return torch.sqrt(squares.clamp_min(1e-12)).mean()


def illumination_smoothness(curves: torch.Tensor) -> torch.Tensor:
    """``L_tvA``: ``2 (sum (A_x)^2 / ((W - 1) H) + sum (A_y)^2 / (W (H - 1))) / N``, the squared
    forward differences of every curve map summed over maps and positions (the published code's
    total variation; the paper writes ``(|grad_x A| + |grad_y A|)^2`` per map)."""
    n, _, h, w = curves.shape
    dy = ((curves[:, :, 1:, :] - curves[:, :, :-1, :]) ** 2).sum()
    dx = ((curves[:, :, :, 1:] - curves[:, :, :, :-1]) ** 2).sum()
    return 2.0 * (dy / ((h - 1) * w) + dx / (h * (w - 1))) / n


@dataclass(frozen=True)
class ZeroReferenceLoss:
    """The weighted sum of the four losses (the defaults: Zero-DCE's published weights; the
    paper's text gives 0.5 for colour and 20 for smoothness with its own forms of the terms).

    Attributes:
        spatial: weight of :func:`spatial_consistency`.
        exposure: weight of :func:`exposure_control`.
        color: weight of :func:`color_constancy`.
        smoothness: weight of :func:`illumination_smoothness` (200 Zero-DCE, 1600 Zero-DCE++).
        level: the exposure level E.
        patch: the exposure patch side (pixels).
    """

    spatial: float = 1.0
    exposure: float = 10.0
    color: float = 5.0
    smoothness: float = 200.0
    level: float = 0.6
    patch: int = 16

    def __call__(self, low: torch.Tensor, enhanced: torch.Tensor, curves: torch.Tensor
                 ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``(total, parts)``: the weighted sum and each weighted term (``spa``, ``exp``,
        ``col``, ``tv``)."""
        parts = {"spa": self.spatial * spatial_consistency(low, enhanced),
                 "exp": self.exposure * exposure_control(enhanced, self.level, self.patch),
                 "col": self.color * color_constancy(enhanced),
                 "tv": self.smoothness * illumination_smoothness(curves)}
        return sum(parts.values()), parts
