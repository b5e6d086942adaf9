"""stylize's validation crops: oculi.restore.patches.central_crops over read_content."""

import numpy as np
import pytest

from oculi.core.errors import DataError
from oculi.data import load
from oculi.io import write_image


@pytest.fixture
def sources(tmp_path):
    photo = load("chelsea", mode="rgb")  # 300 x 451
    write_image(tmp_path / "a.png", photo)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    write_image(tmp_path / "b.png", photo[::-1, :200])  # portrait: the crop is vertical
    write_image(tmp_path / "c.png", photo[:100])
    return [str(tmp_path / n) for n in ("a.png", "broken.png", "b.png", "c.png")]


def test_center_crops_are_the_centre_of_the_scaled_image(sources):
    from oculi.stylize.data import CenterCrops, read_content

    val = CenterCrops(sources, 64, 2)
    assert len(val) == 2 and list(val.skipped) == [sources[1]]
    for crop, source in zip(val, (sources[0], sources[2]), strict=True):
        image = read_content(source, 64)  # short side 64
        h, w = image.shape[:2]
        expected = image[(h - 64) // 2:(h - 64) // 2 + 64, (w - 64) // 2:(w - 64) // 2 + 64]
        assert crop.numpy().dtype == np.float32 and tuple(crop.shape) == (3, 64, 64)
        assert np.array_equal(crop.numpy().transpose(1, 2, 0), expected)


def test_center_crops_with_nothing_readable_raise_and_keep_the_reasons(sources):
    from oculi.stylize.data import CenterCrops

    skipped: dict[str, str] = {}
    with pytest.raises(DataError, match=r"none of 1 image.*broken\.png"):
        CenterCrops(sources[1:2], 64, 2, skipped)
    assert list(skipped) == [sources[1]]
