"""The capsule tour section runs in quick mode and shows the affine strip and, when the bench
has run, its table."""

from __future__ import annotations

from pathlib import Path

from oculi.capsule.tour import bench_line, section
from oculi.report import Report


def test_tour_section_quick(tmp_path: Path) -> None:
    report = Report("t")
    section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out").read_text()
    assert "Capsule networks" in html
    line = bench_line()
    if line is not None:
        assert f"{line['capsnet']['parameters']:,}" in html
        assert len(list((tmp_path / "out" / "assets").glob("*.png"))) >= 2


def test_bench_line_reads_the_last_line(tmp_path: Path) -> None:
    assert bench_line(tmp_path) is None
    (tmp_path / "capsnet.jsonl").write_text('{"a": 1}\n{"a": 2}\n\n')
    assert bench_line(tmp_path) == {"a": 2}
