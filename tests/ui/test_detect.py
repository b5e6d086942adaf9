"""The detection tab in the browser: the boxes of the example equal oculi.detect's; a bad upload."""

from __future__ import annotations

import oculi.ui.tabs.detect  # noqa: F401  (registers the tab)
from tests.ui.conftest import UI
from tests.ui.test_track import open_tab


def test_detect_tab_finds_the_boxes_of_the_library(ui: UI) -> None:
    from oculi.detect import detect
    from oculi.io import read_image

    path = ui.example("astronaut")
    open_tab(ui, "detect")
    ui.upload("detect-in", path)
    assert ui.run("detect") == ""
    ui.wait_image("detect-out")
    rows = ui.table("detect-table")
    ref = detect([read_image(path, mode="rgb")], "lbp-face")[0].to_dict()
    assert len(ref) >= 1
    assert len(rows) == len(ref)
    for row, d in zip(rows, ref, strict=True):
        assert row[0] == d["name"]
        assert [float(v) for v in row[2:]] == d["box"]
    names = ui.files("detect-files")
    assert any(n.endswith(".png") for n in names) and any(n.endswith(".json") for n in names)
    ui.screenshot("detect")
