import numpy as np
import pytest

from oculi.compress import at_bpp, available, decode_classic, encode_classic
from oculi.core.errors import DataError, ParameterError
from oculi.data import load


@pytest.mark.parametrize("codec", available())
@pytest.mark.parametrize("target", [0.5, 1.5])
def test_search_hits_the_target_rate(codec, target):
    image = load("astronaut", mode="rgb")[::2, ::2]
    point = at_bpp(codec, image, target)
    assert point.bpp == pytest.approx(8 * len(point.data) / (256 * 256))
    assert abs(point.bpp - target) <= 0.1 * target
    # no other quality setting is closer to the target
    for q in (point.quality - 1, point.quality + 1):
        try:
            other = 8 * len(encode_classic(codec, image, q)) / (256 * 256)
        except ParameterError:
            continue
        assert abs(other - target) >= abs(point.bpp - target)
    assert point.image.shape == image.shape
    assert np.abs(point.image.astype(int) - image).mean() < 20


def test_jpeg_matches_pillow_and_bad_inputs():
    image = load("coffee", mode="rgb")
    assert np.array_equal(decode_classic(encode_classic("jpeg", image, 75)).shape, image.shape)
    with pytest.raises(ParameterError, match="quality"):
        encode_classic("jpeg", image, 0)
    with pytest.raises(ParameterError, match="codec"):
        encode_classic("jpeg2000x", image, 50)
    with pytest.raises(ParameterError, match="target_bpp"):
        at_bpp("jpeg", image, -1.0)
    with pytest.raises(DataError, match="cannot be decoded"):
        decode_classic(b"not an image")


@pytest.mark.parametrize("quality", [float("nan"), "high", 50.5, None])
def test_a_quality_that_is_not_an_integer_setting_is_a_parameter_error(quality):
    """NaN or a string raised a bare ValueError/TypeError; 50.5 was silently truncated."""
    image = load("coffee", mode="rgb")[:32, :32]
    with pytest.raises(ParameterError, match="quality"):
        encode_classic("jpeg", image, quality)
