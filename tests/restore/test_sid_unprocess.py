"""The synthetic camera of the ``sid`` task: inverse and forward ISP, Bayer mosaic and packing,
Poisson-Gaussian noise, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DTypeError, ParameterError, ShapeError
from oculi.restore.unprocess import (
    FIXED_ISP,
    RGB_TO_CAMERA,
    linear_to_srgb,
    mosaic,
    noise_params,
    normalize_raw,
    pack,
    poisson_gaussian,
    process,
    process_packed,
    sample_isp,
    short_exposure,
    srgb_to_linear,
    unpack,
    unprocess,
)


@pytest.mark.parametrize("random", [False, True])
def test_unprocess_then_process_round_trip(random):
    rng = np.random.default_rng(1)
    srgb = rng.random((12, 14, 3)).astype(np.float32)
    srgb[0, 0] = 0.0
    srgb[0, 1] = 1.0
    isp = sample_isp(rng, random)
    camera = unprocess(srgb, isp)
    assert camera.min() >= 0.0 and camera.max() <= 1.0  # no clipping needed
    assert np.abs(process(camera, isp) - srgb).max() < 1e-4
    assert np.abs(linear_to_srgb(srgb_to_linear(srgb)) - srgb).max() < 1e-4


def test_packed_forward_path_inverts_on_2x2_blocks():
    rng = np.random.default_rng(2)
    half = rng.random((5, 7, 3)).astype(np.float32)
    srgb = np.repeat(np.repeat(half, 2, 0), 2, 1)
    planes = pack(mosaic(unprocess(srgb)))
    assert planes.shape == (5, 7, 4)
    assert np.abs(process_packed(planes) - half).max() < 1e-4


def test_isp_is_a_camera():
    assert np.allclose(FIXED_ISP.ccm.sum(axis=1), 1.0)  # grey stays grey
    for m in RGB_TO_CAMERA:
        assert (m >= 0).all() and np.allclose(m.sum(axis=1), 1.0)
    grey = np.full((2, 2, 3), 0.4, np.float32)
    camera = unprocess(grey)
    assert camera[0, 0, 0] < camera[0, 0, 1] > camera[0, 0, 2]  # white balance undone


def test_mosaic_pack_unpack_exact():
    rng = np.random.default_rng(3)
    camera = rng.random((6, 8, 3)).astype(np.float32)
    raw = mosaic(camera)
    assert raw[0, 0] == camera[0, 0, 0] and raw[0, 1] == camera[0, 1, 1]
    assert raw[1, 0] == camera[1, 0, 1] and raw[1, 1] == camera[1, 1, 2]
    planes = pack(raw)
    assert np.array_equal(planes[..., 0], camera[0::2, 0::2, 0])
    assert np.array_equal(planes[..., 3], camera[1::2, 1::2, 2])
    assert np.array_equal(unpack(planes), raw)


def test_noise_variance_follows_shot_plus_read():
    rng = np.random.default_rng(4)
    shot, read = 2e-3, 1e-5
    for level in (0.02, 0.2):
        raw = np.full(200_000, level, np.float32)
        noisy = poisson_gaussian(raw, shot, read, rng, clip=False)
        assert noisy.mean() == pytest.approx(level, rel=0.01)
        assert noisy.var() == pytest.approx(shot * level + read, rel=0.03)


def test_noise_parameters_on_the_log_linear_line():
    rng = np.random.default_rng(5)
    pairs = np.log([noise_params(rng, (1e-4, 1e-2)) for _ in range(4000)])
    assert np.exp(pairs[:, 0]).min() >= 1e-4 and np.exp(pairs[:, 0]).max() <= 1e-2
    slope, intercept = np.polyfit(pairs[:, 0], pairs[:, 1], 1)
    assert slope == pytest.approx(2.18, abs=0.05) and intercept == pytest.approx(1.2, abs=0.3)
    assert np.std(pairs[:, 1] - slope * pairs[:, 0] - intercept) == pytest.approx(0.26, rel=0.1)


def test_short_exposure_is_darker_by_the_ratio():
    rng = np.random.default_rng(6)
    srgb = np.full((64, 64, 3), 0.6, np.float32)
    long = mosaic(unprocess(srgb))
    short = short_exposure(srgb, 100, rng, (1e-5, 1e-5))
    assert short.shape == (64, 64) and short.dtype == np.float32
    assert short.mean() * 100 == pytest.approx(long.mean(), rel=0.05)


def test_normalize_raw_levels():
    raw = np.array([[512, 16383], [600, 100]], np.uint16)
    out = normalize_raw(raw, 512, 16383)
    assert out[0, 0] == 0 and out[0, 1] == 1 and out[1, 1] == 0
    assert out[1, 0] == pytest.approx(88 / (16383 - 512))
    assert normalize_raw(raw)[0, 1] == pytest.approx(16383 / 65535)


@pytest.mark.parametrize(("call", "error"), [
    (lambda: pack(np.zeros((5, 6), np.float32)), ShapeError),
    (lambda: pack(np.zeros((6, 6, 3), np.float32)), ShapeError),
    (lambda: unpack(np.zeros((3, 3, 3), np.float32)), ShapeError),
    (lambda: mosaic(np.zeros((6, 7, 3), np.float32)), ShapeError),
    (lambda: unprocess(np.zeros((6, 6), np.float32)), ShapeError),
    (lambda: unprocess(np.zeros((6, 6, 3), np.uint8)), DTypeError),
    (lambda: normalize_raw(np.zeros((4, 4)), 10, 5), ParameterError),
    (lambda: short_exposure(np.zeros((4, 4, 3), np.float32), 0, np.random.default_rng(),
                            (1e-4, 1e-4)), ParameterError),
    (lambda: short_exposure(np.zeros((4, 4, 3), np.float32), -3, np.random.default_rng(),
                            (1e-4, 1e-4)), ParameterError),
    (lambda: noise_params(np.random.default_rng(), (0.0, 1e-3)), ParameterError),
    (lambda: noise_params(np.random.default_rng(), 5e-4), ParameterError),
    (lambda: noise_params(np.random.default_rng(), (1e-4, "high")), ParameterError),
])
def test_bad_inputs_are_oculi_errors(call, error):
    with pytest.raises(error):
        call()
