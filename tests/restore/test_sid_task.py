"""The ``sid`` trainable task: the U-Net's shapes, a tiny run that learns and loads, exact resume,
the evaluation report, bad settings and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.data import load
from oculi.restore import psnr
from oculi.restore.sid_config import SidConfig
from oculi.restore.sid_net import SidUNet, load_sid, sid_enhance, sid_enhance_image
from oculi.restore.sid_task import evaluate_sid, simple_pipeline, train_sid
from oculi.restore.unprocess import short_exposure
from oculi.train import read_metrics
from tests.restore.conftest import photo_folder

TINY: dict = {"epochs": 3, "repeat": 12, "batch_size": 4, "features": 4, "image_size": 64,
              "val_size": 64, "val_images": 1, "threads": 1, "schedule": "constant", "lr": 2e-3}


def test_unet_shapes_and_paper_width():
    net = SidUNet(4)
    with torch.no_grad():
        out = net(torch.rand(2, 4, 32, 48))
    assert out.shape == (2, 3, 64, 96)
    assert SidUNet(**net.config()).config() == net.config()
    paper = SidUNet(32)
    assert [b[0].out_channels for b in paper.down] == [32, 64, 128, 256, 512]
    assert paper.head.out_channels == 12


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return photo_folder(tmp_path_factory.mktemp("photos"), 128)


@pytest.fixture(scope="module")
def run(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sid"
    result = train_sid(photos, SidConfig(**TINY), out, progress=False)
    return out, result


def test_tiny_run_learns_and_loads(run, photos):
    out, result = run
    history = read_metrics(out)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    assert any("broken.png" in name for name in result.skipped)
    net = load_sid(out)
    assert isinstance(net, SidUNet) and net.features == 4
    clean = load("astronaut", mode="rgb")[300:362, 200:270]   # 62x70: not a multiple of 32
    raw = short_exposure(clean / 255.0, 100, np.random.default_rng(0), (5e-4, 5e-4))
    restored = sid_enhance(raw, out, 100)
    assert restored.shape == (62, 70, 3) and restored.dtype == np.float32
    assert restored.min() >= 0.0 and restored.max() <= 1.0
    dark = np.clip(raw, 0, 1)
    assert psnr(clean, restored) > psnr(clean, np.repeat(dark[..., None], 3, 2))
    image_out, preview = sid_enhance_image(clean, net, 100)
    assert image_out.shape == (62, 70, 3) and preview.shape == (31, 35, 3)


def test_resume_continues_exactly(photos, tmp_path):
    cfg = dict(TINY, repeat=3, image_size=32, val_size=32)
    train_sid(photos, SidConfig(**{**cfg, "epochs": 2}), tmp_path / "a", progress=False)
    train_sid(photos, SidConfig(**{**cfg, "epochs": 1}), tmp_path / "b", progress=False)
    train_sid(photos, SidConfig(**{**cfg, "epochs": 2}), tmp_path / "b", resume=True,
              progress=False)
    a, b = read_metrics(tmp_path / "a"), read_metrics(tmp_path / "b")
    assert a[-1]["train_loss"] == pytest.approx(b[-1]["train_loss"], rel=1e-5)
    assert a[-1]["val_psnr"] == pytest.approx(b[-1]["val_psnr"], rel=1e-5)


def test_evaluation_report(run, photos):
    out, _ = run
    report = evaluate_sid(out, photos / "val", ratio=300, crop=64)
    assert [r["image"] for r in report["images"]] == ["b.png"]
    assert report["ratio"] == 300 and np.isfinite(report["val_psnr_baseline"])
    with pytest.raises(DataError):
        evaluate_sid(out, photos / "nothing")


def test_simple_pipeline_is_exact_without_noise():
    rng = np.random.default_rng(0)
    srgb = np.ones((16, 16, 3), np.float32) * rng.random(3).astype(np.float32)
    raw = short_exposure(srgb, 100, rng, (1e-9, 1e-9))
    assert psnr(srgb, simple_pipeline(raw, 100)) > 50
    noisy = short_exposure(srgb, 100, rng, (1e-3, 1e-3))
    assert psnr(srgb, simple_pipeline(noisy, 100)) < 30


@pytest.mark.parametrize(("raw", "ratio", "error"), [
    (np.zeros((33, 64), np.float32), 100, ShapeError),        # odd height
    (np.zeros((32, 64, 3), np.float32), 100, ShapeError),     # not a Bayer raw
    (np.zeros((32, 64), np.float32), 0, ParameterError),
    (np.zeros((32, 64), np.float32), -100, ParameterError),
])
def test_bad_inputs(run, raw, ratio, error):
    with pytest.raises(error):
        sid_enhance(raw, run[0], ratio)


def test_not_a_sid_run(tmp_path):
    with pytest.raises(DataError):
        load_sid(tmp_path)


@pytest.mark.parametrize("bad", [
    {"ratios": ()}, {"ratios": (100.0, -1.0)}, {"shot_noise": (1e-3, 1e-4)},
    {"shot_noise": (0.0, 1e-3)}, {"features": 0}, {"image_size": 16}, {"val_size": 100},
    {"val_ratio": 0.0}, {"val_ratio": "100"}, {"shot_noise": 1e-3}, {"loss": "ssim"},
    {"val_split": 1.0},
])
def test_bad_settings(bad):
    with pytest.raises(ParameterError):
        SidConfig(**bad).validate()


@pytest.mark.slow
def test_trained_net_beats_the_simple_pipeline(tmp_path):
    """Trained for a few minutes on the embedded photos, the U-Net restores a held-out x100 crop
    better than amplify + ISP (the noise dominates the simple pipeline's error)."""
    out = tmp_path / "sid"
    train_sid(None, SidConfig(epochs=12, repeat=16, features=8, image_size=96, val_size=96,
                              val_images=2, threads=1), out, progress=False)
    clean = load("chelsea", mode="rgb")[40:232, 100:292]
    raw = short_exposure(clean / 255.0, 100, np.random.default_rng(1), (5e-4, 5e-4))
    assert psnr(clean, sid_enhance(raw, out, 100)) > psnr(clean, simple_pipeline(raw, 100)) + 1
