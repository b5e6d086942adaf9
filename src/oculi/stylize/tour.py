"""Tour section for style transfer: colour preservation made live on a small crop (a few Gatys
steps, seconds), and the shared style images' results — Gatys, the Johnson network, AdaIN — with
their losses, timings and the video's temporal warping error, read from ``bench/results``
(training and the 512 px optimisation take minutes, so the tour does not redo them)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oculi.report import Report

#: where ``python -m bench.stylize`` leaves its line and pictures
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"


def bench_line(results: Path | None = None) -> dict | None:
    """The last line of ``stylize.jsonl`` in ``results`` (default :data:`RESULTS`; None when
    there is none)."""
    path = (results or RESULTS) / "stylize.jsonl"
    if not path.is_file():
        return None
    lines = [s for s in path.read_text().splitlines() if s.strip()]
    return json.loads(lines[-1]) if lines else None


def _row(images: list[np.ndarray], gap: int = 6) -> np.ndarray:
    h = max(im.shape[0] for im in images)
    canvas = np.full((h, sum(im.shape[1] for im in images) + gap * (len(images) - 1), 3), 255,
                     np.uint8)
    x = 0
    for im in images:
        canvas[:im.shape[0], x:x + im.shape[1]] = im
        x += im.shape[1] + gap
    return canvas


def _live(sec, quick: bool) -> None:
    from oculi.data import load
    from oculi.stylize import StyleFeatures, chroma_error, stylize_gatys

    size = 48 if quick else 96
    content = load("chelsea", mode="rgb")[40:40 + 2 * size:2, 120:120 + 2 * size:2]
    style = load("coffee", mode="rgb")[100:100 + size, 200:200 + size]
    features = StyleFeatures()
    plain = stylize_gatys(content, style, steps=6, image_size=None, features=features,
                          progress=False)
    kept = stylize_gatys(content, style, steps=6, image_size=None, features=features,
                         preserve_color="luminance", progress=False)
    sec.image(_row([content, style, plain.image, kept.image]),
              "content, style, Gatys (6 L-BFGS steps), the same with luminance-only transfer",
              name="stylize-color", width=480)
    sec.table(["", "style loss", "chroma error vs content (U, V mean abs)"],
              [["plain", plain.losses["style"], chroma_error(plain.image, content)],
               ["preserve colour", kept.losses["style"], chroma_error(kept.image, content)]])


def section(report: Report, workdir: Path, quick: bool) -> None:
    from oculi.io import read_image

    sec = report.section(
        "Style transfer: Gatys optimisation, Johnson networks, AdaIN, video",
        "Losses on the ImageNet EfficientNet-Lite0 features (no VGG weights offline): content "
        "= feature MSE, style = normalised Gram matrices. Gatys et al. optimise the image; "
        "Johnson et al. train one feed-forward network per style; AdaIN swaps the content "
        "features' channel statistics for the style's and decodes. Colour preservation "
        "transfers the luminance only and keeps the content's chroma.")
    _live(sec, quick)
    line = bench_line()
    pictures = RESULTS / "stylize"
    if line is None or not pictures.is_dir():
        sec.text("No benchmark results yet: `python -m bench.stylize` trains the networks and "
                 "writes the table and the pictures.")
        return
    for style, row in line["images"].items():
        names = ["content", f"style-{style}"] + [f"{k}-{style}" for k in
                                                 ("gatys", "johnson", "adain") if k in row]
        files = [pictures / f"{n}.jpg" for n in names]
        if all(f.is_file() for f in files):
            sec.image(_row([read_image(f, mode="rgb") for f in files]),
                      f"{style}: " + ", ".join(n.split("-")[0] for n in names),
                      name=f"stylize-{style}", width=720)
    rows = []
    for style, row in line["images"].items():
        for key in ("gatys", "johnson", "adain", "reference"):
            if key in row:
                v = row[key]
                rows.append([style, key, v["style"], v["content"], v.get("seconds", "")])
    sec.table(["style", "method", "style loss", "content loss", "seconds"], rows,
              caption=f"amber.jpg at {line['size']} px ({line.get('conditions', '')}); "
                      "reference = another implementation's output, scored the same way")
    video = line.get("video") or {}
    if video:
        sec.table(["video frames", "independent", "temporal loss", "content frames"],
                  [[f"{video['clip']} x{video['frames']}", video["warping_error_independent"],
                    video["warping_error_temporal"], video["warping_error_content"]]],
                  caption="temporal warping error (mean masked squared difference to the "
                          "flow-warped previous frame, lower is steadier)")
