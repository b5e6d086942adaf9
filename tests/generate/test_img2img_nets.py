"""Networks of pix2pix / CycleGAN: shapes, the U-Net's skips, the PatchGAN receptive field
(computed from the layers and measured by back-propagation), configuration errors."""

from __future__ import annotations

import pytest
import torch

from oculi.core.errors import ParameterError, ShapeError
from oculi.generate.img2img_config import CycleGanConfig, Pix2PixConfig, unet_depth
from oculi.generate.img2img_nets import (
    Img2ImgModel,
    PatchCritic,
    ResnetGenerator,
    UNetGenerator,
    receptive_field,
)


@pytest.mark.parametrize(("size", "depth"), [(32, 5), (32, 3), (64, 6), (16, 1)])
def test_unet_shapes(size, depth):
    net = UNetGenerator(1, 3, width=4, depth=depth, norm="instance").eval()
    with torch.no_grad():
        y = net(torch.randn(2, 1, size, size))
    assert y.shape == (2, 3, size, size)
    assert float(y.abs().max()) <= 1.0  # tanh output


def test_unet_skip_reaches_the_output_without_the_bottleneck():
    """Zeroing the innermost layer's weights leaves the output depending on the input through
    the skip connections (an encoder-decoder without skips would give a constant)."""
    torch.manual_seed(0)
    net = UNetGenerator(1, 1, width=4, depth=4, dropout=0.0, norm="batch").eval()
    inner = net.downs[-1][1]
    with torch.no_grad():
        inner.weight.zero_()
    a, b = torch.randn(1, 1, 16, 16), torch.randn(1, 1, 16, 16)
    with torch.no_grad():
        assert float((net(a) - net(b)).abs().max()) > 1e-3


def test_unet_dropout_levels_and_bad_side():
    net = UNetGenerator(1, 1, width=4, depth=5, dropout=0.5)
    assert sum(isinstance(m, torch.nn.Dropout) for m in net.modules()) == 3
    assert not any(isinstance(m, torch.nn.Dropout)
                   for m in UNetGenerator(1, 1, 4, 5, dropout=0.0).modules())
    with pytest.raises(ShapeError, match="multiples of 32"):
        net(torch.randn(1, 1, 48, 48))


def test_resnet_generator_shapes():
    net = ResnetGenerator(3, 1, width=4, blocks=2)
    assert net(torch.randn(2, 3, 20, 24)).shape == (2, 1, 20, 24)
    with pytest.raises(ShapeError):
        net(torch.randn(1, 3, 18, 18))


@pytest.mark.parametrize("patch", [1, 16, 34, 70])
def test_patchgan_receptive_field_computed_and_measured(patch):
    """The formula over the layers gives the configured patch, and the input pixels that
    influence one output score (gradient != 0, batch norm in eval mode so it is pointwise) span
    exactly that many pixels."""
    torch.manual_seed(0)
    critic = PatchCritic(1, width=4, patch=patch, norm="batch").eval()
    assert receptive_field(critic) == patch
    x = torch.randn(1, 1, 160, 160, requires_grad=True)
    out = critic(x)
    h, w = out.shape[-2:]
    out[0, 0, h // 2, w // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    cols = torch.nonzero(x.grad[0, 0].abs().sum(0)).flatten()
    assert int(rows.max() - rows.min() + 1) == patch
    assert int(cols.max() - cols.min() + 1) == patch


def test_receptive_field_formula_on_a_hand_chain():
    chain = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3, 2), torch.nn.Conv2d(1, 1, 5, 1),
                                torch.nn.Conv2d(1, 1, 3, 2, dilation=2))
    # r = 1 + 2*1 = 3 (j=2); + 4*2 = 11 (j=2); + 2*2*2 = 19
    assert receptive_field(chain) == 19


def test_model_pairs_and_cycle_parts():
    paired = Img2ImgModel("paired", 1, 3, width=4, critic_width=4, patch=16, image_size=32)
    a = torch.randn(2, 1, 32, 32)
    fake = paired(a)
    assert fake.shape == (2, 3, 32, 32)
    assert paired.critic(torch.cat([a, fake], 1)).shape == (2, 1, 14, 14)  # 32 -> 16 -> 15 -> 14
    assert paired.generator_ba is None and paired.critic_a is None
    cycle = Img2ImgModel("unpaired", 1, 3, generator="resnet", width=4, res_blocks=1,
                         critic_width=4, patch=70, image_size=32)
    assert cycle.generator_ba(cycle(a)).shape == a.shape
    assert cycle.critic_a(a).shape == (2, 1, 2, 2)
    rebuilt = Img2ImgModel(**cycle.config())
    assert rebuilt.config() == cycle.config()
    assert Img2ImgModel("paired", 1, 1, width=4, critic=False, image_size=32).critics() == []


def test_config_errors():
    assert unet_depth(256, 0) == 8 and unet_depth(32, 0) == 5 and unet_depth(32, 3) == 3
    for bad in ({"patch": 15}, {"image_size": 48}, {"norm": "layer"}, {"dropout": 1.0},
                {"recipe": "cycle"}, {"gan_loss": "wgan-gp"}, {"derive": "sketch"}):
        with pytest.raises(ParameterError):
            Pix2PixConfig(**bad).validate()
    Pix2PixConfig(image_size=48, depth=4).validate()
    with pytest.raises(ParameterError, match="multiple of 4"):
        CycleGanConfig(image_size=30).validate()
    with pytest.raises(ParameterError):
        CycleGanConfig(history=-1).validate()
