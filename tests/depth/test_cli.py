"""``oculi depth`` through the root command (the line in cli/main.py TOPICS)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.depth import load_depth_model, predict_depth
from oculi.io import read_image, write_image

runner = CliRunner()


@pytest.fixture
def files(tmp_path, model_files):
    from oculi.data import load

    image = load("chelsea", mode="rgb")[:96, :128]
    write_image(tmp_path / "in.png", image)
    inv = predict_depth(load_depth_model(model_files["onnx"]), image)
    gt = (1.0 / (2.0 * inv + 0.5)).astype(np.float32)   # exactly affine in inverse depth
    gt[:8] = 0.0                                          # unknown rows
    np.save(tmp_path / "gt.npy", gt)
    return tmp_path, inv


def test_picture_and_scores(files, model_files):
    d, _ = files
    res = runner.invoke(app, ["depth", str(d / "in.png"), "--model", str(model_files["onnx"]),
                              "-o", str(d / "depth.png"), "--gt", str(d / "gt.npy"),
                              "--json", str(d / "s.json")])
    assert res.exit_code == 0, res.output
    assert "onnx 64x64: 128x96" in res.output and "AbsRel 0.0000" in res.output
    assert read_image(d / "depth.png", mode="rgb").shape == (96, 128, 3)
    summary = json.loads((d / "s.json").read_text())
    assert summary["scale"] == pytest.approx(2.0, rel=1e-3)
    assert summary["shift"] == pytest.approx(0.5, rel=1e-3)
    assert summary["scores"]["abs_rel"] < 1e-4 and summary["scores"]["n_valid"] == 88 * 128


def test_npy_output_and_state_dict_kind(files, model_files):
    d, inv = files
    res = runner.invoke(app, ["depth", str(d / "in.png"), "--model",
                              str(model_files["safetensors"]), "--kind", "state-dict",
                              "-o", str(d / "depth.npy")])
    assert res.exit_code == 0, res.output
    np.testing.assert_allclose(np.load(d / "depth.npy"), inv, atol=1e-4 * float(inv.max()))


def test_errors_are_one_line_and_exit_2(files, model_files, tmp_path):
    d, _ = files
    res = runner.invoke(app, ["depth", str(d / "in.png"), "--model", str(d / "none.onnx"),
                              "-o", str(d / "x.png")])
    assert res.exit_code == 2 and "none.onnx: no such model file" in res.output
    np.save(d / "small.npy", np.ones((4, 4), np.float32))
    res = runner.invoke(app, ["depth", str(d / "in.png"), "--model", str(model_files["onnx"]),
                              "-o", str(d / "x.png"), "--gt", str(d / "small.npy")])
    assert res.exit_code == 2 and "expected a 128x96 depth map" in res.output
    assert not (d / "x.png").exists()
