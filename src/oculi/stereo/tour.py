"""Tour section for stereo: oculi's SGM vs OpenCV's SGBM on the embedded Motorcycle pair."""

from __future__ import annotations

import time
from pathlib import Path

from oculi.report import Report

# Middlebury 2014 Motorcycle calibration (full 2964-px width): focal 3979.911 px,
# baseline 193.001 mm, principal-point offset doffs 124.343 px; skimage's copy is 1/4 wide.
_FOCAL_FULL, _BASELINE_MM, _DOFFS_FULL, _FULL_WIDTH = 3979.911, 193.001, 124.343, 2964


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Match the embedded pair with every method, score against the truth, picture the normals."""
    import numpy as np

    from oculi.stereo import (
        colorize_disparity,
        compute_disparity,
        depth_normals,
        disparity_errors,
        disparity_to_depth,
        load_motorcycle,
        normal_angle_difference,
        normals_to_color,
    )

    scale = 0.5 if quick else 1.0
    pair = load_motorcycle(scale=scale)
    h, w = pair.left.shape[:2]
    nd = pair.max_disparity
    sec = report.section(
        "Stereo",
        f"skimage's embedded Middlebury 2014 'Motorcycle' pair ({w}x{h}, rectified) with its "
        f"ground-truth disparity; {nd} disparities searched. 'sgm' is oculi's semi-global "
        "matcher (census cost, 8 paths, P2 adaptive to the image gradient, left-right check, "
        "speckle removal, hole filling); 'sgbm' is OpenCV's StereoSGBM (8 paths) with its "
        "invalid pixels filled the same way, 'sgbm-wls' adds the ximgproc WLS filter. bad-N: "
        "share of all known pixels (occluded included) off by more than N px. bench/stereo.py "
        "runs the same on Middlebury Cones and Teddy.",
    )
    runs = [("sgm", {}), ("sgbm", {"fill": True})] + ([] if quick else [("sgbm-wls", {})])
    rows, pictures = [], [colorize_disparity(pair.disparity, nd)]
    disparities = {}
    for name, kw in runs:
        t0 = time.perf_counter()
        disp = compute_disparity(pair.left, pair.right, name, nd, **kw)
        ms = (time.perf_counter() - t0) * 1e3
        e = disparity_errors(disp, pair.disparity)
        rows.append([name, 100 * e["bad1"], 100 * e["bad2"], 100 * e["bad4"], e["epe"], ms])
        pictures.append(colorize_disparity(disp, nd))
        disparities[name] = disp
    sec.table(["method", "bad-1 (%)", "bad-2 (%)", "bad-4 (%)", "MAE (px)", "time (ms)"], rows,
              caption="first runs include one-off set-up (numba kernels load from cache)")
    sec.image(np.hstack([pair.left, pictures[0]]), "left view and ground truth (black: unknown)",
              name="stereo-input")
    sec.image(np.hstack(pictures[1:]), ", ".join(n for n, _ in runs) + " (near = red)",
              name="stereo-disparities")

    # depth of the matcher's disparity and of the truth -> normals (camera frame, mm)
    k = w / _FULL_WIDTH
    focal, doffs = _FOCAL_FULL * k, _DOFFS_FULL * k
    depth_sgm = disparity_to_depth(disparities["sgm"] + doffs, focal, _BASELINE_MM)
    depth_gt = disparity_to_depth(pair.disparity + doffs, focal, _BASELINE_MM)
    n_sgm = depth_normals(depth_sgm, focal, window=11, max_depth_step=0.05)
    n_gt = depth_normals(depth_gt, focal, window=11, max_depth_step=0.05)
    diff = normal_angle_difference(n_sgm, n_gt)
    sec = report.section(
        "Surface normals",
        "Depth z = f·B / (d + doffs) from the disparity (Middlebury calibration scaled to this "
        "size), then a robust plane fit over 11x11 pixels per pixel (neighbours more than 5 % "
        "away in depth left out, outliers dropped in a second fit). Colour = (n + 1) / 2 as "
        f"RGB (x right, y down, z forward). Mean angle between the normals of oculi's SGM depth "
        f"and the ground truth's: {np.nanmean(diff):.1f}° (median {np.nanmedian(diff):.1f}°).",
    )
    sec.image(np.hstack([normals_to_color(n_gt), normals_to_color(n_sgm)]),
              "normals from the ground truth, and from oculi's SGM disparity",
              name="stereo-normals")
