"""The GAN codec (``gan: true``): the latent-conditioned discriminator, the generator and
discriminator losses against hand computations, exact resume with all three optimizers, the
bit-exact round trip of a GAN run, ``init`` checks and the CLI's refusals."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.compress import CompressConfig, train_codec
from oculi.core.errors import ParameterError, ShapeError

runner = CliRunner()
TINY = dict(channels=8, latent_channels=12, image_size=64, val_size=64, val_images=1, repeat=1,
            batch_size=4, device="cpu", quality=3, lr=2e-3, threads=1)
GAN = dict(gan=True, critic_width=4, perceptual_weight=0.0, rate_target=0.5)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """An MSE run and a GAN run (with the Lite0 perceptual term) started from it."""
    root = tmp_path_factory.mktemp("gan")
    train_codec(None, CompressConfig(epochs=1, **TINY), root / "mse", progress=False)
    result = train_codec(None, CompressConfig(epochs=1, **{**TINY, **GAN, "perceptual_weight":
                                                            0.002}, init=str(root / "mse")),
                         root / "gan", progress=False)
    return root, result


def test_critic_output_shape_and_conditioning():
    from oculi.compress.critic import LatentCritic

    torch.manual_seed(0)
    critic = LatentCritic(12, width=4).eval()
    x = torch.rand(2, 3, 64, 96)
    y = torch.randn(2, 12, 4, 6, requires_grad=True)
    scores = critic(x, y)
    assert scores.shape == (2, 1, 8, 12)
    # the latent conditions the scores: another latent, other scores; a gradient reaches it
    assert not torch.allclose(critic(x, y + 1.0), scores)
    scores.sum().backward()
    assert y.grad.abs().sum() > 0
    # each patch's score depends on the latent only near it (nearest upsampling, local convs)
    y2 = y.detach().clone()
    y2[:, :, 0, 0] += 5.0
    diff = (critic(x, y2) - critic(x, y.detach())).abs()[0, 0]
    assert diff[:2, :2].sum() > 0 and diff[6:, 8:].sum() == 0
    with pytest.raises(ShapeError, match="y_hat"):
        critic(x, torch.randn(2, 12, 4, 5))
    with pytest.raises(ShapeError, match="y_hat"):
        critic(x, torch.randn(2, 7, 4, 6))


def test_generator_and_discriminator_losses_by_hand():
    from oculi.compress.gan import critic_objective, generator_objective, rate_weight

    cfg = CompressConfig(gan=True, lmbda=0.002, perceptual_weight=0.01, adversarial_weight=0.2,
                         rate_target=0.2, rate_boost=4.0)
    bpp, mse, p = torch.tensor(0.3), torch.tensor(0.01), torch.tensor(50.0)
    fake, real = torch.tensor([0.5, -1.0]), torch.tensor([2.0, 0.25])
    total, terms = generator_objective(bpp, mse, p, fake, cfg)
    adv = (math.log(1 + math.exp(-0.5)) + math.log(1 + math.exp(1.0))) / 2  # non-saturating
    assert terms == {"rate_weight": 4.0, "adversarial": pytest.approx(adv)}
    assert float(total) == pytest.approx(4.0 * 0.3 + 0.002 * 255 ** 2 * 0.01 + 0.01 * 50
                                         + 0.2 * adv, rel=1e-6)
    below, terms = generator_objective(torch.tensor(0.1), mse, p, fake, cfg)
    assert terms["rate_weight"] == 1.0
    assert float(below) == pytest.approx(0.1 + 0.002 * 255 ** 2 * 0.01 + 0.5 + 0.2 * adv,
                                         rel=1e-6)
    d = (math.log(1 + math.exp(-2.0)) + math.log(1 + math.exp(-0.25))) / 2 + (
        math.log(1 + math.exp(0.5)) + math.log(1 + math.exp(-1.0))) / 2
    assert float(critic_objective(real, fake, cfg)) == pytest.approx(d, rel=1e-6)
    ls = cfg.replace(gan_loss="lsgan")
    assert float(critic_objective(real, fake, ls)) == pytest.approx(
        0.5 * (1.0 + 0.75 ** 2) / 2 + 0.5 * (0.25 + 1.0) / 2)
    assert generator_objective(bpp, mse, p, fake, ls)[1]["adversarial"] == pytest.approx(
        0.5 * (0.25 + 4.0) / 2)
    # no perceptual or adversarial weight and no target: the MSE codec's loss
    plain = CompressConfig(gan=True, lmbda=0.002, perceptual_weight=0, adversarial_weight=0)
    assert float(generator_objective(bpp, mse, p, fake, plain)[0]) == pytest.approx(
        0.3 + 0.002 * 255 ** 2 * 0.01)
    assert rate_weight(0.25, plain) == 1.0


def test_gan_resume_is_exact_for_every_optimizer(runs, tmp_path):
    root, _ = runs
    # a constant schedule: the split run's first part has the same learning rates
    cfg = CompressConfig(epochs=2, init=str(root / "mse"), schedule="constant", **{**TINY, **GAN})
    train_codec(None, cfg, tmp_path / "straight", progress=False)
    train_codec(None, cfg.replace(epochs=1), tmp_path / "split", progress=False)
    train_codec(None, cfg, tmp_path / "split", resume=True, progress=False)
    a = torch.load(tmp_path / "straight" / "state.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "state.pt", weights_only=True)
    assert any(k.startswith("critic.") for k in a["model"])
    for k, v in a["model"].items():
        torch.testing.assert_close(b["model"][k], v, rtol=0, atol=0, msg=k)
    assert set(a["optimizers"]) == {"main", "aux", "critic"}
    for name in a["optimizers"]:
        sa, sb = a["optimizers"][name]["state"], b["optimizers"][name]["state"]
        assert sa
        for i in sa:
            torch.testing.assert_close(sb[i]["exp_avg"], sa[i]["exp_avg"], rtol=0, atol=0)
    assert a["history"][-1]["val_loss"] == b["history"][-1]["val_loss"]


def test_gan_run_round_trips_bit_exactly(runs, tmp_path):
    from oculi.compress import (
        compress_image,
        decompress_image,
        load_codec,
        model_id,
        reconstruct_image,
    )
    from oculi.data import load

    root, result = runs
    last = result.history[-1]
    assert {"val_perceptual", "perceptual", "critic_loss", "adversarial", "rate_weight"} <= set(
        last)
    mse = 10 ** (-last["val_psnr"] / 10)
    assert last["val_loss"] == pytest.approx(quality_lambda3() * 255 ** 2 * mse + last["val_bpp"]
                                             + 0.002 * last["val_perceptual"], rel=0.5)
    model = load_codec(root / "gan")
    assert model.critic is not None and model.config()["critic"] == 4
    image = load("chelsea", mode="rgb")[:150, :230]
    data = compress_image(image, model)
    assert np.array_equal(decompress_image(data, model), reconstruct_image(image, model))
    # the discriminator takes no part in coding: the file's model id ignores it
    ident = model_id(model)
    with torch.no_grad():
        next(model.critic.parameters()).add_(1.0)
    assert model_id(model) == ident
    # the real file through the CLI: the decoder is the generator, nothing else changes
    from oculi.io import read_image, write_image

    write_image(tmp_path / "in.png", image)
    res = runner.invoke(app, ["compress", str(tmp_path / "in.png"), "-o",
                              str(tmp_path / "x.oculi"), "--run", str(root / "gan")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["decompress", str(tmp_path / "x.oculi"), "-o",
                              str(tmp_path / "out.png"), "--run", str(root / "gan")])
    assert res.exit_code == 0, res.output
    assert np.array_equal(read_image(tmp_path / "out.png", mode="rgb"),
                          reconstruct_image(image, load_codec(root / "gan")))


def quality_lambda3() -> float:
    from oculi.compress import quality_lambda

    return quality_lambda(3)


def test_init_from_another_codec_is_a_clear_error(runs, tmp_path):
    root, _ = runs
    bad = CompressConfig(epochs=1, init=str(root / "mse"), **{**TINY, **GAN, "channels": 16})
    with pytest.raises(ParameterError, match=r"init: .*mse is another codec — channels 8 "
                                             r"\(this run: 16\)"):
        train_codec(None, bad, tmp_path / "bad", progress=False)
    assert not (tmp_path / "bad" / "state.pt").exists()
    # an MSE run from a run with no tensor of its shapes is refused too
    with pytest.raises(ParameterError, match="init: no weight"):
        train_codec(None, CompressConfig(epochs=1, init=str(root / "mse"),
                                         **{**TINY, "latent_channels": 5, "channels": 5}),
                    tmp_path / "bad2", progress=False)


def test_cli_refusals_exit_2(runs, tmp_path):
    root, _ = runs
    base = ["train", "compress", "-", "-o", str(tmp_path / "r"), "--epochs", "1"]
    res = runner.invoke(app, [*base, "--gan", "--model", "factorized"])
    assert res.exit_code == 2 and "gan: the GAN codec is a hyperprior" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, [*base, "--gan", "--init", str(root / "mse"),
                              "--channels", "16", "--latent-channels", "12"])
    assert res.exit_code == 2 and "is another codec" in res.output, res.output
    res = runner.invoke(app, [*base, "--gan", "--gan-loss", "wgan"])
    assert res.exit_code == 2 and "gan_loss" in res.output


@pytest.mark.slow
def test_gan_fine_tuning_beats_mse_fine_tuning_on_the_perceptual_distance(tmp_path):
    """From one MSE codec, GAN training (perceptual + adversarial terms) and MSE training for
    the same steps: the GAN codec's decoded validation crops are closer in Lite0 features, and
    HiFiC's rate control (a target near the MSE codec's rate) keeps its bit rate from rising."""
    from oculi.compress import load_codec
    from oculi.compress.data import CentralCrops
    from oculi.compress.gan import GanStep
    from oculi.restore.patches import image_sources

    cfg = CompressConfig(epochs=6, **{**TINY, "channels": 16, "latent_channels": 24,
                                      "repeat": 4, "quality": 2})
    train_codec(None, cfg, tmp_path / "mse", progress=False)
    more = dict(epochs=4, init=str(tmp_path / "mse"), lr=5e-4)
    train_codec(None, cfg.replace(**more), tmp_path / "ctrl", progress=False)
    train_codec(None, cfg.replace(gan=True, critic_width=8, perceptual_weight=0.01,
                                  rate_target=0.16, **more),
                tmp_path / "gan", progress=False)
    crops = CentralCrops(image_sources(None, cfg)[1], cfg).crops
    step = GanStep(cfg.replace(gan=True))

    def score(run):
        model = load_codec(run / "last.safetensors")
        dist, bpp = [], []
        for x in crops:
            streams = model.encode(x[None])
            dist.append(float(step.distance(model.decode(streams, 64, 64), x[None])))
            bpp.append(8 * sum(map(len, streams)) / 64 ** 2)
        return float(np.mean(dist)), float(np.mean(bpp))

    (d_mse, b_mse), (d_gan, b_gan) = score(tmp_path / "ctrl"), score(tmp_path / "gan")
    assert d_gan < 0.95 * d_mse, (d_gan, d_mse)
    assert b_gan < 1.1 * b_mse, (b_gan, b_mse)  # the rate control holds the rate down


def test_gan_run_copy_still_loads(runs, tmp_path):
    from oculi.compress import find_codec

    root, _ = runs
    shutil.copytree(root / "gan", tmp_path / "q3")
    assert find_codec(tmp_path, 3).critic is not None
