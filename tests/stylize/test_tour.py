"""The style-transfer tour section in quick mode: colour preservation keeps the chroma."""

from __future__ import annotations

import re
from pathlib import Path

from oculi.report import Report
from oculi.stylize import tour


def _cells(html: str, label: str) -> list[float]:
    match = re.search(rf"<td>{re.escape(label)}</td><td>([^<]+)</td><td>([^<]+)</td>", html)
    assert match is not None, label
    return [float(match.group(1)), float(match.group(2))]


def test_tour_section_quick(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tour, "RESULTS", tmp_path / "none")  # no bench results: a message
    report = Report("t")
    tour.section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out").read_text()
    plain, kept = _cells(html, "plain"), _cells(html, "preserve colour")
    assert kept[1] < 0.5 * plain[1] and kept[1] < 0.01
    assert "python -m bench.stylize" in html
