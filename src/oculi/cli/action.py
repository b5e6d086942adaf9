"""``oculi action VIDEO --run RUN [--window S --stride S] [--json PATH] [-o STRIP.png]``: a
trained clip classifier (``oculi train action``) slid over a long video: a label per window and
the segments of equal labels."""

from __future__ import annotations

from pathlib import Path

import typer


def action(
    video: Path = typer.Argument(..., help="Video file or folder of frames."),
    run: Path = typer.Option(..., "--run", "--model", help="Run folder or checkpoint of "
                             "oculi train action."),
    window: float = typer.Option(2.0, "--window", help="Window length in seconds (a shorter "
                                 "video is one window)."),
    stride: float = typer.Option(1.0, "--stride", help="Step between windows in seconds."),
    clips: int = typer.Option(0, "--clips", help="Clips per window, softmax averaged (0: the "
                              "run's test_clips)."),
    out: Path = typer.Option(None, "-o", "--out", help="Picture strip (PNG/JPEG): key frames "
                             "with their labels over a time bar coloured by label."),
    json_path: Path = typer.Option(None, "--json", help="Write every window's class "
                                   "probabilities and the segments here."),
) -> None:
    """Label a long video window by window with a trained action run."""
    from oculi.action.predict import timeline_strip, video_timeline
    from oculi.cli._common import write_json

    if out is not None:
        from oculi.io import output_format

        output_format(out)
    timeline = video_timeline(run, video, window=window, stride=stride, clips=clips)
    if out is not None:
        from oculi.io import write_image

        write_image(out, timeline_strip(timeline))
    result = timeline.json_dict()
    if json_path is not None:
        write_json(json_path, result)
    typer.echo(f"{video}: {len(result['windows'])} window(s) of {window:g} s every {stride:g} s, "
               f"{result['duration_s']:.1f} s")
    for seg in result["segments"]:
        typer.echo(f"  {seg['start_s']:7.2f}-{seg['end_s']:7.2f} s  {seg['label']}  "
                   f"({seg['score']:.2f})")
