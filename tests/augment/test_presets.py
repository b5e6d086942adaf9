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


def test_task_recipes_are_seeded_and_resumable() -> None:
    import numpy as np

    from oculi.augment import augment_preset, random_state, recipe_names, set_random_state

    assert recipe_names() == ["classify-train", "detect-train", "segment-train"]
    image = np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)
    mask = (image[..., 0] > 128).astype(np.uint8)
    a = augment_preset("segment-train", 32, seed=5, flips="hv")
    b = augment_preset("segment-train", 32, seed=5, flips="hv")
    for _ in range(3):  # same seed, same stream; the mask follows the pixels
        x, y = a(image=image, mask=mask), b(image=image, mask=mask)
        np.testing.assert_array_equal(x["image"], y["image"])
        np.testing.assert_array_equal(x["mask"], y["mask"])
    state = random_state(a)
    first = [a(image=image)["image"] for _ in range(3)]
    set_random_state(a, state)
    again = [a(image=image)["image"] for _ in range(3)]
    for u, v in zip(first, again, strict=True):
        np.testing.assert_array_equal(u, v)
    boxes = augment_preset("detect-train", 64, seed=0, affine=0.0, color=0.0, flip=1.0)
    out = boxes(image=image, bboxes=np.array([[5, 5, 20, 30]], np.float32), labels=[1], ids=[0])
    sx, sy = 64 / 50, out["image"].shape[0] / 40  # longer side 64, the height rounded
    assert out["image"].shape[:2] == (51, 64)
    np.testing.assert_allclose(out["bboxes"][0], [(50 - 20) * sx, 5 * sy, (50 - 5) * sx,
                                                  30 * sy], atol=1e-3)
