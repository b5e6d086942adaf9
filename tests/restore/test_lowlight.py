"""Low-light enhancers on a synthetic dark image; Zero-DCE(++) forward passes against a reference
written here from the papers' equations with the published weights; LOL improvement."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ParameterError
from oculi.data import load
from oculi.restore import enhance, enhancers, psnr
from tests.conftest import SHARED_DATA, shared_set

WEIGHTS = SHARED_DATA.parent / "models" / "zero_dce"


@pytest.fixture(scope="module")
def pair():
    clean = load("chelsea", mode="rgb")[40:136, 150:270]        # 96x120: multiples of 12
    dark = np.rint(255 * (clean / 255.0) ** 2.2 * 0.35).astype(np.uint8)
    return clean, dark


@pytest.mark.parametrize(("method", "gain_db"), [("gamma", 2), ("clahe", 2), ("lime", 2),
                                                 ("msrcr", 1)])
def test_classical_methods_brighten_and_improve(pair, method, gain_db):
    clean, dark = pair
    out = enhance(dark, method)
    assert out.shape == dark.shape and out.dtype == np.uint8
    assert out.mean() > dark.mean() + 10
    assert psnr(clean, out) > psnr(clean, dark) + gain_db


def test_alpha_gray_and_float(pair):
    _, dark = pair
    rgba = np.dstack([dark, np.full(dark.shape[:2], 9, np.uint8)])
    out = enhance(rgba, "gamma")
    assert out.shape[2] == 4 and (out[..., 3] == 9).all()
    gray = enhance(dark[..., 0], "lime")
    assert gray.ndim == 2 and gray.mean() > dark[..., 0].mean()
    f = enhance(dark.astype(np.float32) / 255, "msrcr")
    assert f.dtype == np.float32 and f.max() <= 1


def test_zero_dce_needs_a_path(pair):
    with pytest.raises(ParameterError, match="weights"):
        enhance(pair[1], "zero-dce")
    assert {"zero-dce", "zero-dce++"} <= set(enhancers.names())


def _weights(name):
    path = WEIGHTS / name
    if not path.exists():
        pytest.skip(f"published Zero-DCE weights not found at {path}")
    return path


def _reference(x, sd, plus, scale_factor=12):
    """DCE-Net from the papers, straight from the published state dict (no oculi code)."""
    import torch
    import torch.nn.functional as F

    def conv(i, t):
        if not plus:
            return F.conv2d(t, sd[f"e_conv{i}.weight"], sd[f"e_conv{i}.bias"], padding=1)
        dw = F.conv2d(t, sd[f"e_conv{i}.depth_conv.weight"], sd[f"e_conv{i}.depth_conv.bias"],
                      padding=1, groups=t.shape[1])
        return F.conv2d(dw, sd[f"e_conv{i}.point_conv.weight"], sd[f"e_conv{i}.point_conv.bias"])

    inp = F.interpolate(x, scale_factor=1 / scale_factor, mode="bilinear") if plus else x
    x1 = F.relu(conv(1, inp))
    x2 = F.relu(conv(2, x1))
    x3 = F.relu(conv(3, x2))
    x4 = F.relu(conv(4, x3))
    x5 = F.relu(conv(5, torch.cat([x3, x4], 1)))
    x6 = F.relu(conv(6, torch.cat([x2, x5], 1)))
    curves = torch.tanh(conv(7, torch.cat([x1, x6], 1)))
    if plus:   # the published Zero-DCE++ upsampling: bilinear, align corners, x scale_factor
        curves = F.interpolate(curves, scale_factor=scale_factor, mode="bilinear",
                               align_corners=True)
    out = x
    for k in range(8):
        r = curves if plus else curves[:, 3 * k:3 * k + 3]
        out = out - r * out * (1 - out)          # LE(x) = x + a x (1 - x) with a = -r
    return out.clamp(0, 1)


@pytest.mark.parametrize(("file", "plus"), [("ZeroDCE_Epoch99.pth", False),
                                            ("ZeroDCEpp_Epoch99.pth", True)])
def test_zero_dce_matches_reference_forward(pair, file, plus):
    torch = pytest.importorskip("torch")
    path = _weights(file)
    _, dark = pair                      # 96x120: multiples of 12, as the published test crops
    sd = torch.load(path, map_location="cpu", weights_only=True)
    x = torch.from_numpy(dark / 255.0).float().permute(2, 0, 1)[None]
    with torch.no_grad():
        expected = _reference(x, sd, plus)[0].permute(1, 2, 0).numpy()
    ours = enhance(dark.astype(np.float32) / 255, "zero-dce++" if plus else "zero-dce", path)
    assert np.abs(ours - expected).max() < 1e-5
    assert ours.mean() > dark.mean() / 255 + 0.1


def test_zero_dce_improves_lol():
    root = shared_set("lowlight_lol")
    path = _weights("ZeroDCE_Epoch99.pth")
    from oculi.io import read_image

    low = read_image(root / "low" / "1.png", mode="rgb")
    high = read_image(root / "high" / "1.png", mode="rgb")
    out = enhance(low, "zero-dce", path)
    assert psnr(high, out) > psnr(high, low) + 3
