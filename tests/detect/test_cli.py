"""The CLI end to end: train a YOLO for one epoch on six raccoon images (128 pixels), evaluate it
with pycocotools, detect with the run and with the classical detectors, and bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.io import read_image, write_image

runner = CliRunner()
HEADER = "filename,width,height,class,xmin,ymin,xmax,ymax\n"


@pytest.fixture(scope="module")
def small_raccoon(tmp_path_factory, raccoon):
    """Six train and two test images shrunk to a longer side of 128 px, with scaled boxes."""
    from oculi.detect import read_csv

    root = tmp_path_factory.mktemp("rac")
    (root / "images").mkdir()
    for split, n in (("train", 6), ("test", 2)):
        ds = read_csv(raccoon / f"{split}_labels.csv")
        rows = []
        for s in ds.samples[:n]:
            img = read_image(s.path, max_size=128)
            f = img.shape[1] / s.size[1]
            write_image(root / "images" / s.name, img)
            for b in s.boxes * f:
                rows.append(f"{s.name},{img.shape[1]},{img.shape[0]},raccoon,"
                            + ",".join(f"{v:.1f}" for v in b))
        (root / f"{split}_labels.csv").write_text(HEADER + "\n".join(rows) + "\n")
    return root


def test_train_eval_detect(small_raccoon, tmp_path):
    run = tmp_path / "run"
    res = runner.invoke(app, ["train", "detect", str(small_raccoon), "--arch", "yolo",
                              "--epochs", "1", "--batch-size", "3", "--image-size", "128",
                              "--threads", "1", "--out", str(run), "--json",
                              str(tmp_path / "t.json")])
    assert res.exit_code == 0, res.output
    for f in ("best.safetensors", "metrics.jsonl", "evaluation.json", "pr_curve.png",
              "predictions.png", "config.yaml", "data.json"):
        assert (run / f).is_file(), f
    data = json.loads((run / "data.json").read_text())
    assert data["val"]["images"] == 2 and data["train"]["boxes"] >= 6
    assert len(data["anchors"]) == 9  # k-means anchors from the training boxes
    res = runner.invoke(app, ["eval", "detect", str(run),
                              str(small_raccoon / "test_labels.csv"), "--json",
                              str(tmp_path / "e.json")])
    assert res.exit_code == 0, res.output
    ev = json.loads((tmp_path / "e.json").read_text())
    saved = json.loads((run / "evaluation.json").read_text())
    # the same model on the same images: the trainer's validation and `eval detect` agree
    assert ev["map50"] == pytest.approx(saved["map50"], abs=1e-9)
    assert 0.0 <= ev["map"] <= ev["map50"] <= 1.0
    assert ev["images"] == 2 and ev["boxes"] >= 2
    assert "AP50" in res.output and "coco_summary" in ev
    img = sorted((small_raccoon / "images").iterdir())[0]
    res = runner.invoke(app, ["detect", str(img), "missing.jpg", "--model", str(run),
                              "--score", "0.0", "--json", str(tmp_path / "d.json")])
    assert res.exit_code == 2  # one file failed, listed at the end
    d = json.loads((tmp_path / "d.json").read_text())
    assert list(d["failures"]) == ["missing.jpg"]
    boxes = d["results"][str(img)]
    assert all(b["name"] == "raccoon" and len(b["box"]) == 4 for b in boxes)


def test_detect_classical_overlay(tmp_path):
    from oculi.data import load

    write_image(tmp_path / "a.png", load("astronaut"))
    res = runner.invoke(app, ["detect", str(tmp_path / "a.png"), "--model", "lbp-face",
                              "-o", str(tmp_path / "o.png"), "--json", str(tmp_path / "d.json")])
    assert res.exit_code == 0, res.output
    faces = json.loads((tmp_path / "d.json").read_text())["results"][str(tmp_path / "a.png")]
    assert len(faces) == 1 and faces[0]["name"] == "face"
    over = read_image(tmp_path / "o.png")
    assert over.shape == (512, 512, 3)
    assert not np.array_equal(over, load("astronaut"))  # the box is drawn


def test_bad_inputs(tmp_path):
    res = runner.invoke(app, ["detect", "x.png", "--model", "yolo"])
    assert res.exit_code in (1, 2)
    res = runner.invoke(app, ["train", "detect", str(tmp_path / "none.csv"), "--out",
                              str(tmp_path / "r")])
    assert res.exit_code == 2 and "no such file" in res.output
    res = runner.invoke(app, ["eval", "detect", str(tmp_path), str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and "not a detection run folder" in res.output


def test_detect_list_shows_the_registry():
    from oculi.detect import detectors

    res = runner.invoke(app, ["detect", "list"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert [line.split()[:2] for line in lines] == [[e.name, e.meta["family"]]
                                                    for e in detectors.entries()]
