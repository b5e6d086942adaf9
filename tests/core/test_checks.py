import numpy as np
import pytest

from oculi.core.checks import (
    check_choice,
    check_image,
    check_positive,
    check_same_size,
    check_tensor_images,
)
from oculi.core.errors import DTypeError, ParameterError, ShapeError, ValueRangeError


def test_check_image_accepts_conventional_arrays():
    for arr in (np.zeros((3, 4), np.uint8), np.zeros((3, 4, 3), np.float32), np.ones((3, 4, 4))):
        assert check_image(arr) is arr


@pytest.mark.parametrize(
    ("arr", "exc", "text"),
    [
        (np.zeros((2, 3, 4, 5), np.uint8), ShapeError, "4 dimensions"),
        (np.zeros((4, 4, 2), np.uint8), ShapeError, "got 2"),
        (np.zeros((4, 4), np.int32), DTypeError, "int32"),
        (np.zeros((0, 4), np.uint8), ShapeError, "0x4"),
        (np.full((4, 4), 255.0, np.float32), ValueRangeError, "divide by 255"),
        (np.full((4, 4), -0.5, np.float32), ValueRangeError, "min -0.5"),
        ([[1, 2]], DTypeError, "numpy array"),
    ],
)
def test_check_image_rejects_with_clear_message(arr, exc, text):
    with pytest.raises(exc, match=text) as info:
        check_image(arr, "frame")
    assert str(info.value).startswith("frame:")


def test_check_image_channel_and_range_options():
    with pytest.raises(ShapeError, match="expected 3 channel"):
        check_image(np.zeros((4, 4), np.uint8), channels=[3])
    check_image(np.full((2, 2), 200.0, np.float32), check_range=False)
    check_image(np.zeros((0, 0), np.uint8), min_size=0)


def test_check_same_size():
    a = np.zeros((4, 5, 3), np.uint8)
    check_same_size(a, a.copy())
    with pytest.raises(ShapeError, match="same size"):
        check_same_size(a, np.zeros((4, 6, 3), np.uint8))
    with pytest.raises(ShapeError, match="channel count"):
        check_same_size(a, np.zeros((4, 5), np.uint8))


def test_scalar_checks():
    assert check_positive(2.0, "sigma") == 2.0
    assert check_positive(0, "n", allow_zero=True) == 0
    with pytest.raises(ParameterError, match="sigma: expected a number > 0, got -1"):
        check_positive(-1, "sigma")
    with pytest.raises(ParameterError):
        check_positive(float("nan"), "sigma")
    assert check_choice("a", ["a", "b"], "mode") == "a"
    with pytest.raises(ParameterError, match="mode: expected one of a, b"):
        check_choice("c", ["a", "b"], "mode")


def test_check_tensor_images():
    import torch

    x = torch.zeros(2, 3, 8, 8)
    assert check_tensor_images(x, channels=3) is x
    with pytest.raises(ShapeError, match="convert gray to RGB"):
        check_tensor_images(torch.zeros(2, 1, 8, 8), channels=3)
    with pytest.raises(ShapeError):
        check_tensor_images(torch.zeros(3, 8, 8))
    with pytest.raises(DTypeError):
        check_tensor_images(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))


def test_check_image_finite_option():
    img = np.full((4, 4), 0.5, np.float32)
    assert check_image(img, finite=True) is img
    check_image(np.zeros((4, 4), np.uint8), finite=True)  # integer images are never checked
    for bad in (np.nan, np.inf, -np.inf):
        img2 = img.copy()
        img2[1, 1] = bad
        check_image(img2, check_range=False)  # off by default
        with pytest.raises(ValueRangeError, match="frame: 1 NaN or infinite"):
            check_image(img2, "frame", finite=True)


def test_check_finite_and_check_in_range():
    from oculi.core.checks import check_finite, check_in_range

    assert check_finite(1.5, "offset") == 1.5
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ParameterError, match="offset: expected a finite number"):
            check_finite(bad, "offset")
    assert check_in_range(1, "quality", 1, 100) == 1
    assert check_in_range(100, "quality", 1, 100) == 100
    for bad in (0, -5, 101, float("nan")):
        with pytest.raises(ParameterError, match=r"quality: expected a number in \[1, 100\]"):
            check_in_range(bad, "quality", 1, 100)
