"""Product-placement tab: a video, the plane's four corners on one frame and an image to insert ->
the composited video (mp4), as ``oculi place VIDEO INSERT --corners ... --frame N -o out.mp4``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.examples import examples as example_files
from oculi.ui.tabs import tabs
from oculi.ui.tabs.widgets import (
    file_input,
    files_output,
    image_input,
    run_button,
    save_json,
    table_output,
)

NAME = "place"
#: the table's columns: one row per frame
HEADERS = ("frame", "visible", "confidence", "corners (TL, TR, BR, BL)")


@cache
def example_sequence() -> Any:
    """The example: a poster turning in perspective over photographs, with occluders crossing it
    (30 frames of 320x180, :func:`oculi.place.make_sequence` as the tour's quick section)."""
    from oculi.place import make_sequence

    return make_sequence(30, (180, 320), "perspective", seed=0)


@example_files.register("place-clip", help="a poster turning in perspective, occluders "
                        "crossing it (30 frames, H.264)", suffix=".mp4")
def _write_clip(path: Path) -> None:
    from oculi.video import write_video

    write_video(path, example_sequence().frames, fps=15)


def example_corners() -> str:
    """The example poster's true corners on frame 0, ``x1,y1,...,x4,y4``."""
    return ",".join(f"{v:.1f}" for v in example_sequence().corners_true[0].ravel())


def run(video: str | None, insert: str | None, corners: str, frame: float, occlusion: bool,
        ctx: TabContext, progress: Any = None) -> tuple:
    """:func:`oculi.place.place_insert` over the video, every frame written to an mp4."""
    from oculi.cli.place import parse_corners, read_insert
    from oculi.core.errors import ParameterError
    from oculi.place import place_insert
    from oculi.video import VideoWriter, open_video

    if not video or not insert:
        raise ParameterError("place: upload a video and an image to insert (or click the "
                             "example)")
    quad = parse_corners(corners or "")
    image = read_insert(Path(insert))
    out = ctx.output_path("placed", ".mp4")
    with open_video(video) as reader:
        n = len(reader)
        if not 0 <= int(frame or 0) < n:
            raise ParameterError(f"frame {frame}: the video has {n} frame(s)")
        tick = (lambda k: progress((k, n), desc="tracking the plane")) if progress else None
        placement = place_insert(reader, image, corners=quad, frame_index=int(frame or 0),
                                 occlusion=occlusion, progress=tick)
        frames = progress.tqdm(placement, desc="rendering") if progress else placement
        with VideoWriter(out, reader.fps) as writer:
            for placed in frames:
                writer.write(placed.image)
    rows = [[i, bool(t.visible), round(float(t.confidence), 3),
             " ".join(f"{v:.1f}" for v in t.corners.ravel())]
            for i, t in enumerate(placement.tracks)]
    summary = {"video": Path(video).name, "frames": n, "start": placement.start,
               "tracks": [{"frame": i, "visible": t.visible, "confidence": t.confidence,
                           "corners": t.corners.tolist(), "H": t.H.tolist()}
                          for i, t in enumerate(placement.tracks)]}
    return str(out), rows, [str(out), str(save_json(ctx, "placement", summary))]


@tabs.register(NAME, help="A video, the four corners of a flat surface on one frame (top-left, "
               "top-right, bottom-right, bottom-left: x1,y1,...,x4,y4 pixels) and an image → the "
               "image inserted on the surface through the whole video, behind what passes in "
               "front of it and in the scene's light.", order=100, title="Product placement")
def build(ctx: TabContext) -> None:
    """The video, the insert, the corners and their frame; the video out, the track, files."""
    with gr.Row():
        video = file_input(NAME, 1, "video (mp4, avi, mkv, ...)")
        insert = image_input(NAME, 2, "image to insert (PNG alpha is kept)")
    with gr.Row():
        corners = gr.Textbox(label="corners x1,y1,...,x4,y4", elem_id=f"{NAME}-corners")
        frame = gr.Number(value=0, precision=0, label="frame of the corners",
                          elem_id=f"{NAME}-frame")
        occlusion = gr.Checkbox(value=True, label="keep occluders in front",
                                elem_id=f"{NAME}-occlusion")
    gr.Examples([[str(ctx.example("place-clip")), str(ctx.example("coffee")),
                  example_corners()]], [video, insert, corners], label="examples")
    go = run_button(NAME, "Place")
    out = gr.Video(label="with the insert", interactive=False, elem_id=f"{NAME}-out")
    table = table_output(NAME, HEADERS, label="plane per frame")
    files = files_output(NAME)
    go.click(ctx.guard(lambda v, i, c, f, o, progress=None: run(v, i, c, f, o, ctx, progress)),
             [video, insert, corners, frame, occlusion], [out, table, files])
