"""Multi-object tracking on the MOT17 excerpts: SORT and ByteTrack on simulated detections, and
the oculi MOT metrics against the reference implementations.

``python -m bench.mot [--seeds 5]``

* data: ``../shared/data/mot17_mini`` — the first 4–8 frames of MOT17-02, -04, -05, -09 (FRCNN
  folders) with their ground truth; only the frames present are used.
* detections: the ground-truth boxes of people (classes 1 pedestrian, 2 person on vehicle,
  7 static person — a detector fires on all of them; the evaluation ignores predictions on the
  last two) with known noise, seeded: box edges jittered by N(0, 5 % of the box size), 10 % of
  boxes dropped, on average 1.5 false positives per frame with scores U(0.1, 0.45) at random
  places. True-positive scores in two regimes: ``visibility`` — ``0.3 + 0.7 * visibility +
  N(0, 0.1)`` (occluded people score low all along: a tracker that starts tracks only from
  high scores never sees them), and ``clean`` — U(0.6, 1) whatever the occlusion.
* trackers: ``SortTracker(min_hits=1)`` on every detection (the 4–8 frames leave no room for
  SORT's default 3-frame probation), the same with ``score_threshold=0.5``, and
  ``ByteTracker()`` with its defaults (high 0.5, low 0.1, births from 0.6); metrics with the
  MOTChallenge rules (:func:`oculi.track.mot_metrics.motchallenge_filter`) pooled over the
  4 sequences, mean and spread over the seeds. With 4–8 frames per sequence this measures
  association and births, not long-term re-identification.
* reference agreement: every tracker output above plus ground truth perturbed by jitter,
  dropped boxes and swapped ids are written as result files and scored by oculi (reading the
  files back), by motmetrics (MOTA, MOTP, IDF1, IDSW, MT/ML — on the MOTChallenge-filtered
  rows) and by TrackEval's official MOTChallenge pipeline (HOTA, DetA, AssA, MOTA, IDF1, with
  its own distractor filtering); the largest absolute difference per metric is reported.
  TrackEval's CLEAR favours only pairs matched in the previous frame (motmetrics and oculi: the
  last match, even across a missed frame), so its MOTA can differ by a few 1e-3.

One JSON line goes to ``bench/results/mot.jsonl``. The reference adapters
(:func:`motmetrics_reference`, :func:`trackeval_in_memory`, :func:`trackeval_official`) and the
perturbations are also used by ``tests/track/test_mot_metrics.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.track.mot_io import MOTRows, MOTSequence, read_sequence, write_mot

MOT17 = SHARED_DATA / "mot17_mini"
SEQUENCES = ("MOT17-02-FRCNN", "MOT17-04-FRCNN", "MOT17-05-FRCNN", "MOT17-09-FRCNN")
#: ground-truth classes a person detector fires on: pedestrian, person on vehicle, static person
PEOPLE = (1, 2, 7)


def _jitter(boxes: np.ndarray, rng: np.random.Generator, jitter: float) -> np.ndarray:
    size = np.concatenate([boxes[:, 2:] - boxes[:, :2]] * 2, axis=1)
    out = boxes + rng.normal(0.0, jitter, boxes.shape) * size
    out[:, 2:] = np.maximum(out[:, 2:], out[:, :2] + 1.0)
    return out


def simulated_detections(gt: MOTRows, num_frames: int, rng: np.random.Generator, *,
                         jitter: float = 0.05, drop: float = 0.1, fp_per_frame: float = 1.5,
                         scores: str = "visibility", image_size: tuple[int, int] = (1080, 1920)
                         ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per frame ``(boxes (N, 4) xyxy, scores (N,))``: people's ground-truth boxes jittered,
    some dropped, low-score false positives (see the module doc). ``scores="visibility"``:
    ``0.3 + 0.7 * visibility + N(0, 0.1)``; ``"clean"``: U(0.6, 1) whatever the occlusion."""
    people = gt.select(np.isin(gt.classes, PEOPLE))
    out = []
    height, width = image_size
    for _, rows in people.by_frame(np.arange(1, num_frames + 1)):
        keep = rng.random(len(rows)) >= drop
        boxes = _jitter(rows.boxes[keep], rng, jitter)
        vis = np.clip(rows.visibility[keep], 0, 1)
        noise = rng.normal(0, 0.1, len(vis))
        score = (np.clip(0.3 + 0.7 * vis + noise, 0.05, 1.0) if scores == "visibility"
                 else rng.uniform(0.6, 1.0, len(vis)))
        n_fp = rng.poisson(fp_per_frame)
        wh = rng.uniform([20, 50], [120, 300], (n_fp, 2))
        xy = rng.uniform([0, 0], [width - 120, height - 300], (n_fp, 2))
        boxes = np.concatenate([boxes, np.concatenate([xy, xy + wh], axis=1)])
        out.append((boxes, np.concatenate([score, rng.uniform(0.1, 0.45, n_fp)])))
    return out


def perturbed_results(gt: MOTRows, rng: np.random.Generator, *, jitter: float = 0.05,
                      drop: float = 0.1, swaps: int = 2, fp_per_frame: float = 1.0
                      ) -> MOTRows:
    """Ground truth as a tracker output with known errors: every box of ``gt`` (all classes)
    jittered, a fraction dropped, ``swaps`` pairs of identities exchanged from a random frame
    on, and false positives with fresh ids."""
    keep = rng.random(len(gt)) >= drop
    rows = gt.select(keep)
    ids = rows.ids.copy()
    frames = rows.frame_numbers()
    uniq = np.unique(ids)
    for _ in range(swaps if len(uniq) >= 2 and len(frames) >= 2 else 0):
        a, b = rng.choice(uniq, 2, replace=False)
        start = rng.choice(frames[1:])
        later = rows.frames >= start
        was_a, was_b = later & (ids == a), later & (ids == b)
        ids[was_a], ids[was_b] = b, a
    boxes = _jitter(rows.boxes, rng, jitter)
    fp_frames = np.repeat(frames, rng.poisson(fp_per_frame, len(frames)))
    xy = rng.uniform(0, 1000, (len(fp_frames), 2))
    fp_boxes = np.concatenate([xy, xy + rng.uniform(30, 200, (len(fp_frames), 2))], axis=1)
    fp_ids = 10_000 + np.arange(len(fp_frames))
    return MOTRows(np.concatenate([rows.frames, fp_frames]), np.concatenate([ids, fp_ids]),
                   np.concatenate([boxes, fp_boxes]),
                   np.concatenate([rng.uniform(0.5, 1, len(rows)), np.full(len(fp_frames), 0.3)]))


# ---------------------------------------------------------------- reference implementations


def _motmetrics_distances(gt_xywh: np.ndarray, res_xywh: np.ndarray) -> np.ndarray:
    """``motmetrics.distances.iou_matrix(..., max_iou=0.5)``, which calls ``np.asfarray``
    (gone in NumPy 2), rebuilt on motmetrics' own ``boxiou``."""
    import motmetrics as mm

    if gt_xywh.size == 0 or res_xywh.size == 0:
        return np.empty((0, 0))
    dist = 1.0 - mm.distances.boxiou(gt_xywh[:, None], res_xywh[None, :])
    return np.where(dist > 0.5, np.nan, dist)


def motmetrics_reference(pairs: list[tuple[MOTRows, MOTRows]]) -> dict[str, float]:
    """motmetrics (IoU distance, threshold 0.5) on ``(gt, results)`` pairs (already filtered),
    pooled over the pairs; MOTP converted to mean IoU (``1 - motp``)."""
    import motmetrics as mm

    accs = []
    for gt, res in pairs:
        acc = mm.MOTAccumulator(auto_id=False)
        frames = np.union1d(gt.frame_numbers(), res.frame_numbers())
        for (t, g), (_, p) in zip(gt.by_frame(frames), res.by_frame(frames), strict=True):
            dist = _motmetrics_distances(g.xywh(), p.xywh())
            acc.update(g.ids.tolist(), p.ids.tolist(), dist, frameid=int(t))
        accs.append(acc)
    names = ["mota", "motp", "idf1", "num_switches", "num_false_positives", "num_misses",
             "mostly_tracked", "mostly_lost", "partially_tracked", "idtp"]
    mh = mm.metrics.create()
    if len(accs) == 1:
        s = mh.compute(accs[0], metrics=names, name="all").iloc[0]
    else:
        s = mh.compute_many(accs, metrics=names, generate_overall=True).loc["OVERALL"]
    return {"MOTA": float(s["mota"]), "MOTP": 1.0 - float(s["motp"]), "IDF1": float(s["idf1"]),
            "IDSW": int(s["num_switches"]), "FP": int(s["num_false_positives"]),
            "FN": int(s["num_misses"]), "MT": int(s["mostly_tracked"]),
            "ML": int(s["mostly_lost"]), "PT": int(s["partially_tracked"]),
            "IDTP": int(s["idtp"])}


def trackeval_in_memory(gt: MOTRows, res: MOTRows) -> dict[str, float]:
    """TrackEval's HOTA, CLEAR and Identity ``eval_sequence`` on one (filtered) sequence, with
    TrackEval's own box IoU."""
    from trackeval.datasets._base_dataset import _BaseDataset
    from trackeval.metrics import CLEAR, HOTA, Identity

    frames = np.union1d(gt.frame_numbers(), res.frame_numbers())
    _, gt_idx = np.unique(gt.ids, return_inverse=True)
    _, res_idx = np.unique(res.ids, return_inverse=True)
    gt = MOTRows(gt.frames, gt_idx, gt.boxes)
    res = MOTRows(res.frames, res_idx, res.boxes)
    data: dict[str, Any] = {"gt_ids": [], "tracker_ids": [], "similarity_scores": []}
    for (_, g), (_, p) in zip(gt.by_frame(frames), res.by_frame(frames), strict=True):
        data["gt_ids"].append(g.ids)
        data["tracker_ids"].append(p.ids)
        data["similarity_scores"].append(
            _BaseDataset._calculate_box_ious(g.xywh(), p.xywh(), box_format="xywh"))
    data.update(num_timesteps=len(frames), num_gt_ids=int(gt_idx.max(initial=-1)) + 1,
                num_tracker_ids=int(res_idx.max(initial=-1)) + 1, num_gt_dets=len(gt),
                num_tracker_dets=len(res), seq="seq")
    hota = HOTA().eval_sequence(data)
    clear = CLEAR({"PRINT_CONFIG": False}).eval_sequence(data)
    ident = Identity({"PRINT_CONFIG": False}).eval_sequence(data)
    return {"HOTA": float(hota["HOTA"].mean()), "DetA": float(hota["DetA"].mean()),
            "AssA": float(hota["AssA"].mean()), "LocA": float(hota["LocA"].mean()),
            "MOTA": float(clear["MOTA"]), "MOTP": float(clear["MOTP"]),
            "IDF1": float(ident["IDF1"]), "IDSW": int(clear["IDSW"])}


def trackeval_official(sequences: list[MOTSequence], results: dict[str, MOTRows]
                       ) -> dict[str, dict[str, float]]:
    """TrackEval's MOTChallenge evaluation (MOT17 rules, its own distractor filtering) of
    result files written with :func:`oculi.track.mot_io.write_mot`; keys: sequence names and
    ``"COMBINED_SEQ"``."""
    import trackeval

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for seq in sequences:
            write_mot(root / "trackers" / "oculi" / "data" / f"{seq.name}.txt",
                      results[seq.name])
            gt_dir = root / "gt" / seq.name / "gt"
            gt_dir.mkdir(parents=True)
            (gt_dir / "gt.txt").write_text("".join(
                f"{f},{i},{b[0]:.10g},{b[1]:.10g},{b[2]:.10g},{b[3]:.10g},{c:.0f},{k},{v:.6g}\n"
                for f, i, b, c, k, v in zip(seq.gt.frames, seq.gt.ids, seq.gt.xywh(),
                                            seq.gt.scores, seq.gt.classes, seq.gt.visibility,
                                            strict=True)))
        quiet = {"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False,
                 "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False,
                 "TIME_PROGRESS": False, "OUTPUT_EMPTY_CLASSES": False}
        dataset = trackeval.datasets.MotChallenge2DBox({
            "GT_FOLDER": str(root / "gt"), "TRACKERS_FOLDER": str(root / "trackers"),
            "SKIP_SPLIT_FOL": True, "PRINT_CONFIG": False, "TRACKERS_TO_EVAL": ["oculi"],
            "SEQ_INFO": {s.name: s.num_frames for s in sequences}})
        metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR({"PRINT_CONFIG": False}),
                   trackeval.metrics.Identity({"PRINT_CONFIG": False})]
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            out, _ = trackeval.Evaluator(quiet).evaluate([dataset], metrics)
    per_seq = out["MotChallenge2DBox"]["oculi"]
    return {name: {"HOTA": float(r["pedestrian"]["HOTA"]["HOTA"].mean()),
                   "DetA": float(r["pedestrian"]["HOTA"]["DetA"].mean()),
                   "AssA": float(r["pedestrian"]["HOTA"]["AssA"].mean()),
                   "MOTA": float(r["pedestrian"]["CLEAR"]["MOTA"]),
                   "MOTP": float(r["pedestrian"]["CLEAR"]["MOTP"]),
                   "IDF1": float(r["pedestrian"]["Identity"]["IDF1"]),
                   "IDSW": int(r["pedestrian"]["CLEAR"]["IDSW"])}
            for name, r in per_seq.items()}


# ---------------------------------------------------------------- the benchmark

#: label -> (registry name, options)
TRACKERS = {
    "sort": ("sort", {"min_hits": 1}),
    "sort@0.5": ("sort", {"min_hits": 1, "score_threshold": 0.5}),
    "bytetrack": ("bytetrack", {}),
}
REGIMES = ("visibility", "clean")


def _track(seq: MOTSequence, label: str, regime: str, seed: int) -> MOTRows:
    from oculi.track.mot import track_detections

    rng = np.random.default_rng([seed, SEQUENCES.index(seq.name)])
    dets = simulated_detections(seq.gt, seq.num_frames, rng, scores=regime,
                                image_size=seq.size or (1080, 1920))
    name, options = TRACKERS[label]
    return track_detections(dets, name, **options)


def _agreement(sequences: list[MOTSequence], results: dict[str, MOTRows],
               diffs: dict[str, list[float]]) -> dict[str, float]:
    """oculi vs motmetrics and TrackEval on one set of result files (oculi reads the files back,
    so all three score the same rounded numbers); appends the |differences| to ``diffs``."""
    from oculi.track.mot_io import read_mot
    from oculi.track.mot_metrics import MOTMetrics, evaluate_mot, motchallenge_filter

    with tempfile.TemporaryDirectory() as tmp:
        files = {n: read_mot(write_mot(Path(tmp) / f"{n}.txt", r)) for n, r in results.items()}
    filtered = [motchallenge_filter(s.gt, files[s.name]) for s in sequences]
    ours = MOTMetrics.combine([evaluate_mot(g, r) for g, r in filtered]).summary()
    mm_ref = motmetrics_reference(filtered)
    te_ref = trackeval_official(sequences, results)["COMBINED_SEQ"]
    for key in ("MOTA", "MOTP", "IDF1", "IDSW", "MT", "ML"):
        diffs.setdefault(f"{key} vs motmetrics", []).append(abs(ours[key] - mm_ref[key]))
    for key in ("HOTA", "DetA", "AssA", "MOTA", "IDF1"):
        diffs.setdefault(f"{key} vs trackeval", []).append(abs(ours[key] - te_ref[key]))
    return ours


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    if not MOT17.is_dir():
        print(f"skipped: {MOT17} not found")
        return 0
    sequences = [read_sequence(MOT17 / name) for name in SEQUENCES]
    frames = sum(s.num_frames for s in sequences)
    for label in TRACKERS:  # warm-up: imports and first calls out of the timings
        _track(sequences[0], label, "clean", 0)
    diffs: dict[str, list[float]] = {}
    scores: dict[tuple[str, str], dict[str, list[float]]] = {}
    seconds: dict[tuple[str, str], float] = {}
    for seed in range(args.seeds):
        for regime in REGIMES:
            for label in TRACKERS:
                t0 = time.perf_counter()
                results = {s.name: _track(s, label, regime, seed) for s in sequences}
                seconds[regime, label] = seconds.get((regime, label), 0.0) + (
                    time.perf_counter() - t0)
                summary = _agreement(sequences, results, diffs)
                for key in ("MOTA", "IDF1", "HOTA", "DetA", "AssA", "IDSW", "FP", "FN"):
                    scores.setdefault((regime, label), {}).setdefault(key, []).append(
                        summary[key])
        rng = np.random.default_rng(1000 + seed)
        _agreement(sequences, {s.name: perturbed_results(s.gt, rng) for s in sequences}, diffs)
    rows = []
    table: dict[str, Any] = {}
    for (regime, label), vals in scores.items():
        mean = {k: statistics.fmean(v) for k, v in vals.items()}
        spread = {k: statistics.pstdev(v) for k, v in vals.items()}
        rate = frames * args.seeds / max(seconds[regime, label], 1e-9)
        table[f"{regime}/{label}"] = {"mean": mean, "std": spread, "frames_per_s": rate}
        rows.append([regime, label] + [f"{mean[k]:.3f}±{spread[k]:.3f}"
                                       for k in ("MOTA", "IDF1", "HOTA", "DetA", "AssA")]
                    + [f"{mean['IDSW']:.1f}", f"{mean['FP']:.0f}", f"{mean['FN']:.0f}",
                       f"{rate:.0f}"])
    print(f"MOT17 excerpts ({len(sequences)} sequences, {frames} frames), {args.seeds} seeds; "
          "mean±std over seeds")
    print_table(["scores", "tracker", "MOTA", "IDF1", "HOTA", "DetA", "AssA", "IDSW", "FP",
                 "FN", "frames/s"], rows)
    agreement = {k: max(v) for k, v in diffs.items()}
    n_sets = len(next(iter(diffs.values())))
    print(f"\noculi vs references, max |difference| over {n_sets} result sets:")
    print_table(["metric", "max abs diff"], [[k, f"{v:.2e}"] for k, v in agreement.items()])
    record("mot", {"data": "mot17_mini " + ",".join(SEQUENCES), "frames": frames,
                   "seeds": args.seeds,
                   "detections": "GT people (classes 1,2,7), jitter 5% of size, drop 10%, "
                                 "1.5 FP/frame scored U(0.1,0.45); true scores 'visibility': "
                                 "0.3+0.7*vis+N(0,0.1), 'clean': U(0.6,1)",
                   "trackers": {k: [v[0], v[1]] for k, v in TRACKERS.items()},
                   "results": table, "agreement_sets": n_sets,
                   "agreement_max_abs_diff": agreement})
    return 0


if __name__ == "__main__":
    sys.exit(main())
