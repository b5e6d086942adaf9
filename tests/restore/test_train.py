"""The ``restore`` trainable task: the networks' shapes, a tiny run that learns and loads into
``upscale``/``denoise``, its evaluation report, and bad settings."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.core.errors import ParameterError
from oculi.data import load
from oculi.io import write_image
from oculi.restore import denoise, imresize, psnr, upscale
from oculi.restore.config import RestoreConfig
from oculi.restore.nets import build_network, networks
from oculi.restore.task import evaluate_restorer, train_restorer, write_evaluation
from oculi.train import read_metrics

TINY: dict = {"epochs": 3, "repeat": 16, "batch_size": 8, "image_size": 32, "val_size": 48,
        "val_images": 1, "lr": 3e-3, "threads": 1, "schedule": "constant"}


@pytest.mark.parametrize("model", ["srcnn", "fsrcnn", "espcn", "edsr"])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_sr_network_shapes(model, scale):
    net = build_network(model, scale, channels=3, depth=2 if model == "edsr" else 0)
    with torch.no_grad():
        out = net(torch.rand(2, 3, 9, 11))
    assert out.shape == (2, 3, 9 * scale, 11 * scale)
    assert build_network(**net.config()).config() == net.config()


def test_paper_sizes():
    assert sum(p.numel() for p in build_network("srcnn", 2).parameters()) == 8129  # 9-1-5
    assert len(build_network("edsr", 2).body) == 17  # 16 residual blocks + a conv
    dncnn = build_network("dncnn", 1, channels=1)
    assert sum(isinstance(m, torch.nn.Conv2d) for m in dncnn.modules()) == 17
    with torch.no_grad():
        assert dncnn(torch.rand(1, 1, 12, 10)).shape == (1, 1, 12, 10)
    assert networks.entry("dncnn").meta["problem"] == "denoise"


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """train/ (one 96x96 embedded crop and an unreadable file) and val/ (another crop)."""
    root = tmp_path_factory.mktemp("photos")
    image = load("astronaut", mode="rgb")
    write_image(root / "train" / "a.png", image[40:136, 160:256])
    (root / "train" / "broken.png").write_bytes(b"not a png")
    write_image(root / "val" / "b.png", image[300:396, 200:296])
    return root


@pytest.fixture(scope="module")
def sr_run(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "espcn"
    result = train_restorer(photos, RestoreConfig(model="espcn", **TINY), out, progress=False)
    return out, result


def test_tiny_sr_run_learns_and_loads(sr_run, photos):
    out, result = sr_run
    history = read_metrics(out)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_psnr"] > history[0]["val_psnr"]
    assert any("broken.png" in name for name in result.skipped)
    hr = load("astronaut", mode="rgb")[300:396, 200:296]
    low = imresize(hr, 0.5)
    up = upscale(low, 2, "espcn", run=out)
    assert up.shape == hr.shape and up.dtype == np.uint8
    assert psnr(hr, up, y_channel=True, shave=2) > 15  # three tiny epochs: far from bicubic
    tiled = upscale(low, 2, run=out, tile=16, overlap=4)
    assert psnr(up, tiled) > 30  # 16-pixel tiles cross-faded: near the whole-image result


def test_run_refuses_other_scale_and_method(sr_run):
    out, _ = sr_run
    low = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ParameterError, match="x2"):
        upscale(low, 3, run=out)
    with pytest.raises(ParameterError, match="espcn"):
        upscale(low, 2, "fsrcnn", run=out)
    with pytest.raises(ParameterError, match="oculi upscale"):
        denoise(low, run=out)


def test_evaluation_report_and_cli(sr_run, photos, tmp_path):
    out, _ = sr_run
    report = evaluate_restorer(out, photos / "val")
    assert [r["image"] for r in report["images"]] == ["b.png"]
    assert report["baseline"] == "bicubic" and report["val_psnr"] > 15
    write_evaluation(report, tmp_path / "ev")
    assert (tmp_path / "ev" / "per_image.csv").read_text().startswith("image,psnr,ssim")
    res = CliRunner().invoke(app, ["eval", "restore", str(out), str(photos / "val"), "-o",
                                   str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    assert "b.png" in res.output and (tmp_path / "cli" / "per_image.csv").is_file()


def test_tiny_denoising_run(photos, tmp_path):
    cfg = RestoreConfig(problem="denoise", depth=4, features=16, sigma=(20.0, 30.0), **TINY)
    train_restorer(photos, cfg, tmp_path / "dn", progress=False)
    clean = load("astronaut", mode="rgb")[300:364, 200:264]
    noisy = np.clip(np.rint(clean + np.random.default_rng(0).normal(0, 25, clean.shape)), 0,
                    255).astype(np.uint8)
    out = denoise(noisy, run=tmp_path / "dn")
    assert out.shape == clean.shape and out.dtype == np.uint8
    tiled = denoise(noisy, run=tmp_path / "dn", tile=24)
    assert tiled.shape == out.shape and psnr(out, tiled) > 30
    report = evaluate_restorer(tmp_path / "dn", photos / "val", sigma=25, crop=48)
    assert report["baseline"] == "noisy" and report["sigma"] == 25
    for option in ({"blur": 1.0}, {"noise": 5.0}):  # SR degradations: refused, not ignored
        with pytest.raises(ParameterError, match=f"{next(iter(option))}: .*--sigma"):
            evaluate_restorer(tmp_path / "dn", photos / "val", **option)
    with pytest.raises(ParameterError, match="dncnn"):
        denoise(noisy, 25, "nlm", run=tmp_path / "dn")


def test_resume_continues_exactly(photos, tmp_path):
    base = dict(TINY, repeat=4, image_size=24, val_size=32)
    cfg = {**base, "model": "fsrcnn", "depth": 1, "features": 8}
    train_restorer(photos, RestoreConfig(**{**cfg, "epochs": 2}), tmp_path / "a",
                   progress=False)
    train_restorer(photos, RestoreConfig(**{**cfg, "epochs": 1}), tmp_path / "b",
                   progress=False)
    train_restorer(photos, RestoreConfig(**{**cfg, "epochs": 2}), tmp_path / "b",
                   resume=True, progress=False)
    a, b = read_metrics(tmp_path / "a"), read_metrics(tmp_path / "b")
    assert a[-1]["train_loss"] == pytest.approx(b[-1]["train_loss"], rel=1e-5)


@pytest.mark.parametrize("bad", [
    {"problem": "deblur"}, {"scale": 5}, {"sigma": (30.0, 10.0)}, {"sigma": (0.0, 300.0)},
    {"channels": 2}, {"model": "dncnn"}, {"problem": "denoise", "model": "espcn"},
    {"image_size": 4}, {"loss": "ssim"}, {"val_split": 1.0}, {"repeat": 0},
    {"val_sigma": 300.0}, {"val_sigma": "25"}, {"sigma": 25.0},
])
def test_bad_settings(bad):
    with pytest.raises(ParameterError):
        RestoreConfig(**bad).validate()


def test_cli_train_upscale_and_denoise_with_run(photos, sr_run, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["train", "restore", str(photos), "-o", str(tmp_path / "run"),
                              "--model", "srcnn", "--epochs", "1", "--repeat", "2",
                              "--image-size", "24", "--val-size", "48", "--threads", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "run" / "best.safetensors").is_file()
    write_image(tmp_path / "lr.png", load("astronaut", mode="rgb")[40:72, 160:200])
    res = runner.invoke(app, ["upscale", str(tmp_path / "lr.png"), "--scale", "2", "--run",
                              str(tmp_path / "run"), "-o", str(tmp_path / "up.png")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["upscale", str(tmp_path / "lr.png"), "--scale", "3", "--run",
                              str(tmp_path / "run"), "-o", str(tmp_path / "up3.png")])
    assert res.exit_code == 2 and "trained for x2" in res.output
    res = runner.invoke(app, ["denoise", str(tmp_path / "lr.png"), "--run", str(sr_run[0]),
                              "-o", str(tmp_path / "dn.png")])
    assert res.exit_code == 2 and "oculi upscale" in res.output


def test_train_and_eval_help():
    runner = CliRunner()
    res = runner.invoke(app, ["train", "restore", "--help"], env={"COLUMNS": "300"})
    assert res.exit_code == 0 and "--problem" in res.output and "--val-sigma" in res.output
    res = runner.invoke(app, ["eval", "restore", "--help"], env={"COLUMNS": "300"})
    assert res.exit_code == 0 and "--sigma" in res.output and "--crop" in res.output


def test_a_run_is_read_once_for_many_images(sr_run, photos, tmp_path, monkeypatch):
    """Evaluating or upscaling several images with one run reads its checkpoint once; a
    rewritten checkpoint is read again."""
    import shutil

    import oculi.train.checkpoint as checkpoint
    from oculi.restore import upscale

    out, _ = sr_run
    run = tmp_path / "run"
    shutil.copytree(out, run)
    reads = []
    real = checkpoint.load_run_model
    monkeypatch.setattr(checkpoint, "load_run_model",
                        lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    images = tmp_path / "images"
    images.mkdir()
    for name in ("c.png", "d.png", "e.png"):
        shutil.copy(photos / "val" / "b.png", images / name)
    report = evaluate_restorer(run, images)
    assert len(report["images"]) == 3 and len(reads) == 1
    low = np.zeros((12, 12, 3), np.uint8)
    upscale(low, 2, run=run)
    assert len(reads) == 1
    ckpt = checkpoint.resolve_checkpoint(run)
    ckpt.write_bytes(ckpt.read_bytes())  # same content, a new modification time
    os.utime(ckpt, ns=(1, 1))
    upscale(low, 2, run=run)
    assert len(reads) == 2
