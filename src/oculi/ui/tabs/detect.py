"""Detection tab: an image and a classical detector's name (or a trained run folder) -> the boxes
drawn, the table of boxes and the files, as ``oculi detect IMAGE --model NAME_OR_RUN``."""

from __future__ import annotations

from pathlib import Path

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

NAME = "detect"
#: the table's columns (boxes are xyxy pixels)
HEADERS = ("name", "score", "x0", "y0", "x1", "y1")


def _classical() -> list[str]:
    """The detectors that need no training (``oculi detect list``, family classical)."""
    from oculi.detect import detectors

    return [e.name for e in detectors.entries() if e.meta["family"] == "classical"]


def default_weights(model: str) -> str:
    """The model file of ``model`` in the shared models folder when it is there (YuNet's ONNX),
    else "" (lbp-face is built in; haar-face falls back to OpenCV's own file)."""
    from oculi.detect.face_eval import face_detectors, shared_folders

    if model != "yunet":
        return ""
    found = face_detectors(shared_folders(("models",))["models"]).get("yunet")
    return str(found.keywords["weights"]) if found is not None else ""


def run(path: str | None, model: str, run_folder: str, weights: str,
        score_threshold: float | None, ctx: TabContext) -> tuple:
    """Read the image, :func:`oculi.detect.detect`, draw the boxes and save PNG and JSON."""
    from oculi.core.errors import ParameterError
    from oculi.detect import detect, draw_detections
    from oculi.io import read_image

    if not path:
        raise ParameterError("detect: upload an image (or click an example)")
    chosen = run_folder.strip() or model
    image = read_image(path, mode="rgb")
    dets = detect([image], chosen, score_threshold=score_threshold or None,
                  weights=weights.strip() or None)[0]
    labels = [f"{n} {s:.2f}" for n, s in zip(dets.names, dets.scores, strict=True)]
    picture = draw_detections(image, dets.boxes, labels=labels)
    rows = [[d["name"], d["score"], *d["box"]] for d in dets.to_dict()]
    files = [save_image(ctx, "detections", picture),
             save_json(ctx, "detections", {"image": Path(path).name, "model": str(chosen),
                                           "detections": dets.to_dict()})]
    return picture, rows, [str(f) for f in files]


@tabs.register(NAME, help="An image → objects found by a classical detector (faces: lbp-face "
               "built in, yunet and haar-face from a model file; people: HOG) or by a trained "
               "run folder (`oculi train detect`). Boxes are xyxy pixels.", order=60,
               title="Detection")
def build(ctx: TabContext) -> None:
    """One upload, the detector, an optional run folder, model file and score threshold."""
    image = image_input(NAME)
    with gr.Row():
        model = gr.Dropdown(_classical(), value="lbp-face", label="detector",
                            elem_id=f"{NAME}-model")
        run_folder = gr.Textbox(label="or a trained run folder (overrides the detector)",
                                placeholder="runs/detect", elem_id=f"{NAME}-trained")
    with gr.Row():
        weights = gr.Textbox(label="model file (yunet: ONNX; haar-face, lbp-face: cascade XML)",
                             elem_id=f"{NAME}-weights")
        score = gr.Number(value=None, label="score threshold (0 or empty: the detector's default)",
                          elem_id=f"{NAME}-score")
    examples(ctx, [image], [["astronaut"], ["coffee"], ["chelsea"]])
    go = run_button(NAME, "Detect")
    out = image_output(NAME, "detections")
    table = table_output(NAME, HEADERS)
    files = files_output(NAME)
    model.change(default_weights, [model], [weights])
    go.click(ctx.guard(lambda p, m, r, w, s: run(p, m, r, w, s, ctx)),
             [image, model, run_folder, weights, score], [out, table, files])
