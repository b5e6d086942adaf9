"""``oculi stylize``: neural style transfer of an image (or a video) — Gatys optimisation, or a
network trained with ``oculi train stylize``."""

from __future__ import annotations

import time
from pathlib import Path

import typer

_VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm")


def stylize(
    image: Path = typer.Argument(..., help="Content image, or a video file / folder of frames."),
    style: Path = typer.Option(None, "--style", help="Style image (optional for a johnson run)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output image (or video for a video "
                             "input)."),
    method: str = typer.Option("gatys", "--method", help="gatys (optimisation; ignored with "
                               "--run)."),
    run_dir: Path = typer.Option(None, "--run", help="Run folder of oculi train stylize "
                                 "(johnson or adain)."),
    preserve_color: bool = typer.Option(False, "--preserve-color", help="Keep the content's "
                                        "colours (see --color-mode)."),
    color_mode: str = typer.Option("luminance", "--color-mode", help="luminance (transfer on "
                                   "YUV luminance) or histogram (style recoloured first)."),
    optimizer: str = typer.Option(None, "--optimizer", help="Gatys: lbfgs (default) or adam."),
    steps: int = typer.Option(None, "--steps", help="Gatys: loss evaluations (default 300; "
                              "per video frame 100)."),
    size: int = typer.Option(None, "--size", help="Longer side of the result in pixels "
                             "(default 512, video 256; 0: as is)."),
    alpha: float = typer.Option(1.0, "--alpha", help="AdaIN runs: content (0) to style (1)."),
    temporal_weight: float = typer.Option(None, "--temporal-weight", help="Video: weight of "
                                          "the temporal-consistency loss (0: frames "
                                          "independent; default per method)."),
    max_frames: int = typer.Option(None, "--max-frames", help="Video: at most this many "
                                   "frames."),
    json_path: Path = typer.Option(None, "--json", help="Write the summary here (JSON)."),
) -> None:
    """Stylise IMAGE with --style: Gatys et al. optimisation, or a trained network (--run)."""
    from oculi.cli._common import inputs_named, write_json

    mode = color_mode if preserve_color else None
    video = image.is_dir() or image.suffix.lower() in _VIDEO_SUFFIXES
    given = {k: v for k, v in (("steps", steps), ("image_size", size)) if v is not None}
    if optimizer is not None and not video:
        given["optimizer"] = optimizer
    if given.get("image_size") == 0:
        given["image_size"] = None
    t0 = time.perf_counter()
    with inputs_named(image=image, style=style, content=image):
        if video:
            from oculi.stylize import stylize_video

            result = stylize_video(image, str(style) if style else None, run=run_dir,
                                   temporal_weight=temporal_weight, out=out,
                                   max_frames=max_frames, alpha=alpha, **given)
            summary = result.summary()
            typer.echo(f"{image.name} -> {out} ({summary['frames']} frames, temporal warping "
                       f"error {result.warping_error:.5f}, {time.perf_counter() - t0:.1f} s)")
        else:
            from oculi.io import output_format, write_image
            from oculi.stylize import stylize as run

            output_format(out)
            result = run(str(image), str(style) if style else None, run=run_dir,
                         method=method, alpha=alpha, preserve_color=mode,
                         **given)
            write_image(out, result.image)
            summary = result.summary()
            losses = result.losses
            extra = (f", style loss {losses['style']:.4g}, content loss {losses['content']:.4g}"
                     if losses else "")
            typer.echo(f"{image.name} -> {out} ({result.method}, {result.image.shape[1]}x"
                       f"{result.image.shape[0]}{extra}, {result.seconds:.2f} s)")
    if json_path:
        write_json(json_path, {"image": str(image), "style": str(style) if style else None,
                               "out": str(out), "run": str(run_dir) if run_dir else None,
                               "preserve_color": mode, **summary})
