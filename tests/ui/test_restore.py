"""The restoration tab in the browser: the denoised example equals oculi.restore's result."""

from __future__ import annotations

import numpy as np

import oculi.ui.tabs.restore  # noqa: F401  (registers the tab and its examples)
from tests.ui.conftest import UI
from tests.ui.test_track import open_tab


def test_restore_tab_denoises_like_the_library(ui: UI) -> None:
    from oculi.io import decode_image, read_image
    from oculi.restore import denoise, estimate_noise, psnr

    path = ui.example("restore-noisy")
    open_tab(ui, "restore")
    ui.upload("restore-in", path)
    assert ui.run("restore") == ""
    ui.wait_image("restore-out2")
    shown = decode_image(ui.fetch(ui.file_url("restore-files", ".png")))
    noisy = read_image(path, mode="unchanged")
    ref = denoise(noisy, estimate_noise(noisy), "nlm")
    assert np.array_equal(shown, ref)
    assert np.array_equal(ui.image("restore-out"), ref)
    assert psnr(ref, noisy) < 25  # it did change the picture
    ui.screenshot("restore")
