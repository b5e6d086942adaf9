"""The colourisation tour section: the live bin picture, and the bench table when present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oculi.colorize import ab_bins, image_to_lab, tour
from oculi.report import Report


def test_bins_picture_puts_each_bin_at_its_ab():
    pic = tour.bins_picture(cell=4, lightness=60.0)
    assert pic.shape == (100, 100, 3)
    centres = ab_bins()
    painted = (pic != 255).any(2)[::4, ::4]
    assert painted.sum() == len(centres)
    a, b = 50.0, -30.0  # a bin: its square shows its colour at L = 60
    x, y = int(a // 10) + 12, 12 - int(b // 10)
    lab = image_to_lab(pic[y * 4:y * 4 + 1, x * 4:x * 4 + 1])[0, 0]
    assert np.allclose(lab, [60, a, b], atol=2.0)


def test_section_without_and_with_bench_results(tmp_path: Path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(tour, "RESULTS", empty)
    report = Report("t")
    tour.section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "a").read_text()
    assert "No benchmark results yet" in html
    models = {name: {"colourfulness": c, "class_accuracy": 0.8, "top1_agreement": 0.7,
                     "ab_auc": 0.9, "psnr": 22.0, "ssim": 0.9, "colourfulness_true": 40.0,
                     "class_accuracy_grey": 0.75, "class_accuracy_true": 0.9,
                     "top1_agreement_grey": 0.6, "ab_auc_grey": 0.89, "n": 3}
              for name, c in (("regression", 11.5), ("classification", 27.25))}
    (empty / "colorize.jsonl").write_text(json.dumps(
        {"models": models, "data": "d", "size": 224, "note": "n"}) + "\n")
    report = Report("t")
    tour.section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "b").read_text()
    assert "27.25" in html and "11.5" in html and "grey input" in html


def test_section_shows_the_heldout_test_when_present(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(tour, "RESULTS", tmp_path)
    models = {"regression": {"colourfulness": 30.0, "n": 3, "colourfulness_true": 40.0}}
    (tmp_path / "colorize.jsonl").write_text(json.dumps(
        {"models": models, "data": "d", "size": 224, "note": "n"}) + "\n")
    version = {"accuracy": 0.6125, "accuracy_labelled": 0.5, "accuracy_pseudo": 0.7,
               "colourfulness": 33.0}
    test = {"a": "classification", "b": "regression", "difference": 0.0213,
            "ci95": [-0.01, 0.05], "a_only": 31, "b_only": 21, "p": 0.2112}
    (tmp_path / "colorize_heldout.jsonl").write_text(json.dumps(
        {"versions": {"grey": version}, "tests": [test], "n": 470, "n_labelled": 153}) + "\n")
    report = Report("t")
    tour.section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "c").read_text()
    assert "0.6125" in html and "0.2112" in html and "[-0.01, 0.05]" in html
