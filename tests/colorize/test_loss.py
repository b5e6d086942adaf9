"""The classification loss against the paper's recipe (Zhang et al. 2016, eq. 2)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from oculi.colorize import ab_bins, soft_encode
from oculi.colorize.task import classification_loss
from oculi.core.errors import ShapeError


def _two_colour_cells(n: int = 2) -> torch.Tensor:
    """``n x 2 x 4 x 4`` ab: each 4x4 cell half (60, 50), half (-60, 50) (mean (0, 50))."""
    ab = torch.zeros(n, 2, 4, 4)
    ab[:, 0, :, :2], ab[:, 0, :, 2:] = 60.0, -60.0
    ab[:, 1] = 50.0
    return ab


def test_every_pixel_is_scored_against_its_cell_not_the_cells_mean_colour():
    centres = torch.from_numpy(ab_bins())
    q = len(centres)
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, q, 1, 1, generator=g)
    weights = torch.rand(q, generator=g) + 0.5
    ab = _two_colour_cells()
    # the paper's loss per pixel: -v(Z) Σ_q Z_q log Ẑ_q, Ẑ the prediction of the pixel's cell
    z = torch.from_numpy(soft_encode(ab.permute(0, 2, 3, 1).numpy())).reshape(2, 16, q)
    logp = F.log_softmax(logits, 1)[:, :, 0, 0]
    per_pixel = weights[z.argmax(2)] * -(z * logp[:, None]).sum(2)
    assert float(classification_loss(logits, ab, centres, weights)) == pytest.approx(
        float(per_pixel.mean()), rel=1e-5)
    # a prediction of the two true colours beats one of their (grey-ish) mean
    red_green = torch.from_numpy(np.log(z.mean((0, 1)).numpy() + 1e-6))[None, :, None, None]
    mean_ab = torch.from_numpy(soft_encode(np.array([[0.0, 50.0]]))[0])
    mean_only = torch.log(mean_ab + 1e-6)[None, :, None, None]
    ones = torch.ones(q)
    assert (classification_loss(red_green, ab[:1], centres, ones)
            < classification_loss(mean_only, ab[:1], centres, ones))


def test_one_pixel_per_cell_is_the_plain_weighted_cross_entropy():
    centres = torch.from_numpy(ab_bins())
    q = len(centres)
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(1, q, 2, 3, generator=g)
    ab = torch.randn(1, 2, 2, 3, generator=g) * 40
    weights = torch.rand(q, generator=g) + 0.5
    z = torch.from_numpy(soft_encode(ab.permute(0, 2, 3, 1).numpy())).reshape(-1, q)
    logp = F.log_softmax(logits, 1).permute(0, 2, 3, 1).reshape(-1, q)
    expected = (weights[z.argmax(1)] * -(z * logp).sum(1)).mean()
    assert float(classification_loss(logits, ab, centres, weights)) == pytest.approx(
        float(expected), rel=1e-5)


def test_ab_that_does_not_tile_the_cells_is_a_shape_error():
    centres = torch.from_numpy(ab_bins())
    with pytest.raises(ShapeError, match="ab"):
        classification_loss(torch.zeros(1, len(centres), 2, 2), torch.zeros(1, 2, 5, 8),
                            centres, torch.ones(len(centres)))


def test_each_pixel_meets_the_prediction_of_the_cell_it_lies_in():
    centres = torch.from_numpy(ab_bins())
    q = len(centres)
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(2, q, 2, 3, generator=g)
    ab = torch.randn(2, 2, 8, 12, generator=g) * 40
    weights = torch.rand(q, generator=g) + 0.5
    z = torch.from_numpy(soft_encode(ab.permute(0, 2, 3, 1).numpy())).reshape(-1, q)
    up = F.interpolate(F.log_softmax(logits, 1), scale_factor=4, mode="nearest")
    logp = up.permute(0, 2, 3, 1).reshape(-1, q)
    expected = (weights[z.argmax(1)] * -(z * logp).sum(1)).mean()
    assert float(classification_loss(logits, ab, centres, weights)) == pytest.approx(
        float(expected), rel=1e-5)
