"""The tracking tab in the browser: the example clip is tracked as oculi.track tracks it; the
tracked video holds every frame; a file that is not a video reads as an oculi error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oculi.ui.tabs.track import example_box
from tests.ui.conftest import UI


def open_tab(ui: UI, name: str) -> None:
    """Select the tab registered as ``name`` by its button's click handler, also for a tab that
    does not fit in the tab bar (Gradio lists those in the bar's overflow menu, not as
    ``#tab-<name>-button``). A real click would wait until the previous test's error toast,
    which covers the bar, has faded (~10 s)."""
    import re

    from oculi.ui.tabs import tabs, title

    button = ui.page.locator(f"#tab-{name}-button")
    if not button.is_visible():
        label = re.compile(rf"^\s*{re.escape(title(tabs.entry(name)))}\s*$")
        button = ui.page.locator(".overflow-dropdown button").filter(has_text=label)
    button.first.dispatch_event("click")
    ui.page.locator(f"#tab-{name}").wait_for(state="visible")


def upload_file(ui: UI, elem_id: str, path: Path) -> None:
    """:meth:`UI.upload` into a ``gr.File`` input, first emptying it (a single-file input that
    holds a file shows no file picker until its "Clear" button is pressed)."""
    clear = ui.page.locator(f"#{elem_id}").get_by_role("button", name="Clear")
    if clear.count():
        clear.first.click()
    ui.upload(elem_id, path)


def test_track_tab_follows_the_box_like_the_library(ui: UI, tmp_path: Path) -> None:
    from oculi.track import track_object
    from oculi.track.run import parse_box
    from oculi.video import open_video

    clip = ui.example("track-clip")
    open_tab(ui, "track")
    upload_file(ui, "track-in", clip)
    ui.page.locator("#track-box textarea").fill(example_box())
    assert ui.run("track") == ""
    ui.page.locator("#track-out video").wait_for(state="attached")
    shown = json.loads(ui.fetch(ui.file_url("track-files", ".json")))
    ref = track_object(clip, parse_box(example_box()), method="csrt")
    assert shown["frames"] == len(ref.result.boxes) == 30
    np.testing.assert_allclose(shown["boxes_xyxy"], ref.result.boxes.round(2), atol=1e-6)
    video = tmp_path / "tracked.mp4"
    video.write_bytes(ui.fetch(ui.file_url("track-files", ".mp4")))
    with open_video(video) as reader:
        assert len(reader) == 30
    ui.screenshot("track")


def test_track_tab_bad_upload_reads_as_an_oculi_error(ui: UI, tmp_path: Path) -> None:
    bad = tmp_path / "holiday.mp4"
    bad.write_text("not a video\n")
    open_tab(ui, "track")
    upload_file(ui, "track-in", bad)
    ui.page.locator("#track-box textarea").fill("10,10,20,20")
    message = ui.run("track", expect_error=True)
    assert bad.name in message and "unexpected" not in message
