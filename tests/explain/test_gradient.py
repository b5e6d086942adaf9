"""Gradient family: parity with captum, and hand-computed rules where the anchors are wrong."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.errors import ParameterError
from oculi.explain import (
    deconvnet,
    guided_backprop,
    guided_gradcam,
    integrated_gradients,
    normalize_maps,
    saliency,
    smoothgrad,
)
from oculi.explain.gradient import reduce_channels

captum = pytest.importorskip("captum.attr")

T = torch.tensor([3, 500])


@pytest.fixture(scope="module")
def x() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.rand(2, 3, 48, 48)


def _check(ours, ref: torch.Tensor) -> None:
    ref = ref.detach()
    assert float((ours.attributions - ref).abs().max() / ref.abs().max()) <= 1e-5
    assert float((ours.maps - normalize_maps(reduce_channels(ref))).abs().max()) <= 1e-4


def _leaf(x: torch.Tensor) -> torch.Tensor:
    return x.clone().requires_grad_(True)


def test_saliency_vs_captum(resnet18, x) -> None:
    _check(saliency(resnet18, x, T),
           captum.Saliency(resnet18).attribute(_leaf(x), target=T, abs=False))


def test_guided_backprop_and_deconvnet_vs_captum_on_resnet18(resnet18, x) -> None:
    ours = guided_backprop(resnet18, x, T)
    ref = captum.GuidedBackprop(resnet18).attribute(_leaf(x), target=T).detach()
    assert torch.equal(ours.attributions, ref)  # exactly: the same rule on every ReLU
    _check(deconvnet(resnet18, x, T),
           captum.Deconvolution(resnet18).attribute(_leaf(x), target=T))


def test_guided_gradcam_vs_captum(resnet18, x) -> None:
    ref = captum.GuidedGradCam(resnet18, resnet18.layer4).attribute(
        _leaf(x), target=T, interpolate_mode="bilinear")
    _check(guided_gradcam(resnet18, x, T), ref)


def test_integrated_gradients_vs_captum(resnet18, x) -> None:
    ours = integrated_gradients(resnet18, x, T, steps=12)
    ref = captum.IntegratedGradients(resnet18).attribute(x, target=T, n_steps=12)
    _check(ours, ref)
    # completeness: attributions sum to f(x) - f(0)
    with torch.no_grad():
        gap = resnet18(x)[[0, 1], T] - resnet18(torch.zeros_like(x))[[0, 1], T]
    total = ours.attributions.sum((1, 2, 3))
    assert torch.allclose(total, gap, rtol=0.05, atol=0.05)


def test_smoothgrad_vs_noise_tunnel_with_fixed_noise(resnet18, x) -> None:
    samples, sd = 4, 0.1
    torch.manual_seed(7)
    noise = torch.normal(0, torch.tensor(sd).repeat((2 * samples, *x.shape[1:])))
    ours = smoothgrad(resnet18, x, T, samples=samples, noise=noise, batch_size=3)
    torch.manual_seed(7)  # NoiseTunnel draws the same noise from the same seed
    ref = captum.NoiseTunnel(captum.Saliency(resnet18)).attribute(
        _leaf(x), nt_type="smoothgrad", nt_samples=samples, stdevs=sd, target=T, abs=False)
    _check(ours, ref)


def test_guided_backprop_on_relu6_and_silu_nets_is_not_the_plain_gradient(lite0_random) -> None:
    """The anchors only patch nn.ReLU: on EfficientNet-Lite0 (ReLU6) their guided backprop is
    the plain gradient; oculi's is not."""
    torch.manual_seed(1)
    x = torch.rand(2, 3, 48, 48)
    plain = saliency(lite0_random, x, [1, 2]).attributions
    ours = guided_backprop(lite0_random, x, [1, 2]).attributions
    theirs = captum.GuidedBackprop(lite0_random).attribute(_leaf(x), target=[1, 2]).detach()
    assert torch.allclose(theirs, plain, atol=1e-7)  # the anchor's silent failure
    assert float((ours - plain).abs().max()) > 10 * float(plain.abs().max()) * 1e-3
    assert ours.shape == (2, 3, 48, 48)


# ----------------------------------------------------------------- hand-computed small cases
class Mlp(nn.Module):
    """conv1x1 -> activation (module, functional, tensor method or in-place) -> GAP -> linear."""

    def __init__(self, act) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(2, 4, 1)
        self.fc = nn.Linear(4, 3)
        self.act = act

    def forward(self, x):
        return self.fc(self.act(self.conv(x)).mean((2, 3)))


def _silu_d(z):
    s = torch.sigmoid(z)
    return s * (1 + z * (1 - s))


def _gelu_d(z):
    return 0.5 * (1 + torch.erf(z / math.sqrt(2))) + z * torch.exp(-z * z / 2) / math.sqrt(2 * math.pi)


CASES = {
    "ReLU module inplace": (nn.ReLU(inplace=True), lambda z: (z > 0).float()),
    "F.relu": (F.relu, lambda z: (z > 0).float()),
    "Tensor.relu_": (lambda t: t.relu_(), lambda z: (z > 0).float()),
    "ReLU6": (nn.ReLU6(inplace=True), lambda z: ((z > 0) & (z < 6)).float()),
    "LeakyReLU": (nn.LeakyReLU(0.1), lambda z: torch.where(z > 0, 1.0, 0.1)),
    "SiLU inplace": (nn.SiLU(inplace=True), _silu_d),
    "F.silu": (F.silu, _silu_d),
    "GELU": (nn.GELU(), _gelu_d),
    "Hardswish": (nn.Hardswish(), lambda z: torch.where(z <= -3, 0.0,
                                                        torch.where(z >= 3, 1.0, (2 * z + 3) / 6))),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rules_by_hand(case) -> None:
    act, deriv = CASES[case]
    net = Mlp(act).eval()
    torch.manual_seed(1)
    x = torch.randn(2, 2, 3, 3) * 3
    x01 = x  # the rule test is about the backward, not the [0, 1] convention
    target = torch.tensor([0, 2])
    with torch.no_grad():
        z = net.conv(x01)
    hw = z.shape[2] * z.shape[3]
    up = net.fc.weight[target].detach()[:, :, None, None].expand_as(z) / hw  # dL/d act output
    w = net.conv.weight.detach()[:, :, 0, 0]  # (4, 2)
    guided = torch.einsum("nchw,cd->ndhw", up.clamp_min(0) * deriv(z), w)
    deconv = torch.einsum("nchw,cd->ndhw", up.clamp_min(0), w)
    plain = torch.einsum("nchw,cd->ndhw", up * deriv(z), w)
    from oculi.explain._hooks import noisy_inputs

    with noisy_inputs():
        g = guided_backprop(net, x01, target).attributions
        d = deconvnet(net, x01, target).attributions
        s = saliency(net, x01, target).attributions
    assert torch.allclose(g, guided, atol=1e-6), case
    assert torch.allclose(d, deconv, atol=1e-6), case
    assert torch.allclose(s, plain, atol=1e-5), case
    assert not any(p.grad is not None for p in net.parameters())


def test_rule_needs_an_activation() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(ParameterError, match="no activation the rule can hook"):
        guided_backprop(net, torch.rand(1, 3, 8, 8))
    assert saliency(net, torch.rand(1, 3, 8, 8)).maps.shape == (1, 8, 8)


def test_smoothgrad_batches_do_not_change_the_result(tiny) -> None:
    x = torch.rand(3, 3, 16, 16)
    a = smoothgrad(tiny, x, 1, samples=5, seed=3, batch_size=2)
    b = smoothgrad(tiny, x, 1, samples=5, seed=3, batch_size=64)
    assert torch.allclose(a.attributions, b.attributions, atol=1e-6)
    c = smoothgrad(tiny, x, 1, method="gradcam", samples=3, seed=3, layer="act2")
    assert c.maps.shape == (3, 16, 16) and c.method == "smoothgrad(gradcam)"
