"""Learned clip classifiers on real clips, leave-groups-out, beside the motion-history baseline.

Two protocols, each fold trained with the ``action`` task and its **last** checkpoint scoring the
held-out group (no checkpoint or setting is selected on the test group):

- ``weizmann`` (``../shared/data/action_weizmann``, 63 clips, 10 actions, 6 actors, the
  ``aligned`` silhouettes): leave-one-actor-out. Models from scratch (``r2plus1d``, ``tsm``,
  ``frame``, ``x3d`` at X3D-XS's width 24) with the task's defaults, or ``tsm-lite0`` /
  ``tsn-lite0`` (TSM / TSN on the registry's EfficientNet-Lite0 with its ImageNet weights,
  silhouettes repeated to RGB, the ``IMAGENET`` settings below).
- ``arms`` (``action_arms``, 18 RGB clips 640x480, 3 arm gestures, 2 persons x 3 takes):
  leave-one-person-out, ``tsm-lite0`` / ``tsn-lite0`` (or the from-scratch models on RGB).

The motion-history baseline is ``bench/action.py`` (Weizmann 63.5-68.3 %, arms 72.2 %,
bench/results/action.jsonl).

Run: ``.venv/bin/python -m bench.action_train [--data arms] [--folds P1] [--models tsm-lite0]
[--epochs N] [--test-clips N] [--threads N] [--seeds 0,1,2]``; the last checkpoint is scored with
one clip per video and with ``--test-clips`` clips (softmax averaged); one JSON line per run in
bench/results/action.jsonl.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

from bench._common import SHARED_DATA, print_table, record
from oculi.action import clip_dataset
from oculi.action.config import ActionConfig
from oculi.action.task import evaluate_action, train_action
from oculi.core.timing import pin_threads

#: protocol -> (folder, group column, config fields of every run)
PROTOCOLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "weizmann": ("action_weizmann", "actor", {"key": "aligned"}),
    "arms": ("action_arms", "person", {"channels": 3, "cache": True}),
}
#: the ImageNet-backbone runs: small input, 8 segments, frozen BN and stem + 2 stages, few epochs
IMAGENET = {"backbone": "efficientnet_lite0", "channels": 3, "size": 128, "freeze_stages": 2,
            "frozen_bn": True, "epochs": 12, "batch_size": 4, "lr": 1e-3, "cache": True}
#: linear probe, then fine-tuning: the classifier alone for 3 epochs at 10x the rate, then the
#: trainable stages at a 5x lower rate than IMAGENET's
LPFT = {**IMAGENET, "epochs": 15, "lr": 2e-4, "head_lr_scale": 10.0,
        "freeze_backbone_epochs": 3}
#: linear probe, then fine-tuning at IMAGENET's rate (the classifier at 5x)
LP = {**IMAGENET, "epochs": 15, "head_lr_scale": 5.0, "freeze_backbone_epochs": 3}
#: the flow stream that reads the motion layout
FLOW_GRID = {"flow": "dis", "flow_grid": 4}
#: the motion profile: the DIS-flow layout of 16 frames (segment centres, the same every epoch)
#: on 4 x 4 cells and 3 time bins, no crop, flip or dropout, all 9 training clips in one batch:
#: a softmax regression that trains the same whatever the seed (bench/action_nested.py chooses
#: these settings without the held-out person)
FLOW_PROFILE = {"flow": "dis", "flow_grid": 4, "flow_bins": 3, "clip_len": 16, "channels": 3,
                "size": 128, "crop_scale": 1.0, "flip": False, "jitter": False, "dropout": 0.0,
                "repeat": 1, "batch_size": 32, "epochs": 60, "lr": 0.01, "cache": True}
#: bench model name -> (task model, extra config fields)
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "r2plus1d": ("r2plus1d", {}), "tsm": ("tsm", {}), "tsn": ("tsn", {}), "frame": ("frame", {}),
    "x3d": ("x3d", {"width": 24}),
    "tsm-lite0": ("tsm", IMAGENET), "tsn-lite0": ("tsn", IMAGENET),
    "tsm-lite0-lpft": ("tsm", LPFT), "tsn-lite0-lpft": ("tsn", LPFT),
    # two-stream: the same appearance stream and a TSM stream on DIS flow of the sampled frames
    "tsm-lite0-lpft-flow": ("tsm", {**LPFT, "flow": "dis"}),
    "tsm-flow": ("tsm", {"flow": "dis"}),
    # the motion layout of DIS flow (4 x 4 cells) and a linear classifier, alone or as the
    # second stream of TSM-Lite0
    "flow-grid": ("flow", {**FLOW_GRID, "channels": 3, "size": 128, "epochs": 15,
                           "batch_size": 4, "lr": 1e-2, "cache": True, "crop_scale": 1.0,
                           "flip": False}),
    "tsm-lite0-lpft-flowgrid": ("tsm", {**LPFT, **FLOW_GRID}),
    "flow-profile": ("flow", FLOW_PROFILE),
    "tsm-lite0-lp": ("tsm", LP), "tsm-lite0-lp-flowgrid": ("tsm", {**LP, **FLOW_GRID}),
}


def _fold(data: str, model: str, fold: str, epochs: int | None, test_clips: int,
          threads: int, seed: int) -> dict:
    folder, group, fields = PROTOCOLS[data]
    task_model, extra = MODELS[model]
    kw = {**fields, **extra, "model": task_model, "group": group, "holdout_groups": (fold,),
          "threads": threads, "device": "cpu", "seed": seed}
    if epochs:
        kw["epochs"] = epochs
    cfg = ActionConfig(**kw)
    with tempfile.TemporaryDirectory() as run:
        start = time.perf_counter()
        fit = train_action(SHARED_DATA / folder, cfg, run, progress=False)
        train_s = time.perf_counter() - start
        rep = evaluate_action(f"{run}/last.safetensors", SHARED_DATA / folder, groups=fold,
                              clips=1)
        multi = (evaluate_action(f"{run}/last.safetensors", SHARED_DATA / folder, groups=fold,
                                 clips=test_clips) if test_clips > 1 else rep)
    return {"data": data, "model": model, "fold": fold, "accuracy": rep["val_accuracy"],
            "mean_class_accuracy": rep["val_mean_class_accuracy"], "n": len(rep["clips"]),
            "correct": round(rep["val_accuracy"] * len(rep["clips"])),
            "confusion": rep["confusion"], "classes": rep["classes"], "train_s": train_s,
            "multi_clip_accuracy": multi["val_accuracy"],
            "multi_clip_correct": round(multi["val_accuracy"] * len(rep["clips"])),
            "epochs": cfg.epochs, "test_clips": test_clips, "threads": threads,
            "config": {k: v for k, v in kw.items() if k not in ("holdout_groups",)},
            "skipped": len(getattr(fit, "skipped", []) or [])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="weizmann", choices=sorted(PROTOCOLS))
    parser.add_argument("--folds", default="", help="held-out groups (default: all)")
    parser.add_argument("--models", default="r2plus1d,tsm,frame",
                        help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--epochs", type=int, default=0, help="0: the model's setting")
    parser.add_argument("--test-clips", type=int, default=4,
                        help="also score the last checkpoint with this many clips per video")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seeds", default=str(ActionConfig.seed),
                        help="comma-separated seeds: every model and fold is trained once per seed")
    args = parser.parse_args()
    pin_threads(args.threads)
    folder, group, _ = PROTOCOLS[args.data]
    if not (SHARED_DATA / folder).is_dir():
        print(f"skip: {SHARED_DATA / folder} not found")
        return
    groups = sorted({str(g) for g in clip_dataset(SHARED_DATA / folder, group=group).groups})
    folds = args.folds.split(",") if args.folds else groups
    models = args.models.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = [{**_fold(args.data, m, f, args.epochs or None, args.test_clips, args.threads, s),
             "seed": s} for s in seeds for m in models for f in folds]
    summary = []
    for m, s in [(m, s) for m in models for s in seeds]:
        mine = [r for r in rows if r["model"] == m and r["seed"] == s]
        n = sum(r["n"] for r in mine)
        summary.append({"model": m, "seed": s, "folds": [r["fold"] for r in mine],
                        "accuracy": sum(r["correct"] for r in mine) / n, "clips": n,
                        "per_fold": [f"{r['correct']}/{r['n']}" for r in mine],
                        "multi_clip_accuracy": sum(r["multi_clip_correct"] for r in mine) / n,
                        "train_s_per_fold": sum(r["train_s"] for r in mine) / len(mine)})
    print_table(["model", "seed", "folds", "per fold", "accuracy",
                 f"{args.test_clips}-clip accuracy", "clips", "train s / fold"],
                [[s["model"], s["seed"], ",".join(s["folds"]), " ".join(s["per_fold"]),
                  s["accuracy"], s["multi_clip_accuracy"], s["clips"], s["train_s_per_fold"]]
                 for s in summary])
    baseline = {"weizmann": [0.635, 0.683], "arms": [0.722, 0.722]}[args.data]
    print("results:", record("action", {"bench": f"action_learned_{args.data}_logo",
                                        "baseline_logo_accuracy": baseline,
                                        "summary": summary, "runs": rows}))


if __name__ == "__main__":
    main()
