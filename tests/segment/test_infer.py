"""Tiled and sliding-window prediction agree with whole-image prediction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.segment import colorize, overlay, predict_image, sliding_window


class _Pointwise(torch.nn.Module):
    """A per-pixel model: tiling must reproduce it exactly (no receptive field)."""

    stride = (4, 4)

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 2, 1)
        self.in_channels, self.num_classes = 3, 2

    def forward(self, x):
        return self.conv(x)


def test_sliding_window_equals_whole_for_pointwise_model():
    torch.manual_seed(0)
    m = _Pointwise().eval()
    x = torch.rand(1, 3, 50, 70)
    with torch.no_grad():
        whole = m(x)
    tiled = sliding_window(m, x, 24, overlap=0.5)
    assert tiled.shape == whole.shape
    assert torch.allclose(tiled, whole, atol=1e-5)
    flat = sliding_window(m, x, 24, overlap=0.5, blend="mean")
    assert torch.allclose(flat, whole, atol=1e-5)


def test_sliding_window_rejects_unknown_blend():
    from oculi.core.errors import ParameterError

    with pytest.raises(ParameterError, match="blend"):
        sliding_window(_Pointwise(), torch.rand(1, 3, 16, 16), 8, blend="gauss")


def test_sliding_window_3d_shapes_and_values():
    conv = torch.nn.Conv3d(1, 3, 1).eval()
    x = torch.rand(1, 1, 7, 20, 18)
    out = sliding_window(conv, x, (4, 8, 8), overlap=0.25)
    with torch.no_grad():
        assert torch.allclose(out, conv(x), atol=1e-5)


def test_predict_image_binary_and_overlay():
    m = _Pointwise().eval()
    with torch.no_grad():
        m.conv.weight.zero_()
        m.conv.bias.copy_(torch.tensor([0.0, 0.0]))
        m.conv.weight[1, 0, 0, 0] = 10.0  # class 1 where red > .5 (channel 1 wins)
        m.conv.bias[1] = -5.0
    img = np.zeros((30, 40, 3), np.uint8)
    img[:, 20:, 0] = 255
    mask, prob = predict_image(m, img, tile=16)
    assert mask.dtype == np.uint8 and (mask[:, 20:] == 1).all() and (mask[:, :20] == 0).all()
    assert prob.shape == (2, 30, 40)
    ov = overlay(img, mask)
    assert ov.shape == (30, 40, 3) and (ov[:, :20] == 0).all()
    assert colorize(np.array([[0, 1]])).shape == (1, 2, 3)


class _LeftRamp(torch.nn.Module):
    """Position-dependent output (a column ramp): flips must be undone exactly."""

    stride = (1, 1)

    def forward(self, x):
        ramp = torch.arange(x.shape[-1], dtype=torch.float32).expand(x.shape[-2], -1)
        return torch.stack([ramp, -ramp])[None].expand(x.shape[0], -1, -1, -1) + x[:, :2]


def test_tta_views_are_mapped_back():
    from oculi.core.errors import ParameterError
    from oculi.segment import predict_logits

    x = torch.rand(1, 3, 6, 9)
    m = _Pointwise().eval()
    ref = sliding_window(m, x, (6, 9))
    for mode in ("none", "hflip", "flips", "d4"):  # pointwise model: every view agrees
        assert torch.allclose(predict_logits(m, x, (6, 9), tta=mode), ref, atol=1e-5), mode
    ramp = predict_logits(_LeftRamp(), x, (6, 9), tta="hflip")
    w = 8.0  # mean of the ramp j and the flipped ramp (8 - j)
    assert torch.allclose(ramp[0, 0], torch.full((6, 9), w / 2) + x[0, 0], atol=1e-5)
    with pytest.raises(ParameterError, match="tta"):
        predict_logits(m, x, (6, 9), tta="rot")
    with pytest.raises(ParameterError, match="2-D"):
        predict_logits(torch.nn.Conv3d(1, 1, 1), torch.rand(1, 1, 4, 4, 4), 4, tta="d4")
