"""The OCR tab in the browser: the example page reads as oculi.ocr reads it; a bad upload."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import oculi.ui.tabs.ocr  # noqa: F401  (registers the tab)
from tests.ui.conftest import UI
from tests.ui.test_track import open_tab

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract is not installed")


@needs_tesseract
def test_ocr_tab_reads_the_page_like_the_library(ui: UI) -> None:
    from oculi.io import read_image
    from oculi.ocr import cer, recognize
    from oculi.ui.examples import PAGE_TEXT

    path = ui.example("ocr-page")
    open_tab(ui, "ocr")
    ui.upload("ocr-in", path)
    assert ui.run("ocr") == ""
    ui.wait_image("ocr-out")
    text = ui.page.locator("#ocr-text textarea").input_value()
    ref = recognize(read_image(path, mode="unchanged"))
    assert text == ref.text
    assert cer(PAGE_TEXT, text) < 0.05
    names = ui.files("ocr-files")
    assert {Path(n).suffix for n in names} == {".png", ".txt", ".json"}
    ui.screenshot("ocr")
