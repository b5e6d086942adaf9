"""Tour section of oculi.place: a harness clip with exact ground truth (a textured plane moving in
perspective over a real-photo background, motion blur, a lighting change, occluders crossing it),
the insert placed on it (before / after frames, the occluder mask), the corner error per frame of
the full tracker against plain frame-to-frame KLT, the harness benchmark figures from
bench/results/place.jsonl when present, and (full tour, shared data present) an insert on the
best candidate space of a real clip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from oculi.report import Report

#: benchmark results this section reads (bench/place.py writes them)
BENCH_RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results" / "place.jsonl"
#: a real clip for the full tour (shared data, optional)
REAL_CLIP = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "action_arms"


def _outline(image: np.ndarray, corners: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    import cv2

    out = image.copy()
    cv2.polylines(out, [np.rint(corners).astype(np.int32)], True, colour, 2, cv2.LINE_AA)
    return out


def _mask_overlay(image: np.ndarray, mask: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Predicted mask in red, true outline in white."""
    import cv2

    out = image.astype(np.float32)
    out[mask] = 0.45 * out[mask] + 0.55 * np.array([255, 0, 0], np.float32)
    out = out.astype(np.uint8)
    contours, _ = cv2.findContours(truth.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, (255, 255, 255), 1)
    return out


def _error_plot(errors: dict[str, np.ndarray]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.8))
    for name, e in errors.items():
        ax.semilogy(np.arange(len(e)), np.maximum(e, 1e-3), label=name)
    ax.set_xlabel("frame")
    ax.set_ylabel("mean corner error (px)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _last_bench() -> dict[str, Any] | None:
    import json

    if not BENCH_RESULTS.is_file():
        return None
    lines = [json.loads(x) for x in BENCH_RESULTS.read_text().splitlines() if x.strip()]
    lines = [x for x in lines if x.get("bench") == "planar_tracking"]
    return lines[-1] if lines else None


def _bench_rows(line: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for cond, res in line["conditions"].items():
        occ = res.get("occlusion", {}).get("iou")
        for tracker in ("full", "klt"):
            r = res[tracker]
            rows.append([cond, tracker, round(r["median"], 3), round(r["p95"], 3),
                         round(r["max"], 2), round(r["drift"], 3), round(r["jitter"], 3),
                         round(r["fps"], 1),
                         round(occ, 3) if occ is not None and tracker == "full" else ""])
    return rows


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Track a harness plane, place an insert on it, score both trackers; bench figures."""
    from oculi.data import load
    from oculi.place import (
        PlaneTrackerConfig,
        corner_errors,
        make_sequence,
        mask_iou,
        place_insert,
        track_plane,
        track_report,
    )

    n, size = (30, (180, 320)) if quick else (150, (360, 640))
    seq = make_sequence(n, size, "perspective", seed=0)
    insert = load("coffee", mode="rgb")
    placement = place_insert(seq.frames, insert, corners=seq.corners_true[0],
                             reference=seq.plane_texture)
    outs = list(placement)
    klt = track_plane(seq.frames, corners=seq.corners_true[0], reference=seq.plane_texture,
                      config=PlaneTrackerConfig(mode="klt"))
    sec = report.section(
        "Product placement",
        f"A poster (the astronaut photograph) turns in perspective over a mosaic of real "
        f"photographs ({n} frames, {size[1]}x{size[0]}), with motion blur, a lighting change "
        "and two occluders crossing it; its homography and the occluders' masks are known "
        "exactly (oculi.place.make_sequence). The tracker starts from the true corners in frame "
        "0; oculi.place.place_insert then puts the coffee photograph on the poster, behind the "
        "occluders and in the frame's light. The full tracker re-anchors every frame to the "
        "reference and refines by ECC; plain frame-to-frame KLT (the baseline) drifts.",
    )
    busy = int(np.argmax(seq.occluder_masks.sum(axis=(1, 2))))
    picks = sorted({0, busy, n - 1})
    before = np.concatenate([_outline(seq.frames[i], seq.corners_true[i], (255, 255, 255))
                             for i in picks], axis=1)
    after = np.concatenate([outs[i].image for i in picks], axis=1)
    sec.image(np.concatenate([before, after], axis=0),
              f"frames {', '.join(map(str, picks))}: input with the true plane outlined (top), "
              "the insert placed (bottom)", name="place-before-after")
    sec.image(_mask_overlay(seq.frames[busy], outs[busy].mask, seq.occluder_masks[busy]),
              f"frame {busy}: occluder mask found (red), true occluder outline (white)",
              name="place-mask")
    errors = {"full tracker": corner_errors(placement.tracks, seq.H_true, seq.canvas_size),
              "plain KLT": corner_errors(klt, seq.H_true, seq.canvas_size)}
    sec.figure(_error_plot(errors), "mean corner error per frame", name="place-errors")
    preds = np.stack([o.mask for o in outs])
    rows = []
    for name, tracks in (("full tracker", placement.tracks), ("plain KLT", klt)):
        r = track_report(tracks, seq.H_true, seq.canvas_size)
        rows.append([name, round(r["median"], 3), round(r["p95"], 3), round(r["max"], 3),
                     round(r["drift"], 3), round(r["jitter"], 3)])
    sec.table(["tracker", "median px", "p95 px", "max px", "drift px", "jitter px/frame²"], rows,
              caption=f"corner errors against the exact truth; occluder-mask IoU "
                      f"{mask_iou(preds, seq.occluder_masks):.3f} (pooled over the frames)")
    line = _last_bench()
    if line is None:
        sec.text("No harness benchmark in bench/results/place.jsonl yet (run "
                 "`python -m bench.place`).")
    else:
        size_txt = "x".join(str(s) for s in line["size"][::-1])
        sec.table(["condition", "tracker", "median px", "p95 px", "max px", "drift px",
                   "jitter", "fps", "occluder IoU"], _bench_rows(line),
                  caption=f"bench/place.py on {line['time'][:10]}: {line['frames']} frames at "
                          f"{size_txt} per condition; read from bench/results/place.jsonl, not "
                          "measured by the tour")
    if not quick:
        _real_clip(sec, insert)


def _real_clip(sec: Any, insert: np.ndarray) -> None:
    """An insert on the best candidate space of a real clip (shared data; skipped when absent)."""
    from oculi.place import find_candidates, place_insert
    from oculi.video import open_video

    clips = sorted(REAL_CLIP.glob("*.avi")) if REAL_CLIP.is_dir() else []
    if not clips:
        return
    # OpenCV's reader: PyAV stops at frame 2 of these MPEG-4 part 2 AVIs
    with open_video(clips[0], backend="opencv") as reader:
        frames = [f for _, f in zip(range(60), reader, strict=False)]
    found = find_candidates(frames, max=1)
    if not found:
        sec.text(f"{clips[0].name}: no candidate space found.")
        return
    cand = found[0]
    placement = place_insert(frames, insert, corners=cand.corners, frame_index=cand.start)
    outs = list(placement)
    picks = [0, len(frames) // 2, len(frames) - 1]
    seen = [t for t in placement.tracks if t.visible]
    # the camera stands still: every move of the corners from the start is tracking error
    moved = max(float(np.abs(t.corners - cand.corners_at(cand.start)).max()) for t in seen)
    sec.image(np.concatenate([np.concatenate([frames[i] for i in picks], axis=1),
                              np.concatenate([outs[i].image for i in picks], axis=1)], axis=0),
              f"a real clip ({clips[0].name}, {len(frames)} frames, static camera): the best "
              f"candidate space (oculi.place.find_candidates, score {cand.score:.3g}) with the "
              f"insert placed. The space is a plain, over-exposed wall, so it is tracked by its "
              f"surroundings, which include the moving person: the plane is found in "
              f"{len(seen)} of {len(frames)} frames and its corners wander up to {moved:.1f} px "
              "(all error, the camera being still) — a limit of tracking plain surfaces",
              name="place-real")
