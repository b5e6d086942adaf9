"""The Johnson transformer network and AdaIN."""

from __future__ import annotations

import torch

from oculi.stylize import AdaINNet, StyleFeatures, TransformerNet, adain
from oculi.stylize.losses import mean_std
from oculi.stylize.nets import build_stylizer


def test_transformer_net_shape_range_and_instance_norm():
    net = TransformerNet(width=4, blocks=1).eval()
    x = torch.rand(2, 3, 37, 50)
    with torch.no_grad():
        y = net(x)
    assert y.shape == x.shape
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    assert sum(isinstance(m, torch.nn.InstanceNorm2d) for m in net.modules()) == 3 + 2 * 1 + 2
    # instance norm after the first conv: a constant brightness offset barely changes the output
    # of the first normalised block
    first = net.body[0]
    with torch.no_grad():
        a, b = first(x), first(x * 0.5)
    assert torch.allclose(a, b, atol=1e-2)
    rebuilt = build_stylizer({**net.config(), "style": "s.jpg"})
    assert isinstance(rebuilt, TransformerNet) and rebuilt.width == 4


def test_adain_matches_the_style_statistics():
    c = torch.randn(2, 8, 10, 12) * 2 + 3
    s = torch.randn(1, 8, 5, 7) * 0.5 - 1
    t = adain(c, s, eps=0.0)
    mt, st = mean_std(t, eps=0.0)
    ms, ss = mean_std(s, eps=0.0)
    torch.testing.assert_close(mt, ms.expand_as(mt), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(st, ss.expand_as(st), atol=1e-4, rtol=1e-4)


def test_adain_net_shapes_and_alpha():
    net = AdaINNet(StyleFeatures(pretrained=False), "blocks.2", width=4).eval()
    c, s = torch.rand(1, 3, 45, 60), torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        out = net(c, s)
        _, t0 = net.stylize(c, s, alpha=0.0)
    assert out.shape == c.shape and float(out.min()) >= 0 and float(out.max()) <= 1
    # alpha 0: the target is the content's own features
    padded = torch.nn.functional.pad(c, (0, 4, 0, 3), mode="reflect")
    torch.testing.assert_close(t0, net.encode(padded))
    assert "encoder" not in dict(net.named_children())
