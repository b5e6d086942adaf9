"""``oculi place VIDEO INSERT.png (--corners ... --frame N | --reference plane.png) -o out.mp4``:
insert an image on a tracked plane, behind what passes in front of it, in the scene's light;
``oculi place candidates VIDEO -o picture.png``: where an insert could go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from oculi.cli._common import topic_app

app = topic_app("Product placement: track a plane through a video and insert an image on it "
                "(occluders stay in front, colour and light matched); propose candidate "
                "spaces.", default_command=True)


def parse_corners(text: str) -> Any:
    """``x1,y1,...,x4,y4`` -> ``(4, 2)`` float64 corners (TL, TR, BR, BL), checked convex."""
    from oculi.core.errors import ShapeError
    from oculi.place import check_corners

    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ShapeError(f"--corners: expected 8 numbers x1,y1,...,x4,y4, got {text!r}") from None
    return check_corners(values, "--corners")


def read_insert(path: Path) -> Any:
    """The insert as ``hxwx3`` RGB or, when the file has an alpha channel, ``hxwx4`` RGBA uint8."""
    from oculi.io import read_image

    image = read_image(path, mode="unchanged")
    if image.ndim == 3 and image.shape[2] == 4 and image.dtype == "uint8":
        return image
    return read_image(path, mode="rgb")


def _track_rows(tracks: list[Any]) -> list[dict[str, Any]]:
    return [{"frame": i, "visible": t.visible, "confidence": round(t.confidence, 4),
             "note": t.note, "corners": t.corners.round(3).tolist(),
             "H": t.H.tolist()} for i, t in enumerate(tracks)]


def _debug_frame(placed: Any) -> Any:
    """The frame with the occluder mask in red and the tracked quadrilateral outlined."""
    import cv2
    import numpy as np

    img = placed.image.copy()
    frame = img.astype(np.float32)
    m = placed.mask
    frame[m] = 0.5 * frame[m] + 0.5 * np.array([255, 0, 0], np.float32)
    img = frame.astype(np.uint8)
    if placed.track.visible:
        quad = np.rint(placed.track.corners).astype(np.int32)
        cv2.polylines(img, [quad], True, (0, 255, 0), 2, cv2.LINE_AA)
    return img


@app.command("default", hidden=True)
def place(
    video: Path = typer.Argument(..., metavar="VIDEO", help="Video file or folder of frames."),
    insert: Path = typer.Argument(..., metavar="INSERT", help="Image to insert (PNG/JPEG; an "
                                  "alpha channel is composited)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output video (.mp4, .mkv, .avi, .webm)."),
    corners: str = typer.Option(None, "--corners", help="The plane's corners x1,y1,...,x4,y4 "
                                "(top-left, top-right, bottom-right, bottom-left) in frame "
                                "--frame, pixels."),
    frame: int = typer.Option(0, "--frame", help="The frame --corners belong to (0-based); with "
                              "--reference, the first frame searched. Earlier frames are "
                              "tracked backwards."),
    reference: Path = typer.Option(None, "--reference", help="Image of the plane's surface, "
                                   "found in the video by feature matching (instead of "
                                   "--corners)."),
    json_path: Path = typer.Option(None, "--json", help="Write the track (per frame: corners, "
                                   "H, visible, confidence) as JSON."),
    debug_video: Path = typer.Option(None, "--debug-video", help="Also write a video with the "
                                     "occluder mask (red) and the tracked quadrilateral."),
    occlusion: bool = typer.Option(True, "--occlusion/--no-occlusion", help="Keep what passes "
                                   "in front of the plane in front of the insert."),
    person_model: Path = typer.Option(None, "--person-model", help="MediaPipe "
                                      "selfie_segmentation.tflite: people count as occluders."),
    mode: str = typer.Option("full", "--mode", help="Tracker: full (re-anchored, refined, "
                             "smoothed) or klt (plain frame-to-frame KLT)."),
) -> None:
    """Insert an image on a plane tracked through a video.

    Bad input exits 2 with one line: corners that are not 8 numbers or not convex, a --frame past
    the end of the video, an unreadable video, insert or reference, a plane never found.
    """
    import contextlib
    import sys
    import time

    from oculi.cli._common import write_json
    from oculi.core.errors import ParameterError
    from oculi.core.progress import progress_bar
    from oculi.io import read_image
    from oculi.place import PlaneTrackerConfig
    from oculi.place.pipeline import place_insert
    from oculi.video import VideoWriter, open_video

    if (corners is None) == (reference is None):
        raise ParameterError("give the plane either as --corners x1,y1,...,x4,y4 (with --frame) "
                             "or as --reference plane.png")
    quad = parse_corners(corners) if corners is not None else None
    if frame < 0:
        raise ParameterError(f"--frame: expected a frame number >= 0, got {frame}")
    cfg = PlaneTrackerConfig(mode=mode).validate()
    ins = read_insert(insert)
    ref = read_image(reference, mode="rgb") if reference is not None else None
    t0 = time.perf_counter()
    with open_video(video) as reader:
        n = len(reader)
        if frame >= n:
            raise ParameterError(f"--frame {frame}: {video} has only {n} frame(s)")
        with progress_bar("place") as bar:
            task = bar.add_task("tracking", total=n)
            placement = place_insert(reader, ins, corners=quad, frame_index=frame, reference=ref,
                                     config=cfg, occlusion=occlusion, person_model=person_model,
                                     progress=lambda k: bar.update(task, completed=k))
            task = bar.add_task("rendering", total=n)
            with contextlib.ExitStack() as stack:  # both files appear only when complete
                writer = stack.enter_context(VideoWriter(out, reader.fps))
                debug = (stack.enter_context(VideoWriter(debug_video, reader.fps))
                         if debug_video else None)
                for placed in placement:
                    writer.write(placed.image)
                    if debug is not None:
                        debug.write(_debug_frame(placed))
                    bar.update(task, advance=1)
    seconds = time.perf_counter() - t0
    visible = sum(t.visible for t in placement.tracks)
    print(f"{out}: {n} frames, plane visible in {visible}, started at frame {placement.start}, "
          f"{n / max(seconds, 1e-9):.1f} frames/s", file=sys.stderr)
    typer.echo(f"{out}: {n} frames ({visible} with the insert)")
    if json_path:
        write_json(json_path, {"video": str(video), "insert": str(insert), "frames": n,
                               "start": placement.start,
                               "canvas_size": list(placement.canvas_size),
                               "tracks": _track_rows(placement.tracks)})


@app.command("candidates")
def candidates(
    video: Path = typer.Argument(..., help="Video file or folder of frames (one shot)."),
    out: Path = typer.Option(..., "-o", "--out", help="Picture of the candidates (PNG/JPEG) on "
                             "the first frame of the best one's span."),
    count: int = typer.Option(5, "--count", help="Most candidates proposed."),
    max_frames: int = typer.Option(300, "--max-frames", help="Frames read at most."),
    json_path: Path = typer.Option(None, "--json", help="Write the candidates as JSON."),
) -> None:
    """Propose where an insert could go: planar, plain, large regions that stay in view."""
    from oculi.cli._common import write_json
    from oculi.io import write_image
    from oculi.place.candidates import draw_candidates, find_candidates
    from oculi.video import iter_video_frames, open_video

    with open_video(video) as reader:
        n = min(len(reader), max_frames)
    found = find_candidates(iter_video_frames(video, max_frames=max_frames), max=count,
                            max_frames=max_frames)
    first = found[0].start if found else 0
    with open_video(video) as reader:
        image = reader.read(first)
    write_image(out, draw_candidates(image, found))
    typer.echo(f"{out}: {len(found)} candidate(s) in {n} frames")
    for k, c in enumerate(found, 1):
        typer.echo(f"  {k}. frames {c.start}..{c.stop - 1}  area {c.area_px:.0f} px  "
                   f"score {c.score:.3g}")
    if json_path:
        write_json(json_path, {"video": str(video), "frames": n,
                               "candidates": [c.to_dict() for c in found]})
