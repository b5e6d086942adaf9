"""``oculi stereo LEFT RIGHT -o disp.png`` and ``oculi stereo normals DEPTH -o normals.png``."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import inputs_named, names_of, topic_app, write_json

app = topic_app(
    "Rectified stereo: disparity with oculi's semi-global matcher or OpenCV's SGBM (--method), "
    "scores against ground truth, depth and point clouds; surface normals of a depth map "
    "(oculi stereo normals DEPTH).",
    default_command=True,
)


def _load_npy(path: Path):
    """A float32 array from an .npy file; an unreadable one is a :class:`DataError`."""
    import numpy as np

    from oculi.core.errors import DataError

    try:
        arr = np.load(path, allow_pickle=False)
        return np.asarray(arr, dtype=np.float32)
    except (ValueError, TypeError, EOFError) as exc:
        raise DataError(f"{path}: not a numeric .npy array ({exc})") from None


def _read_ground_truth(path: Path, scale: float):
    """Ground-truth disparity: a PNG (value / scale, 0 = unknown) or an .npy in pixels."""
    import numpy as np

    from oculi.core.checks import check_positive
    from oculi.stereo.datasets import read_disparity_png

    if path.suffix.lower() != ".npy":
        return read_disparity_png(path, check_positive(scale, "--gt-scale"))
    gt = _load_npy(path)
    gt[~np.isfinite(gt)] = np.nan
    return gt


def _write_raw(path: Path, disp) -> None:
    """Float disparity as .npy, or a uint16 PNG of disparity x 256 (0 = invalid)."""
    import numpy as np

    from oculi.core.atomic import atomic_path
    from oculi.io import write_image
    from oculi.stereo import disparity_to_png16

    if path.suffix.lower() == ".npy":
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, disp)
    else:
        write_image(path, disparity_to_png16(disp))


@app.command("default", hidden=True)
def default(
    left: Path = typer.Argument(..., help="Left image of a rectified pair."),
    right: Path = typer.Argument(..., help="Right image (same size)."),
    out: Path = typer.Option(..., "-o", "--out", help="Colourised disparity image (PNG/JPEG)."),
    method: str = typer.Option("sgm", "--method", "-m",
                               help=f"Method: {names_of('oculi.stereo:methods')}."),
    max_disparity: int = typer.Option(64, "--max-disparity", "-d",
                                      help="Disparities searched, 0..N-1 px (SGBM: rounded up "
                                      "to a multiple of 16)."),
    raw: Path = typer.Option(None, "--raw", help="Also write the disparity: .npy float32 px, "
                             "or a uint16 PNG of disparity x 256 (0 = invalid)."),
    gt: Path = typer.Option(None, "--gt", help="Ground-truth disparity (PNG or .npy) to score."),
    gt_scale: float = typer.Option(1.0, "--gt-scale", help="The PNG stores disparity x this "
                                   "(Middlebury 2003: 4); 0 = unknown."),
    ply: Path = typer.Option(None, "--ply", help="Also write the coloured point cloud (PLY); "
                             "needs --focal and --baseline."),
    focal: float = typer.Option(None, "--focal", help="Focal length in pixels (for --ply)."),
    baseline: float = typer.Option(None, "--baseline", help="Baseline (for --ply; the points' "
                                   "unit)."),
    check: bool = typer.Option(True, "--check/--no-check", help="Refuse pairs whose matched "
                               "features are more than 2 px apart vertically (not rectified)."),
    json_path: Path = typer.Option(None, "--json", help="Write the summary (and scores) here."),
) -> None:
    """Disparity of LEFT against RIGHT (a rectified pair), written as a colour image."""
    import time

    from oculi.core.errors import ParameterError, ShapeError
    from oculi.io import read_image, write_image
    from oculi.stereo import (
        check_stereo_pair,
        colorize_disparity,
        compute_disparity,
        disparity_errors,
        disparity_to_points,
        round_disparities,
        vertical_misalignment,
        write_ply,
    )

    if ply and (focal is None or baseline is None):
        raise ParameterError("--ply: needs --focal (px) and --baseline")
    a = read_image(left, mode="rgb")
    b = read_image(right, mode="rgb")
    with inputs_named(left=left, right=right):
        check_stereo_pair(a, b)
    if check:
        dy, n = vertical_misalignment(a, b)
        if dy > 2.0:
            raise ShapeError(f"{left} and {right}: not rectified? {n} matched features are "
                             f"{dy:.1f} px apart vertically (median) — rectify the pair first, "
                             "or pass --no-check")
    if method.lower().startswith("sgbm"):
        rounded, note = round_disparities(max_disparity)
        if note:
            typer.echo(note)
            max_disparity = rounded
    t0 = time.perf_counter()
    with inputs_named(left=left, right=right):
        disp = compute_disparity(a, b, method, max_disparity)
    seconds = time.perf_counter() - t0
    write_image(out, colorize_disparity(disp, max_disparity))
    summary: dict[str, object] = {"left": str(left), "right": str(right), "method": method,
                                  "max_disparity": max_disparity, "size": list(disp.shape),
                                  "seconds": round(seconds, 4), "out": str(out)}
    typer.echo(f"{method}: {disp.shape[1]}x{disp.shape[0]}, {max_disparity} disparities, "
               f"{seconds:.2f} s -> {out}")
    if raw:
        _write_raw(raw, disp)
        typer.echo(f"  wrote {raw}")
    if ply:
        write_ply(ply, disparity_to_points(disp, focal, baseline), a)
        typer.echo(f"  wrote {ply}")
    if gt:
        truth = _read_ground_truth(gt, gt_scale)
        if truth.shape != disp.shape:
            raise ShapeError(f"{gt}: expected a {disp.shape[1]}x{disp.shape[0]} disparity map, "
                             f"got {truth.shape[1]}x{truth.shape[0]}")
        scores = disparity_errors(disp, truth)
        summary["scores"] = scores
        typer.echo(f"  bad-1 {scores['bad1']:.2%}  bad-2 {scores['bad2']:.2%}  "
                   f"bad-4 {scores['bad4']:.2%}  mae {scores['epe']:.3f} px  "
                   f"density {scores['density']:.1%}")
    if json_path:
        write_json(json_path, summary)


@app.command("normals")
def normals(
    depth: Path = typer.Argument(..., help="Depth map: uint16 PNG (see --depth-scale) or .npy "
                                 "(metres, 0 = none)."),
    out: Path = typer.Option(..., "-o", "--out", help="Colour image of the normals (PNG)."),
    fx: float = typer.Option(525.0, "--fx", help="Focal length x in pixels."),
    fy: float = typer.Option(None, "--fy", help="Focal length y (default: --fx)."),
    cx: float = typer.Option(None, "--cx", help="Principal point x (default: image centre)."),
    cy: float = typer.Option(None, "--cy", help="Principal point y (default: image centre)."),
    depth_scale: float = typer.Option(5000.0, "--depth-scale", help="PNG units per metre "
                                      "(TUM 5000, many Kinect tools 1000)."),
    window: int = typer.Option(7, "--window", help="Odd plane-fit window side in pixels."),
    npy: Path = typer.Option(None, "--npy", help="Also save the HxWx3 float32 normals."),
    json_path: Path = typer.Option(None, "--json", help="Write a summary here."),
) -> None:
    """Surface normals of a depth map (robust local plane fits), as a colour image."""
    import numpy as np

    from oculi.core.atomic import atomic_path
    from oculi.io import write_image
    from oculi.stereo import depth_normals, normals_to_color, read_depth_png

    z = _load_npy(depth) if depth.suffix.lower() == ".npy" else \
        read_depth_png(depth, depth_scale=depth_scale)
    n = depth_normals(z, fx, fy, cx, cy, window=window)
    write_image(out, normals_to_color(n))
    valid = float(np.isfinite(n[..., 0]).mean())
    typer.echo(f"normals: {z.shape[1]}x{z.shape[0]}, {valid:.1%} valid -> {out}")
    if npy:
        with atomic_path(npy) as tmp, open(tmp, "wb") as fh:
            np.save(fh, n)
    if json_path:
        write_json(json_path, {"depth": str(depth), "out": str(out), "valid": valid,
                               "size": list(z.shape), "window": window})
