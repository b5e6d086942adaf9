"""The product-placement tab in the browser: the example poster is tracked as oculi.place tracks
it and the composited video holds every frame; a broken insert reads as an oculi error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oculi.ui.tabs.place import example_corners
from tests.ui.conftest import UI
from tests.ui.test_track import open_tab, upload_file


def _fill(ui: UI, clip: Path, insert: Path, corners: str) -> None:
    open_tab(ui, "place")
    upload_file(ui, "place-in", clip)
    ui.upload("place-in2", insert)
    ui.page.locator("#place-corners textarea").fill(corners)


def test_place_tab_inserts_like_the_library(ui: UI, tmp_path: Path) -> None:
    from oculi.cli.place import parse_corners
    from oculi.io import read_image
    from oculi.place import place_insert
    from oculi.video import open_video

    clip, insert = ui.example("place-clip"), ui.example("coffee")
    _fill(ui, clip, insert, example_corners())
    assert ui.run("place") == ""
    ui.page.locator("#place-out video").wait_for(state="attached")
    shown = json.loads(ui.fetch(ui.file_url("place-files", ".json")))["tracks"]
    with open_video(clip) as reader:
        ref = place_insert(reader, read_image(insert, mode="rgb"),
                           corners=parse_corners(example_corners())).tracks
    assert len(shown) == len(ref) == 30
    assert [t["visible"] for t in shown] == [t.visible for t in ref]
    np.testing.assert_allclose([t["corners"] for t in shown], [t.corners for t in ref],
                               atol=1e-6)
    video = tmp_path / "placed.mp4"
    video.write_bytes(ui.fetch(ui.file_url("place-files", ".mp4")))
    with open_video(video) as reader:
        assert len(reader) == 30
    ui.screenshot("place")


def test_place_tab_bad_upload_reads_as_an_oculi_error(ui: UI,
                                                      bad_uploads: dict[str, Path]) -> None:
    bad = bad_uploads["text"]
    _fill(ui, ui.example("place-clip"), bad, example_corners())
    message = ui.run("place", expect_error=True)
    assert bad.name in message and "unexpected" not in message
