"""Local-mean subtraction vs the OpenCV retina recipe and scipy's Gaussian filter."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage
from skimage import data

from oculi.core.errors import ParameterError, ShapeError, ValueRangeError
from oculi.preprocess import local_mean, subtract_local_mean


@pytest.mark.parametrize("sigma", [2.0, 10.0, None])
def test_retina_style_identical_to_addweighted_recipe(sigma: float | None) -> None:
    image = data.astronaut()
    s = image.shape[1] / 30 if sigma is None else sigma
    ref = cv2.addWeighted(image, 4, cv2.GaussianBlur(image, (0, 0), s), -4, 128)
    ours = subtract_local_mean(image, sigma=sigma, style="retina")
    assert ours.dtype == np.uint8
    assert int(np.abs(ours.astype(int) - ref.astype(int)).max()) == 0


def test_signed_style_matches_scipy_gaussian() -> None:
    image = data.camera().astype(np.float32) / 255.0
    ours = subtract_local_mean(image, sigma=4.0)
    # scipy "mirror" is reflect-101; truncate=4 gives OpenCV's float kernel radius round(4 sigma)
    ref = image - ndimage.gaussian_filter(image.astype(np.float64), 4.0, mode="mirror", truncate=4)
    assert ours.dtype == np.float32
    assert float(np.abs(ours - ref).max()) < 1e-5
    # a linear ramp has zero local mean detail away from the border
    ramp = np.tile(np.linspace(0, 1, 100, dtype=np.float32), (100, 1))
    assert float(np.abs(subtract_local_mean(ramp, sigma=3)[20:80, 20:80]).max()) < 1e-5


def test_box_window_matches_uniform_filter() -> None:
    image = data.coins().astype(np.float32) / 255.0
    ours = subtract_local_mean(image, size=7, window="box")
    ref = image - ndimage.uniform_filter(image.astype(np.float64), 7, mode="mirror")
    assert float(np.abs(ours - ref).max()) < 1e-5


def test_retina_float_and_uint16_agree_with_uint8() -> None:
    image = data.chelsea()
    u8 = subtract_local_mean(image, sigma=5, style="retina")
    f = subtract_local_mean(image.astype(np.float32) / 255, sigma=5, style="retina")
    u16 = subtract_local_mean(image.astype(np.uint16) * 257, sigma=5, style="retina")
    assert f.dtype == np.float32
    # uint8 rounds the blur to integers first (as the OpenCV recipe does): a few levels apart
    assert float(np.abs(f * 255 - u8).mean()) < 2.0
    assert float(np.abs(u16 - f).max()) < 1e-5


def test_mask_blanks_outside_and_keeps_inside() -> None:
    image = data.astronaut()
    yy, xx = np.mgrid[:512, :512]
    mask = (yy - 256) ** 2 + (xx - 256) ** 2 < 200**2
    full = subtract_local_mean(image, sigma=8, style="retina")
    masked = subtract_local_mean(image, sigma=8, style="retina", mask=mask)
    assert np.array_equal(masked[mask], full[mask])
    assert np.all(masked[~mask] == 128)
    signed = subtract_local_mean(data.camera(), sigma=3, mask=mask)
    assert float(np.abs(signed[~mask]).max()) == 0.0
    with pytest.raises(ShapeError, match="mask"):
        subtract_local_mean(image, sigma=3, mask=mask[:10])


def test_local_mean_and_bad_inputs() -> None:
    assert local_mean(np.full((9, 9), 0.25, np.float32), sigma=2).max() == pytest.approx(0.25)
    with pytest.raises(ParameterError, match="sigma"):
        subtract_local_mean(data.camera())
    with pytest.raises(ParameterError, match="size"):
        subtract_local_mean(data.camera(), window="box")
    with pytest.raises(ParameterError, match="style"):
        subtract_local_mean(data.camera(), sigma=2, style="graham")
    with pytest.raises(ValueRangeError):
        subtract_local_mean(data.camera().astype(np.float32), sigma=2)
