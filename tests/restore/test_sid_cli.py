"""``oculi enhance --method sid`` and ``oculi train/eval sid``: a raw .npy and a synthetic photo in,
sRGB out; bad input exits 2 with one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.core.errors import ImageReadError, ParameterError
from oculi.data import load
from oculi.io import read_image, write_image
from oculi.restore import psnr
from oculi.restore.sid_net import sid_enhance_file
from oculi.restore.sid_task import simple_pipeline
from oculi.restore.unprocess import short_exposure


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 1-epoch run on the embedded photos, through the generated ``oculi train sid``."""
    out = tmp_path_factory.mktemp("runs") / "sid"
    res = CliRunner().invoke(app, ["train", "sid", "-", "-o", str(out), "--epochs", "1",
                                   "--repeat", "1", "--features", "4", "--image-size", "32",
                                   "--val-size", "64", "--val-images", "1", "--threads", "1"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    clean = load("chelsea", mode="rgb")[60:124, 150:214]
    raw = short_exposure(clean / 255.0, 100, np.random.default_rng(0), (5e-4, 5e-4))
    counts = np.rint(512 + raw * (16383 - 512)).astype(np.uint16)   # a 14-bit camera
    np.save(root / "dark.npy", counts)
    np.save(root / "odd.npy", counts[:63])
    (root / "empty.npy").write_bytes(b"")
    write_image(root / "photo.png", clean)
    return root


def test_enhance_raw_and_synthetic_photo(run, files, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["enhance", str(files / "dark.npy"), "--method", "sid", "--run",
                              str(run), "--ratio", "100", "--black-level", "512",
                              "--white-level", "16383", "-o", str(tmp_path / "raw.png"),
                              "--json", str(tmp_path / "raw.json")])
    assert res.exit_code == 0, res.output
    out = read_image(tmp_path / "raw.png", mode="rgb")
    assert out.shape == (64, 64, 3)
    summary = json.loads((tmp_path / "raw.json").read_text())
    assert summary["input"] == "raw" and summary["ratio"] == 100
    res = runner.invoke(app, ["enhance", str(files / "photo.png"), "--method", "sid", "--run",
                              str(run), "--ratio", "300", "-o", str(tmp_path / "syn.png")])
    assert res.exit_code == 0, res.output
    assert read_image(tmp_path / "syn.png", mode="rgb").shape == (64, 64, 3)


def test_raw_levels_match_the_library(run, files):
    counts = np.load(files / "dark.npy")
    image, _ = sid_enhance_file(files / "dark.npy", run, 100, 512, 16383)
    floats = (counts.astype(np.float32) - 512) / (16383 - 512)
    np.save(files / "float.npy", floats)
    again, _ = sid_enhance_file(files / "float.npy", run, 100)
    assert np.abs(image.astype(int) - again.astype(int)).max() <= 1


@pytest.mark.parametrize(("name", "extra", "message"), [
    ("odd.npy", ["--ratio", "100"], "even"),
    ("dark.npy", ["--ratio", "0"], "ratio"),
    ("dark.npy", ["--ratio", "-5"], "ratio"),
    ("dark.npy", [], "--ratio"),
    ("empty.npy", ["--ratio", "100"], "empty.npy"),
    ("dark.npy", ["--ratio", "100", "--black-level", "20000", "--white-level", "16383"],
     "white_level"),
])
def test_bad_input_exits_2(run, files, tmp_path, name, extra, message):
    res = CliRunner().invoke(app, ["enhance", str(files / name), "--method", "sid", "--run",
                                   str(run), *extra, "-o", str(tmp_path / "o.png")])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("extra", [["--ratio", "100"], ["--black-level", "5"],
                                   ["--white-level", "255"]])
def test_raw_options_need_method_sid(files, tmp_path, extra):
    res = CliRunner().invoke(app, ["enhance", str(files / "photo.png"), *extra,
                                   "-o", str(tmp_path / "o.png")])
    assert res.exit_code == 2, res.output
    assert "--method sid" in res.output and not (tmp_path / "o.png").exists()


def test_library_errors(run, files, tmp_path):
    with pytest.raises(ParameterError, match="--run"):
        sid_enhance_file(files / "dark.npy", None, 100)
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    with pytest.raises(ImageReadError):
        sid_enhance_file(tmp_path / "bad.npy", run, 100)
    np.save(tmp_path / "rgb.npy", np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="HxW"):
        sid_enhance_file(tmp_path / "rgb.npy", run, 100)


def test_eval_cli(run, files, tmp_path):
    (tmp_path / "refs").mkdir()
    write_image(tmp_path / "refs" / "p.png", read_image(files / "photo.png", mode="rgb"))
    res = CliRunner().invoke(app, ["eval", "sid", str(run), str(tmp_path / "refs"),
                                   "--ratio", "300"])
    assert res.exit_code == 0, res.output
    assert "p.png" in res.output and "simple pipeline" in res.output


def test_denoised_pipeline_beats_the_plain_one():
    clean = load("chelsea", mode="rgb")[60:188, 150:278]
    raw = short_exposure(clean / 255.0, 100, np.random.default_rng(2), (5e-4, 5e-4))
    plain = psnr(clean, simple_pipeline(raw, 100))
    assert psnr(clean, simple_pipeline(raw, 100, "nlm")) > plain + 2
