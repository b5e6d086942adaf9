"""``oculi stitch`` and ``oculi homography`` through Typer's CliRunner."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.geometry import corner_error
from oculi.io import encode_image, read_image, write_image
from oculi.stitching import rotating_views

runner = CliRunner()


@pytest.fixture(scope="module")
def views():
    return rotating_views(3, overlap=0.4, seed=5, size=(240, 320))


@pytest.fixture
def files(tmp_path, views):
    return [write_image(tmp_path / f"v{i}.png", im) for i, im in enumerate(views.images)]


def test_stitch_writes_panorama_and_meta(tmp_path, files):
    out, meta = tmp_path / "pano.png", tmp_path / "meta.json"
    res = runner.invoke(app, ["stitch", *map(str, files), "-o", str(out), "--json", str(meta),
                              "--crop", "--projection", "cylindrical"])
    assert res.exit_code == 0, res.output
    pano = read_image(out)
    m = json.loads(meta.read_text())
    assert pano.shape[1] > 500 and m["excluded"] == {} and len(m["transforms"]) == 3
    assert m["mean_reprojection_error_px"] < 0.5 and m["projection"] == "cylindrical"
    assert list(pano.shape[:2]) == m["size"]


def test_stitch_partial_exit_1_names_the_bad_file(tmp_path, files):
    data = encode_image(load("chelsea"), "jpeg")
    bad = tmp_path / "corrupt.jpg"
    bad.write_bytes(data[: len(data) // 3])
    res = runner.invoke(app, ["stitch", *map(str, files), str(bad), "-o",
                              str(tmp_path / "p.jpg")])
    assert res.exit_code == 1, res.output
    assert "corrupt.jpg" in res.output and (tmp_path / "p.jpg").exists()


def test_stitch_nothing_to_stitch_exit_2(tmp_path):
    a = write_image(tmp_path / "cat.png", load("chelsea"))
    b = write_image(tmp_path / "coins.png", load("coins"))
    res = runner.invoke(app, ["stitch", str(a), str(b), "-o", str(tmp_path / "p.png")])
    assert res.exit_code == 2
    assert "cat.png" in res.output and "coins.png" in res.output
    res = runner.invoke(app, ["stitch", str(a), "-o", str(tmp_path / "p.png")])
    assert res.exit_code == 2 and "at least 2" in res.output


def test_homography_json_and_warp(tmp_path, files, views):
    meta, warped = tmp_path / "h.json", tmp_path / "w.png"
    res = runner.invoke(app, ["homography", str(files[0]), str(files[1]), "--json", str(meta),
                              "-o", str(warped)])
    assert res.exit_code == 0, res.output
    h = np.array(json.loads(meta.read_text())["model"])
    assert corner_error(h, views.homography(0, 1), (240, 320)) < 1.5
    w = read_image(warped)
    ref = cv2.warpPerspective(views.images[0], views.homography(0, 1), (320, 240))
    assert w.shape == ref.shape and np.abs(w.astype(int) - ref).mean() < 3.0


def test_homography_no_match_exit_2(tmp_path):
    a = write_image(tmp_path / "flat.png", np.full((64, 64, 3), 128, np.uint8))
    b = write_image(tmp_path / "cat.png", load("chelsea"))
    res = runner.invoke(app, ["homography", str(a), str(b)])
    assert res.exit_code == 2 and "flat.png" in res.output
