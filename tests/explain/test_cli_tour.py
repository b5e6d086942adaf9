"""``oculi explain`` through Typer's CliRunner, and the quick tour section."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import read_image, write_image

runner = CliRunner()


@pytest.fixture(scope="module")
def cat_png(tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "chelsea.png"
    write_image(path, load("chelsea"))
    return path


def test_explain_one_image(cat_png, tmp_path) -> None:
    out, npy, js = tmp_path / "o.png", tmp_path / "m.npy", tmp_path / "r.json"
    res = runner.invoke(app, ["explain", str(cat_png), "--method", "gradcam", "--target",
                              "tabby", "-o", str(out), "--npy", str(npy), "--json", str(js)])
    assert res.exit_code == 0, res.output
    assert "tabby (281)" in res.output and "layer=body.bn2" in res.output
    assert read_image(out).shape == (224, 224, 3)
    maps = np.load(npy)
    assert maps.shape == (1, 224, 224) and maps.max() == pytest.approx(1.0)
    data = json.loads(js.read_text())
    assert data["results"][0]["target"] == 281 and data["failures"] == {}


def test_explain_bad_layer_and_missing_file(cat_png, tmp_path) -> None:
    res = runner.invoke(app, ["explain", str(cat_png), "--layer", "body.bn3"])
    assert res.exit_code == 2 and "close names" in res.output and "body.bn2" in res.output
    res = runner.invoke(app, ["explain", str(cat_png), str(tmp_path / "none.png"),
                              "--method", "features"])
    assert res.exit_code == 2 and "1 file(s) failed" in res.output


@pytest.mark.slow
def test_explain_all_grid(cat_png, tmp_path) -> None:
    out = tmp_path / "grid.png"
    res = runner.invoke(app, ["explain", str(cat_png), "--all", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert read_image(out).shape[1] > 1000


def test_explain_eval_json(cat_png, tmp_path) -> None:
    js = tmp_path / "e.json"
    res = runner.invoke(app, ["explain", "eval", str(cat_png), "--method", "gradcam",
                              "--steps", "4", "--metrics", "deletion,drop",
                              "--no-random-baseline", "--json", str(js)])
    assert res.exit_code == 0, res.output
    mean = json.loads(js.read_text())["result"]["mean"]
    assert 0 <= mean["deletion"] <= 1 and 0 <= mean["drop"] <= 1


def test_tour_quick(tmp_path) -> None:
    from oculi.explain.tour import section
    from oculi.report import Report

    report = Report("t")
    section(report, tmp_path, quick=True)
    page = report.write(tmp_path / "out")
    assert "what EfficientNet-Lite0 looks at" in page.read_text()
