"""``oculi sfm``: a model, a PLY and pose errors from the synthetic corner views (and the
temple when the shared data is there); one-line errors with exit 2 on bad inputs."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.sfm import colmap_available, read_colmap_text, read_ply
from oculi.sfm.synthetic import corner_views

runner = CliRunner()


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corner")
    par = corner_views(6).write(folder)
    return folder, par


def _one_line_error(res, *words: str) -> None:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oculi: error: "), res.stderr
    assert "Traceback" not in res.output
    for w in words:
        assert w in lines[0]


def test_model_ply_json_and_pose_errors(scene, tmp_path):
    folder, par = scene
    model, summary = tmp_path / "model", tmp_path / "sfm.json"
    res = runner.invoke(app, ["sfm", str(folder), "-o", str(model), "--calib", str(par),
                              "--gt", str(par), "--json", str(summary)])
    assert res.exit_code == 0, res.output
    assert "oculi: 6/6 images registered" in res.stdout and "pose errors vs corner_par.txt" \
        in res.stdout
    out = json.loads(summary.read_text())
    assert out["registered"] == 6 and out["not_registered"] == []
    assert out["camera"]["fx"] == 260.0 and out["camera"]["cx"] == 159.5
    # measured: rotation 0.22 deg max, centre 0.16 % of the radius max, 0.13 px
    assert out["pose_errors"]["rotation_deg_max"] < 0.5
    assert out["pose_errors"]["center_pct_max"] < 0.5
    assert out["reprojection_px"] < 0.3 and out["points"] > 800
    back = read_colmap_text(model)
    assert sorted(back.names) == [f"corner{i:02d}.png" for i in range(6)]
    assert len(back.points3d) == out["points"]
    cloud = read_ply(model / "points.ply")
    assert len(cloud.points) == out["points"] and len(cloud.cameras) == 6
    # the PLY's camera centres are the model's
    centres = np.array([back.center(i) for i in back.registered])
    assert np.allclose(np.sort(cloud.cameras, 0), np.sort(centres, 0), atol=1e-4)


@pytest.mark.skipif(not colmap_available(), reason="pycolmap is not installed")
def test_colmap_backend_files_and_camera_string(scene, tmp_path):
    folder, par = scene
    files = sorted(str(p) for p in folder.glob("*.png"))
    model = tmp_path / "model"
    res = runner.invoke(app, ["sfm", *files, "-o", str(model), "--backend", "colmap",
                              "--camera", "260,260,159.5,119.5", "--gt", str(par),
                              "--no-ply", "--json", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    out = json.loads((tmp_path / "s.json").read_text())
    assert out["backend"] == "colmap" and out["registered"] == 6 and out["ply"] is None
    assert out["pose_errors"]["rotation_deg_max"] < 0.5  # measured 0.25 (8 views)
    assert not (model / "points.ply").exists() and (model / "points3D.txt").is_file()
    assert "feature_extraction" not in res.output  # COLMAP's log stays quiet


def test_temple_with_known_camera(shared_data, tmp_path):
    temple = shared_data / "mvs_temple_sparse_ring"
    if not temple.is_dir():
        pytest.skip("mvs_temple_sparse_ring not in the shared data")
    par = temple / "templeSR_par.txt"
    res = runner.invoke(app, ["sfm", str(temple), "-o", str(tmp_path / "m"), "--calib",
                              str(par), "--gt", str(par), "--no-ply",
                              "--json", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    e = json.loads((tmp_path / "s.json").read_text())["pose_errors"]
    # measured: 16/16, rotation 0.19 deg mean / 0.30 max, centre 0.26 % / 0.43 % of the ring
    assert e["registered"] == 16
    assert e["rotation_deg_max"] < 1.0 and e["center_pct_max"] < 1.5


def _bad_par(tmp_path):
    p = tmp_path / "bad_par.txt"
    p.write_text("2\nview.png 1 2 3\n")
    return p


@pytest.mark.parametrize(("args", "words"), [
    ([], ["at least 2 images, got 0"]),
    (["{one}"], ["at least 2 images, got 1"]),
    (["{empty}"], ["no image files"]),
    (["{one}", "{text}"], ["notes.txt", "unknown image format"]),
    (["{one}", "{missing}"], ["nothing.png", "no such file"]),
    (["{folder}", "--camera", "260,260,159.5"], ["--camera", "four numbers"]),
    (["{folder}", "--camera", "a,b,c,d"], ["--camera", "four numbers"]),
    (["{folder}", "--camera", "260,nan,1,1"], ["--camera"]),
    (["{folder}", "--camera", "-260,260,1,1"], ["--camera", "> 0"]),
    (["{folder}", "--camera", "1,1,1,1", "--calib", "{par}"], ["give one of them"]),
    (["{folder}", "--calib", "{bad}"], ["bad_par.txt", "line 2"]),
    (["{folder}", "--calib", "{one}"], ["not a text file"]),
    (["{folder}", "--gt", "{bad}"], ["bad_par.txt"]),
    (["{one}", "{one}", "--gt", "{par}"], ["--gt", "3 are needed"]),
    (["{folder}", "--backend", "opensfm"], ["--backend", "oculi, colmap"]),
    (["{folder}", "-o", "{text}"], ["notes.txt", "not a folder"]),
])
def test_bad_inputs_exit_2_with_one_line(scene, tmp_path, args, words):
    folder, par = scene
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("not an image")
    paths = {"one": folder / "corner00.png", "folder": folder, "par": par,
             "empty": tmp_path / "empty", "text": tmp_path / "notes.txt",
             "missing": tmp_path / "nothing.png", "bad": _bad_par(tmp_path)}
    argv = [a.format(**paths) for a in args]
    out = [] if "-o" in argv else ["-o", str(tmp_path / "model")]
    res = runner.invoke(app, ["sfm", *argv, *out])
    _one_line_error(res, *words)
    assert not (tmp_path / "model").exists()


def test_colmap_backend_without_pycolmap(scene, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pycolmap", None)  # import pycolmap -> ImportError
    folder, _ = scene
    res = runner.invoke(app, ["sfm", str(folder), "-o", str(tmp_path / "m"), "--backend",
                              "colmap"])
    _one_line_error(res, "pycolmap")
