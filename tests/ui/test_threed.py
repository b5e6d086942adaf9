"""The 3-D tab in the browser: on skimage's Motorcycle pair with its true disparity, the error
picture and the scores equal the library's; a bad upload reads as an oculi error."""

from __future__ import annotations

import numpy as np

from oculi.ui.tabs.threed import example_camera, example_pair
from tests.ui.conftest import UI
from tests.ui.test_track import open_tab, upload_file


def _number(ui: UI, elem_id: str, value: float) -> None:
    ui.page.locator(f"#{elem_id} input[type=number]").fill(str(value))


def test_threed_tab_scores_like_the_library(ui: UI) -> None:
    from oculi.io import read_image
    from oculi.stereo import colorize_disparity, compute_disparity, disparity_errors
    from oculi.stereo.datasets import read_disparity_png

    left, right, gt = (ui.example(n) for n in ("stereo-left", "stereo-right", "stereo-gt"))
    nd = example_pair().max_disparity
    open_tab(ui, "threed")
    ui.upload("threed-in", left)
    ui.upload("threed-in2", right)
    upload_file(ui, "threed-in3", gt)
    _number(ui, "threed-max-disparity", nd)
    _number(ui, "threed-focal", round(example_camera()[0], 3))
    _number(ui, "threed-baseline", 193.001)
    assert ui.run("threed") == ""
    disp = compute_disparity(read_image(left, mode="rgb"), read_image(right, mode="rgb"), "sgm",
                             nd)
    truth = read_disparity_png(gt, 256.0)
    error = colorize_disparity(np.abs(disp - truth), 4.0)
    assert np.array_equal(ui.image("threed-out2"), error)
    assert np.array_equal(ui.image("threed-out"), colorize_disparity(disp, nd))
    (row,) = ui.table("threed-table")
    s = disparity_errors(disp, truth)
    assert [float(v) for v in row[1:]] == [round(100 * s["bad1"], 2), round(100 * s["bad2"], 2),
                                           round(100 * s["bad4"], 2), round(s["epe"], 3),
                                           round(100 * s["density"], 2)]
    assert s["bad2"] < 0.2
    normals = ui.image("threed-out3")
    assert normals.shape == (*disp.shape, 3) and normals.any()
    ui.screenshot("threed")
