"""``oculi ocr IMAGE...`` and ``oculi ocr eval DIR`` through Typer's CliRunner."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.io import write_image
from oculi.ocr import cer
from oculi.ocr.synth import render_page

runner = CliRunner()
TEXT = "Hello from oculi.\nCharacter error rate: low."


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("ocr_cli")
    a = root / "a.png"
    write_image(a, render_page(TEXT, font_size=26))
    (root / "a.txt").write_text(TEXT)
    b = root / "b.png"
    write_image(b, render_page("Second page here", font_size=30))
    (root / "b.txt").write_text("Second page here")
    return {"root": root, "a": a, "b": b}


def test_ocr_prints_text(tesseract: str, pages: dict) -> None:
    res = runner.invoke(app, ["ocr", str(pages["a"]), "--no-preprocess"])
    assert res.exit_code == 0, res.output
    assert cer(TEXT, res.stdout) < 0.05


def test_ocr_writes_outputs_and_overlay(tesseract: str, pages: dict, tmp_path) -> None:
    out = tmp_path / "{stem}.json"
    ov = tmp_path / "{stem}_boxes.png"
    res = runner.invoke(app, ["ocr", str(pages["a"]), str(pages["b"]), "-o", str(out),
                              "--overlay", str(ov), "--json", str(tmp_path / "all.json")])
    assert res.exit_code == 0, res.output
    a = json.loads((tmp_path / "a.json").read_text())
    assert cer(TEXT, a["text"]) < 0.05
    assert (tmp_path / "b_boxes.png").is_file()
    assert len(json.loads((tmp_path / "all.json").read_text())["results"]) == 2


def test_ocr_batch_goes_past_bad_file(tesseract: str, pages: dict, tmp_path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    res = runner.invoke(app, ["ocr", str(bad), str(pages["b"]), "--no-preprocess"])
    assert res.exit_code == 2
    assert "Second page here" in res.stdout
    assert "bad.png" in res.output


def test_ocr_missing_language(tesseract: str, pages: dict) -> None:
    res = runner.invoke(app, ["ocr", str(pages["a"]), "--lang", "tlh"])
    assert res.exit_code == 2
    assert "tesseract-ocr-tlh" in res.output


def test_ocr_eval(tesseract: str, pages: dict, tmp_path) -> None:
    res = runner.invoke(app, ["ocr", "eval", str(pages["root"]), "--lines",
                              "--json", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    scores = json.loads((tmp_path / "s.json").read_text())
    assert [p["name"] for p in scores["pages"]] == ["a.png", "b.png"]
    assert scores["mean_cer"] < 0.05
    assert "mean" in res.stdout
    assert len(scores["pages"][0]["lines"]) == 2


def test_ocr_eval_empty_folder(tmp_path) -> None:
    res = runner.invoke(app, ["ocr", "eval", str(tmp_path)])
    assert res.exit_code == 2
    assert "no image with ground truth" in res.output


def test_ocr_eval_labels_csv(tmp_path) -> None:
    from oculi.ocr import find_pairs

    write_image(tmp_path / "x.png", np.full((20, 20), 255, np.uint8))
    (tmp_path / "labels.csv").write_text("file,text\nx.png,42\n")
    assert find_pairs(tmp_path) == [(tmp_path / "x.png", "42")]


def test_ocr_eval_reports_a_labelled_file_that_is_missing(tesseract: str, tmp_path) -> None:
    from oculi.ocr import find_pairs

    write_image(tmp_path / "x.png", render_page("Second page here", font_size=30))
    write_image(tmp_path / "scans" / "z.png", render_page("Second page here", font_size=30))
    (tmp_path / "labels.csv").write_text("file,text\nx.png,Second page here\n"
                                         "gone.png,never scanned\nscans/z.png,Second page here\n")
    assert find_pairs(tmp_path) == [(tmp_path / "x.png", "Second page here"),
                                    (tmp_path / "gone.png", "never scanned"),
                                    (tmp_path / "scans" / "z.png", "Second page here")]
    res = runner.invoke(app, ["ocr", "eval", str(tmp_path), "--no-preprocess",
                              "--json", str(tmp_path / "s.json")])
    assert res.exit_code == 2, res.output
    assert "1 page(s) failed" in res.output and "gone.png: no such file" in res.output
    scores = json.loads((tmp_path / "s.json").read_text())
    assert [p["name"] for p in scores["pages"]] == ["x.png", "gone.png", "scans/z.png"]
    assert scores["failed"] == [f"gone.png: {tmp_path / 'gone.png'}: no such file"]
    assert scores["mean_cer"] < 0.05  # the means leave the missing page out
