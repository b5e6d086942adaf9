"""The tour's web-app section: shows the tab screenshots in the tabs' order, needs no browser."""

from __future__ import annotations

import numpy as np

from oculi.report import Report


def test_tour_section_shows_screenshots_in_tab_order(tmp_path, monkeypatch) -> None:
    from oculi.io import write_image
    from oculi.ui.tour import section

    shots = tmp_path / "shots"
    for name in ("preprocess", "features", "zzz-extra", "flow"):
        write_image(shots / f"{name}.png", np.full((8, 8, 3), 128, np.uint8))
    monkeypatch.setenv("OCULI_UI_SCREENS", str(shots))
    report = Report("t")
    section(report, tmp_path, quick=True)
    page = report.write(tmp_path / "out").read_text()
    order = [page.index(f"the {n} tab") for n in ("features", "flow", "preprocess", "zzz-extra")]
    assert order == sorted(order)
    assert len(list((tmp_path / "out" / "assets").glob("ui-*.png"))) == 4


def test_tour_section_without_screenshots_says_how(tmp_path, monkeypatch) -> None:
    from oculi.ui.tour import section

    monkeypatch.setenv("OCULI_UI_SCREENS", str(tmp_path / "none"))
    report = Report("t")
    section(report, tmp_path, quick=True)
    html = report.render()
    assert "No screenshots" in html and "pytest tests/ui" in html
