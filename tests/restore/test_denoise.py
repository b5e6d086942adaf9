"""Denoising (NLM, BM3D) and noise-level estimation against ground truth and scikit-image."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from skimage.restoration import estimate_sigma

from oculi.core.errors import ParameterError, ShapeError
from oculi.data import load
from oculi.restore import denoise, denoisers, estimate_noise, nlm_parameters, psnr

HAS_BM3D = importlib.util.find_spec("bm3d") is not None


def _noisy(image, sigma, seed=0):
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(np.rint(image + noise), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def clean():
    return load("astronaut", mode="rgb")[40:136, 150:246]      # 96x96


@pytest.mark.parametrize("sigma", [10, 25])
def test_estimators_against_truth_and_skimage(sigma):
    flat = load("camera", mode="gray")[20:148, 20:148] // 4 + 96   # low-contrast scene
    noisy = _noisy(flat, sigma)
    mad = estimate_noise(noisy)
    ski = estimate_sigma(noisy.astype(np.float64))             # wavelet MAD (db2) in pixels
    assert abs(mad - sigma) < 0.15 * sigma
    assert abs(mad - ski) < 0.1 * sigma
    assert abs(estimate_noise(noisy, "immerkaer") - sigma) < 0.25 * sigma
    rgb = _noisy(load("astronaut", mode="rgb")[:128, :128] // 4 + 96, sigma)
    ski_rgb = estimate_sigma(rgb.astype(np.float64), channel_axis=2, average_sigmas=True)
    assert abs(estimate_noise(rgb) - ski_rgb) < 0.15 * sigma


def test_nlm_improves_psnr(clean):
    noisy = _noisy(clean, 20)
    out = denoise(noisy, 20, "nlm")
    assert out.shape == clean.shape and out.dtype == np.uint8
    assert psnr(clean, out) > psnr(clean, noisy) + 3
    gray = clean[..., 1]
    noisy_g = _noisy(gray, 20)
    assert psnr(gray, denoise(noisy_g, 20)) > psnr(gray, noisy_g) + 3


def test_auto_sigma_and_dtypes(clean):
    noisy = _noisy(clean, 20)
    auto = denoise(noisy)            # sigma estimated
    assert psnr(clean, auto) > psnr(clean, noisy) + 2
    out16 = denoise(noisy.astype(np.uint16) * 257, 20)
    assert out16.dtype == np.uint16
    assert psnr(clean, out16) > psnr(clean, noisy) + 3
    rgba = np.dstack([noisy, np.full(noisy.shape[:2], 7, np.uint8)])
    out = denoise(rgba, 20)
    assert out.shape[2] == 4 and (out[..., 3] == 7).all()
    assert np.array_equal(denoise(noisy, 0), noisy)


def test_nlm_rule():
    assert nlm_parameters(20, color=True)["h"] == pytest.approx(12)
    assert nlm_parameters(50, color=False)["h"] == pytest.approx(40)


def test_bad_inputs(clean):
    with pytest.raises(ParameterError, match="sigma"):
        denoise(clean, -1)
    with pytest.raises(ParameterError, match="sigma"):
        denoise(clean, float("nan"))
    with pytest.raises(ShapeError):
        denoise(np.zeros((1, 1), np.uint8), 5)
    assert "bm3d" in denoisers.names()


@pytest.mark.skipif(not HAS_BM3D, reason="optional bm3d package not installed")
def test_bm3d_beats_noisy_and_nlm():
    gray = load("camera", mode="gray")[100:164, 200:264]
    noisy = _noisy(gray, 25)
    out = denoise(noisy, 25, "bm3d")
    assert out.dtype == np.uint8
    assert psnr(gray, out) > psnr(gray, noisy) + 4
    assert psnr(gray, out) > psnr(gray, denoise(noisy, 25, "nlm"))
