"""``oculi features detect|match|compare`` through Typer's CliRunner."""

from __future__ import annotations

import json

import cv2
import numpy as np
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import read_image, write_image

runner = CliRunner()


def _pair(tmp_path):
    img = cv2.resize(load("astronaut"), (320, 320), interpolation=cv2.INTER_AREA)
    h = np.array([[0.95, -0.1, 20], [0.1, 0.95, -5], [0, 0, 1.0]])
    write_image(tmp_path / "1.png", img)
    write_image(tmp_path / "2.png", cv2.warpPerspective(img, h, (320, 320)))
    np.savetxt(tmp_path / "H_1_2", h)
    return h


def test_detect_writes_overlay_and_json(tmp_path):
    _pair(tmp_path)
    r = runner.invoke(app, ["features", "detect", str(tmp_path / "1.png"), "--method", "orb",
                            "-o", str(tmp_path / "kp.png"), "--json", str(tmp_path / "kp.json")])
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "kp.json").read_text())
    assert data["keypoints"]["x"] and len(data["keypoints"]["x"]) == int(r.output.split()[1])
    assert data["descriptor_kind"] == "binary" and data["norm"] == "hamming"
    assert read_image(tmp_path / "kp.png").shape == (320, 320, 3)


def test_match_finds_the_homography(tmp_path):
    h = _pair(tmp_path)
    r = runner.invoke(app, ["features", "match", str(tmp_path / "1.png"), str(tmp_path / "2.png"),
                            "--method", "sift", "--matcher", "flann", "-o",
                            str(tmp_path / "m.png"), "--json", str(tmp_path / "m.json")])
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "m.json").read_text())
    from oculi.features import corner_error

    assert corner_error(np.array(data["homography"]), h, (320, 320)) < 0.5
    assert data["inliers"] > 50
    assert read_image(tmp_path / "m.png").shape == (320, 640, 3)


def test_compare_prints_table_and_lists_bad_folders(tmp_path):
    _pair(tmp_path)
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["features", "compare", str(tmp_path), str(tmp_path / "empty"),
                            "--methods", "orb,fast", "--json", str(tmp_path / "c.json"),
                            "--report", str(tmp_path / "rep")])
    assert r.exit_code == 2
    assert "repeat." in r.output and "failed folders" in r.output
    data = json.loads((tmp_path / "c.json").read_text())
    orb = data["methods"][0]
    assert orb["method"] == "orb" and orb["homography@3"] == 1.0
    assert (tmp_path / "rep" / "index.html").exists()


def test_errors_are_one_line(tmp_path):
    write_image(tmp_path / "a.png", np.zeros((20, 20), np.uint8))
    r = runner.invoke(app, ["features", "detect", str(tmp_path / "a.png"), "--method", "sruf"])
    assert r.exit_code == 2
    assert "did you mean 'surf'" in r.output
    r = runner.invoke(app, ["features", "match", str(tmp_path / "a.png"), str(tmp_path / "a.png"),
                            "--method", "fast"])
    assert r.exit_code == 2 and "no descriptors" in r.output
    r = runner.invoke(app, ["features", "detect", str(tmp_path / "a.png"), "--method", "surf"])
    assert r.exit_code == 0 and " 0 keypoints" in r.output


def test_detect_max_draw_negative_is_an_error(tmp_path):
    # --max-draw -1 was accepted
    src = write_image(tmp_path / "a.png", load("camera", mode="gray"))
    res = runner.invoke(app, ["features", "detect", str(src), "-m", "orb", "-o",
                              str(tmp_path / "o.png"), "--max-draw", "-1"])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert lines == ["oculi: error: --max-draw: expected a number >= 0, got -1"], res.output
    assert not (tmp_path / "o.png").exists()
    res = runner.invoke(app, ["features", "detect", str(src), "-m", "orb", "-o",
                              str(tmp_path / "o.png"), "--max-draw", "0"])
    assert res.exit_code == 0, res.output
