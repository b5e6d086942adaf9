"""The features tab in the browser: the example pair matches like the library; a bad upload."""

from __future__ import annotations

import pytest

from tests.ui.conftest import UI


def test_features_tab_matches_like_the_library(ui: UI) -> None:
    from oculi.features.pipeline import match_images
    from oculi.io import read_image
    from oculi.ui.context import make_context

    ctx = make_context(ui.work_dir)
    a, b = ctx.example("stitch-1"), ctx.example("stitch-2")
    ui.tab("features")
    ui.upload("features-in", a)
    ui.upload("features-in2", b)
    ui.run("features")
    ui.wait_image("features-out")
    (row,) = ui.table("features-table")
    ref = match_images(read_image(a), read_image(b), "sift").summary()
    assert row == [str(v) for v in (ref["method"], ref["keypoints1"], ref["keypoints2"],
                                    ref["matches"], ref["inliers"])]
    assert ref["inliers"] > 20
    names = ui.files("features-files")
    assert any(n.endswith(".png") for n in names) and any(n.endswith(".json") for n in names)
    ui.screenshot("features")


@pytest.mark.parametrize("kind", ["text", "truncated"])
def test_features_tab_bad_upload_reads_as_an_oculi_error(ui: UI, kind: str, tmp_path) -> None:
    from oculi.ui.context import make_context

    good = make_context(ui.work_dir).example("chelsea")
    if kind == "text":
        bad = tmp_path / "letter.png"
        bad.write_text("this is not an image\n")
    else:
        bad = tmp_path / "cut.jpg"
        from oculi.io import write_image

        write_image(tmp_path / "whole.jpg", __import__("oculi.data").data.load("chelsea"))
        data = (tmp_path / "whole.jpg").read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    ui.tab("features")
    ui.upload("features-in", bad)
    ui.upload("features-in2", good)
    message = ui.run("features", expect_error=True)
    assert bad.name in message
    assert "unexpected" not in message
