"""oculi.capsule.affine: the distorted test copy is deterministic per seed, its transforms stay
in the stated ranges, and the zero distortion is the identity."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.capsule.affine import affine_digits, affine_matrices
from oculi.core.errors import ParameterError, ShapeError


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    x = np.zeros((6, 28, 28), np.uint8)
    x[:, 8:20, 11:17] = rng.integers(100, 256, (6, 12, 6))
    return x


def test_same_seed_same_set_other_seed_other_set(digits):
    a, b = affine_digits(digits, seed=3), affine_digits(digits, seed=3)
    assert a.dtype == np.uint8 and a.shape == digits.shape
    np.testing.assert_array_equal(a, b)
    assert (affine_digits(digits, seed=4) != a).any()
    assert (a != digits).any()


def test_no_distortion_is_the_identity(digits):
    same = affine_digits(digits, rotation=0, shear=0, scale=(1.0, 1.0))
    np.testing.assert_array_equal(same, digits)


def test_transforms_stay_in_their_ranges():
    m = affine_matrices(500, 28, seed=0, rotation=20, shear=20, scale=(0.8, 1.2))
    a = m[:, :, :2]
    centre = np.array([13.5, 13.5])
    np.testing.assert_allclose(np.einsum("nij,j->ni", a, centre) + m[:, :, 2],
                               np.tile(centre, (500, 1)), atol=1e-9)  # centre is fixed
    det = np.linalg.det(a)  # rotation and shear keep area: det = sx * sy
    assert det.min() >= 0.8**2 - 1e-9 and det.max() <= 1.2**2 + 1e-9
    # with no shear and unit scale the matrix is a rotation by at most 20 degrees
    r = affine_matrices(200, seed=1, rotation=20, shear=0, scale=(1, 1))
    angles = np.degrees(np.arctan2(r[:, 1, 0], r[:, 0, 0]))
    assert np.abs(angles).max() <= 20 and np.abs(angles).max() > 15


def test_bad_arguments(digits):
    with pytest.raises(ShapeError, match="images"):
        affine_digits(digits[0])
    with pytest.raises(ParameterError, match="scale"):
        affine_digits(digits, scale=(1.2, 0.8))
    with pytest.raises(ParameterError, match="shear"):
        affine_digits(digits, shear=95)
