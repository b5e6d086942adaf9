"""The embed tour section runs quickly and shows the city, a training batch and (after the
bench) its table."""

from __future__ import annotations

import json
import time
from pathlib import Path

from oculi.embed.tour import bench_rows, section
from oculi.report import Report


def test_tour_section_quick(tmp_path: Path) -> None:
    report = Report("t")
    t0 = time.perf_counter()
    section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out").read_text()
    assert time.perf_counter() - t0 < 30  # ~1 s on a quiet machine
    assert "Loc2Vec" in html
    assert len(list((tmp_path / "out" / "assets").glob("*.png"))) >= 2
    rows = bench_rows()
    if "loc2vec" in rows:
        assert "mix L1 nearest" in html


def test_bench_rows_keep_the_latest_per_row(tmp_path: Path) -> None:
    assert bench_rows(tmp_path) == {}
    lines = [{"row": "a", "v": 1}, {"row": "b", "v": 2}, {"row": "a", "v": 3}]
    (tmp_path / "embed.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert bench_rows(tmp_path) == {"a": {"row": "a", "v": 3}, "b": {"row": "b", "v": 2}}
