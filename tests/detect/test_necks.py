"""Shared necks: BiFPN's shapes and its fast normalised fusion, PAN shared with YOLO (same
checkpoint keys), and the necks as options of the torchvision detectors."""

from __future__ import annotations

import pytest
import torch

from oculi.detect.necks import BiFPN, FastFusion, NeckBackbone


class _Feats(torch.nn.Module):
    """Stand-in backbone: strides 8/16/32 by average pooling, channels (8, 16, 24)."""

    channels, strides = [8, 16, 24], [8, 16, 32]

    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.ModuleList(torch.nn.Conv2d(3, c, 1) for c in self.channels)

    def forward(self, x):
        return [p(torch.nn.functional.avg_pool2d(x, s, ceil_mode=True))
                for p, s in zip(self.proj, self.strides, strict=True)]


def test_bifpn_shapes_follow_the_levels_on_odd_sizes():
    feats = _Feats()(torch.rand(2, 3, 200, 136))          # 25x17, 13x9, 7x5
    neck = BiFPN(_Feats.channels, width=32, num_layers=2, levels=5)
    out = neck(feats)
    assert [tuple(o.shape) for o in out] == [(2, 32, 25, 17), (2, 32, 13, 9), (2, 32, 7, 5),
                                             (2, 32, 4, 3), (2, 32, 2, 2)]
    # 2 layers x (4 top-down + 4 bottom-up) fusion nodes; inner bottom-up nodes fuse 3 inputs
    sizes = [len(f.weight) for f in neck.fusions()]
    assert sizes == ([2] * 4 + [3, 3, 3, 2]) * 2


def test_fast_fusion_weights_are_non_negative_and_normalised():
    fuse = FastFusion(3)
    a, b, c = (torch.full((1, 1, 2, 2), v) for v in (1.0, 2.0, 4.0))
    with torch.no_grad():
        fuse.weight.copy_(torch.tensor([1.0, 3.0, -2.0]))    # a negative weight counts as 0
    w = fuse.normalised()
    assert w.tolist() == pytest.approx([0.25, 0.75, 0.0], abs=1e-4)
    assert torch.allclose(fuse([a, b, c]), torch.full_like(a, 0.25 * 1 + 0.75 * 2), atol=1e-3)
    # gradient steps that push the weights below zero leave them non-negative, summing to ~1
    fuse = FastFusion(3)
    assert fuse.normalised().tolist() == pytest.approx([1 / 3] * 3, abs=1e-4)
    opt = torch.optim.SGD(fuse.parameters(), lr=1.0)
    for _ in range(5):
        loss = -fuse([-a, -b, c]).mean()          # favours c, drives the others down
        opt.zero_grad()
        loss.backward()
        opt.step()
        w = fuse.normalised().detach()
        assert (w >= 0).all() and float(w.sum()) == pytest.approx(1.0, abs=1e-3)
    assert float(w[2]) > 0.9


def test_neck_backbone_levels_for_each_detector_family():
    x = torch.rand(2, 3, 128, 96)
    for neck in ("pan", "bifpn"):
        for extra, n in (("pool", 4), ("p6p7", 5)):
            out = NeckBackbone(_Feats(), neck, 16, extra, bifpn_layers=1)(x)
            assert list(out) == [str(i) for i in range(n)]
            assert [o.shape[-2] for o in out.values()] == [16, 8, 4, 2, 1][:n]
            assert {o.shape[1] for o in out.values()} == {16}


def test_bad_neck_is_a_parameter_error():
    from oculi.core.errors import ParameterError
    from oculi.detect import create_detector

    with pytest.raises(ParameterError, match="neck"):
        NeckBackbone(_Feats(), "bipfn")
    with pytest.raises(ParameterError, match="levels"):
        BiFPN([8, 16, 24], levels=2)
    with pytest.raises(ParameterError, match="neck"):
        create_detector("retinanet", pretrained=False, image_size=64, neck="panet")


def test_yolo_uses_the_shared_pan_with_its_checkpoint_keys():
    from oculi.detect import create_detector, necks

    m = create_detector("yolo", num_classes=1, pretrained=False, image_size=64)
    assert type(m.net.neck) is necks.PAN
    keys = set(m.state_dict())
    # checkpoints written before the neck moved load unchanged
    assert {"net.neck.lat.0.0.weight", "net.neck.td4.a.0.weight", "net.neck.bu5.out.1.bias",
            "net.neck.down3.1.running_mean"} <= keys


@pytest.mark.parametrize(("arch", "neck"), [("fcos", "pan"), ("fasterrcnn", "bifpn")])
def test_torchvision_detectors_take_a_shared_neck(arch, neck):
    from oculi.detect import create_detector, necks

    torch.manual_seed(0)
    m = create_detector(arch, num_classes=1, pretrained=False, image_size=192, neck=neck,
                        fpn_channels=32)
    assert isinstance(m.net.backbone, necks.NeckBackbone) and m.net.backbone.kind == neck
    images = [torch.rand(3, 160, 192)]
    targets = [{"boxes": torch.tensor([[20.0, 10.0, 60.0, 50.0]]), "labels": torch.tensor([1])}]
    m.train()
    losses = m(images, targets)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    grads = [p.grad for p in m.net.backbone.neck.parameters()]
    assert all(g is not None for g in grads) and any(float(g.abs().sum()) > 0 for g in grads)
