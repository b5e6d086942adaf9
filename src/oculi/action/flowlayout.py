"""Motion layout: a clip's flow fields summarised on a coarse grid of cells and time bins.

A clip of ``T`` flow fields becomes one vector: the fields are pooled over a ``grid`` x ``grid``
grid of cells and ``bins`` equal parts of the clip (adaptive average pooling: part ``b`` of
``T`` fields covers fields ``floor(b T / bins)`` to ``ceil((b + 1) T / bins) - 1``). Each cell
and time bin holds either

- ``orientations`` = 0: the mean ``u``, ``v``, ``|u|`` and ``|v|`` (4 numbers), or
- ``orientations`` = K > 0: a histogram of oriented flow (HOF): every pixel votes its flow
  magnitude into the two nearest of K direction bins (linear interpolation on the circle; bin
  ``k`` is centred on the angle ``2 pi k / K``, measured from +x towards +y, i.e. image rows
  down), divided by the cell's pixels (K numbers).

``bins`` > 1 keeps the order of motion (arms up, then down), which a time mean loses.

    >>> import torch
    >>> flow = torch.zeros(1, 2, 4, 8, 8)
    >>> flow[:, 0, :2] = 1.0                      # everything moves right in the first half
    >>> motion_layout(flow, grid=1, bins=2).view(4, 2).tolist()   # u, v, |u|, |v| x 2 bins
    [[1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]
"""

from __future__ import annotations

import math

import torch
from torch import nn

from oculi.core.errors import ParameterError, ShapeError


def layout_size(grid: int, bins: int = 1, orientations: int = 0) -> int:
    """Length of :func:`motion_layout`'s vector: ``(orientations or 4) * bins * grid**2``."""
    return (orientations or 4) * bins * grid * grid


def flow_histogram(flow: torch.Tensor, orientations: int) -> torch.Tensor:
    """Per-pixel oriented-flow votes.

    Args:
        flow: ``(N, 2, T, H, W)`` float ``(u, v)`` fields.
        orientations: direction bins K (>= 2).

    Returns:
        ``(N, K, T, H, W)`` float: pixel magnitude ``sqrt(u^2 + v^2)`` split between the two bins
        whose centres enclose its angle ``atan2(v, u)`` (weights proportional to closeness);
        the votes of a pixel sum to its magnitude.
    """
    if orientations < 2:
        raise ParameterError(f"orientations: expected at least 2 direction bins, got "
                             f"{orientations!r}")
    u, v = flow[:, 0], flow[:, 1]
    mag = torch.sqrt(u * u + v * v)
    pos = torch.remainder(torch.atan2(v, u), 2 * math.pi) * (orientations / (2 * math.pi))
    low = torch.floor(pos)
    frac = pos - low
    low = low.long() % orientations
    out = flow.new_zeros((flow.shape[0], orientations, *flow.shape[2:]))
    out.scatter_add_(1, low.unsqueeze(1), (mag * (1 - frac)).unsqueeze(1))
    out.scatter_add_(1, ((low + 1) % orientations).unsqueeze(1), (mag * frac).unsqueeze(1))
    return out


def motion_layout(flow: torch.Tensor, grid: int, bins: int = 1,
                  orientations: int = 0) -> torch.Tensor:
    """The motion layout of clips (see the module doc).

    Args:
        flow: ``(N, 2, T, H, W)`` float fields (any unit; :func:`~oculi.action.twostream
            .clip_flow` gives 1/32 of the frame side).
        grid: cells per side (>= 1).
        bins: time bins (1 .. T).
        orientations: 0: mean ``u, v, |u|, |v|`` per cell; K >= 2: K-bin HOF per cell.

    Returns:
        ``(N, C * bins * grid**2)`` float, ``C`` = 4 or K, flattened in the order
        (C, bin, row, column).
    """
    if flow.ndim != 5 or flow.shape[1] != 2:
        raise ShapeError(f"flow: expected (N, 2, T, H, W) fields, got {tuple(flow.shape)}")
    if grid < 1 or bins < 1:
        raise ParameterError(f"grid, bins: expected positive integers, got {grid!r}, {bins!r}")
    if bins > flow.shape[2]:
        raise ParameterError(f"bins: expected at most the {flow.shape[2]} flow fields of the "
                             f"clip, got {bins!r}")
    x = (flow_histogram(flow, orientations) if orientations
         else torch.cat([flow, flow.abs()], 1))
    return nn.functional.adaptive_avg_pool3d(x, (bins, grid, grid)).flatten(1)
