"""The stitching tab in the browser: three views -> the library's panorama; bad uploads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.ui.conftest import UI


def _upload_views(ui: UI, paths: list[Path]) -> None:
    ui.page.locator("#stitching-in input[type=file]").first.set_input_files(
        [str(p) for p in paths])
    ui.page.locator("#stitching-in .file-preview").first.wait_for(timeout=10_000)


def test_stitching_tab_makes_the_librarys_panorama(ui: UI) -> None:
    from oculi.io import decode_image, read_image
    from oculi.stitching import stitch

    views = [ui.example(f"stitch-{i}") for i in (1, 2, 3)]
    ui.tab("stitching")
    ui.use_example("stitching", 0, {"stitching-in": views[0].name})
    assert ui.run("stitching") == ""
    ui.wait_image("stitching-out")
    rows = ui.table("stitching-table")
    assert [r[:2] for r in rows] == [[p.name, "yes"] for p in views]
    shown = decode_image(ui.fetch(ui.file_url("stitching-files", ".png")))
    ref = stitch([read_image(p) for p in views], names=[p.name for p in views]).image
    assert shown.shape == ref.shape
    assert np.abs(shown.astype(int) - ref.astype(int)).mean() < 1.0
    assert shown.shape[1] > 1.5 * read_image(views[0]).shape[1]  # wider than one view
    ui.screenshot("stitching")


@pytest.mark.parametrize("kind", ["text", "truncated"])
def test_stitching_tab_bad_upload_reads_as_an_oculi_error(
        ui: UI, bad_uploads: dict[str, Path], kind: str) -> None:
    ui.tab("stitching")
    clear = ui.page.locator("#stitching-in").get_by_role("button", name="Clear")
    if clear.count():
        clear.first.click()
    _upload_views(ui, [ui.example("stitch-1"), bad_uploads[kind]])
    message = ui.run("stitching", expect_error=True)
    assert bad_uploads[kind].name in message and "unexpected" not in message
