"""The ``lowlight`` trainable task: the four zero-reference losses against hand computations, the
re-exposure, a tiny Zero-DCE++ run that brightens a dark held-out image and loads into
``enhance(run=)``, exact resume, the LOL-style evaluation, bad settings and CLI errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.core.errors import DataError, ParameterError
from oculi.data import load
from oculi.io import write_image
from oculi.restore import enhance
from oculi.restore.lowlight_config import LowlightConfig
from oculi.restore.lowlight_data import linear_to_srgb, reexpose, srgb_to_linear
from oculi.restore.lowlight_losses import (
    ZeroReferenceLoss,
    color_constancy,
    exposure_control,
    illumination_smoothness,
    spatial_consistency,
)
from oculi.restore.lowlight_task import evaluate_lowlight, train_lowlight
from oculi.train import read_metrics
from tests.restore.conftest import photo_folder

TINY: dict = {"epochs": 4, "image_size": 32, "crop_min": 32, "crop_max": 96, "repeat": 8,
              "batch_size": 4, "val_size": 64, "val_images": 1, "lr": 1e-3,
              "exposures": (-3.0, -2.0), "clip_grad_norm": 0.0, "threads": 1}


def _blocks(values: list[list[float]], side: int, channels=(1.0, 1.0, 1.0)) -> torch.Tensor:
    """A 1x3xHxW image made of ``side`` x ``side`` constant blocks; channel c of block v is
    ``v * channels[c]``."""
    grid = torch.tensor(values, dtype=torch.float32)
    plane = grid.repeat_interleave(side, 0).repeat_interleave(side, 1)
    return torch.stack([plane * k for k in channels])[None]


def test_spatial_consistency_by_hand():
    low = _blocks([[0.1, 0.2, 0.1], [0.3, 0.1, 0.2]], 4)
    up = _blocks([[0.3, 0.2, 0.5], [0.3, 0.4, 0.2]], 4)
    d = (up - low)[0, 0, ::4, ::4].tolist()            # the change of each 4x4 region
    total = 0.0
    for i in range(2):
        for j in range(3):
            for di, dj in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                if 0 <= i + di < 2 and 0 <= j + dj < 3:
                    total += (d[i][j] - d[i + di][j + dj]) ** 2
    expected = total / 6                                  # K = 6 regions
    assert expected > 0.01
    assert float(spatial_consistency(low, up)) == pytest.approx(expected, rel=1e-5)
    # a uniform brightening keeps every neighbour difference: no loss
    assert float(spatial_consistency(low, low + 0.25)) == pytest.approx(0.0, abs=1e-10)
    # only the 4x4 region means count: detail inside a region is free
    noisy = up + 0.05 * torch.tensor([1.0, -1.0]).repeat(6).view(1, 1, 1, 12)
    assert float(spatial_consistency(low, noisy)) == pytest.approx(expected, rel=1e-5)


def test_exposure_control_by_hand():
    values = [[0.1, 0.6], [0.9, 0.3]]
    image = _blocks(values, 16, channels=(0.5, 1.0, 1.5))   # channel mean = the block value
    expected = sum((v - 0.6) ** 2 for row in values for v in row) / 4
    assert float(exposure_control(image)) == pytest.approx(expected, rel=1e-5)
    assert float(exposure_control(image, level=0.3)) == pytest.approx(
        sum((v - 0.3) ** 2 for row in values for v in row) / 4, rel=1e-5)
    assert float(exposure_control(torch.full((2, 3, 32, 32), 0.6))) == pytest.approx(0, abs=1e-12)


def test_color_constancy_by_hand():
    image = torch.ones(1, 3, 4, 4) * torch.tensor([0.2, 0.5, 0.3]).view(1, 3, 1, 1)
    d_rg, d_rb, d_gb = (0.2 - 0.5) ** 2, (0.2 - 0.3) ** 2, (0.5 - 0.3) ** 2
    expected = math.sqrt(d_rg ** 2 + d_rb ** 2 + d_gb ** 2)
    assert float(color_constancy(image)) == pytest.approx(expected, rel=1e-5)
    # a gray image has no loss and a finite gradient
    gray = torch.full((2, 3, 4, 4), 0.4, requires_grad=True)
    value = color_constancy(gray)
    value.backward()
    assert float(value.detach()) < 1e-5 and torch.isfinite(gray.grad).all()


def test_illumination_smoothness_by_hand():
    a = torch.tensor([[0.0, 0.5, -0.5], [1.0, 1.0, 0.0]])           # one 2x3 map
    curves = torch.stack([a, 2 * a])[None]                           # N=1, two maps
    dx = sum((r[j + 1] - r[j]) ** 2 for r in a.tolist() for j in range(2))
    dy = sum((a[1, j] - a[0, j]) ** 2 for j in range(3))
    per_map = dy / (1 * 3) + dx / (2 * 2)
    expected = 2 * (per_map + 4 * per_map)                            # the 2a map: 4x
    assert float(illumination_smoothness(curves)) == pytest.approx(float(expected), rel=1e-5)
    batch = torch.cat([curves, torch.zeros_like(curves)])            # averaged over N
    assert float(illumination_smoothness(batch)) == pytest.approx(float(expected) / 2, rel=1e-5)


def test_weighted_sum_uses_the_weights():
    low = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 0.2
    up = low * 2
    curves = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    total, parts = ZeroReferenceLoss(smoothness=1600.0)(low, up, curves)
    assert float(parts["tv"]) == pytest.approx(1600 * float(illumination_smoothness(curves)),
                                               rel=1e-5)
    assert float(parts["exp"]) == pytest.approx(10 * float(exposure_control(up)), rel=1e-5)
    assert float(total) == pytest.approx(sum(float(v) for v in parts.values()), rel=1e-6)
    assert LowlightConfig(model="zero-dce++").smoothness_weight == 1600
    assert LowlightConfig().smoothness_weight == 200


def test_reexpose_doubles_linear_light():
    x = np.array([[[0.02, 0.2, 0.5]]], np.float32)
    assert np.allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-6)
    brighter = reexpose(x, 1.0)
    assert np.allclose(srgb_to_linear(brighter), 2 * srgb_to_linear(x), atol=1e-5)
    assert reexpose(np.full((1, 1, 3), 200, np.uint8), 3.0).max() == pytest.approx(1.0)
    assert 0 < reexpose(x, -3.0).mean() < x.mean() / 2


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return photo_folder(tmp_path_factory.mktemp("photos"), 96)


@pytest.fixture(scope="module")
def plus_run(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "pp"
    cfg = LowlightConfig(model="zero-dce++", scale_factor=4, **TINY)
    return out, train_lowlight(photos, cfg, out, progress=False)


def test_tiny_run_brightens_a_dark_image(plus_run):
    out, result = plus_run
    assert any("broken.png" in name for name in result.skipped)
    history = read_metrics(out)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    clean = load("astronaut", mode="rgb")[300:396, 200:296]         # the held-out crop
    dark = np.rint(reexpose(clean, -3.0) * 255).astype(np.uint8)
    bright = enhance(dark, "zero-dce++", run=out)
    assert bright.shape == dark.shape and bright.dtype == np.uint8
    before, after = dark.mean() / 255, bright.mean() / 255
    assert after > before + 0.1                                      # toward E = 0.6
    assert abs(after - 0.6) < abs(before - 0.6)
    assert enhance(dark, None, run=out).mean() == pytest.approx(bright.mean())


def test_run_refuses_other_method_and_weights(plus_run):
    out, _ = plus_run
    dark = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ParameterError, match="zero-dce\\+\\+"):
        enhance(dark, "zero-dce", run=out)
    with pytest.raises(ParameterError, match="no trained run"):
        enhance(dark, "gamma", run=out)
    with pytest.raises(ParameterError, match="not both"):
        enhance(dark, "zero-dce++", "weights.pth", run=out)


def test_resume_continues_exactly(photos, tmp_path):
    cfg = dict(TINY, repeat=2, val_size=32, image_size=32)
    train_lowlight(photos, LowlightConfig(**{**cfg, "epochs": 2}), tmp_path / "a",
                   progress=False)
    train_lowlight(photos, LowlightConfig(**{**cfg, "epochs": 1}), tmp_path / "b",
                   progress=False)
    train_lowlight(photos, LowlightConfig(**{**cfg, "epochs": 2}), tmp_path / "b",
                   resume=True, progress=False)
    a, b = read_metrics(tmp_path / "a"), read_metrics(tmp_path / "b")
    assert a[-1]["train_loss"] == pytest.approx(b[-1]["train_loss"], rel=1e-6)
    assert a[-1]["val_loss"] == pytest.approx(b[-1]["val_loss"], rel=1e-6)


@pytest.fixture
def pairs(tmp_path):
    """A LOL-like folder: low/ (darkened crops) and high/ (the crops)."""
    for k, (y, x) in enumerate([(40, 160), (300, 200)]):
        clean = load("astronaut", mode="rgb")[y:y + 64, x:x + 64]
        write_image(tmp_path / "high" / f"{k}.png", clean)
        write_image(tmp_path / "low" / f"{k}.png",
                    np.rint(reexpose(clean, -3.0) * 255).astype(np.uint8))
    return tmp_path


def test_evaluation_on_pairs(plus_run, pairs):
    out, _ = plus_run
    report = evaluate_lowlight(out, pairs, compare="gamma")
    assert [r["image"] for r in report["images"]] == ["0.png", "1.png"]
    assert report["model"] == "zero-dce++"
    assert report["val_psnr"] > report["val_psnr_input"] + 2
    assert 0 < report["val_ssim"] <= 1 and "val_psnr_gamma" in report
    with pytest.raises(DataError, match="low/ and high/"):
        evaluate_lowlight(out, pairs / "low")


def test_evaluation_reads_the_checkpoint_once(plus_run, pairs, monkeypatch):
    import oculi.restore.lowlight_task as task

    loads = []
    real = task.load_lowlight
    monkeypatch.setattr(task, "load_lowlight", lambda run: loads.append(run) or real(run))
    task._cached.cache_clear()
    assert evaluate_lowlight(plus_run[0], pairs)["model"] == "zero-dce++"
    assert len(loads) == 1


@pytest.mark.parametrize("bad", [
    {"model": "zero-dce+++"}, {"image_size": 8}, {"crop_min": 400, "crop_max": 300},
    {"exposures": ()}, {"exposures": (-30.0,)}, {"exposure_level": 1.2}, {"tv_weight": -1.0},
    {"scale_factor": 0}, {"val_split": 1.0}, {"repeat": 0},
])
def test_bad_settings(bad):
    with pytest.raises(ParameterError):
        LowlightConfig(**bad).validate()


def test_cli_bad_inputs_exit_2(plus_run, pairs, tmp_path):
    runner = CliRunner()
    out, _ = plus_run
    picture = tmp_path / "dark.png"
    write_image(picture, np.full((16, 16, 3), 20, np.uint8))
    cases = [
        (["enhance", str(picture), "--run", str(tmp_path / "missing"), "-o",
          str(tmp_path / "o.png")], "no such run"),
        (["enhance", str(picture), "--method", "zero-dce", "--run", str(out), "-o",
          str(tmp_path / "o.png")], "zero-dce++"),
        (["train", "lowlight", str(pairs), "-o", str(tmp_path / "r"), "--model", "dce"],
         "model"),
        (["eval", "lowlight", str(out), str(pairs / "low")], "low/ and high/"),
    ]
    for args, words in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert words in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["enhance", str(picture), "--run", str(out), "-o",
                              str(tmp_path / "o.png")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["eval", "lowlight", str(out), str(pairs), "-o",
                              str(tmp_path / "ev")])
    assert res.exit_code == 0 and "1.png" in res.output, res.output
    csv = (tmp_path / "ev" / "per_image.csv").read_text().splitlines()
    assert csv[0] == "image,psnr,ssim,psnr_baseline" and len(csv) == 3


@pytest.mark.slow
def test_training_on_shared_photos_beats_the_input_on_lol(tmp_path):
    from tests.conftest import shared_set

    photos = shared_set("hymenoptera")
    lol = shared_set("lowlight_lol")
    cfg = LowlightConfig(model="zero-dce++", epochs=2, image_size=96, repeat=1, lr=1e-3,
                         val_images=2, val_size=96, threads=1)
    train_lowlight(photos / "train", cfg, tmp_path / "run", progress=False)
    report = evaluate_lowlight(tmp_path / "run", lol)
    assert report["val_psnr"] > report["val_psnr_input"] + 3     # input 7.2 dB
