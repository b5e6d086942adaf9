"""colorize's validation crops: oculi.restore.patches.central_crops over read_colour."""

import numpy as np
import pytest

from oculi.core.errors import DataError
from oculi.data import load
from oculi.io import write_image


def test_lab_centres_are_the_centre_of_the_lab_image_and_skip_grey_and_broken(tmp_path):
    from oculi.colorize.config import ColorizeConfig
    from oculi.colorize.data import LabCentres, read_colour

    photo = load("coffee", mode="rgb")  # 400 x 600
    write_image(tmp_path / "grey.png", load("camera", mode="gray")[:120, :120])
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    write_image(tmp_path / "a.png", photo)
    write_image(tmp_path / "b.png", photo[:, :300].transpose(1, 0, 2))  # portrait
    sources = [str(tmp_path / n) for n in ("grey.png", "broken.jpg", "a.png", "b.png")]
    cfg = ColorizeConfig(short_side=80, val_images=2)
    val = LabCentres(sources, cfg)
    assert val.names == sources[2:] and set(val.skipped) == set(sources[:2])
    assert "grey" in val.skipped[sources[0]]
    for (light, ab), source in zip(val, sources[2:], strict=True):
        lab = read_colour(source, 80)
        h, w = lab.shape[:2]  # side 80 - 80 % 32 = 64, the centre of the scaled image
        centre = lab[(h - 64) // 2:(h - 64) // 2 + 64, (w - 64) // 2:(w - 64) // 2 + 64]
        assert tuple(light.shape) == (1, 64, 64) and tuple(ab.shape) == (2, 64, 64)
        assert np.array_equal(light[0].numpy(), centre[..., 0] / 100.0)
        assert np.array_equal(ab.numpy().transpose(1, 2, 0), centre[..., 1:])
    with pytest.raises(DataError, match=r"none of 2 image.*grey"):
        LabCentres(sources[:2], cfg)
