"""MATLAB-compatible bicubic resize: Pillow's bicubic (same kernel, a = -0.5, same coordinate
mapping and antialiasing) away from the borders, and the published Set5 bicubic numbers."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from oculi.core.errors import ParameterError
from oculi.data import load
from oculi.restore import imresize, psnr, resize_weights, ssim
from tests.conftest import shared_set


@pytest.mark.parametrize(("scale", "border"), [(0.5, 6), (1 / 3, 6), (0.25, 6), (2.0, 4),
                                                (3.0, 6)])
def test_interior_matches_pillow(scale, border):
    gray = load("camera", mode="gray")[100:196, 120:216].astype(np.float32) / 255.0
    ours = imresize(gray, scale)
    size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
    theirs = np.asarray(Image.fromarray(gray, mode="F").resize(size, Image.BICUBIC))
    assert ours.shape == theirs.shape
    inner = (slice(border, -border), slice(border, -border))
    assert np.abs(ours[inner] - np.clip(theirs[inner], 0, 1)).max() < 1e-5


def test_weights_and_symmetric_border():
    weights, ind = resize_weights(8, 4, 0.5)
    assert np.allclose(weights.sum(axis=1), 1.0)
    assert ind.min() >= 0 and ind.max() <= 7
    # the first output pixel samples u = 1.5 (1-based) with an 8-pixel-wide kernel: taps at
    # -2, -1, 0, 1, ... (1-based) mirror with the edge repeated to pixels 3, 2, 1, 1 (1-based)
    assert ind[0, :4].tolist() == [2, 1, 0, 0]


def test_dtypes_and_size():
    image = load("astronaut", mode="rgb")[:50, :40]
    assert imresize(image, 0.5).shape == (25, 20, 3)
    assert imresize(image, size=(30, 60)).shape == (30, 60, 3)
    assert imresize(image.astype(np.uint16) * 257, 2).dtype == np.uint16
    f = imresize(image.astype(np.float32) / 255, 0.5)
    assert f.dtype == np.float32 and f.min() >= 0 and f.max() <= 1
    with pytest.raises(ParameterError):
        imresize(image)
    with pytest.raises(ParameterError):
        imresize(image, -1.0)


@pytest.mark.parametrize(("scale", "published"), [(2, 33.66), (3, 30.39), (4, 28.42)])
def test_set5_bicubic_reproduces_published(scale, published):
    from oculi.io import read_image

    files = sorted(shared_set("sr_set5").glob("*.png"))
    scores, sims = [], []
    for f in files:
        hr = read_image(f, mode="rgb")
        hr = hr[:hr.shape[0] - hr.shape[0] % scale, :hr.shape[1] - hr.shape[1] % scale]
        sr = imresize(imresize(hr, 1.0 / scale), float(scale))
        scores.append(psnr(hr, sr, y_channel=True, shave=scale))
        sims.append(ssim(hr, sr, y_channel=True, shave=scale))
    assert len(files) == 5
    assert abs(np.mean(scores) - published) < 0.1
    assert np.mean(sims) > {2: 0.925, 3: 0.86, 4: 0.80}[scale]
