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
