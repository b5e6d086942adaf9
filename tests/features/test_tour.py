"""The features tour section in quick mode: runs in seconds and measures the table."""

from __future__ import annotations

import time

from oculi.features.tour import section
from oculi.report import Report


def test_tour_section_quick(tmp_path):
    report = Report("t")
    t0 = time.perf_counter()
    section(report, tmp_path, quick=True)
    assert time.perf_counter() - t0 < 30
    page = report.write(tmp_path / "out").read_text()
    assert "Measured comparison table" in page and "surf" in page
    assert len(list((tmp_path / "out" / "assets").glob("*.png"))) >= 4
