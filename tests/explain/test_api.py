"""The public surface of oculi.explain, and the examples in its docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

import oculi.explain as ox


def test_registry_and_public_names() -> None:
    assert ox.methods.names() == sorted([
        "cam", "deconvnet", "features", "gradcam", "gradcam++", "guided-backprop",
        "guided-gradcam", "hirescam", "integrated-gradients", "layercam", "saliency",
        "scorecam", "smoothgrad",
    ])
    assert ox.methods.get("Grad-CAM") is ox.gradcam and ox.methods.get("ig") is (
        ox.integrated_gradients)
    for name in ox.__all__:
        assert hasattr(ox, name)
    fams = {e.name: e.meta["family"] for e in ox.methods.entries()}
    assert fams["gradcam"] == "cam" and fams["saliency"] == "gradient"


@pytest.mark.parametrize("module", ["oculi.explain", "oculi.explain.cam",
                                    "oculi.explain.gradient", "oculi.explain.smoothgrad",
                                    "oculi.explain.visual"])
def test_docstring_examples(module) -> None:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = doctest.testmod(importlib.import_module(module),
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    finally:
        torch.set_num_threads(threads)
    assert result.failed == 0 and result.attempted > 0


def test_overlay_against_hand_blend_and_bad_input() -> None:
    import numpy as np
    import torch
    from matplotlib import colormaps

    from oculi.core.errors import ParameterError, ShapeError
    from oculi.explain.visual import overlay

    img = np.full((4, 5, 3), 0.5, np.float32)
    hm = np.linspace(0, 1, 20).reshape(4, 5)
    want = np.floor(((0.5 * 0.5 + 0.5 * colormaps["jet"](hm)[..., :3]) * 255) + 0.5)
    out = overlay(torch.from_numpy(img).permute(2, 0, 1), hm)  # (3, H, W) tensor input
    assert np.abs(out.astype(float) - want).max() <= 1
    with pytest.raises(ParameterError, match="alpha"):
        overlay(img, hm, alpha=1.5)
    with pytest.raises(ShapeError, match="heatmap"):
        overlay(img, hm[:1])
