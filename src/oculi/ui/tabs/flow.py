"""Optical flow tab: two frames -> colour-coded flow and arrows; EPE when a true .flo is given."""

from __future__ import annotations

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.tabs import tabs
from oculi.ui.tabs.widgets import (
    examples,
    file_input,
    files_output,
    image_input,
    image_output,
    run_button,
    save_image,
    save_json,
    table_output,
)

NAME = "flow"
#: the table's columns (the error columns stay empty without a true flow)
HEADERS = ("method", "mean |flow| (px)", "max |flow| (px)", "EPE (px)", "AE (°)",
           "EPE > 1 px (%)")


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def flow(path1: str | None, path2: str | None, gt_path: str | None, method: str,
         ctx: TabContext) -> tuple:
    """:func:`oculi.flow.compute_flow` between the frames; pictures, table and files."""
    import numpy as np

    from oculi.core.errors import ParameterError
    from oculi.flow import (
        compute_flow,
        draw_flow_arrows,
        flow_errors,
        flow_to_color,
        read_flo,
        write_flo,
    )
    from oculi.io import read_image

    if not path1 or not path2:
        raise ParameterError("flow: upload two frames (or click an example)")
    a, b = read_image(path1, mode="unchanged"), read_image(path2, mode="unchanged")
    field = compute_flow(a, b, method)
    colour = flow_to_color(field, legend=True)
    arrows = draw_flow_arrows(a, field, step=max(8, min(a.shape[:2]) // 24))
    mag = np.hypot(field[..., 0], field[..., 1])
    summary = {"method": method, "width": field.shape[1], "height": field.shape[0],
               "mean_magnitude": float(mag.mean()), "max_magnitude": float(mag.max())}
    if gt_path:
        errors = flow_errors(field, read_flo(gt_path))
        summary.update(errors)
    row = [method, _round(summary["mean_magnitude"]), _round(summary["max_magnitude"]),
           _round(summary.get("epe")), _round(summary.get("ae")), _round(summary.get("r1"))]
    flo = ctx.output_path("flow", ".flo")
    write_flo(flo, field)
    files = [flo, save_image(ctx, "flow-colour", colour), save_image(ctx, "flow-arrows", arrows),
             save_json(ctx, "flow", summary)]
    return colour, arrows, [row], [str(f) for f in files]


@tabs.register(NAME, help="Two frames → dense optical flow: Middlebury colour map (legend in "
               "the corner), arrows on frame 1, and EPE/AE when the true flow (.flo) is given.",
               order=30, title="Optical flow")
def build(ctx: TabContext) -> None:
    """Two frames, an optional true flow and the method; colour map, arrows, table, files."""
    from oculi.flow import methods

    with gr.Row():
        in1 = image_input(NAME, 1, "frame 1")
        in2 = image_input(NAME, 2, "frame 2")
        gt = file_input(NAME, 3, "true flow (.flo, optional)", file_types=[".flo"])
    method = gr.Dropdown(methods.names(), value="dis", label="method", elem_id=f"{NAME}-method")
    examples(ctx, [in1, in2, gt], [["flow-1", "flow-2", "flow-gt"]])
    run = run_button(NAME, "Compute flow")
    with gr.Row():
        colour = image_output(NAME, "flow (colour)")
        arrows = image_output(NAME, "flow (arrows on frame 1)", index=2)
    table = table_output(NAME, HEADERS)
    files = files_output(NAME)
    run.click(ctx.guard(lambda p1, p2, g, m: flow(p1, p2, g, m, ctx)),
              [in1, in2, gt, method], [colour, arrows, table, files])
