"""The colorize task end to end on tiny settings: train (CLI), evaluate, predict (CLI), the
NoGAN phases in a real run, bad files and clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.colorize import (
    ColorizeConfig,
    colorize,
    colourfulness,
    evaluate_colorizer,
    image_to_lab,
    load_colorizer,
    train_colorizer,
)
from oculi.colorize.evaluate import centre_crop
from oculi.core.errors import DataError, ParameterError
from oculi.data import load
from oculi.io import read_image, write_image

runner = CliRunner()
TINY = ["--backbone", "tiny", "--short-side", "64", "--image-size", "32", "--repeat", "1",
        "--batch-size", "4", "--val-images", "2", "--workers", "0"]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """train/ (4 crops of embedded colour photos, a grey one and a broken file), val/ (2)."""
    root = tmp_path_factory.mktemp("photos")
    sources = [load(n, mode="rgb") for n in ("astronaut", "coffee", "rocket", "chelsea")]
    for split, items in (("train", [*sources[:3], sources[3][:, :200]]),
                         ("val", [sources[3][:, 200:], sources[0][::-1]])):
        (root / split).mkdir()
        for i, im in enumerate(items):
            write_image(root / split / f"{i}.png", im[:160, :160])
    write_image(root / "train" / "grey.png", load("camera", mode="gray")[:160, :160])
    (root / "train" / "broken.jpg").write_bytes(b"not a jpeg")
    return root


@pytest.fixture(scope="module")
def run(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cls"
    res = runner.invoke(app, ["train", "colorize", str(photos), "-o", str(out), "--epochs", "1",
                              *TINY])
    assert res.exit_code == 0, res.output
    return out


def test_train_skips_grey_and_broken_files_and_stores_the_prior(run):
    summary = json.loads((run / "summary.json").read_text())
    skipped = json.dumps(summary)
    assert "grey.png" in skipped and "broken.jpg" in skipped
    model = load_colorizer(run)
    w = model.class_weights.numpy()
    assert not np.allclose(w, 1.0)  # the training prior reweighted the bins
    assert w.min() > 0 and model.short_side == 64


def test_eval_reports_every_metric(run, photos, tmp_path):
    res = runner.invoke(app, ["eval", "colorize", str(run), str(photos / "val"), "--size", "64",
                              "-o", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    assert "colourfulness" in res.output
    assert (tmp_path / "ev" / "per_image.csv").read_text().count("\n") == 3
    m = json.loads((tmp_path / "ev" / "report.json").read_text())
    assert 0 < m["val_ab_auc"] <= 1 and 0 < m["val_ab_auc_grey"] <= 1
    assert m["val_colourfulness_true"] > 5  # colour photos
    assert 0 <= m["val_top1_agreement"] <= 1 and len(m["images"]) == 2
    truth = read_image(photos / "val" / "1.png", mode="rgb")
    assert m["images"][1]["colourfulness_true"] == pytest.approx(
        colourfulness(centre_crop(truth, 64)))


def test_colorize_cli_keeps_the_input_lightness(run, photos, tmp_path):
    src = photos / "val" / "0.png"
    out = tmp_path / "out.png"
    res = runner.invoke(app, ["colorize", str(src), "-o", str(out), "--run", str(run),
                              "--json", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    a, b = read_image(src, mode="rgb"), read_image(out, mode="rgb")
    assert a.shape == b.shape
    dl = np.abs(image_to_lab(a)[..., 0] - image_to_lab(b)[..., 0])
    assert np.median(dl) < 2.0  # the lightness is the input's (gamut clipping aside)
    assert json.loads((tmp_path / "s.json").read_text())["model"] == "classification"
    grey = colorize(load("camera", mode="gray")[:96, :96], run)  # grey input is the use case
    assert grey.shape == (96, 96, 3) and grey.dtype == np.uint8


def test_bad_inputs_are_clear_errors(run, photos, tmp_path):
    res = runner.invoke(app, ["colorize", str(photos / "train" / "broken.jpg"), "-o",
                              str(tmp_path / "o.png"), "--run", str(run)])
    assert res.exit_code == 2 and "broken.jpg" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["colorize", str(photos / "val" / "0.png"), "-o",
                              str(tmp_path / "o.png"), "--run", str(tmp_path)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    greys = tmp_path / "greys"
    greys.mkdir()
    write_image(greys / "g.png", load("camera", mode="gray")[:80, :80])
    with pytest.raises(DataError, match="colour photo"):
        evaluate_colorizer(run, greys, size=64)
    with pytest.raises(ParameterError, match="image_size"):
        ColorizeConfig(image_size=48).validate()
    with pytest.raises(ParameterError, match="generator epoch"):
        ColorizeConfig(model="unet", epochs=2).validate()


def test_unet_nogan_run_follows_the_phases(photos, tmp_path):
    cfg = ColorizeConfig(model="unet", backbone="tiny", short_side=64, image_size=32, repeat=1,
                         batch_size=4, val_images=1, epochs=3, width=8, critic_width=8,
                         perceptual_weight=0.0)
    result = train_colorizer(photos, cfg, tmp_path / "unet", progress=False)
    h = result.history
    assert "critic_loss" not in h[0] and "content_loss" in h[0]       # generator pretraining
    assert "critic_loss" in h[1] and "content_loss" not in h[1]       # critic pretraining
    assert "critic_loss" in h[2] and "adversarial_loss" in h[2]       # the adversarial phase
    out = colorize(load("chelsea", mode="rgb")[:64, :64], tmp_path / "unet")
    assert out.shape == (64, 64, 3)


def test_resume_continues_exactly(photos, tmp_path):
    import torch

    cfg = ColorizeConfig(model="regression", backbone="tiny", short_side=64, image_size=32,
                         repeat=1, batch_size=4, val_images=1, epochs=2, schedule="constant")
    train_colorizer(photos, cfg, tmp_path / "full", progress=False)
    # the same constant schedule for 1 epoch, then resumed to 2
    train_colorizer(photos, ColorizeConfig(**{**cfg.to_dict(), "epochs": 1}), tmp_path / "cut",
                    progress=False)
    train_colorizer(photos, cfg, tmp_path / "cut", resume=True, progress=False)
    a, b = load_colorizer(tmp_path / "full"), load_colorizer(tmp_path / "cut")
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.allclose(x.float(), y.float(), atol=1e-6), name
