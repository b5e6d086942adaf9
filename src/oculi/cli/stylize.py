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
    optimizer: str = typer.Option("lbfgs", "--optimizer", help="Gatys: lbfgs or adam."),
    steps: int = typer.Option(300, "--steps", help="Gatys: loss evaluations (per frame for "
                              "video: 100 unless given)."),
    size: int = typer.Option(512, "--size", help="Longer side of the result in pixels (video: "
                             "256 unless given; 0: as is)."),
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
    t0 = time.perf_counter()
    with inputs_named(image=image, style=style, content=image):
        if video:
            from oculi.stylize import stylize_video

            explicit = {k: v for k, v in (("steps", steps), ("size", size)) if v not in
                        (300, 512)}
            result = stylize_video(image, str(style) if style else None, run=run_dir,
                                   temporal_weight=temporal_weight, out=out,
                                   max_frames=max_frames,
                                   image_size=explicit.get("size", 256) or None,
                                   steps=explicit.get("steps", 100), alpha=alpha)
            summary = result.summary()
            typer.echo(f"{image.name} -> {out} ({summary['frames']} frames, temporal warping "
                       f"error {result.warping_error:.5f}, {time.perf_counter() - t0:.1f} s)")
        else:
            from oculi.io import output_format, write_image
            from oculi.stylize import stylize as run

            output_format(out)
            result = run(str(image), str(style) if style else None, run=run_dir,
                         method=method, alpha=alpha, preserve_color=mode,
                         image_size=size or None, optimizer=optimizer, steps=steps)
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
