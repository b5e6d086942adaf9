"""The detection tour section runs in quick mode and finds the astronaut's face."""

from __future__ import annotations


def test_tour_section_quick(tmp_path):
    from oculi.detect.tour import section
    from oculi.report import Report

    report = Report("t", "")
    section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "page").read_text()
    assert "astronaut: 1 face(s)" in html
    assert "Classical detection" in html and "fasterrcnn" in html
