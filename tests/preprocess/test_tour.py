"""The preprocessing tour section runs in quick mode and reports exact CLAHE parity."""

from __future__ import annotations

import re
from pathlib import Path

from oculi.preprocess.tour import section
from oculi.report import Report


def test_tour_section_quick(tmp_path: Path) -> None:
    report = Report("t")
    section(report, tmp_path, quick=True)
    page = report.write(tmp_path / "out")
    html = page.read_text()
    assert "CutMix" in html
    assert "DICOM windowing" in html
    # the CLAHE parity cell: max |oculi - OpenCV| == 0
    row = re.search(r"<td>CLAHE 512x512 uint8</td><td>([^<]+)</td>", html)
    assert row is not None
    assert row.group(1) == "0"
    assert len(list((tmp_path / "out" / "assets").glob("*.png"))) >= 8
