import cv2
import numpy as np
import pytest

from oculi.core.convert import (
    ensure_float01,
    ensure_uint8,
    to_gray,
    to_numpy_image,
    to_rgb,
    to_tensor_batch,
)
from oculi.core.errors import ValueRangeError
from oculi.data import load


def test_gray_matches_opencv_for_uint8_and_float():
    rgb = load("astronaut")
    ref = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert np.array_equal(to_gray(rgb), ref)
    g = to_gray(rgb.astype(np.float32) / 255)
    assert g.dtype == np.float32
    assert np.abs(g * 255 - ref).max() <= 0.51
    u16 = rgb.astype(np.uint16) * 257
    assert np.abs(to_gray(u16).astype(int) - ref.astype(int) * 257).max() <= 257


def test_round_trips_and_ranges():
    x = np.arange(256, dtype=np.uint8).reshape(16, 16)
    f = ensure_float01(x)
    assert f.dtype == np.float32 and f.max() == 1.0
    assert np.array_equal(ensure_uint8(f), x)
    assert np.array_equal(ensure_uint8(x.astype(np.uint16) * 257), x)
    with pytest.raises(ValueRangeError):
        ensure_uint8(np.full((2, 2), 3.0, np.float32))


def test_rgb_and_tensor_conversions():
    gray = load("camera")
    rgb = to_rgb(gray)
    assert rgb.shape == (*gray.shape, 3) and np.array_equal(rgb[..., 1], gray)
    assert to_rgb(load("logo")).shape[2] == 3
    t = to_tensor_batch([rgb, rgb])
    assert tuple(t.shape) == (2, 3, 512, 512)
    assert float(t.max()) <= 1.0
    back = to_numpy_image(t[:1])
    assert np.array_equal(ensure_uint8(back), rgb)
