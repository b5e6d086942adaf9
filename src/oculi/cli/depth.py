"""``oculi depth IMAGE --model FILE -o depth.png [--gt DEPTH]``: monocular relative depth from a
user-supplied network; with ``--gt`` the scores after scale-and-shift alignment."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import names_of


def depth(
    image: Path = typer.Argument(..., help="Input image (RGB or gray)."),
    model: Path = typer.Option(..., "--model", help="The network file: .onnx, or a DepthNet "
                               "state dict (.safetensors, .pt). Nothing is downloaded."),
    out: Path = typer.Option(..., "-o", "--out", help="Colour picture of the prediction (PNG/"
                             "JPEG; near = warm), or .npy: the HxW float32 prediction."),
    kind: str = typer.Option(None, "--kind", help=f"Model kind: "
                             f"{names_of('oculi.depth:depth_loaders')} (default: from the "
                             "file suffix)."),
    gt: Path = typer.Option(None, "--gt", help="Reference depth (uint16 PNG, see --gt-scale, "
                            "or .npy in metres; 0 = unknown): print the scores after "
                            "scale-and-shift alignment."),
    gt_scale: float = typer.Option(5000.0, "--gt-scale", help="PNG units per metre (TUM 5000)."),
    max_depth: float = typer.Option(10.0, "--max-depth", help="Scoring cap in metres: aligned "
                                    "depths are clipped to it, references beyond it not scored "
                                    "(indoor 10; KITTI uses 80)."),
    json_path: Path = typer.Option(None, "--json", help="Write the summary (and scores) here."),
) -> None:
    """Relative inverse depth of IMAGE (unknown scale and shift), as a colour picture or .npy."""
    import time

    import numpy as np

    from oculi.core.atomic import atomic_path
    from oculi.core.errors import ShapeError
    from oculi.depth import colorize_depth, load_depth_model, predict_depth, read_depth_map
    from oculi.io import read_image, write_image

    net = load_depth_model(model, kind)
    picture = read_image(image, mode="rgb")
    truth = read_depth_map(gt, depth_scale=gt_scale) if gt else None
    if truth is not None and truth.shape != picture.shape[:2]:
        raise ShapeError(f"{gt}: expected a {picture.shape[1]}x{picture.shape[0]} depth map "
                         f"(the image's size), got {truth.shape[1]}x{truth.shape[0]}")
    t0 = time.perf_counter()
    pred = predict_depth(net, picture)
    seconds = time.perf_counter() - t0
    if out.suffix.lower() == ".npy":
        with atomic_path(out) as tmp, open(tmp, "wb") as fh:
            np.save(fh, pred)
    else:
        with np.errstate(divide="ignore"):
            write_image(out, colorize_depth(pred if net.output == "inverse" else 1.0 / pred))
    summary: dict[str, object] = {"image": str(image), "model": str(model), "kind": net.kind,
                                  "output": net.output, "size": list(pred.shape),
                                  "seconds": round(seconds, 4), "out": str(out)}
    typer.echo(f"{net.kind} {net.size[1]}x{net.size[0]}: {pred.shape[1]}x{pred.shape[0]}, "
               f"{seconds:.2f} s -> {out}")
    if truth is not None:
        summary.update(_score(pred, truth, net.output, max_depth))
    if json_path:
        from oculi.cli._common import write_json

        write_json(json_path, summary)


def _score(pred, truth, space: str, max_depth: float) -> dict[str, object]:
    """Align, score, print one line; the JSON part of the summary."""
    from oculi.depth import align_scale_shift, depth_metrics

    aligned = align_scale_shift(pred, truth, space=space)
    scores = depth_metrics(aligned.depth, truth, max_depth=max_depth)
    typer.echo(f"  aligned ({space}: scale {aligned.scale:.4g}, shift {aligned.shift:.4g}): "
               f"AbsRel {scores.abs_rel:.4f}  RMSE {scores.rmse:.4f} m  "
               f"d<1.25 {scores.delta1:.2%}  ({scores.n_valid} px)")
    return {"scale": aligned.scale, "shift": aligned.shift, "scores": scores.as_dict()}
