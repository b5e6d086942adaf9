"""The quantised ab space: in-gamut bins, soft encoding, rebalancing, annealed mean."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.color import lab2rgb, rgb2lab

from oculi.colorize import (
    ab_bins,
    annealed_mean,
    bin_colors,
    rebalance_weights,
    smooth_prior,
    soft_encode,
)
from oculi.core.errors import ParameterError, ShapeError


def test_bin_count_near_the_papers_313_and_on_the_grid():
    c = ab_bins()
    assert abs(len(c) - 313) <= 5
    assert np.all(c % 10 == 0)
    assert len({tuple(x) for x in c}) == len(c)


def test_every_bin_colour_is_inside_srgb_and_near_its_centre():
    lab = bin_colors().astype(np.float64)
    # the unclipped sRGB of each bin's colour (skimage clips: convert through XYZ by hand)
    from skimage.color import lab2xyz

    m = np.array([[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560],
                  [0.0556434, -0.2040259, 1.0572252]])
    lin = lab2xyz(lab[:, None, :])[:, 0] @ m.T
    assert lin.min() > -1e-4 and lin.max() < 1 + 1e-4  # float32 Lab rounding
    assert np.linalg.norm(lab[:, 1:] - ab_bins(), axis=1).max() <= 10 * np.sqrt(2) + 1e-4
    # and every sRGB colour's ab has a bin within half a cell diagonal
    rgb = np.random.default_rng(0).random((2000, 1, 3))
    ab = rgb2lab(rgb)[:, 0, 1:]
    d = np.linalg.norm(ab[:, None] - ab_bins()[None], axis=2).min(1)
    assert d.max() <= 5 * np.sqrt(2) + 1e-6
    # the bin colour really is that colour: skimage's clipped conversion changes nothing
    assert np.allclose(rgb2lab(lab2rgb(lab[:, None, :]))[:, 0], lab, atol=0.05)


def test_soft_encoding_spreads_over_five_nearest_bins_and_sums_to_one():
    c = ab_bins()
    ab = np.array([[3.0, 4.0], [-37.0, 52.0], [60.0, -80.0]])
    z = soft_encode(ab)
    assert z.shape == (3, len(c))
    assert np.allclose(z.sum(1), 1, atol=1e-6)
    assert ((z > 0).sum(1) == 5).all()
    d = np.linalg.norm(ab[:, None] - c[None], axis=2)
    for i in range(3):
        near = np.argsort(d[i])[:5]
        assert set(np.flatnonzero(z[i])) == set(near)
        w = np.exp(-d[i, near] ** 2 / (2 * 5.0**2))
        assert np.allclose(z[i, near], w / w.sum(), atol=1e-5)


def test_soft_encoding_shape_error():
    with pytest.raises(ShapeError, match="ab"):
        soft_encode(np.zeros((4, 3)))


def test_rebalancing_weights_have_expectation_one_under_the_prior():
    rng = np.random.default_rng(1)
    counts = rng.pareto(1.0, len(ab_bins())) * 100
    prior = smooth_prior(counts)
    assert prior.sum() == pytest.approx(1.0)
    w = rebalance_weights(prior, 0.5)
    assert float((prior * w).sum()) == pytest.approx(1.0, abs=1e-5)
    assert w[np.argmin(prior)] > w[np.argmax(prior)]  # rare colours weigh more
    flat = rebalance_weights(prior, 1.0)
    assert np.allclose(flat, 1.0, atol=1e-5)  # λ = 1: no rebalancing
    with pytest.raises(ParameterError, match="mix"):
        rebalance_weights(prior, 1.5)


def test_smoothing_spreads_a_single_bin_to_its_neighbours():
    c = ab_bins()
    counts = np.zeros(len(c))
    k = int(np.argmin(np.linalg.norm(c, axis=1)))
    counts[k] = 10
    p = smooth_prior(counts, sigma=5.0)
    d = np.linalg.norm(c - c[k], axis=1)
    assert p[k] == p.max()
    neighbours = np.isclose(d, 10.0)
    # a σ = 5 Gaussian: a neighbour 10 units away gets exp(-2) of the centre's share
    assert np.allclose(p[neighbours] / p[k], np.exp(-2.0), rtol=0.05)


def test_annealed_mean_at_t1_is_the_mean_and_near_0_the_mode():
    c = torch.from_numpy(ab_bins())
    g = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(2, len(c), 3, 4, generator=g) * 3, 1)
    mean = torch.einsum("nqhw,qc->nchw", probs, c)
    assert torch.allclose(annealed_mean(probs, c, 1.0), mean, atol=1e-3)
    mode = c[probs.argmax(1)].permute(0, 3, 1, 2)
    assert torch.allclose(annealed_mean(probs, c, 1e-3), mode, atol=1e-3)
    mid = annealed_mean(probs, c, 0.38)
    assert not torch.allclose(mid, mean, atol=1e-2)


def test_nearest_bins_match_an_exhaustive_search_inside_and_outside_the_gamut():
    from oculi.colorize.bins import nearest_bins

    c = ab_bins().astype(np.float64)
    rng = np.random.default_rng(3)
    rgb = rng.random((3000, 1, 3))
    ab = np.concatenate([rgb2lab(rgb)[:, 0, 1:], rng.uniform(-140, 140, (3000, 2))])
    near, idx = nearest_bins(torch.from_numpy(ab).float(), torch.from_numpy(c).float())
    d2 = ((ab[:, None] - c[None]) ** 2).sum(-1)
    order = np.sort(d2, 1)
    clear = order[:, 5] - order[:, 4] > 1e-2  # no tie for the 5th place
    assert clear.mean() > 0.99
    expected = np.sort(np.argsort(d2, 1)[:, :5], 1)
    assert (np.sort(idx.numpy(), 1) == expected)[clear].all()
    assert np.allclose(near.numpy(), order[:, :5], atol=0.05)


def test_annealed_mean_is_the_mean_of_the_renormalised_p_to_the_1_over_t():
    c = torch.from_numpy(ab_bins()).double()
    g = torch.Generator().manual_seed(4)
    probs = torch.softmax(torch.randn(1, len(c), 2, 2, generator=g, dtype=torch.float64) * 2, 1)
    f = probs ** (1 / 0.38)
    f = f / f.sum(1, keepdim=True)
    expected = torch.einsum("nqhw,qc->nchw", f, c)
    assert torch.allclose(annealed_mean(probs, c), expected, atol=1e-6)  # default T = 0.38


def test_rebalancing_weights_are_the_inverse_of_the_mixed_prior():
    q = len(ab_bins())
    counts = np.zeros(q)
    counts[:40] = np.arange(1, 41) ** 2
    p = smooth_prior(counts)
    w = rebalance_weights(p)  # default λ = 0.5
    expected = 1 / (0.5 * p + 0.5 / q)
    assert np.allclose(w, expected / (p * expected).sum(), rtol=1e-5)
