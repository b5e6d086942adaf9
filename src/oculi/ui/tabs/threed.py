"""3-D tab: a rectified stereo pair -> disparity colour map, with a ground-truth disparity the error
picture and scores, and with the camera's focal length the surface normals of the depth, as
``oculi stereo LEFT RIGHT -o disp.png --gt GT`` and ``oculi stereo normals DEPTH``."""

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
    image_output,
    run_button,
    save_image,
    save_json,
    table_output,
)

NAME = "threed"
HEADERS = ("method", "bad-1 (%)", "bad-2 (%)", "bad-4 (%)", "MAE (px)", "density (%)")
#: ground-truth PNGs store disparity x this (KITTI's convention, :func:`disparity_to_png16`)
GT_SCALE = 256.0
#: the error picture's colour scale: 0 px blue .. this many px and more red
ERROR_RANGE = 4.0
#: Middlebury 2014 Motorcycle calibration at full width (2964 px): focal px, baseline mm, doffs px
MOTORCYCLE = {"width": 2964, "focal": 3979.911, "baseline": 193.001, "doffs": 124.343}


@cache
def example_pair() -> Any:
    """skimage's Middlebury 'Motorcycle' at half size (the examples stereo-left/right)."""
    from oculi.stereo import load_motorcycle

    return load_motorcycle(scale=0.5)


@example_files.register("stereo-gt", help="Motorcycle at half size, true disparity x 256 "
                        "(uint16 PNG, 0 = unknown)", suffix=".png")
def _write_gt(path: Path) -> None:
    from oculi.io import write_image
    from oculi.stereo import disparity_to_png16

    write_image(path, disparity_to_png16(example_pair().disparity, GT_SCALE))


def example_camera() -> tuple[float, float, float]:
    """Focal length (px), baseline (mm) and doffs (px) of the example pair at its size."""
    k = example_pair().left.shape[1] / MOTORCYCLE["width"]
    return MOTORCYCLE["focal"] * k, MOTORCYCLE["baseline"], MOTORCYCLE["doffs"] * k


def read_truth(path: str) -> Any:
    """A ground-truth disparity PNG (disparity x 256, 0 = unknown) -> HxW float32 px, NaN."""
    from oculi.stereo.datasets import read_disparity_png

    return read_disparity_png(path, GT_SCALE)


def error_picture(disparity: Any, truth: Any) -> Any:
    """|disparity - truth| coloured by :func:`oculi.stereo.colorize_disparity` over
    0..:data:`ERROR_RANGE` px (black: unknown truth or no estimate)."""
    import numpy as np

    from oculi.stereo import colorize_disparity

    return colorize_disparity(np.abs(disparity - truth), ERROR_RANGE)


def run(left_path: str | None, right_path: str | None, gt_path: str | None, method: str,
        max_disparity: float, focal: float | None, baseline: float | None,
        doffs: float | None, ctx: TabContext) -> tuple:
    """:func:`oculi.stereo.compute_disparity`, scored by ``disparity_errors`` against the truth,
    normals by ``depth_normals`` of ``disparity_to_depth(d + doffs)``."""
    from oculi.core.errors import ParameterError, ShapeError
    from oculi.io import read_image
    from oculi.stereo import (
        check_stereo_pair,
        colorize_disparity,
        compute_disparity,
        depth_normals,
        disparity_errors,
        disparity_to_depth,
        disparity_to_png16,
        normals_to_color,
        round_disparities,
    )

    if not left_path or not right_path:
        raise ParameterError("threed: upload the left and the right image (or click the "
                             "example)")
    left, right = read_image(left_path, mode="rgb"), read_image(right_path, mode="rgb")
    check_stereo_pair(left, right)
    nd = int(max_disparity or 0)
    if method.lower().startswith("sgbm"):
        nd, _ = round_disparities(nd)
    disp = compute_disparity(left, right, method, nd)
    picture = colorize_disparity(disp, nd)
    files = [save_image(ctx, "disparity", picture), save_image(ctx, "disparity-x256",
                                                               disparity_to_png16(disp))]
    summary: dict[str, Any] = {"left": Path(left_path).name, "right": Path(right_path).name,
                               "method": method, "max_disparity": nd, "size": list(disp.shape)}
    errors, rows = None, []
    if gt_path:
        truth = read_truth(gt_path)
        if truth.shape != disp.shape:
            raise ShapeError(f"{Path(gt_path).name}: expected a {disp.shape[1]}x{disp.shape[0]} "
                             f"disparity map, got {truth.shape[1]}x{truth.shape[0]}")
        s = disparity_errors(disp, truth)
        summary["scores"] = s
        rows = [[method, *(round(100 * s[k], 2) for k in ("bad1", "bad2", "bad4")),
                 round(s["epe"], 3), round(100 * s["density"], 2)]]
        errors = error_picture(disp, truth)
        files.append(save_image(ctx, "disparity-error", errors))
    normals = None
    if focal:
        depth = disparity_to_depth(disp + float(doffs or 0), focal, baseline or 1.0)
        normals = normals_to_color(depth_normals(depth, focal, window=11))
        files.append(save_image(ctx, "normals", normals))
    files.append(save_json(ctx, "stereo", summary))
    return picture, errors, normals, rows, [str(f) for f in files]


@tabs.register(NAME, help="A rectified stereo pair → disparity (near = warm) by oculi's "
               "semi-global matcher or OpenCV's SGBM; with the true disparity (a 16-bit "
               "PNG of disparity x 256, 0 = unknown) the error picture (blue 0 px .. red 4 px "
               "and more) and bad-N scores; with the focal length (px) the surface normals "
               "of the depth f·B / (d + doffs).", order=120, title="3-D")
def build(ctx: TabContext) -> None:
    """Left, right, optional truth, method and camera; disparity, error, normals, scores."""
    from oculi.stereo import methods

    with gr.Row():
        left = image_input(NAME, 1, "left")
        right = image_input(NAME, 2, "right")
        truth = file_input(NAME, 3, "true disparity (optional)")
    with gr.Row():
        method = gr.Dropdown(methods.names(), value="sgm", label="method",
                             elem_id=f"{NAME}-method")
        nd = gr.Number(value=64, precision=0, label="disparities searched",
                       elem_id=f"{NAME}-max-disparity")
        focal = gr.Number(value=None, label="focal length (px; for normals)",
                          elem_id=f"{NAME}-focal")
        baseline = gr.Number(value=None, label="baseline", elem_id=f"{NAME}-baseline")
        doffs = gr.Number(value=0, label="doffs (px)", elem_id=f"{NAME}-doffs")
    f, b, d = example_camera()
    gr.Examples([[str(ctx.example("stereo-left")), str(ctx.example("stereo-right")),
                  str(ctx.example("stereo-gt")), example_pair().max_disparity,
                  round(f, 3), b, round(d, 3)]],
                [left, right, truth, nd, focal, baseline, doffs], label="examples")
    go = run_button(NAME, "Match")
    with gr.Row():
        out = image_output(NAME, "disparity")
        err = image_output(NAME, "error against the truth", 2)
        normals = image_output(NAME, "surface normals", 3)
    table = table_output(NAME, HEADERS, label="scores")
    files = files_output(NAME)
    go.click(ctx.guard(lambda le, ri, gt, m, n, f, b, d: run(le, ri, gt, m, n, f, b, d, ctx)),
             [left, right, truth, method, nd, focal, baseline, doffs],
             [out, err, normals, table, files])
