"""Public API surface of oculi.geometry and oculi.stitching; importing them stays light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PUBLIC = {
    "oculi.geometry": {"estimate_homography", "estimate_affine", "estimate_similarity",
                       "estimate_transform", "Estimate", "dlt_homography", "refine_homography",
                       "corner_error", "transform_points", "warp_image", "models"},
    "oculi.stitching": {"stitch", "Panorama", "rotating_views", "adjust_rotations",
                        "adjust_homographies", "wave_correct", "blend", "largest_inner_rectangle"},
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_api_surface(module):
    mod = importlib.import_module(module)
    assert PUBLIC[module] <= set(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name} in __all__ but missing"


def test_imports_do_not_pull_torch():
    code = "import sys, oculi.geometry, oculi.stitching; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
