"""``oculi action VIDEO --run RUN [--window S --stride S] [--json PATH] [-o STRIP.png]
[--gradcam CAM.png]``: a trained clip classifier (``oculi train action``) slid over a long video:
a label per window and the segments of equal labels; ``--gradcam``: where the network looked in
the video's centred clip (Grad-CAM over space and time, TSN/TSM runs)."""

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
    gradcam: Path = typer.Option(None, "--gradcam", help="Picture (PNG/JPEG) of the video's "
                                 "centred clip, its frames overlaid with Grad-CAM of the "
                                 "predicted class, one scale for the whole clip (tsm/tsn runs)."),
) -> None:
    """Label a long video window by window with a trained action run."""
    from oculi.action.predict import timeline_strip, video_timeline
    from oculi.action.task import load_action_model
    from oculi.cli._common import write_json
    from oculi.io import output_format

    for path in (out, gradcam):
        if path is not None:
            output_format(path)
    model = load_action_model(run)
    if gradcam is not None:
        from oculi.action.clipcam import default_cam_layer

        default_cam_layer(model)  # a 3-D run is refused before any work
    timeline = video_timeline(model, video, window=window, stride=stride, clips=clips)
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
    if gradcam is not None:
        from oculi.action.clipcam import video_gradcam
        from oculi.io import write_image

        cam = video_gradcam(model, video)
        write_image(gradcam, cam.strip())
        share = " ".join(f"{w:.2f}" for w in cam.frame_weight)
        typer.echo(f"  Grad-CAM of the centred clip: {cam.label} ({cam.score:.2f}) at "
                   f"{cam.layer}; heat per frame {share}")
