from __future__ import annotations

from oculi.report import Report


def test_tour_section_quick(tmp_path):
    from oculi.flow.tour import section

    report = Report("t")
    section(report, tmp_path, quick=True)
    html = report.render()
    assert "Optical flow" in html and "Flow colour key" in html
    # the table lists every method but tvl1 (skipped in quick mode) with its measured EPE
    for name in ("hs", "lk", "dis", "farneback"):
        assert f"<td>{name}</td>" in html
    import re

    rows = dict(re.findall(r"<tr><td>(\w+)</td><td>([0-9.]+)</td>", html))
    assert float(rows["hs"]) < 0.3
