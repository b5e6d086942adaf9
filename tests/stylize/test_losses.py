"""Gram matrix, total variation, mean/std and the style objective against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.stylize import gram_matrix, mean_std, total_variation


def test_gram_matrix_against_a_hand_computation():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    expected = np.zeros((2, 3, 3))
    for n in range(2):
        for i in range(3):
            for j in range(3):
                expected[n, i, j] = sum(f[n, i, y, x] * f[n, j, y, x]
                                        for y in range(4) for x in range(5)) / (3 * 4 * 5)
    got = gram_matrix(torch.from_numpy(f)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_total_variation_by_hand():
    x = torch.tensor([[[[0.0, 1.0, 1.0], [0.5, 0.5, 0.0]]]])
    # vertical |0.5-0|, |0.5-1|, |0-1| -> mean 2/3; horizontal 1, 0, 0, 0.5 -> mean 0.375
    assert float(total_variation(x)) == pytest.approx(2 / 3 + 0.375, abs=1e-6)
    assert float(total_variation(torch.full((1, 3, 5, 5), 0.3))) == 0.0


def test_mean_std_per_channel():
    x = torch.randn(2, 4, 6, 7) * 3 + 1
    m, s = mean_std(x, eps=0.0)
    ref = x.numpy().reshape(2, 4, -1)
    np.testing.assert_allclose(m.squeeze().numpy(), ref.mean(2), rtol=1e-5)
    np.testing.assert_allclose(s.squeeze().numpy(), ref.std(2), rtol=1e-4)
