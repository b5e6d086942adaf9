import math

import numpy as np
import pytest
import torch

from oculi.compress import bd_rate, ms_ssim
from oculi.core.errors import DataError, ShapeError
from oculi.data import load


def test_bd_rate_hand_checked_shift():
    """Log-rate linear in PSNR (rate doubles every 2 dB); the test codec reaches each PSNR
    1 dB earlier at the same rates, so it needs 2^(-1/2) of the bits: -29.29 %."""
    ref_rate, ref_q = [1.0, 2.0, 4.0, 8.0], [30.0, 32.0, 34.0, 36.0]
    test_q = [31.0, 33.0, 35.0, 37.0]
    expected = (2 ** -0.5 - 1) * 100
    assert bd_rate(ref_rate, ref_q, ref_rate, test_q) == pytest.approx(expected, abs=1e-9)
    assert bd_rate(ref_rate, ref_q, ref_rate, ref_q) == pytest.approx(0.0, abs=1e-12)
    # symmetric: the reference against the test codec
    assert bd_rate(ref_rate, test_q, ref_rate, ref_q) == pytest.approx(
        (2 ** 0.5 - 1) * 100, abs=1e-9)


def test_bd_rate_piecewise_cubic_against_numeric_integration():
    """A curved reference: the PCHIP integral matches a fine trapezoid of the same
    interpolant, and the result sits between the smallest and largest pointwise ratio."""
    from scipy.interpolate import PchipInterpolator

    r1, q1 = [0.25, 0.5, 1.0, 2.0], [25.0, 29.0, 32.0, 34.0]
    r2, q2 = [0.2, 0.45, 0.8, 1.9], [25.5, 29.0, 32.5, 34.5]
    got = bd_rate(r1, q1, r2, q2)
    grid = np.linspace(25.5, 34.0, 20001)
    d = PchipInterpolator(q2, np.log(r2))(grid) - PchipInterpolator(q1, np.log(r1))(grid)
    assert got == pytest.approx((math.exp(np.trapezoid(d, grid) / 8.5) - 1) * 100, abs=1e-4)
    assert got < 0


def test_bd_rate_errors():
    with pytest.raises(DataError, match="do not overlap"):
        bd_rate([1, 2], [30, 31], [1, 2], [40, 41])
    with pytest.raises(DataError, match="at least two"):
        bd_rate([1], [30], [1, 2], [30, 31])
    with pytest.raises(DataError, match="positive"):
        bd_rate([0, 1], [30, 31], [1, 2], [30, 31])


def test_ms_ssim_matches_torchmetrics():
    from torchmetrics.functional.image import multiscale_structural_similarity_index_measure

    a = load("astronaut", mode="rgb")[100:356, 100:356]
    rng = np.random.default_rng(0)
    b = np.clip(a + rng.normal(0, 12, a.shape), 0, 255).astype(np.uint8)

    def t(x):
        return torch.from_numpy(x.transpose(2, 0, 1)[None].astype(np.float32) / 255)

    ref = float(multiscale_structural_similarity_index_measure(t(b), t(a), data_range=1.0))
    assert ms_ssim(a, b) == pytest.approx(ref, abs=2e-3)
    assert ms_ssim(a, a) == pytest.approx(1.0)
    with pytest.raises(ShapeError, match="176"):
        ms_ssim(a[:100, :100], a[:100, :100])


def test_ms_ssim_is_the_shared_metric_on_numpy_images():
    """compress.ms_ssim is oculi.train.metrics.image.ms_ssim on one-image batches (uint8 and
    float, colour and grey), not a copy of it."""
    from oculi.train.metrics.image import ms_ssim as shared

    a = load("astronaut", mode="rgb")[:190, :200]
    b = np.clip(a.astype(np.int16) + np.random.default_rng(1).integers(-20, 21, a.shape),
                0, 255).astype(np.uint8)

    def t(x):
        x = x.astype(np.float32) / 255
        return torch.from_numpy(np.atleast_3d(x).transpose(2, 0, 1)[None].copy())

    assert ms_ssim(a, b) == pytest.approx(float(shared(t(b), t(a))[0]), abs=1e-7)
    assert ms_ssim(a[..., 1], b[..., 1] / 255.0) == pytest.approx(
        float(shared(t(b[..., 1]), t(a[..., 1]))[0]), abs=1e-7)
