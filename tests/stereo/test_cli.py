"""The stereo CLI, mounted as ``oculi stereo`` is (the line in cli/main.py TOPICS)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from oculi.cli.stereo import app as stereo_app
from oculi.io import read_image, write_image
from oculi.stereo import bad_pixel_rate

runner = CliRunner()
root = typer.Typer()
root.add_typer(stereo_app, name="stereo")


@pytest.fixture
def pair_files(tmp_path, dots):
    left, right, gt = dots
    write_image(tmp_path / "l.png", left)
    write_image(tmp_path / "r.png", right)
    write_image(tmp_path / "gt.png", np.round(gt * 4).astype(np.uint8))
    return tmp_path, gt


def test_disparity_with_scores_raw_and_ply(pair_files):
    d, gt = pair_files
    js = d / "s.json"
    res = runner.invoke(root, ["stereo", str(d / "l.png"), str(d / "r.png"), "-o",
                               str(d / "disp.png"), "-d", "32", "--gt", str(d / "gt.png"),
                               "--gt-scale", "4", "--raw", str(d / "disp.npy"), "--ply",
                               str(d / "c.ply"), "--focal", "100", "--baseline", "0.1",
                               "--json", str(js), "--no-check"])
    assert res.exit_code == 0, res.output
    assert "sgm: 96x64, 32 disparities" in res.output
    disp = np.load(d / "disp.npy")
    assert bad_pixel_rate(disp[:, 20:], gt[:, 20:], 1.0) < 0.02
    summary = json.loads(js.read_text())
    assert summary["scores"]["bad2"] == pytest.approx(
        bad_pixel_rate(disp, np.round(gt * 4) / 4, 2.0))
    assert read_image(d / "disp.png").shape == (64, 96, 3)
    assert (d / "c.ply").read_bytes().startswith(b"ply\n")


def test_sgbm_rounds_max_disparity_and_says_so(pair_files):
    d, _ = pair_files
    res = runner.invoke(root, ["stereo", str(d / "l.png"), str(d / "r.png"), "-o",
                               str(d / "disp.png"), "-m", "sgbm", "-d", "20", "--raw",
                               str(d / "disp16.png"), "--no-check"])
    assert res.exit_code == 0, res.output
    assert "rounded up to 32" in res.output
    assert read_image(d / "disp16.png", mode="unchanged").dtype == np.uint16


def test_one_line_errors(pair_files, tmp_path):
    d, _ = pair_files
    left = read_image(d / "l.png", mode="gray")
    write_image(d / "small.png", left[:, :80])
    res = runner.invoke(root, ["stereo", str(d / "l.png"), str(d / "small.png"), "-o",
                               str(d / "x.png")])
    assert res.exit_code == 2 and "expected the same size" in res.output
    res = runner.invoke(root, ["stereo", str(d / "l.png"), str(d / "r.png"), "-o",
                               str(d / "x.png"), "-m", "nope"])
    assert res.exit_code == 2 and "unknown stereo method" in res.output


def test_unrectified_pair_is_refused(tmp_path):
    from oculi.stereo import load_motorcycle

    pair = load_motorcycle(scale=0.5)
    write_image(tmp_path / "l.png", pair.left)
    write_image(tmp_path / "r.png", np.roll(pair.right, 8, axis=0))
    res = runner.invoke(root, ["stereo", str(tmp_path / "l.png"), str(tmp_path / "r.png"),
                               "-o", str(tmp_path / "x.png")])
    assert res.exit_code == 2 and "not rectified?" in res.output


@pytest.mark.parametrize("command", [["stereo", "normals"], ["normals"]])
def test_normals_command(tmp_path, command):
    _, u = np.mgrid[0:30, 0:40].astype(np.float32)
    depth = (2.0 + 0.01 * u).astype(np.float32)  # a plane sloping away to the right
    raw = np.round(depth * 5000).astype(np.uint16)
    write_image(tmp_path / "d.png", raw)
    from oculi.cli.main import app as oculi_app

    res = runner.invoke(oculi_app, [*command, str(tmp_path / "d.png"), "-o",
                               str(tmp_path / "n.png"), "--fx", "100", "--npy",
                               str(tmp_path / "n.npy")])
    assert res.exit_code == 0, res.output
    n = np.load(tmp_path / "n.npy")
    assert n.shape == (30, 40, 3)
    # tangent (1, 0, k) with k > 0: the camera-facing normal is (k, 0, -1) / norm
    assert np.nanmedian(n[..., 0]) > 0.3 and np.nanmedian(n[..., 2]) < -0.7
    assert read_image(tmp_path / "n.png").shape == (30, 40, 3)


def test_unreadable_npy_is_one_line(tmp_path):
    (tmp_path / "d.npy").write_bytes(b"not an array")
    res = runner.invoke(root, ["stereo", "normals", str(tmp_path / "d.npy"), "-o",
                               str(tmp_path / "n.png")])
    assert res.exit_code == 2 and "not a numeric .npy array" in res.output
