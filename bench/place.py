"""Planar tracking for product placement on the harness (exact ground truth), side by side.

Per condition, on ``oculi.place.make_sequence`` clips (720p x 300 frames by default; the plane
starts from its true corners in frame 0 and the harness's clean texture is the reference):

- ``pan``, ``zoom``, ``perspective``, ``shake``: that motion, with motion blur, no occluders, no
  lighting change;
- ``occluders``: pan with the crossing blob and bar; ``lighting``: pan with the gain change;
- ``all``: perspective motion, blur, occluders and lighting together.

Trackers: the full tracker (``PlaneTrackerConfig()``), the same without smoothing and without
ECC (the gain of each part), and the anchor, plain frame-to-frame KLT (``mode="klt"``). Scores:
median / p95 / max corner error (px), drift (median error over the last 5 frames), jitter (RMS
corner-acceleration error, px/frame^2), lost-frame share and frames/s of tracking (frames in
memory; the median of ``--repeat`` timings). Where there are occluders, the occluder-mask IoU of
``OcclusionModel`` on the full tracker's homographies (pooled over the frames) and its frames/s.
The error ratio klt / full is printed.

Real check (when ``../shared/data/planar_box`` is present): ``box.png`` found in
``box_in_scene.png`` by the tracker's recovery path (SIFT + robust homography, then anchoring and
ECC); its corners are compared with the estimate shipped there (not ground truth).

Run: ``.venv/bin/python -m bench.place [--frames 300] [--size 720x1280] [--conditions pan,zoom]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.place import (
    OcclusionModel,
    PlaneTrackerConfig,
    make_sequence,
    mask_iou,
    track_plane,
    track_report,
)

CONDITIONS: dict[str, dict[str, Any]] = {
    "pan": {"motion": "pan", "occluders": False, "lighting": False},
    "zoom": {"motion": "zoom", "occluders": False, "lighting": False},
    "perspective": {"motion": "perspective", "occluders": False, "lighting": False},
    "shake": {"motion": "shake", "occluders": False, "lighting": False},
    "occluders": {"motion": "pan", "occluders": True, "lighting": False},
    "lighting": {"motion": "pan", "occluders": False, "lighting": True},
    "all": {"motion": "perspective", "occluders": True, "lighting": True},
}
TRACKERS: dict[str, dict[str, Any]] = {
    "full": {},
    "no_smoothing": {"smooth": False},
    "no_ecc": {"ecc": False},
    "klt": {"mode": "klt"},
}


def _track(seq: Any, cfg: dict[str, Any], repeat: int) -> tuple[list[Any], list[float]]:
    times, tracks = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        tracks = track_plane(seq.frames, corners=seq.corners_true[0], reference=seq.plane_texture,
                             config=PlaneTrackerConfig(**cfg))
        times.append(time.perf_counter() - t0)
    return tracks, times  # type: ignore[return-value]


def _occlusion(seq: Any, tracks: list[Any]) -> dict[str, float]:
    model = OcclusionModel(seq.plane_texture)
    preds = np.zeros_like(seq.occluder_masks)
    t0 = time.perf_counter()
    for i, (frame, t) in enumerate(zip(seq.frames, tracks, strict=True)):
        if t.visible:
            preds[i] = model.update(frame, t.H)
    seconds = time.perf_counter() - t0
    per = [mask_iou(p, m) for p, m in zip(preds, seq.occluder_masks, strict=True) if m.any()]
    return {"iou": mask_iou(preds, seq.occluder_masks),
            "iou_median_frame": float(np.median(per)) if per else float("nan"),
            "fps": len(tracks) / seconds}


def _condition(name: str, n: int, size: tuple[int, int], repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    seq = make_sequence(n, size, blur=True, seed=0, **CONDITIONS[name])
    out: dict[str, Any] = {"render_s": round(time.perf_counter() - t0, 1)}
    for tracker, cfg in TRACKERS.items():
        reps = repeat if tracker in ("full", "klt") else 1
        tracks, times = _track(seq, cfg, reps)
        rep = track_report(tracks, seq.H_true, seq.canvas_size)
        rep["fps"] = n / statistics.median(times)
        rep["fps_runs"] = [round(n / t, 2) for t in times]
        out[tracker] = rep
        if tracker == "full" and CONDITIONS[name]["occluders"]:
            out["occlusion"] = _occlusion(seq, tracks)
    del seq
    return out


def _planar_box() -> dict[str, Any] | None:
    folder = SHARED_DATA / "planar_box"
    if not folder.is_dir():
        return None
    from oculi.io import read_image
    from oculi.place import PlaneTracker
    from oculi.place.harness import project_corners

    box = read_image(folder / "box.png", mode="rgb")
    scene = read_image(folder / "box_in_scene.png", mode="rgb")
    rows = [r.split() for r in (folder / "homography_estimated_by_us_NOT_GT.txt").read_text()
            .splitlines() if r and not r.startswith("#")]
    estimate = np.array(rows[:3], float)
    ref_corners = project_corners(estimate, box.shape[:2])
    out: dict[str, Any] = {}
    for label, cfg in (("full", {}), ("no_ecc", {"ecc": False})):
        t0 = time.perf_counter()
        H = PlaneTracker(box, PlaneTrackerConfig(**cfg)).locate(scene)
        seconds = time.perf_counter() - t0
        if H is None:
            out[label] = {"found": False}
            continue
        c = project_corners(H, box.shape[:2])
        d = np.linalg.norm(c - ref_corners, axis=1)
        out[label] = {"found": True, "corners": c.round(2).tolist(),
                      "vs_estimate_mean_px": float(d.mean()), "vs_estimate_max_px": float(d.max()),
                      "seconds": seconds}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="720x1280", help="HEIGHTxWIDTH")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs of full and klt")
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    args = ap.parse_args()
    threads = pin_threads()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    names = [c for c in args.conditions.split(",") if c]
    warm = make_sequence(12, (180, 320), "pan")  # imports and first calls out of the timings
    for cfg in TRACKERS.values():
        _track(warm, cfg, 1)
    results: dict[str, Any] = {}
    rows = []
    for name in names:
        res = _condition(name, args.frames, size, args.repeat)  # type: ignore[arg-type]
        results[name] = res
        for tracker in TRACKERS:
            r = res[tracker]
            rows.append([name, tracker, r["median"], r["p95"], r["max"], r["drift"], r["jitter"],
                         r["lost"], r["fps"]])
        occ = res.get("occlusion")
        print(f"{name}: rendered in {res['render_s']} s; klt/full median error "
              f"{res['klt']['median'] / max(res['full']['median'], 1e-9):.1f}x, drift "
              f"{res['klt']['drift'] / max(res['full']['drift'], 1e-9):.1f}x"
              + (f"; occluder IoU {occ['iou']:.3f} at {occ['fps']:.1f} fps" if occ else ""),
              flush=True)
    print_table(["condition", "tracker", "median px", "p95 px", "max px", "drift px", "jitter",
                 "lost", "fps"], rows)
    box = _planar_box()
    if box is None:
        print(f"planar_box: skipped (no {SHARED_DATA / 'planar_box'})")
    else:
        for label, r in box.items():
            print(f"planar_box {label}: " + (f"found, corners vs the shipped estimate mean "
                  f"{r['vs_estimate_mean_px']:.2f} px, max {r['vs_estimate_max_px']:.2f} px"
                  if r["found"] else "not found"))
    path = record("place", {"bench": "planar_tracking", "frames": args.frames,
                            "size": list(size), "threads": threads, "conditions": results,
                            "planar_box": box})
    print(f"-> {path}")


if __name__ == "__main__":
    main()
