"""Single-object trackers on real sequences: OTB one-pass evaluation, side by side.

Every registered single-object tracker (``oculi.track.single_trackers``: OpenCV's CSRT, KCF, MIL,
MOSSE, MedianFlow, TLD, Boosting, NanoTrack with the shared ONNX files, and oculi's own when
registered) on ``../shared/data/track_otb_crossing`` (OTB "Crossing", 120 frames) and
``track_vot_bag`` (VOT2015 "bag", first 150 frames). Frames are decoded once into memory, so FPS
counts only the trackers' own calls; it is the median over ``--repeat`` runs and is also given as
a ratio to CSRT on the same sequence (the anchor). AUC (success plot), P@20 and normalised
precision come from the first run (the trackers are deterministic; the bench checks it).

Run: ``.venv/bin/python -m bench.track [--repeat 3] [--methods csrt,kcf]``
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.track import evaluate_sequence, load_sequence, run_sequence, single_trackers
from oculi.track.datasets import Sequence

SEQUENCES = ("track_otb_crossing", "track_vot_bag")
NANOTRACK = SHARED_DATA.parent / "models" / "nanotrack" / "v2"
ANCHOR = "csrt"


def _in_memory(seq: Sequence) -> Sequence:
    frames = [seq.read(i) for i in range(len(seq))]
    return Sequence(seq.name, frames, seq.boxes, seq.polygons, seq.source, seq.meta)


def _options(name: str) -> dict[str, Any] | None:
    needs = single_trackers.entry(name).meta.get("needs", ())
    if not needs:
        return {}
    if name == "nanotrack" and NANOTRACK.is_dir():
        return {"model_dir": NANOTRACK}
    return None  # model files not available here


def _one(name: str, seq: Sequence, repeat: int, options: dict[str, Any]) -> dict[str, Any]:
    fps, boxes0 = [], None
    deterministic = True
    for k in range(repeat):
        res = run_sequence(name, seq, progress=False, **options)
        fps.append(res.fps)
        if k == 0:
            boxes0 = res.boxes
            rep = evaluate_sequence(res.boxes, seq.boxes, times=res.times, name=seq.name)
        else:
            deterministic &= bool(np.array_equal(res.boxes, boxes0))
    return {"auc": rep["val_auc"], "precision_20": rep["val_precision_20"],
            "norm_precision": rep["val_norm_precision"], "mean_iou": rep["val_mean_iou"],
            "fps": statistics.median(fps), "fps_runs": fps,
            "lost_frames": int(res.lost.sum()), "deterministic": deterministic}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--methods", default="", help="comma-separated subset (default: all)")
    args = ap.parse_args()
    missing = [s for s in SEQUENCES if not (SHARED_DATA / s).is_dir()]
    if missing:
        print(f"skipped: shared data {missing} not found under {SHARED_DATA}")
        return
    threads = pin_threads()
    seqs = [_in_memory(load_sequence(SHARED_DATA / s)) for s in SEQUENCES]
    names = [m for m in args.methods.split(",") if m] or single_trackers.names()
    results: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for name in names:
        options = _options(name)
        if options is None:
            skipped[name] = "model files not available"
            continue
        results[name] = {s.name: _one(name, s, args.repeat, options) for s in seqs}
        print(f"{name}: " + "  ".join(f"{s} AUC {r['auc']:.3f} P@20 {r['precision_20']:.3f} "
                                      f"{r['fps']:.0f} fps" for s, r in results[name].items()))
    rows = []
    for name, per in results.items():
        row: list[Any] = [name, single_trackers.entry(name).meta.get("family", "")]
        for s in seqs:
            r = per[s.name]
            anchor = results.get(ANCHOR, {}).get(s.name, {}).get("fps", float("nan"))
            r["fps_vs_csrt"] = r["fps"] / anchor
            row += [r["auc"], r["precision_20"], r["fps"], r["fps_vs_csrt"]]
        rows.append(row)
    rows.sort(key=lambda r: -(r[2] + r[6]))
    print()
    print_table(["method", "family", "OTB AUC", "OTB P@20", "OTB fps", "x CSRT", "VOT AUC",
                 "VOT P@20", "VOT fps", "x CSRT"], rows)
    payload = {"bench": "track", "threads": threads, "repeat": args.repeat,
               "sequences": {s.name: len(s) for s in seqs}, "anchor": ANCHOR,
               "results": results, "skipped": skipped,
               "nanotrack_models": str(NANOTRACK) if "nanotrack" in results else None}
    print(f"\nrecorded: {record('track', payload)}")


if __name__ == "__main__":
    main()
