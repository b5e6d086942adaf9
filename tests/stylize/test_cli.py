"""``oculi stylize`` through the root command."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import read_image, write_image

runner = CliRunner()


def test_stylize_tiny_image(tmp_path):
    write_image(tmp_path / "c.png", load("chelsea", mode="rgb")[60:108, 150:198])
    write_image(tmp_path / "s.png", load("coffee", mode="rgb")[100:148, 200:248])
    res = runner.invoke(app, ["stylize", str(tmp_path / "c.png"), "--style",
                              str(tmp_path / "s.png"), "-o", str(tmp_path / "o.png"), "--steps",
                              "4", "--size", "40", "--preserve-color", "--json",
                              str(tmp_path / "o.json")])
    assert res.exit_code == 0, res.output
    out = read_image(tmp_path / "o.png")
    assert out.shape == (40, 40, 3) and out.dtype == np.uint8
    summary = json.loads((tmp_path / "o.json").read_text())
    assert summary["method"] == "gatys-lbfgs" and summary["preserve_color"] == "luminance"
    assert summary["evaluations"] == 4 and summary["losses"]["style"] > 0


def test_bad_style_file_is_one_line(tmp_path):
    write_image(tmp_path / "c.png", load("chelsea", mode="rgb")[60:108, 150:198])
    (tmp_path / "s.jpg").write_bytes(b"not a jpeg")
    res = runner.invoke(app, ["stylize", str(tmp_path / "c.png"), "--style",
                              str(tmp_path / "s.jpg"), "-o", str(tmp_path / "o.png")])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "s.jpg" in lines[0] and "Traceback" not in res.output
    assert not (tmp_path / "o.png").exists()


def test_stylize_a_folder_of_frames_writes_a_video(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    image = load("astronaut", mode="rgb")
    for t in range(3):
        write_image(frames / f"{t:03d}.png", image[100:148, 150 + 2 * t:198 + 2 * t])
    write_image(tmp_path / "s.png", load("coffee", mode="rgb")[100:148, 200:248])
    res = runner.invoke(app, ["stylize", str(frames), "--style", str(tmp_path / "s.png"), "-o",
                              str(tmp_path / "o.mp4"), "--steps", "2", "--size", "48",
                              "--json", str(tmp_path / "o.json")])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "o.json").read_text())
    assert summary["frames"] == 3 and summary["warping_error"] > 0
    from oculi.video import video_info

    assert video_info(tmp_path / "o.mp4")["frames"] == 3


def test_a_negative_size_is_a_clear_error(tmp_path):
    """--size -5 gave a 1x1 picture instead of an error."""
    img = tmp_path / "c.png"
    write_image(img, np.zeros((40, 40, 3), np.uint8))
    result = runner.invoke(app, ["stylize", str(img), "--style", str(img), "-o",
                                      str(tmp_path / "o.png"), "--steps", "1", "--size", "-5"])
    assert result.exit_code == 2
    assert "image_size" in result.output
    assert not (tmp_path / "o.png").exists()


def test_a_missing_style_is_named_as_the_option(tmp_path):
    """Without --style the message read 'None (style): ...'."""
    img = tmp_path / "c.png"
    write_image(img, np.zeros((40, 40, 3), np.uint8))
    result = runner.invoke(app, ["stylize", str(img), "-o", str(tmp_path / "o.png"),
                                 "--steps", "1"])
    assert result.exit_code == 2
    assert "style:" in result.output and "None" not in result.output


def test_a_bad_optimizer_is_named_as_the_option(tmp_path):
    """--optimizer foo was reported as 'method: expected one of lbfgs, adam'."""
    img = tmp_path / "c.png"
    write_image(img, np.zeros((40, 40, 3), np.uint8))
    result = runner.invoke(app, ["stylize", str(img), "--style", str(img), "-o",
                                 str(tmp_path / "o.png"), "--steps", "1", "--optimizer", "foo"])
    assert result.exit_code == 2 and "optimizer:" in result.output
