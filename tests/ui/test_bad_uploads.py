"""Every image tab reads a broken upload as oculi's one-line error naming the file.

One table instead of a copy of the same test in each tab's file: the tab, the upload that gets
the broken file, and the good examples the tab's other inputs need. (Stitching's gallery and the
activity tab's video input have their own tests.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import UI

#: tab -> (the input that gets the broken file, {other input: example name})
TABS: dict[str, tuple[str, dict[str, str]]] = {
    "features": ("features-in", {"features-in2": "chelsea"}),
    "flow": ("flow-in2", {"flow-in": "flow-1"}),
    "classify": ("classify-in", {}),
    "explain": ("explain-in", {}),
    "preprocess": ("preprocess-in", {}),
    "detect": ("detect-in", {}),
    "segment": ("segment-in", {}),
    "ocr": ("ocr-in", {}),
    "restore": ("restore-in", {}),
    "threed": ("threed-in", {"threed-in2": "stereo-right"}),
    "img2img": ("img2img-in", {"img2img-in2": "coffee"}),
}


@pytest.mark.parametrize("kind", ["text", "truncated"])
@pytest.mark.parametrize("tab", sorted(TABS))
def test_a_bad_upload_reads_as_an_oculi_error(ui: UI, bad_uploads: dict[str, Path], tab: str,
                                             kind: str) -> None:
    target, others = TABS[tab]
    bad = bad_uploads[kind]
    ui.tab(tab)
    for elem_id, example in others.items():
        ui.upload(elem_id, ui.example(example))
    ui.upload(target, bad)
    message = ui.run(tab, expect_error=True)
    assert bad.name in message and "unexpected" not in message
    assert "/" not in message.split(":")[0]  # the file's name, not a temporary path
    assert "truncated" in message or "not" in message or "unknown image format" in message
