"""The structure-from-motion tour section: the 3-D view, pose errors on the synthetic corner and
the temple figures read from the benchmark results."""

from __future__ import annotations

import json
import re
import time

from oculi.report import Report
from oculi.sfm import tour


def _line(**results) -> dict:
    row = {"registered": 16, "total": 16, "rotation_deg_mean": 0.2, "rotation_deg_max": 0.3,
           "center_pct_mean": 0.25, "center_pct_max": 0.4, "reprojection_px": 0.15,
           "points": 2900, "mean_track_length": 2.5, "seconds": 7.0}
    return {"time": "2026-12-07T05:00:00+00:00", "task": "sfm_temple", "images": 16,
            "repeats": 3, "results": {k: {**row, **v} for k, v in results.items()},
            "time_ratio_oculi_over_colmap": 1.75}


def test_section_quick_with_bench_results(tmp_path, monkeypatch):
    results = tmp_path / "threed.jsonl"
    results.write_text(json.dumps({"task": "vo_kitti_seq1"}) + "\n"
                       + json.dumps(_line(oculi={"seconds": 9.9}, colmap={})) + "\n"
                       + json.dumps(_line(oculi={"seconds": 7.0},
                                          colmap={"registered": 13, "seconds": 4.0})) + "\n")
    monkeypatch.setattr(tour, "BENCH_RESULTS", results)
    report = Report("t")
    t0 = time.perf_counter()
    tour.reconstruction_section(report, tmp_path, quick=True)
    assert time.perf_counter() - t0 < 15  # measured ~3 s
    html = report.render()
    assert "Structure from motion" in html and "<canvas" in html
    row = re.search(r"<td>synthetic corner, oculi</td><td>(\d+)/(\d+)</td><td>([0-9.e-]+)</td>"
                    r"<td>([0-9.e-]+)</td><td>([0-9.e-]+)</td><td>([0-9.e-]+)</td>", html)
    assert row and row[1] == row[2] == "6"
    assert float(row[4]) < 0.5 and float(row[6]) < 0.5  # rotation max deg, centre max %
    # the last temple line is shown, not the first
    assert "<td>temple, colmap</td><td>13/16</td>" in html
    assert re.search(r"<td>temple, oculi</td>(<td>[^<]*</td>){8}<td>7(\.0)?</td>", html)
    assert "time oculi / COLMAP = 1.75" in html


def test_section_without_bench_results(tmp_path, monkeypatch):
    monkeypatch.setattr(tour, "BENCH_RESULTS", tmp_path / "absent.jsonl")
    assert tour._latest_temple_line(tmp_path / "absent.jsonl") is None
    (tmp_path / "vo.jsonl").write_text(json.dumps({"task": "vo_kitti_seq1"}) + "\n")
    assert tour._latest_temple_line(tmp_path / "vo.jsonl") is None
