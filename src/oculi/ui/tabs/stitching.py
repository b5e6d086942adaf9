"""Stitching tab: several overlapping images -> a panorama (oculi.stitching.stitch)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.tabs import tabs
from oculi.ui.tabs.widgets import (
    examples,
    files_input,
    files_output,
    image_output,
    run_button,
    save_image,
    save_json,
    table_output,
)

NAME = "stitching"
#: the table's columns: one row per input image
HEADERS = ("image", "stitched", "note")


def panorama(paths: list[str] | None, projection: str, blend: str, crop: bool,
             ctx: TabContext) -> tuple:
    """Read the images, :func:`oculi.stitching.stitch` them, save the panorama and its JSON."""
    from oculi.core.errors import NoMatchError
    from oculi.io import read_image
    from oculi.stitching import stitch

    paths = list(paths or [])
    if len(paths) < 2:
        raise NoMatchError(f"stitching: upload at least 2 overlapping images, got {len(paths)}")
    names = [Path(p).name for p in paths]
    pano = stitch([read_image(p) for p in paths], names=names, projection=projection,
                  blend=blend, crop=crop)
    rows = [[name, "yes" if i in pano.included else "no", pano.excluded.get(name, "")]
            for i, name in enumerate(names)]
    h, w = pano.image.shape[:2]
    summary = (f"{w}x{h} from {len(pano.included)}/{len(paths)} images, {pano.model} model, "
               f"{pano.projection}; mean reprojection error {pano.reprojection_error:.2f} px")
    files = [save_image(ctx, "panorama", pano.image), save_json(ctx, "panorama", pano.as_dict())]
    return pano.image, rows, summary, [str(f) for f in files]


@tabs.register(NAME, help="Several overlapping photos (any order) → one panorama: features, "
               "bundle adjustment, seams and multi-band blending.", order=20,
               title="Stitching")
def build(ctx: TabContext) -> None:
    """A multi-file upload and the stitcher's main options; the panorama, a table, the files."""
    from oculi.stitching import BLENDS, PROJECTIONS

    images = files_input(NAME, 1, "images (2 or more)")
    with gr.Row():
        projection = gr.Dropdown(list(PROJECTIONS), value="spherical", label="projection",
                                 elem_id=f"{NAME}-projection")
        blend = gr.Dropdown(list(BLENDS), value="multiband", label="blend",
                            elem_id=f"{NAME}-blend")
        crop = gr.Checkbox(False, label="crop to the inner rectangle", elem_id=f"{NAME}-crop")
    examples(ctx, [images], [[["stitch-1", "stitch-2", "stitch-3"]]])
    run = run_button(NAME, "Stitch")
    out = image_output(NAME, "panorama")
    text = gr.Textbox(label="summary", interactive=False, elem_id=f"{NAME}-text")
    table = table_output(NAME, HEADERS, label="inputs")
    files = files_output(NAME)
    run.click(ctx.guard(lambda p, pr, b, c: panorama(p, pr, b, c, ctx)),
              [images, projection, blend, crop], [out, table, text, files])
