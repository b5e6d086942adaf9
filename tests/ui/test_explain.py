"""The explain tab in the browser: Grad-CAM on chelsea equals the library's overlay."""

from __future__ import annotations

import numpy as np

from tests.ui.conftest import UI


def test_explain_tab_gradcam_equals_the_librarys(ui: UI) -> None:
    from oculi.classify import get_model
    from oculi.explain import explain
    from oculi.explain.visual import overlay
    from oculi.io import decode_image, read_image

    chelsea = ui.example("chelsea")
    ui.tab("explain")
    ui.upload("explain-in", chelsea)
    assert ui.run("explain") == ""
    ui.wait_image("explain-out")
    (row,) = ui.table("explain-table")
    net = get_model("efficientnet_lite0", allow_download=False)
    x = net.preprocess(read_image(chelsea))
    e = explain("gradcam", net, x)
    ref = overlay(x[0].permute(1, 2, 0).numpy(), e.maps[0], alpha=0.5)
    assert row[0] == "gradcam" and int(row[2]) == int(e.targets[0]) and 281 <= int(row[2]) <= 285
    shown = decode_image(ui.fetch(ui.file_url("explain-files", ".png")))
    assert shown.shape == ref.shape
    assert np.abs(shown.astype(int) - ref.astype(int)).max() <= 1
    ui.screenshot("explain")
