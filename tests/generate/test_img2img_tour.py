"""The image-to-image tour section: the last benchmark line as a table."""

from __future__ import annotations

import json
from pathlib import Path

from oculi.generate import img2img_tour
from oculi.report import Report


def _line(l1: float) -> dict:
    model = {"l1_error": l1, "psnr": 15.0, "fid_lenet": 12.34, "class_accuracy": 0.9}
    return {"data": "edges2fashion", "budget": {"epochs": 5, "train_images": 1200},
            "test_pairs": 1000, "truth_fid_lenet": 3.0, "truth_class_accuracy": 0.95,
            "models": {"l1-unet": {**model, "train_time_ratio_vs_l1": 1.0},
                       "cyclegan": {**model, "train_time_ratio_vs_l1": 2.5}}}


def test_bench_table_takes_the_last_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(_line(0.5)) + "\n" + json.dumps(_line(0.125)) + "\n")
    rows, line = img2img_tour.bench_table(path)
    assert rows == [["l1-unet", "0.1250", "15.00", "12.3", "90.0 %", "1.00x"],
                    ["cyclegan", "0.1250", "15.00", "12.3", "90.0 %", "2.50x"],
                    ["true images", "0", "-", "3.0", "95.0 %", "-"]]
    assert line["test_pairs"] == 1000
    assert img2img_tour.bench_table(tmp_path / "none.jsonl") == ([], {})


def test_section(tmp_path, monkeypatch):
    report = Report("t")
    monkeypatch.setattr(img2img_tour, "RESULTS", Path(tmp_path / "none.jsonl"))
    img2img_tour.section(report, tmp_path, True)
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(_line(0.5)) + "\n")
    monkeypatch.setattr(img2img_tour, "RESULTS", path)
    img2img_tour.section(report, tmp_path, True)
    html = report.render()
    assert "No benchmark line yet" in html and "cyclegan" in html and "2.50x" in html
