"""The autoencoder tour section (quick mode) and its benchmark table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oculi.generate import ae_tour
from oculi.report import Report


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_bench_rows_take_the_last_line_per_set_and_model(tmp_path):
    common = {"part": "ae", "set": "mnist", "ssim": 0.9, "train_s": 45.0}
    path = _write(tmp_path / "g.jsonl", [
        {"part": "gan", "set": "mnist", "variant": "dcgan"},
        {"part": "real-baseline", "set": "mnist", "fid_lenet": 1.5},
        {**common, "model": "vae", "psnr": 17.0, "elbo": -80.0, "fid_lenet": 9.0},
        {**common, "model": "vae", "psnr": 18.0, "elbo": -75.0, "fid_lenet": 7.5},
        {**common, "model": "ae", "psnr": 20.0}])
    rows = ae_tour.bench_rows(path)
    assert rows == [["mnist", "ae", "20.00", "0.900", "-", "-", "1.50", "45 s"],
                    ["mnist", "vae", "18.00", "0.900", "-75.0", "7.5", "1.50", "45 s"]]
    assert ae_tour.bench_rows(tmp_path / "none.jsonl") == []


def test_tour_section_quick(tmp_path, monkeypatch):
    from oculi.data.digits import available

    if not (available("mnist") or available("fashion-mnist")):
        pytest.skip("no 28x28 set on this machine")
    monkeypatch.setattr(ae_tour, "RESULTS", _write(tmp_path / "g.jsonl", [
        {"part": "ae", "set": "mnist", "model": "ae", "psnr": 20.0, "ssim": 0.9,
         "train_s": 45.0, "real_fid_lenet": 1.5}]))
    report = Report("t")
    ae_tour.section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out").read_text()
    assert len(list((tmp_path / "out" / "assets").glob("vae-*.png"))) == 3
    assert "ELBO (nats)" in html and "<td>20.00</td>" in html
