"""``oculi action VIDEO --run RUN [--window S --stride S] [--json PATH] [-o STRIP.png]
[--gradcam CAM.png]``: a trained clip classifier (``oculi train action``) slid over a long video:
a label per window and the segments of equal labels; ``--gradcam``: where the network looked in
the video's centred clip (Grad-CAM over space and time, TSN/TSM and 3-D runs).

``oculi action synth OUT [--clips N] [--name mnist]``: write the moving-digit clip set
(:mod:`oculi.action.synthetic`) for ``oculi train action OUT/train --holdout-groups '[val]'
--size 32 --no-flip``."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import topic_app

app = topic_app("Activity recognition: label a long video with a trained run (oculi action "
                "VIDEO --run RUN), or write the moving-digit clip set (oculi action synth OUT).",
                default_command=True)


@app.command("default", hidden=True)
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
                                 "predicted class, one scale for the whole clip (tsm/tsn and "
                                 "3-D runs)."),
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


@app.command("synth")
def synth(
    out: Path = typer.Argument(..., help="Folder to write (train/, val/, test/ inside)."),
    clips: int = typer.Option(None, "--clips", help="Training clips (default 1600)."),
    val_clips: int = typer.Option(None, "--val-clips", help="Validation clips, from train "
                                  "digits held out of the training clips (default 200; 0: none)."),
    test_clips: int = typer.Option(None, "--test-clips", help="Test clips, from the set's test "
                                   "digits (default 800; 0: none)."),
    name: str = typer.Option(None, "--name", help="Digit set: mnist (default) or fashion-mnist."),
    frames: int = typer.Option(None, "--frames", help="Frames per clip (default 16)."),
    size: int = typer.Option(None, "--size", help="Frame side in pixels (default 32)."),
    seed: int = typer.Option(None, "--seed", help="Seed of every draw (default 0)."),
    json_path: Path = typer.Option(None, "--json", help="Write the summary here."),
) -> None:
    """Write moving-digit clips: eight motions (right, left, down, up, clockwise,
    counterclockwise, zoom, bounce) that no single frame tells apart."""
    from oculi.action.synthetic import write_moving_digits
    from oculi.cli._common import write_json

    given = {"clips": clips, "val_clips": val_clips, "test_clips": test_clips, "name": name,
             "frames": frames, "size": size, "seed": seed}
    summary = write_moving_digits(out, **{k: v for k, v in given.items() if v is not None})
    if json_path is not None:
        write_json(json_path, summary)
    counts = ", ".join(f"{n} {k}" for k, n in summary["clips"].items())
    # no mirroring: it would swap right/left and clockwise/counterclockwise
    holdout = " --holdout-groups '[val]'" if "val" in summary["clips"] else ""
    typer.echo(f"{out}: {counts} clips of {summary['frames']} frames, {summary['size']} px "
               f"({summary['source']}); train with oculi train action {out / 'train'}"
               f"{holdout} --size {summary['size']} --no-flip")
