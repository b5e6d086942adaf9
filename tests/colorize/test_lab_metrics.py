"""Lab conversions against scikit-image; colourfulness and ab AUC against hand computations."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from skimage.color import lab2rgb, rgb2lab

from oculi.colorize import ab_auc, ab_error_curve, colourfulness, lab_to_rgb, rgb_to_lab
from oculi.core.errors import ShapeError


def _nchw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x).permute(2, 0, 1)[None]


def test_rgb_to_lab_matches_skimage():
    x = np.random.default_rng(0).random((7, 9, 3))
    ours = rgb_to_lab(_nchw(x))[0].permute(1, 2, 0).numpy()
    assert np.abs(ours - rgb2lab(x)).max() < 1e-6


def test_lab_to_rgb_matches_skimage_including_out_of_gamut():
    rng = np.random.default_rng(1)
    lab = np.stack([rng.uniform(0, 100, (6, 8)), rng.uniform(-110, 110, (6, 8)),
                    rng.uniform(-110, 110, (6, 8))], -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = lab2rgb(lab)
    ours = lab_to_rgb(_nchw(lab))[0].permute(1, 2, 0).numpy()
    assert np.abs(ours - ref).max() < 1e-5


def test_colourfulness_hand_computation():
    image = np.array([[[255, 0, 0], [0, 0, 255]]], np.uint8)  # red, blue
    # rg = (255, 0), yb = (127.5, -255): sigma 127.5 and 191.25, means 127.5 and -63.75
    expected = math.hypot(127.5, 191.25) + 0.3 * math.hypot(127.5, -63.75)
    assert colourfulness(image) == pytest.approx(expected, rel=1e-9)
    assert colourfulness(np.full((4, 4), 90, np.uint8)) == 0.0
    assert colourfulness(np.dstack([np.full((4, 4), 90, np.uint8)] * 3)) == 0.0


def test_ab_auc_perfect_is_one_and_constant_error_is_its_share_of_thresholds():
    ab = np.random.default_rng(2).uniform(-80, 80, (5, 6, 2))
    assert ab_auc(ab, ab) == 1.0
    off = ab + np.array([30.0, 40.0])  # every pixel 50 units away: counted from t = 50 on
    assert ab_auc(off, ab) == pytest.approx(101 / 151)
    curve = ab_error_curve(off, ab)
    assert curve[49] == 0.0 and curve[50] == 1.0
    with pytest.raises(ShapeError, match="pred_ab"):
        ab_auc(ab[..., :1], ab[..., :1])
