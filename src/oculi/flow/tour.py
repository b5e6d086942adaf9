"""Tour section for optical flow: a known synthetic motion, every method, colour coding, errors."""

from __future__ import annotations

import time
from pathlib import Path

from oculi.report import Report


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Move an embedded image by a known affine flow, run every method, score and picture them."""
    import cv2
    import numpy as np

    from oculi.data import load
    from oculi.flow import (
        compute_flow,
        draw_flow_arrows,
        endpoint_error_map,
        error_map_image,
        flow_errors,
        flow_legend,
        flow_to_color,
        methods,
        warp_image,
    )
    from oculi.flow.synthetic import affine_pair

    side = 192 if quick else 384
    image = cv2.resize(load("astronaut", mode="rgb"), (side, side), interpolation=cv2.INTER_AREA)
    motion = {"rotation": 3.0, "scale": 1.04, "shift": (side / 40, -side / 64)}
    f1, f2, gt = affine_pair(image, **motion)
    margin = side // 16  # pixels near the border move in from outside the frame
    inner = np.full(gt.shape[:2], False)
    inner[margin:-margin, margin:-margin] = True
    gt_eval = np.where(inner[..., None], gt, np.nan).astype(np.float32)
    max_flow = float(np.hypot(gt[..., 0], gt[..., 1])[inner].max())

    sec = report.section(
        "Optical flow",
        f"The 'astronaut' sample ({side}x{side}) moved by a known affine motion (rotation "
        f"{motion['rotation']}°, zoom {motion['scale']}, shift {motion['shift'][0]:.1f}, "
        f"{motion['shift'][1]:.1f} px; up to {max_flow:.1f} px), so the true flow is known "
        "exactly. "
        "Every registered method runs on the pair; endpoint error (EPE, px) and angular error "
        f"(AE, degrees) are measured {margin} px away from the border. Colours follow the "
        "Middlebury key (hue = direction, saturation = length; legend in the corner). "
        "bench/flow.py measures the same methods on the Middlebury sequences.",
    )
    sec.image(np.hstack([f1, f2]), "frame 1 and frame 2", name="flow-frames", width=2 * side)
    rows, colours = [], {}
    names = [n for n in methods.names() if not (quick and n == "tvl1")]
    for name in names:
        t0 = time.perf_counter()
        flow = compute_flow(f1, f2, name)
        ms = (time.perf_counter() - t0) * 1e3
        stats = flow_errors(flow, gt_eval)
        rows.append([name, stats["epe"], stats["ae"], stats["r1"], ms])
        colours[name] = flow
    sec.table(["method", "EPE (px)", "AE (deg)", "EPE > 1 px (%)", "time (ms)"], rows,
              caption="first runs include one-off set-up (numba kernels load from cache)")
    hs = colours["hs"]
    strip = [flow_to_color(gt, max_flow=max_flow, legend=True)]
    strip += [flow_to_color(colours[n], max_flow=max_flow) for n in names]
    sec.image(np.hstack(strip), "ground truth (with legend), then " + ", ".join(names),
              name="flow-colours")
    err = endpoint_error_map(hs, gt_eval)
    back = warp_image(f2, hs, interpolation="cubic")
    sec.image(np.hstack([error_map_image(err, max_error=1.0), back,
                         draw_flow_arrows(f1, hs, step=max(12, side // 16))]),
              "hs: endpoint error (0 to 1 px, dark to yellow), frame 2 warped back by the hs "
              "flow, the flow as arrows", name="flow-hs-detail")

    sec = report.section(
        "Flow colour key",
        "The Middlebury colour wheel (Baker et al. 2011): the colour of a flow vector pointing "
        "from the centre to each pixel; right is red, and white is no motion.",
    )
    sec.image(flow_legend(151), "colour key", name="flow-legend", width=151)
