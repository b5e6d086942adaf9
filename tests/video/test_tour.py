"""The video tour section: every container reads back frame-accurately."""

from __future__ import annotations

from oculi.report import Report
from oculi.video.tour import section


def test_video_tour_section(tmp_path):
    report = Report("t")
    section(report, tmp_path, quick=True)
    html = report.render()
    assert "random = sequential" in html
    assert html.count("<td>yes</td>") == 3 and "<td>NO</td>" not in html  # mp4, mkv, webm
    assert (tmp_path / "pan.mp4").is_file()
