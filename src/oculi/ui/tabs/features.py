"""Features & matching tab: two images -> match lines (green inliers) and the table of counts."""

from __future__ import annotations

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.tabs import tabs
from oculi.ui.tabs.widgets import (
    examples,
    files_output,
    image_input,
    image_output,
    run_button,
    save_image,
    save_json,
    table_output,
)

NAME = "features"
#: the table's columns
HEADERS = ("method", "keypoints 1", "keypoints 2", "matches", "homography inliers")


def _methods() -> list[str]:
    from oculi.features import feature_methods

    return [n for n in feature_methods.names() if n != "fast"]  # fast has no descriptors


def match(path1: str | None, path2: str | None, method: str, ratio: float,
          ctx: TabContext) -> tuple:
    """Read both images, :func:`oculi.features.pipeline.match_images`, draw and save."""
    from oculi.core.errors import ParameterError
    from oculi.features.draw import draw_matches
    from oculi.features.pipeline import match_images
    from oculi.io import read_image

    if not path1 or not path2:
        raise ParameterError("features: upload two images (or click an example)")
    a, b = read_image(path1), read_image(path2)
    res = match_images(a, b, method, ratio=None if ratio >= 1 else ratio)
    picture = draw_matches(a, b, res.features1, res.features2, res.matches, inliers=res.inliers)
    s = res.summary()
    row = [s["method"], s["keypoints1"], s["keypoints2"], s["matches"], s["inliers"]]
    files = [save_image(ctx, "matches", picture),
             save_json(ctx, "matches", {**s, "matches_list": res.matches.as_dict(),
                                        "inlier_mask": res.inliers.tolist()})]
    return picture, [row], [str(f) for f in files]


@tabs.register(NAME, help="Two images → keypoints matched by a method (lines: green = "
               "homography inliers, red = outliers) and the counts.", order=10,
               title="Features & matching")
def build(ctx: TabContext) -> None:
    """Two uploads, a method and Lowe's ratio; the match picture, the table and the files."""
    with gr.Row():
        in1 = image_input(NAME, 1, "image 1")
        in2 = image_input(NAME, 2, "image 2")
    with gr.Row():
        method = gr.Dropdown(_methods(), value="sift", label="method",
                             elem_id=f"{NAME}-method")
        ratio = gr.Slider(0.5, 1.0, value=0.8, step=0.05, label="Lowe's ratio (1 = off)",
                          elem_id=f"{NAME}-ratio")
    examples(ctx, [in1, in2], [["stitch-1", "stitch-2"], ["chelsea", "chelsea"]])
    run = run_button(NAME, "Match")
    out = image_output(NAME, "matches")
    table = table_output(NAME, HEADERS)
    files = files_output(NAME)
    run.click(ctx.guard(lambda p1, p2, m, r: match(p1, p2, m, r, ctx)),
              [in1, in2, method, ratio], [out, table, files])
