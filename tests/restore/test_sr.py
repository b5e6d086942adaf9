"""Upscalers: registry, tiling, OpenCV dnn_superres models by path, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError, UnknownNameError
from oculi.data import load
from oculi.restore import imresize, model_file_info, psnr, tiled, upscale, upscalers
from tests.conftest import SHARED_DATA

MODELS = SHARED_DATA.parent / "models" / "superres"


@pytest.fixture(scope="module")
def hr():
    return load("astronaut", mode="rgb")[60:156, 150:246]      # 96x96


def _models():
    if not MODELS.is_dir():
        pytest.skip(f"superres models not found at {MODELS}")
    return MODELS


def test_registry_names():
    assert {"bicubic", "lanczos", "espcn", "fsrcnn", "fsrcnn-small", "lapsrn"} <= set(
        upscalers.names())
    with pytest.raises(UnknownNameError, match="did you mean"):
        upscale(np.zeros((8, 8), np.uint8), 2, "bicubik")


def test_bicubic_is_matlab_resize_and_keeps_dtype(hr):
    lr = imresize(hr, 0.5)
    # upscale works in float32, imresize on uint8 in float64: equal up to a rounding step
    diff = upscale(lr, 2).astype(np.int16) - imresize(lr, 2.0)
    assert np.abs(diff).max() <= 1 and np.mean(diff != 0) < 0.01
    up16 = upscale(lr.astype(np.uint16) * 257, 2)
    assert up16.dtype == np.uint16
    assert np.abs(up16.astype(np.int64) - imresize(lr, 2.0).astype(np.int64) * 257).max() <= 257
    f = upscale(lr.astype(np.float32) / 255, 2, "lanczos")
    assert f.dtype == np.float32 and f.shape == (96, 96, 3)
    assert psnr(hr, upscale(lr, 2, "lanczos")) > 24


def test_tiled_equals_whole(hr):
    lr = imresize(hr, 0.5).astype(np.float32) / 255
    whole = upscale(lr, 2, tile=0)
    tiles = upscale(lr, 2, tile=24, overlap=8)
    # away from the image border the tile seams are cross-faded: within 1/255 of the whole
    assert np.abs(whole - tiles)[8:-8, 8:-8].max() < 1 / 255
    ramp = tiled(lambda t: t * 2.0, lr[..., 0], 1, tile=16, overlap=4)
    assert np.allclose(ramp, lr[..., 0] * 2.0, atol=1e-6)


def test_alpha_and_gray(hr):
    lr = imresize(hr, 0.5)
    rgba = np.dstack([lr, np.full(lr.shape[:2], 200, np.uint8)])
    out = upscale(rgba, 2)
    assert out.shape == (96, 96, 4) and (out[..., 3] == 200).all()
    assert np.array_equal(out[..., :3], upscale(lr, 2))
    assert upscale(lr[..., 0], 3).shape == (144, 144)


def test_bad_inputs(hr):
    with pytest.raises(ShapeError, match="4x4"):
        upscale(np.zeros((1, 1, 3), np.uint8), 2)
    with pytest.raises(ParameterError, match="scale"):
        upscale(hr, 0)
    with pytest.raises(ParameterError, match="scale"):
        upscale(hr, 2.5)
    with pytest.raises(ParameterError, match=r"\.pb"):
        upscale(hr, 2, "espcn")


def test_model_file_info():
    assert model_file_info("a/ESPCN_x3.pb") == ("espcn", 3)
    assert model_file_info("FSRCNN-small_x2.pb") == ("fsrcnn-small", 2)
    assert model_file_info("LapSRN_x4.pb") == ("lapsrn", 4)
    assert model_file_info("mine.pb") == (None, None)


@pytest.mark.parametrize(("method", "file"), [("espcn", "ESPCN_x2.pb"), ("fsrcnn", "FSRCNN_x2.pb"),
                                              ("lapsrn", "LapSRN_x2.pb")])
def test_opencv_models_beat_nearest(hr, method, file):
    path = _models() / file
    lr = imresize(hr, 0.5)
    out = upscale(lr, 2, method, path)
    assert out.shape == hr.shape and out.dtype == np.uint8
    nearest = np.repeat(np.repeat(lr, 2, 0), 2, 1)
    assert psnr(hr, out, y_channel=True, shave=2) > psnr(hr, nearest, y_channel=True, shave=2) + 2
    # tiled through the network: the same away from the seams' borders
    tiles = upscale(lr, 2, method, path, tile=32, overlap=8)
    assert psnr(out[4:-4, 4:-4], tiles[4:-4, 4:-4]) > 40


def test_model_scale_mismatch_is_refused(hr):
    path = _models() / "ESPCN_x2.pb"
    with pytest.raises(ParameterError, match="upscales by 2, scale 3"):
        upscale(hr, 3, "espcn", path)
    with pytest.raises(ParameterError, match="file name says espcn"):
        upscale(hr, 2, "fsrcnn", path)
