"""The panoptic tour section: the drawn merge example and the table read from the bench line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oculi.panoptic import tour
from oculi.report import Report


def test_merge_example_drops_the_covered_car():
    stuff, merged = tour.merge_example()
    cars = sorted(int(v) for v in np.unique(merged) if v >= 8000)
    assert cars == [8001, 8002]                  # the third mask lies 2/3+ under the first
    assert (merged[stuff == 0] == 0).all() and (merged == 3000).any()


def _line(pq: float) -> dict:
    group = {"pq": pq, "sq": 0.7, "rq": pq / 0.7, "n": 2}
    per = {"Car": {"pq": pq, "sq": 0.7, "rq": pq / 0.7, "tp": 3, "fp": 1, "fn": 2},
           "Sky": {"pq": None, "sq": None, "rq": None, "tp": 0, "fp": 0, "fn": 0}}
    model = {"epochs": 3, "budget_used_s": 300.0, "ms_per_image": 120.0, "per_class": per,
             "things": group, "stuff": group, **group}
    return {"time": "2026-12-07T00:00:00", "val_images": 10, "panoptic_fpn": model,
            "semantic_cc": {**model, "pq": 0.1234}}


def test_section_shows_the_last_bench_line(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "panoptic.jsonl").write_text(json.dumps(_line(0.5)) + "\n"
                                             + json.dumps(_line(0.4321)) + "\n")
    monkeypatch.setattr(tour, "RESULTS", tmp_path)
    monkeypatch.setattr(tour.bench_line, "__defaults__", (tmp_path,))
    report = Report("t")
    tour.section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out").read_text()
    assert "Panoptic FPN" in html and "0.432" in html and "0.123" in html and "n/a" in html
    assert tour.bench_line(tmp_path / "none") is None
