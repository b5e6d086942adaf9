"""The stitching tour section in quick mode: seconds, and its table holds real numbers."""

from __future__ import annotations

import re
import time

from oculi.report import Report


def test_tour_section_quick(tmp_path):
    from oculi.stitching.tour import section

    report = Report("t")
    t0 = time.perf_counter()
    section(report, tmp_path, quick=True)
    assert time.perf_counter() - t0 < 30  # a few seconds on an idle machine
    html = report.render()
    assert "Stitching: a panorama with known geometry" in html
    errors = [float(v) for v in re.findall(r"<td>view \d -&gt; view \d</td><td>([0-9.]+)</td>",
                                           html)]
    assert len(errors) == 2 and max(errors) < 3.0
    assert "<td>views kept</td><td>3/3</td>" in html
