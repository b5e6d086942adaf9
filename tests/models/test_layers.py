"""Separable convolution, the heads, SqueezeNext, the input spec's preprocessing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.models import ConvHead, InputSpec, LinearHead, SeparableConv2d, SqueezeNext


def test_separable_conv_equals_depthwise_then_pointwise() -> None:
    torch.manual_seed(0)
    layer = SeparableConv2d(8, 16, 3, stride=2, norm=False, activation=None)
    n_params = sum(p.numel() for p in layer.parameters())
    assert n_params == 8 * 9 + 8 + 8 * 16 + 16  # weights + biases, vs 8*16*9 for a full conv
    x = torch.rand(2, 8, 11, 13)
    dw = torch.nn.functional.conv2d(x, layer.depthwise.weight, layer.depthwise.bias, 2, 1,
                                    groups=8)
    ref = torch.nn.functional.conv2d(dw, layer.pointwise.weight, layer.pointwise.bias)
    out = layer(x)
    assert out.shape == (2, 16, 6, 7)
    torch.testing.assert_close(out, ref)


def test_heads_pool_any_map_size() -> None:
    torch.manual_seed(0)
    lin, conv = LinearHead(32, 5), ConvHead(32, 5)
    for hw in ((1, 1), (5, 9), (12, 12)):
        f = torch.rand(3, 32, *hw)
        torch.testing.assert_close(lin(f), lin.fc(f.mean((2, 3))))
        torch.testing.assert_close(conv(f), conv.class_maps(f).mean((2, 3)))


def test_squeezenext_matches_the_paper_size() -> None:
    model = SqueezeNext()
    assert sum(p.numel() for p in model.parameters()) / 1e6 == pytest.approx(0.72, abs=0.01)
    with torch.no_grad():
        assert model(torch.rand(1, 3, 96, 96)).shape == (1, 1000)


@pytest.mark.parametrize("interpolation", ["bicubic", "bilinear"])
def test_preprocess_matches_timm_eval_transform(interpolation: str) -> None:
    from PIL import Image
    from timm.data import create_transform

    from oculi.data import load

    image = load("chelsea", mode="rgb")
    spec = InputSpec(size=(224, 224), interpolation=interpolation, crop_pct=0.875)
    ours = spec.preprocess(image)[0]
    tf = create_transform(input_size=(3, 224, 224), interpolation=interpolation, crop_pct=0.875,
                          mean=(0, 0, 0), std=(1, 1, 1))
    ref = tf(Image.fromarray(image))
    assert ours.shape == ref.shape == (3, 224, 224)
    diff = (ours - ref).abs()  # PIL (uint8, a=-0.5) vs torch (float, a=-0.75) filters
    assert float(diff.mean()) < 0.003 and float(diff.max()) < 0.02
    assert float(ours.min()) >= 0.0 and float(ours.max()) <= 1.0


def test_preprocess_accepts_gray_float_and_rgba() -> None:
    spec = InputSpec(size=(32, 48))
    batch = spec.preprocess([np.zeros((40, 40), np.uint8), np.ones((64, 30, 4), np.float32)])
    assert batch.shape == (2, 3, 32, 48)
    torch.testing.assert_close(batch[1], torch.ones(3, 32, 48))
