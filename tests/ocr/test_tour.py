"""The OCR tour section in quick mode: runs in seconds and reports a low CER."""

from __future__ import annotations

import re
import time


def test_tour_section_quick(tesseract: str, tmp_path) -> None:
    from oculi.ocr.tour import section
    from oculi.report import Report

    report = Report("t")
    t0 = time.perf_counter()
    section(report, tmp_path, quick=True)
    assert time.perf_counter() - t0 < 30  # a few seconds on an idle machine
    page = report.write(tmp_path / "out").read_text()
    assert "OCR on a scanned page" in page
    # the oculi row of the first table: CER (%) of the rendered page is below 5
    cells = re.findall(r"<tr><td>oculi: preprocess \+ Tesseract</td><td>([0-9.e+-]+)</td>", page)
    assert cells and float(cells[0]) < 5.0
