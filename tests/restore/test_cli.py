"""``oculi upscale`` / ``denoise`` / ``enhance`` through the root command."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import read_image, write_image
from oculi.restore import imresize, psnr
from tests.conftest import SHARED_DATA

runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    hr = load("astronaut", mode="rgb")[60:156, 150:246]
    write_image(tmp_path / "lr.png", imresize(hr, 0.5))
    noise = np.random.default_rng(0).normal(0, 20, hr.shape)
    write_image(tmp_path / "noisy.png", np.clip(np.rint(hr + noise), 0, 255).astype(np.uint8))
    write_image(tmp_path / "dark.png", (hr // 5).astype(np.uint8))
    rgba16 = np.dstack([hr, np.full(hr.shape[:2], 128, np.uint8)]).astype(np.uint16) * 257
    write_image(tmp_path / "rgba16.png", rgba16)
    write_image(tmp_path / "dot.png", np.zeros((1, 1, 3), np.uint8))
    return tmp_path, hr


def test_upscale(files):
    d, hr = files
    res = runner.invoke(app, ["upscale", str(d / "lr.png"), "--scale", "2", "-o",
                              str(d / "up.png"), "--json", str(d / "up.json")])
    assert res.exit_code == 0, res.output
    up = read_image(d / "up.png", mode="rgb")
    assert up.shape == hr.shape and psnr(hr, up) > 24
    summary = json.loads((d / "up.json").read_text())
    assert summary["method"] == "bicubic" and summary["size"] == [96, 96]


def test_upscale_16bit_alpha_kept(files):
    d, _ = files
    res = runner.invoke(app, ["upscale", str(d / "rgba16.png"), "--scale", "2", "--method",
                              "lanczos", "-o", str(d / "up16.png")])
    assert res.exit_code == 0, res.output
    out = read_image(d / "up16.png", mode="unchanged")
    assert out.shape == (192, 192, 4) and out.dtype == np.uint16
    assert (out[..., 3] == 128 * 257).all()


def test_denoise_sigma_and_auto(files):
    d, hr = files
    noisy = read_image(d / "noisy.png", mode="rgb")
    for flag in (["--sigma", "20"], ["--auto"]):
        res = runner.invoke(app, ["denoise", str(d / "noisy.png"), *flag, "-o",
                                  str(d / "dn.png"), "--json", str(d / "dn.json")])
        assert res.exit_code == 0, res.output
        assert psnr(hr, read_image(d / "dn.png", mode="rgb")) > psnr(hr, noisy) + 2
    summary = json.loads((d / "dn.json").read_text())
    assert summary["sigma_estimated"] and 15 < summary["sigma"] < 25


def test_enhance(files):
    d, _ = files
    res = runner.invoke(app, ["enhance", str(d / "dark.png"), "--method", "gamma", "-o",
                              str(d / "en.png")])
    assert res.exit_code == 0, res.output
    assert read_image(d / "en.png").mean() > read_image(d / "dark.png").mean() + 20


@pytest.mark.parametrize(("args", "message"), [
    (["upscale", "dot.png", "--scale", "2"], "at least 4x4"),
    (["upscale", "lr.png", "--scale", "2", "--method", "espcn"], ".pb file"),
    (["denoise", "noisy.png", "--sigma", "5", "--auto"], "give one of them"),
    (["enhance", "dark.png", "--method", "zero-dce"], "weights file"),
    (["enhance", "dark.png", "--method", "limee"], "did you mean"),
])
def test_bad_input_one_line_exit_2(files, args, message):
    d, _ = files
    args = [args[0], str(d / args[1]), *args[2:], "-o", str(d / "x.png")]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_upscale_model_scale_mismatch(files):
    model = SHARED_DATA.parent / "models" / "superres" / "ESPCN_x2.pb"
    if not model.exists():
        pytest.skip("superres models not found")
    d, _ = files
    res = runner.invoke(app, ["upscale", str(d / "lr.png"), "--scale", "3", "--model",
                              str(model), "-o", str(d / "x.png")])
    assert res.exit_code == 2 and "upscales by 2, scale 3" in res.output
    ok = runner.invoke(app, ["upscale", str(d / "lr.png"), "--scale", "2", "--model",
                             str(model), "-o", str(d / "e.png")])
    assert ok.exit_code == 0 and "espcn" in ok.output
