"""oculi.capsule.augment: the training distortions move pixels the way the affine test copy
does (same matrices), stay in their stated ranges, are seeded by the generator, and the elastic
field has the stated size and smoothness."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.capsule.affine import affine_digits, affine_matrices
from oculi.capsule.augment import elastic_field, gaussian_smooth, random_distortion, warp
from oculi.capsule.config import CapsNetConfig
from oculi.core.errors import ParameterError, ShapeError


def _digits(n: int = 8) -> torch.Tensor:
    rng = np.random.default_rng(0)
    x = np.zeros((n, 28, 28), np.uint8)
    x[:, 7:21, 11:17] = rng.integers(100, 256, (n, 14, 6))
    return torch.from_numpy(x).float().div(255).unsqueeze(1)


def _orientation(img: torch.Tensor) -> float:
    """Angle in degrees of an image's principal axis (second moments of its ink)."""
    w = img[0].double()
    ys, xs = torch.meshgrid(torch.arange(28.0, dtype=torch.float64),
                            torch.arange(28.0, dtype=torch.float64), indexing="ij")
    m = w.sum()
    cx, cy = (w * xs).sum() / m, (w * ys).sum() / m
    mxx = (w * (xs - cx) ** 2).sum() / m
    myy = (w * (ys - cy) ** 2).sum() / m
    mxy = (w * (xs - cx) * (ys - cy)).sum() / m
    return float(np.degrees(0.5 * np.arctan2(float(2 * mxy), float(mxx - myy))))


def test_warp_matches_the_affine_test_copy_of_the_same_matrices():
    x = _digits()
    mats = affine_matrices(len(x), 28, seed=3)
    ours = warp(x, torch.from_numpy(mats))
    reference = affine_digits((x[:, 0] * 255).round().byte().numpy(), seed=3)
    diff = (ours[:, 0] * 255 - torch.from_numpy(reference).float()).abs()
    assert diff.mean() < 2.0 and diff.max() < 40  # bilinear both; cv2 rounds to uint8


def test_quarter_turn_sends_source_pixel_p_to_a_p():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 5, 20] = 1.0  # (x, y) = (20, 5): (6.5, -8.5) from the centre (13.5, 13.5)
    quarter = torch.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]])  # (x, y) -> (-y, x)
    out = warp(x, quarter)
    assert divmod(int(out.flatten().argmax()), 28) == (20, 22)  # row 13.5 + 6.5, col + 8.5
    torch.testing.assert_close(out, torch.rot90(x, -1, dims=(2, 3)), atol=1e-5, rtol=0)


def test_rotation_only_stays_within_its_range_and_keeps_the_ink():
    x = _digits(64)  # vertical bars: principal axis at 90 degrees
    out = random_distortion(x, torch.Generator().manual_seed(0), rotation=10)
    turned = np.array([abs(_orientation(a)) - abs(_orientation(b))
                       for a, b in zip(out, x, strict=True)])
    assert np.abs(turned).max() <= 10.5 and np.abs(turned).max() > 6
    torch.testing.assert_close(out.sum((1, 2, 3)), x.sum((1, 2, 3)), rtol=0.02, atol=0)


def test_scale_changes_the_ink_by_the_area_factor():
    x = _digits(64)
    out = random_distortion(x, torch.Generator().manual_seed(1), scale=0.2)
    ratio = out.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert ratio.min() >= 0.8**2 - 0.03 and ratio.max() <= 1.2**2 + 0.03
    assert ratio.max() - ratio.min() > 0.4


def test_seeded_by_the_generator_and_zero_settings_are_the_identity():
    x = _digits()
    kw = {"rotation": 12, "shear": 12, "scale": 0.1, "elastic_alpha": 24, "elastic_sigma": 4}
    a = random_distortion(x, torch.Generator().manual_seed(5), **kw)
    b = random_distortion(x, torch.Generator().manual_seed(5), **kw)
    c = random_distortion(x, torch.Generator().manual_seed(6), **kw)
    torch.testing.assert_close(a, b)
    assert (a - c).abs().max() > 0.1 and (a - x).abs().max() > 0.1
    assert random_distortion(x, torch.Generator()) is x
    elastic = random_distortion(x, torch.Generator().manual_seed(5), elastic_alpha=24)
    assert (elastic - x).abs().max() > 0.1


def test_elastic_field_size_and_smoothness():
    g = torch.Generator().manual_seed(0)
    field = elastic_field(16, 28, alpha=24.0, sigma=4.0, generator=g)
    assert field.shape == (16, 2, 28, 28)
    assert field.abs().max() <= 24.0  # a normalised blur of noise in [-1, 1], times alpha
    g.manual_seed(0)
    torch.testing.assert_close(elastic_field(16, 28, alpha=12.0, sigma=4.0, generator=g),
                               field / 2)
    step = (field[..., 1:] - field[..., :-1]).abs().mean()
    assert step < 0.25 * field.abs().mean()  # neighbours move together
    flat = torch.ones(1, 1, 20, 20)
    assert float(gaussian_smooth(flat, 2.0)[0, 0, 10, 10]) == pytest.approx(1.0, abs=1e-6)


def test_config_bounds():
    with pytest.raises(ParameterError, match="rotation"):
        CapsNetConfig(rotation=200)
    with pytest.raises(ParameterError, match="scale"):
        CapsNetConfig(scale=0.8)
    with pytest.raises(ParameterError, match="elastic_sigma"):
        CapsNetConfig(elastic_sigma=0)
    with pytest.raises(ParameterError, match="elastic_alpha"):
        CapsNetConfig(elastic_alpha=-1)


def test_warp_refuses_non_square_images_with_an_oculi_error():
    with pytest.raises(ShapeError, match="square"):
        warp(torch.zeros(1, 1, 8, 6), torch.eye(2, 3)[None])
