"""Activity tab: a clip -> its motion-history and motion-energy images (Bobick & Davis) with their
Hu moments (the features of :class:`oculi.action.MotionHistoryClassifier`), and with a trained
run folder the timeline of labels, as ``oculi action VIDEO --run RUN --window S --stride S``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.tabs import place as _place  # noqa: F401  (registers the "place-clip" example)
from oculi.ui.tabs import tabs
from oculi.ui.tabs import track as _track  # noqa: F401  (registers the "track-clip" example)
from oculi.ui.tabs.widgets import (
    examples,
    file_input,
    files_output,
    image_output,
    run_button,
    save_image,
    save_json,
    table_output,
)

NAME = "action"
HEADERS = ("Hu moment", "motion energy", "motion history")


def segment_lines(segments: list[dict[str, Any]]) -> str:
    """The timeline's segments one per line, ``start-end s  label  (score)`` as the CLI prints."""
    return "\n".join(f"{s['start_s']:.2f}-{s['end_s']:.2f} s  {s['label']}  ({s['score']:.2f})"
                     for s in segments)


def run(path: str | None, tau: float | None, threshold: float, run_folder: str,
        window: float, stride: float, ctx: TabContext) -> tuple:
    """:func:`oculi.action.load_clip`, ``motion_masks`` (frame differences), ``motion_history``,
    ``motion_energy`` and ``hu_moments``; with a run folder
    :func:`oculi.action.predict.video_timeline` and its ``timeline_strip``. The pictures (PNG)
    and a JSON summary are offered for download."""
    from oculi.action import hu_moments, load_clip, motion_energy, motion_history, motion_masks
    from oculi.core.errors import ParameterError

    if not path:
        raise ParameterError("action: upload a clip (or click the example)")
    frames = load_clip(path)
    masks = motion_masks(frames, threshold=threshold)
    steps = int(tau) if tau else None  # an empty field reads 0
    mhi, mei = motion_history(masks, steps), motion_energy(masks, steps)
    hu_mei, hu_mhi = hu_moments(mei), hu_moments(mhi)
    rows = [[f"h{k + 1}", round(float(a), 4), round(float(b), 4)]
            for k, (a, b) in enumerate(zip(hu_mei, hu_mhi, strict=True))]
    summary: dict[str, Any] = {"clip": Path(path).name, "frames": len(frames),
                               "masks": len(masks), "tau": steps or len(masks),
                               "threshold": threshold, "hu_energy": hu_mei.tolist(),
                               "hu_history": hu_mhi.tolist()}
    files = [save_image(ctx, "motion-history", mhi),
             save_image(ctx, "motion-energy", mei.astype("float32"))]
    strip, text = None, ""
    if run_folder.strip():
        from oculi.action.predict import timeline_strip, video_timeline

        timeline = video_timeline(run_folder.strip(), path, window=float(window),
                                  stride=float(stride))
        strip = timeline_strip(timeline)
        summary["timeline"] = {**timeline.json_dict(), "video": Path(path).name}
        text = segment_lines(summary["timeline"]["segments"])
        files.append(save_image(ctx, "timeline", strip))
    files.append(save_json(ctx, "action", summary))
    return str(files[0]), str(files[1]), strip, text, rows, [str(f) for f in files]


@tabs.register(NAME, help="A clip → where it moved: the motion-history image (bright = recent "
               "motion, fading over tau frames) and the motion-energy image (anywhere it moved), "
               "from thresholded frame differences, with the log-scaled Hu moments that the "
               "classical action classifier compares. With a run folder of `oculi train "
               "action`: the label of every window and the segments of equal labels.",
               order=130, title="Activity")
def build(ctx: TabContext) -> None:
    """The clip, tau, the difference threshold, a run folder and its windows; history, energy,
    timeline, segments, moments, files."""
    clip = file_input(NAME, 1, "clip (video file or .npz)")
    with gr.Row():
        tau = gr.Number(value=None, precision=0, label="tau: frames a mark lasts (0 or empty: all)",
                        elem_id=f"{NAME}-tau")
        threshold = gr.Slider(0.005, 0.2, value=0.03, step=0.005,
                              label="frame-difference threshold (grey levels of [0, 1])",
                              elem_id=f"{NAME}-threshold")
    with gr.Row():
        run_folder = gr.Textbox(label="run folder of oculi train action (for the timeline)",
                                placeholder="runs/action", elem_id=f"{NAME}-trained")
        window = gr.Number(value=2.0, label="window (s)", elem_id=f"{NAME}-window")
        stride = gr.Number(value=1.0, label="stride (s)", elem_id=f"{NAME}-stride")
    examples(ctx, [clip], [["track-clip"], ["place-clip"]])
    go = run_button(NAME, "Analyse")
    with gr.Row():
        out = image_output(NAME, "motion history")
        energy = image_output(NAME, "motion energy", 2)
    strip = image_output(NAME, "timeline (with a run folder)", 3)
    text = gr.Textbox(label="segments", lines=4, interactive=False, elem_id=f"{NAME}-text")
    table = table_output(NAME, HEADERS, label="Hu moments (-sign(h) log10 |h|)")
    files = files_output(NAME)
    go.click(ctx.guard(lambda p, t, th, r, w, s: run(p, t, th, r, w, s, ctx)),
             [clip, tau, threshold, run_folder, window, stride],
             [out, energy, strip, text, table, files])
