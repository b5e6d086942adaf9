"""oculi.capsule.layers and nets: squash, routing, margin loss and decoder masking against
hand-computed values; the networks' shapes and parameter counts (the paper's 8.2 M)."""

from __future__ import annotations

import pytest
import torch

from oculi.capsule.layers import margin_loss, mask_capsules, route, squash
from oculi.capsule.nets import CapsNet, build_network, count_parameters, rebuild


def test_squash_shrinks_length_below_one_and_keeps_direction():
    s = torch.randn(64, 16) * torch.logspace(-2, 2, 64)[:, None]
    v = squash(s)
    n_s, n_v = s.norm(dim=1), v.norm(dim=1)
    assert (n_v < 1).all()
    torch.testing.assert_close(n_v, n_s**2 / (1 + n_s**2))
    cos = (s * v).sum(1) / (n_s * n_v)
    torch.testing.assert_close(cos, torch.ones(64))
    # |s| = 1 -> 0.5, |s| = 3 -> 0.9, zero stays zero (no NaN)
    lengths = squash(torch.tensor([[1.0, 0.0], [0.0, 3.0], [0.0, 0.0]])).norm(dim=1)
    torch.testing.assert_close(lengths, torch.tensor([0.5, 0.9, 0.0]))


def test_routing_coefficients_sum_to_one_and_one_iteration_is_uniform():
    torch.manual_seed(0)
    u_hat = torch.randn(3, 20, 5, 4)
    v, c = route(u_hat, 3)
    assert v.shape == (3, 5, 4) and c.shape == (3, 20, 5)
    torch.testing.assert_close(c.sum(2), torch.ones(3, 20))
    v1, c1 = route(u_hat, 1)
    torch.testing.assert_close(c1, torch.full((3, 20, 5), 0.2))
    torch.testing.assert_close(v1, squash(u_hat.sum(1) / 5))


def _route_einsum(u_hat, iterations):
    """Procedure 1 of the paper written with einsum (the reference of the broadcast form)."""
    b = u_hat.new_zeros(u_hat.shape[:3])
    for it in range(iterations):
        c = torch.softmax(b, dim=2)
        src = u_hat if it == iterations - 1 else u_hat.detach()
        v = squash(torch.einsum("bip,bipd->bpd", c, src))
        b = b + torch.einsum("bipd,bpd->bip", u_hat.detach(), v)
    return v, c


def test_routing_equals_the_einsum_form_values_and_gradients():
    torch.manual_seed(2)
    u1 = torch.randn(4, 36, 10, 16, requires_grad=True)
    u2 = u1.detach().clone().requires_grad_()
    g = torch.randn(4, 10, 16)
    v1, c1 = route(u1, 3)
    v2, c2 = _route_einsum(u2, 3)
    torch.testing.assert_close(v1, v2)
    torch.testing.assert_close(c1, c2)
    (v1 * g).sum().backward()
    (v2 * g).sum().backward()
    torch.testing.assert_close(u1.grad, u2.grad)


def test_routing_couples_children_to_the_parent_they_agree_on():
    torch.manual_seed(1)
    u_hat = torch.randn(1, 30, 4, 8) * 0.1
    u_hat[:, :, 2] = torch.tensor([1.0] * 8) + 0.05 * torch.randn(30, 8)  # all agree on 2
    _, c1 = route(u_hat, 1)
    _, c3 = route(u_hat, 3)
    assert (c3[0, :, 2] > 0.5).all()
    assert (c3[0, :, 2] > c1[0, :, 2]).all()


def test_margin_loss_against_hand_computed_value():
    lengths = torch.tensor([[0.95, 0.3, 0.05], [0.5, 0.2, 0.8]])
    labels = torch.tensor([0, 2])
    # row 1: present 0.95 > 0.9 -> 0; absent 0.5 * (0.3 - 0.1)^2 = 0.02; 0.05 < 0.1 -> 0
    # row 2: present (0.9 - 0.8)^2 = 0.01; absent 0.5 * (0.4^2 + 0.1^2) = 0.085
    expected = (0.02 + 0.095) / 2
    assert float(margin_loss(lengths, labels)) == pytest.approx(expected, abs=1e-7)
    assert float(margin_loss(lengths, labels, absent_weight=0.0)) == pytest.approx(0.005)


def test_mask_keeps_only_the_chosen_capsule():
    v = torch.zeros(2, 3, 4)
    v[0, 1] = 0.9
    v[0, 2] = 0.2
    v[1, 0] = 0.5
    masked = mask_capsules(v).view(2, 3, 4)  # by prediction: the longest
    assert masked[0, 1].abs().sum() > 0 and masked[0, [0, 2]].abs().sum() == 0
    assert masked[1, 0].abs().sum() > 0 and masked[1, 1:].abs().sum() == 0
    by_label = mask_capsules(v, torch.tensor([2, 2])).view(2, 3, 4)
    torch.testing.assert_close(by_label[0, 2], v[0, 2])
    assert by_label[:, :2].abs().sum() == 0


def test_capsnet_decoder_sees_only_the_masked_capsule():
    torch.manual_seed(0)
    net = CapsNet(conv_channels=8, primary_channels=2).eval()
    x = torch.rand(4, 1, 28, 28)
    y = torch.tensor([0, 1, 2, 3])
    with torch.no_grad():
        lengths, recon = net(x, y)
        v, c = net.capsules(x)
        assert lengths.shape == (4, 10) and recon.shape == (4, 1, 28, 28)
        assert (lengths < 1).all() and c.shape == (4, 2 * 36, 10)
        torch.testing.assert_close(recon, net.decode(mask_capsules(v, y)))
        v_other = v.clone()
        v_other[torch.arange(4), (y + 1) % 10] += 1.0  # change an unmasked capsule
        torch.testing.assert_close(net.decode(mask_capsules(v_other, y)), recon)
        _, recon_pred = net(x)  # test time: masked by the prediction
        torch.testing.assert_close(recon_pred, net.decode(mask_capsules(v)))


def test_parameter_counts_paper_and_matched_cnn():
    caps = build_network("capsnet")
    # the paper: 8.2 M with the reconstruction subnetwork (6.8 M without)
    assert count_parameters(caps) == pytest.approx(8.2e6, rel=0.01)
    assert count_parameters(caps) - count_parameters(caps.decoder) == pytest.approx(
        6.8e6, rel=0.01)
    for kw in ({}, {"conv_channels": 128, "primary_channels": 16}):
        c, cnn = build_network("capsnet", **kw), build_network("cnn", **kw)
        assert count_parameters(cnn) == pytest.approx(count_parameters(c), rel=0.10)
        rebuilt = rebuild(cnn.config())
        assert count_parameters(rebuilt) == count_parameters(cnn)
        with torch.no_grad():
            assert cnn(torch.rand(2, 1, 28, 28)).shape == (2, 10)
