"""PSNR / SSIM / Y channel against scikit-image and torchmetrics."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from oculi.core.errors import ShapeError
from oculi.data import load
from oculi.restore import psnr, rgb_to_y, ssim


@pytest.fixture(scope="module")
def pair():
    ref = load("astronaut", mode="rgb")[100:164, 150:230]
    noise = np.random.default_rng(0).normal(0, 12, ref.shape)
    return ref, np.clip(np.rint(ref + noise), 0, 255).astype(np.uint8)


def test_y_channel_is_matlab_rgb2ycbcr(pair):
    ref, _ = pair
    expected = rgb2ycbcr(ref)[..., 0] / 255.0     # skimage: the same BT.601 studio-range Y
    assert np.abs(rgb_to_y(ref) - expected).max() < 1e-9


def test_psnr_matches_skimage(pair):
    ref, noisy = pair
    assert psnr(ref, noisy) == pytest.approx(peak_signal_noise_ratio(ref, noisy), abs=1e-9)
    y_ref, y_noisy = rgb_to_y(ref)[4:-4, 4:-4], rgb_to_y(noisy)[4:-4, 4:-4]
    expected = peak_signal_noise_ratio(y_ref, y_noisy, data_range=1.0)
    assert psnr(ref, noisy, y_channel=True, shave=4) == pytest.approx(expected, abs=1e-9)
    assert psnr(ref, ref) == float("inf")
    # uint8 against float: compared in [0, 1] units
    assert psnr(ref, noisy.astype(np.float32) / 255) == pytest.approx(psnr(ref, noisy), abs=1e-4)


@pytest.mark.parametrize("y_channel", [False, True])
def test_ssim_matches_skimage(pair, y_channel):
    ref, noisy = pair
    a, b = (rgb_to_y(ref), rgb_to_y(noisy)) if y_channel else (ref / 255.0, noisy / 255.0)
    expected = structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False, data_range=1.0,
                                     channel_axis=None if y_channel else 2)
    assert ssim(ref, noisy, y_channel=y_channel) == pytest.approx(expected, abs=1e-9)
    assert ssim(ref, ref) == pytest.approx(1.0)


def test_ssim_matches_torchmetrics(pair):
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.functional.image")
    ref, noisy = pair
    to_t = lambda x: torch.from_numpy(x / 255.0).permute(2, 0, 1)[None]  # noqa: E731
    _, full = tm.structural_similarity_index_measure(
        to_t(noisy), to_t(ref), gaussian_kernel=True, sigma=1.5, kernel_size=11,
        data_range=1.0, return_full_image=True)
    # torchmetrics' scalar also averages the 5-pixel border computed on a reflect-padded image;
    # its SSIM map over the window positions inside the image is what Wang et al. average
    expected = float(full[0, :, 5:-5, 5:-5].mean())
    assert ssim(ref, noisy) == pytest.approx(expected, abs=1e-9)


def test_bad_inputs(pair):
    ref, noisy = pair
    with pytest.raises(ShapeError, match="same size"):
        psnr(ref, noisy[:-1])
    with pytest.raises(ShapeError, match="shaving"):
        psnr(ref[:6, :6], noisy[:6, :6], shave=3)
    with pytest.raises(ShapeError, match="11x11"):
        ssim(ref[:10], noisy[:10])
