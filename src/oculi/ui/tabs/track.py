"""Tracking tab: a video and the object's box on the first frame -> the tracked video (mp4) and
the box of every frame, as ``oculi track VIDEO --init x,y,w,h --method M -o out.mp4``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.examples import examples as example_files
from oculi.ui.tabs import tabs
from oculi.ui.tabs.widgets import file_input, files_output, run_button, save_json, table_output

NAME = "track"
#: the table's columns: one row per frame, the box in xyxy pixels
HEADERS = ("frame", "x1", "y1", "x2", "y2", "lost")


@cache
def example_sequence():
    """The example clip: a face patch moving, scaling and turning over the 'coffee' photo (30
    frames of 240x180), as the tour's quick tracking section renders it, with its true boxes."""
    from oculi.track import synthetic_sequence

    return synthetic_sequence(30, size=(180, 240), target_size=(40, 36), seed=0)


@example_files.register("track-clip", help="a face patch moving over a photo (30 frames, "
                        "H.264)", suffix=".mp4")
def _write_clip(path: Path) -> None:
    from oculi.video import write_video

    seq = example_sequence()
    write_video(path, (seq.read(i) for i in range(len(seq))), fps=15)


def example_box() -> str:
    """The example clip's true box on frame 0 as ``x,y,w,h``."""
    from oculi.track import xyxy_to_xywh

    return ",".join(f"{v:.1f}" for v in xyxy_to_xywh(example_sequence().boxes[0]))


def _methods() -> list[str]:
    from oculi.track import single_trackers

    return single_trackers.names()


def run(path: str | None, box: str, method: str, model_dir: str, ctx: TabContext) -> tuple:
    """:func:`oculi.track.track_object` with the annotated video written; per-frame table, JSON."""
    from oculi.core.errors import ParameterError
    from oculi.track import single_trackers, track_object
    from oculi.track.run import parse_box

    if not path:
        raise ParameterError("track: upload a video (or click the example)")
    init = parse_box(box or "")
    needs_files = "onnx" in single_trackers.entry(method).meta.get("needs", ())
    options = {"model_dir": model_dir.strip()} if needs_files and model_dir.strip() else {}
    out = ctx.output_path("tracked", ".mp4")
    result = track_object(path, init, method=method, out=out, options=options, progress=False)
    r = result.result
    rows = [[i, *(round(float(v), 1) for v in b), bool(lost)]
            for i, (b, lost) in enumerate(zip(r.boxes, r.lost, strict=True))]
    summary = {**result.as_dict(), "source": Path(path).name, "out": out.name}
    return str(out), rows, [str(out), str(save_json(ctx, "track", summary))]


@tabs.register(NAME, help="A video and the object's box on its first frame (x,y,w,h: top-left "
               "corner, width, height in pixels) → the box followed through every frame (green; "
               "red when the tracker reports it lost).", order=90, title="Tracking")
def build(ctx: TabContext) -> None:
    """The video, the first box, the tracker; the tracked video, the per-frame table, files."""
    video = file_input(NAME, 1, "video (mp4, avi, mkv, ...)")
    with gr.Row():
        box = gr.Textbox(label="box on frame 0: x,y,w,h", elem_id=f"{NAME}-box")
        method = gr.Dropdown(_methods(), value="csrt", label="tracker", elem_id=f"{NAME}-method")
        model_dir = gr.Textbox(label="model folder (nanotrack's ONNX files)",
                               elem_id=f"{NAME}-model-dir")
    gr.Examples([[str(ctx.example("track-clip")), example_box()]], [video, box],
                label="examples")
    go = run_button(NAME, "Track")
    out = gr.Video(label="tracked", interactive=False, elem_id=f"{NAME}-out")
    table = table_output(NAME, HEADERS, label="boxes per frame")
    files = files_output(NAME)
    go.click(ctx.guard(lambda p, b, m, d: run(p, b, m, d, ctx)), [video, box, method, model_dir],
             [out, table, files])
