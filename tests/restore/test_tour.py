"""The restoration tour section runs in quick mode; its scores show each restoration helping."""

from __future__ import annotations

import re
from pathlib import Path

from oculi.report import Report
from oculi.restore.tour import section


def _cell(html: str, label: str) -> float:
    match = re.search(rf"<td>{re.escape(label)}</td><td>([^<]+)</td>", html)
    assert match is not None, label
    return float(match.group(1))


def test_tour_section_quick(tmp_path: Path) -> None:
    report = Report("t")
    section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out").read_text()
    assert _cell(html, "lanczos") > 20 and _cell(html, "bicubic") > 20
    assert _cell(html, "nlm") > _cell(html, "noisy") + 3
    assert _cell(html, "lime") > _cell(html, "dark input") + 2
    assert len(list((tmp_path / "out" / "assets").glob("*.png"))) == 3
