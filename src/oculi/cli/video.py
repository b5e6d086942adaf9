"""``oculi video info|frames|clip|sheet``: facts of a video, frames out as images, a cut clip, a
contact sheet."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import topic_app, write_json

app = topic_app("Video files and folders of frames: facts, frame extraction, clips, contact "
                "sheets (frame-accurate, PyAV with OpenCV as the fallback).")


@app.command("info")
def info(
    video: Path = typer.Argument(..., help="Video file or folder of frames."),
    json_path: Path = typer.Option(None, "--json", help="Write the facts as JSON."),
) -> None:
    """Frames, frame rate, size, duration, codec."""
    from oculi.video import open_video

    with open_video(video) as r:
        facts = r.info
    typer.echo(f"{video}: {facts.frames} frames  {facts.fps:.3f} fps  "
               f"{facts.size[1]}x{facts.size[0]}  {facts.duration:.2f} s  {facts.codec} "
               f"({facts.backend})")
    if json_path:
        write_json(json_path, facts.as_dict())


@app.command("frames")
def frames(
    video: Path = typer.Argument(..., help="Video file."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the frames (created)."),
    start: int = typer.Option(0, "--start", help="First frame (0-based)."),
    stop: int = typer.Option(None, "--stop", help="Stop before this frame (default: the end)."),
    step: int = typer.Option(1, "--step", help="Every step-th frame."),
    pattern: str = typer.Option("{index:06d}.png", "--pattern",
                                help="File name per frame; {index} is the frame number."),
) -> None:
    """Save frames as image files."""
    from oculi.video import extract_frames

    written = extract_frames(video, out, start=start, stop=stop, step=step, pattern=pattern)
    typer.echo(f"{len(written)} frame(s) -> {out}")


@app.command("clip")
def clip(
    video: Path = typer.Argument(..., help="Video file or folder of frames."),
    out: Path = typer.Option(..., "--out", "-o", help="Output video (.mp4, .mkv, .avi, .webm)."),
    start: int = typer.Option(0, "--start", help="First frame (0-based)."),
    length: int = typer.Option(None, "--length", help="Frames in the clip (default: to the end)."),
    stride: int = typer.Option(1, "--stride", help="Take every stride-th frame."),
    fps: float = typer.Option(None, "--fps", help="Frame rate of the clip (default: the "
                              "source's divided by the stride)."),
) -> None:
    """Cut a clip of frames start, start + stride, ... and write it as a new video."""
    from oculi.video import open_video, write_video

    with open_video(video) as r:
        frames = r.clip(start, length, stride)
        rate = fps or r.fps / stride
    write_video(out, frames, rate)
    typer.echo(f"{len(frames)} frame(s) at {rate:.3f} fps -> {out}")


@app.command("sheet")
def sheet(
    video: Path = typer.Argument(..., help="Video file or folder of frames."),
    out: Path = typer.Option(..., "--out", "-o", help="Contact sheet image (PNG/JPEG)."),
    count: int = typer.Option(12, "--count", help="Frames on the sheet, evenly spaced."),
    columns: int = typer.Option(4, "--columns", help="Frames per row."),
    width: int = typer.Option(240, "--width", help="Width of each frame on the sheet (pixels)."),
) -> None:
    """A contact sheet: evenly spaced frames with their number and time."""
    from oculi.io import write_image
    from oculi.video import contact_sheet

    image = contact_sheet(video, count=count, columns=columns, width=width)
    write_image(out, image)
    typer.echo(f"{out}: {image.shape[1]}x{image.shape[0]}")
