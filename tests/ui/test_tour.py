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


def test_tour_asked_for_screenshots_without_chromium_says_so(tmp_path, monkeypatch) -> None:
    import oculi.ui.tour as ui_tour

    monkeypatch.setenv("OCULI_TOUR_UI", "1")
    monkeypatch.setenv("OCULI_UI_SCREENS", str(tmp_path / "none"))
    monkeypatch.setattr(ui_tour, "chromium_path", lambda: None)
    report = Report("t")
    ui_tour.section(report, tmp_path, quick=True)
    html = report.render()
    assert "not retaken" in html and "apt-get install chromium" in html
    assert not (tmp_path / "none").exists()


def test_screenshot_tabs_runs_the_tabs_first_example(ui_app, browser, tmp_path) -> None:
    from oculi.io import read_image
    from oculi.ui.app import work_dir_of
    from oculi.ui.tour import screenshot_tabs

    outputs = work_dir_of(ui_app) / "outputs"
    before = set(outputs.glob("clahe-*.png"))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(ui_app.local_url)
    try:
        (shot,) = screenshot_tabs(page, tmp_path, names=["preprocess"])
    finally:
        context.close()
    assert len(set(outputs.glob("clahe-*.png")) - before) == 1  # its example ran once
    assert shot == tmp_path / "preprocess.png"
    page = read_image(shot)
    assert page.shape[1] == 1280 and page.shape[0] >= 900
    assert page.std() > 10  # a rendered page, not a blank one
