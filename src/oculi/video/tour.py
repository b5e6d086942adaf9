"""Tour section for video: a clip oculi makes from an embedded image, written as H.264, read back
frame-accurately, shown as a contact sheet."""

from __future__ import annotations

from pathlib import Path

from oculi.report import Report


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Write a panning clip over the 'coffee' sample in three containers, check random reads
    against a sequential decode, and show a contact sheet."""
    import time

    import numpy as np

    from oculi.data import load
    from oculi.video import contact_sheet, open_video, write_video

    image = load("coffee", mode="rgb")
    n, h, w = (24, 120, 160) if quick else (72, 240, 320)
    step = (image.shape[1] - w) // (n - 1)
    frames = [image[60:60 + h, i * step:i * step + w] for i in range(n)]
    rows = []
    rng = np.random.default_rng(0)
    for suffix in (".mp4", ".mkv", ".webm"):
        path = workdir / f"pan{suffix}"
        t0 = time.perf_counter()
        write_video(path, frames, fps=24)
        write_s = time.perf_counter() - t0
        with open_video(path) as video:
            sequential = list(video)
            picks = rng.permutation(len(video))[:8]
            t0 = time.perf_counter()
            exact = all(np.array_equal(video.read(int(i)), sequential[i]) for i in picks)
            seek_ms = (time.perf_counter() - t0) / len(picks) * 1e3
            info = video.info
        rows.append([suffix, info.codec, info.frames, f"{info.fps:g}", f"{write_s:.2f}",
                     f"{seek_ms:.1f}", "yes" if exact else "NO"])
    sec = report.section(
        "Video: frame-accurate reading and H.264 writing",
        f"A {n}-frame pan over the 'coffee' sample, written by oculi.video in three containers "
        "and read back. 'random = sequential': 8 frames read by index, in random order, equal "
        "the same frames of a sequential decode pixel for pixel (PyAV's packet index gives every "
        "frame's timestamp; a seek lands on the keyframe before it and decodes forward).")
    sec.table(["container", "codec", "frames", "fps", "write (s)", "random read (ms/frame)",
               "random = sequential"], rows)
    sec.image(contact_sheet(workdir / "pan.mp4", count=8, columns=4, width=160),
              "oculi video sheet: 8 evenly spaced frames with their number and time",
              name="video-sheet", width=660)
