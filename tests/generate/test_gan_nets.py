"""The GAN building blocks and networks: shapes per architecture, losses' behaviour, spectral
normalisation, modulated convolution, ProGAN fade-in, EMA."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from oculi.generate.gan_blocks import ModulatedConv2d, fade_in, grow_schedule, spectral
from oculi.generate.gan_config import GAN_LOSSES, GanConfig
from oculi.generate.gan_nets import GanModel
from oculi.train.losses.gan import discriminator_loss, generator_loss


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "stylegan"])
@pytest.mark.parametrize("size", [28, 32])
def test_shapes_per_arch_with_every_option(arch, size):
    conv = arch != "mlp"
    m = GanModel(arch, size, latent=16, width=16, classes=10, info_categorical=10,
                 info_continuous=2, attention=conv, spectral_norm=True)
    z, y = torch.randn(3, 16), torch.tensor([0, 4, 9])
    info = torch.cat([F.one_hot(torch.tensor([1, 2, 3]), 10).float(), torch.rand(3, 2)], 1)
    img = m(z, y, info)
    assert img.shape == (3, 1, size, size)
    assert float(img.detach().abs().max()) <= 1.0
    score, feats = m.critic(img, y)
    assert score.shape == (3,) and feats.shape == (3, 32)
    assert m.critic.q_head(feats).shape == (3, 12)
    if conv:  # every growing stage: generator and critic at base * 2^stage
        for stage in range(m.generator.stages):
            side = m.generator.base * 2**stage
            g = m.generator(m.code(z, y, info), stage, 0.5 if stage else 1.0)
            assert g.shape == (3, 1, side, side)
            assert m.critic(g, y, stage, 0.5)[0].shape == (3,)


@pytest.mark.parametrize("kind", [k for k in GAN_LOSSES])
def test_each_loss_rewards_the_right_side(kind):
    real, fake = torch.tensor([0.5, 0.2, 0.1]), torch.tensor([-0.1, 0.0, 0.3])
    d = discriminator_loss(kind, real, fake)
    # a critic scoring real higher and fake lower has a lower loss (small steps: LSGAN's
    # targets are 1 and 0)
    assert float(discriminator_loss(kind, real + 0.2, fake - 0.05)) < float(d)
    # a generator whose fakes score higher has a lower loss
    g = generator_loss(kind, fake, real)
    assert float(generator_loss(kind, fake + 0.2, real)) < float(g)


def test_spectral_norm_bounds_top_singular_value():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 8, 3)
    with torch.no_grad():
        conv.weight.mul_(5.0)
    before = float(torch.linalg.svdvals(conv.weight.detach().reshape(8, -1))[0])
    layer = spectral(conv, True).train()
    x = torch.randn(2, 4, 6, 6)
    for _ in range(30):  # power iterations, one per training forward pass
        layer(x)
    after = torch.linalg.svdvals(layer.weight.reshape(8, -1))[0]
    assert before > 2.0
    assert float(after) == pytest.approx(1.0, abs=1e-3)
    assert spectral(torch.nn.Linear(3, 3), False).__class__ is torch.nn.Linear


def test_modulated_conv_is_plain_conv_with_unit_styles_and_no_demodulation():
    torch.manual_seed(1)
    mod = ModulatedConv2d(3, 5, 3, demodulate=False)
    with torch.no_grad():
        mod.bias.normal_()
    x = torch.randn(2, 3, 9, 9)
    want = F.conv2d(x, mod.effective_weight(), mod.bias, padding=1)
    got = mod(x, torch.ones(2, 3))
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    # a style scales the input channel it belongs to; demodulation undoes a global scale
    s = torch.tensor([[2.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    x2 = x.clone()
    x2[0, 0] *= 2.0
    torch.testing.assert_close(mod(x, s), mod(x2, torch.ones(2, 3)), atol=1e-5, rtol=1e-5)
    demod = ModulatedConv2d(3, 5, 3, demodulate=True)
    torch.testing.assert_close(demod(x, torch.full((2, 3), 7.0)), demod(x, torch.ones(2, 3)),
                               atol=1e-4, rtol=1e-4)


def test_fade_in_schedule_and_blend():
    steps = [grow_schedule(s, 100, 3) for s in (0, 99, 100, 125, 150, 199, 200, 250, 10**6)]
    assert steps == [(0, 1.0), (0, 1.0), (1, 0.0), (1, 0.5), (1, 1.0), (1, 1.0), (2, 0.0),
                     (2, 1.0), (2, 1.0)]
    assert grow_schedule(5, 0, 3) == (2, 1.0)
    old, new = torch.zeros(2), torch.ones(2)
    assert fade_in(0.25, old, new).tolist() == [0.25, 0.25]


@pytest.mark.parametrize("arch", ["dcgan", "stylegan"])
def test_fade_in_at_alpha_zero_is_the_previous_stage_upsampled(arch):
    torch.manual_seed(2)
    m = GanModel(arch, 28, latent=8, width=16).eval()
    code = m.code(torch.randn(2, 8))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        low = m.generator(code, 0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        faded = m.generator(code, 1, 0.0)
    if arch == "dcgan":  # stylegan's noise inputs differ between the two calls' layers
        torch.testing.assert_close(faded, F.interpolate(low, scale_factor=2))
    assert faded.shape[-1] == 14
    # the critic at alpha 0 sees only the downsampled path
    x = torch.randn(2, 1, 14, 14)
    s0 = m.critic(F.avg_pool2d(x, 2), None, 0)[0]
    s1 = m.critic(x, None, 1, 0.0)[0]
    torch.testing.assert_close(s0, s1)


def test_ema_update_formula_on_a_gan():
    from oculi.train.optim import ModelEma

    m = GanModel("mlp", 28, latent=4, width=8)
    ema = ModelEma(m, decay=0.9)
    p0 = [p.detach().clone() for p in ema.module.parameters()]
    with torch.no_grad():
        for p in m.parameters():
            p.add_(1.0)
    ema.update(m)  # first update: d = min(0.9, 2/11)
    d = 2 / 11
    for e, old, new in zip(ema.module.parameters(), p0, m.parameters(), strict=True):
        torch.testing.assert_close(e, d * old + (1 - d) * new)


def test_config_refuses_bad_combinations():
    from oculi.core.errors import ParameterError

    for bad in ({"arch": "mlp", "grow_epochs": 1.0}, {"arch": "mlp", "attention": True},
                {"loss": "wasserstein"}, {"size": 30}, {"info_categorical": 1}):
        with pytest.raises(ParameterError):
            GanConfig(**bad).validate()
