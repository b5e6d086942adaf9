"""Segmentation tab: an image -> objects by the classical baseline (Otsu threshold, then the
distance-transform watershed or connected components) or the mask of a trained run folder
(``oculi segment IMAGE --run RUN``), blended over the image."""

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

NAME = "segment"
#: the table's columns: one row per object (classical) or per class (a trained run)
HEADERS = ("label", "pixels", "fraction")


def _methods() -> list[str]:
    from oculi.segment import INSTANCE_METHODS

    return list(INSTANCE_METHODS)


def _rows(labels, names: list[str] | None = None) -> list[list]:
    """One row per label value present: name, pixel count, share of the image."""
    import numpy as np

    counts = np.bincount(labels.ravel(), minlength=len(names or ()))
    return [[names[k] if names else str(k), int(c), round(float(c) / labels.size, 5)]
            for k, c in enumerate(counts) if c and (names or k)]


def classical(image, method: str, bright: bool, min_size: int) -> tuple:
    """:func:`oculi.segment.classical_instances` -> (labels, picture, rows)."""
    from oculi.segment import classical_instances, overlay_instances

    labels = classical_instances(image, method=method, bright=bright, min_size=int(min_size))
    return labels, overlay_instances(image, labels), _rows(labels)


def trained(image, run_folder: str, threshold: float) -> tuple:
    """:func:`oculi.segment.predict_image` of a run folder -> (mask, picture, rows)."""
    from oculi.segment import load_segmenter, overlay, predict_image

    net = load_segmenter(run_folder)
    mask, _ = predict_image(net, image, threshold=threshold)
    names = net.class_names or [str(i) for i in range(net.num_classes)]
    return mask, overlay(image, mask), _rows(mask, names)


def run(path: str | None, method: str, run_folder: str, bright: bool, min_size: float,
        threshold: float, ctx: TabContext) -> tuple:
    """Segment, then save the label image (uint16 PNG), the overlay and a JSON summary."""
    import numpy as np

    from oculi.core.errors import ParameterError
    from oculi.io import read_image

    if not path:
        raise ParameterError("segment: upload an image (or click an example)")
    image = read_image(path, mode="rgb")
    if run_folder.strip():
        labels, picture, rows = trained(image, run_folder.strip(), threshold)
    else:
        labels, picture, rows = classical(image, method, bright, min_size)
    files = [save_image(ctx, "overlay", picture),
             save_image(ctx, "labels", labels.astype(np.uint16)),
             save_json(ctx, "segments", {"method": run_folder.strip() or method,
                                         "shape": list(labels.shape),
                                         "labels": [dict(zip(HEADERS, r, strict=True))
                                                    for r in rows]})]
    return picture, rows, [str(f) for f in files]


@tabs.register(NAME, help="An image → objects found without learning (Gaussian smoothing, Otsu "
               "threshold, then the distance-transform watershed that splits touching objects, "
               "or plain connected components), or the mask of a trained run folder "
               "(`oculi train segment`).", order=70, title="Segmentation")
def build(ctx: TabContext) -> None:
    """One upload, the method or a run folder, and their options; overlay, table, files."""
    image = image_input(NAME)
    with gr.Row():
        method = gr.Dropdown(_methods(), value="watershed", label="classical method",
                             elem_id=f"{NAME}-method")
        run_folder = gr.Textbox(label="or a trained run folder (overrides the method)",
                                placeholder="runs/segment", elem_id=f"{NAME}-trained")
    with gr.Row():
        bright = gr.Checkbox(value=True, label="objects brighter than the background",
                             elem_id=f"{NAME}-bright")
        min_size = gr.Number(value=15, precision=0, label="smallest object (pixels)",
                             elem_id=f"{NAME}-min-size")
        threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.05,
                              label="run folder, binary model: foreground cut",
                              elem_id=f"{NAME}-threshold")
    examples(ctx, [image], [["coins"], ["camera"]])
    go = run_button(NAME, "Segment")
    out = image_output(NAME, "segments")
    table = table_output(NAME, HEADERS)
    files = files_output(NAME)
    go.click(ctx.guard(lambda p, m, r, b, s, t: run(p, m, r, b, s, t, ctx)),
             [image, method, run_folder, bright, min_size, threshold], [out, table, files])
