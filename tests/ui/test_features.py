"""The features tab in the browser: the example pair matches like the library; bad uploads."""

from __future__ import annotations

from tests.ui.conftest import UI


def test_features_tab_matches_like_the_library(ui: UI) -> None:
    from oculi.features.pipeline import match_images
    from oculi.io import read_image

    a, b = ui.example("stitch-1"), ui.example("stitch-2")
    ui.tab("features")
    ui.upload("features-in", a)
    ui.upload("features-in2", b)
    assert ui.run("features") == ""
    ui.wait_image("features-out")
    (row,) = ui.table("features-table")
    ref = match_images(read_image(a), read_image(b), "sift").summary()
    assert row == [str(v) for v in (ref["method"], ref["keypoints1"], ref["keypoints2"],
                                    ref["matches"], ref["inliers"])]
    assert ref["inliers"] > 20
    names = ui.files("features-files")
    assert any(n.endswith(".png") for n in names) and any(n.endswith(".json") for n in names)
    ui.screenshot("features")
