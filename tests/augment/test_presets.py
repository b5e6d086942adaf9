"""albumentations presets: sizes, reproducibility, strength ordering, unknown names."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from oculi.augment import augment_preset, preset_names
from oculi.core.errors import UnknownNameError


def test_names() -> None:
    assert preset_names() == ["default", "heavy", "light"]


@pytest.mark.parametrize("name", ["light", "default", "heavy"])
def test_output_size_dtype_and_seed(name: str) -> None:
    image = data.chelsea()
    a = augment_preset(name, size=(96, 128), seed=7)
    b = augment_preset(name, size=(96, 128), seed=7)
    outs_a = [a(image=image)["image"] for _ in range(4)]
    outs_b = [b(image=image)["image"] for _ in range(4)]
    for x, y in zip(outs_a, outs_b, strict=True):
        assert x.shape == (96, 128, 3)
        assert x.dtype == np.uint8
        assert np.array_equal(x, y)
    assert augment_preset(name, seed=1)(image=image)["image"].dtype == np.uint8


def test_strength_increases_light_to_heavy() -> None:
    image = data.chelsea()
    change = {}
    for name in ("light", "default", "heavy"):
        aug = augment_preset(name, seed=3)
        diffs = [np.abs(aug(image=image)["image"].astype(float) - image).mean() for _ in range(30)]
        change[name] = float(np.mean(diffs))
    assert change["light"] < change["default"] < change["heavy"]


def test_unknown_preset_lists_close_match() -> None:
    with pytest.raises(UnknownNameError, match="heavy"):
        augment_preset("heavvy")
