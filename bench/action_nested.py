"""Arm gestures, leave-one-person-out, with the motion-layout settings chosen without the
held-out person (nested cross-validation).

``action_arms`` (18 RGB clips, 3 gestures x 2 persons x 3 takes). For each held-out person:

1. **Inner selection** on the training person's 9 clips only: every setting of ``GRID`` (cells,
   time bins, u/v/|u|/|v| or an 8-direction histogram, frames per clip) is scored by
   leave-one-take-out (train on 2 takes = 6 clips, score the 3rd take, rotate) with a
   scikit-learn logistic regression on the same per-clip standardised layouts the task's flow
   stream computes (:meth:`~oculi.action.twostream.FlowStream.clip_layouts` on the test-time
   tensors). The best inner accuracy wins, ties go to the lower inner log-loss.
2. **Outer score**: the chosen setting is trained with the ``action`` task
   (:func:`~oculi.action.task.train_action`, bench/action_train.py's ``flow-profile`` settings
   for everything else) on the training person and its last checkpoint scores the held-out
   person (:func:`~oculi.action.task.evaluate_action`), once per seed.

The fixed ``flow-profile`` setting (picked by looking at all 18 clips: optimistic) is trained the
same way beside it. One JSON line in bench/results/action.jsonl.

Run: ``.venv/bin/python -m bench.action_nested [--seeds 0,1,2]``
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from typing import Any

import numpy as np
import torch

from bench._common import SHARED_DATA, print_table, record
from bench.action_train import FLOW_PROFILE
from oculi.action import clip_dataset
from oculi.action.clipdata import ClipTensors
from oculi.action.config import ActionConfig
from oculi.action.flowlayout import motion_layout
from oculi.action.task import evaluate_action, train_action
from oculi.action.twostream import clip_flow
from oculi.core.timing import pin_threads

FOLDER = "action_arms"
#: the settings the inner cross-validation chooses from
GRID = {"clip_len": (8, 16), "flow_grid": (2, 4, 8), "flow_bins": (1, 2, 3, 4),
        "flow_orientations": (0, 8)}


def _settings() -> list[dict[str, int]]:
    keys = list(GRID)
    return [dict(zip(keys, v, strict=True)) for v in itertools.product(*GRID.values())]


def _layouts(items: list, classes: list[str],
             settings: list[dict[str, int]]) -> list[np.ndarray]:
    """Per setting, the ``(clips, D)`` layouts of the test-time frames, each row standardised
    like the stream's LayerNorm."""
    out: dict[int, np.ndarray] = {}
    for clip_len in sorted({s["clip_len"] for s in settings}):
        data = ClipTensors(items, classes, sampling="segments", clip_len=clip_len, stride=1,
                           size=FLOW_PROFILE["size"], channels=3, cache=True)
        flows = [clip_flow(data[i][0][None], FLOW_PROFILE["flow"]) for i in range(len(data))]
        for k, s in enumerate(settings):
            if s["clip_len"] != clip_len:
                continue
            rows = torch.cat([motion_layout(f, s["flow_grid"], s["flow_bins"],
                                            s["flow_orientations"]) for f in flows])
            out[k] = torch.nn.functional.layer_norm(rows, rows.shape[1:]).numpy()
    return [out[k] for k in range(len(settings))]


def _inner(x: np.ndarray, y: np.ndarray, takes: np.ndarray) -> tuple[float, float]:
    """Leave-one-take-out accuracy and mean log-loss of a logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    hits, losses = 0, []
    for t in sorted(set(takes)):
        tr, te = takes != t, takes == t
        lr = LogisticRegression(C=1.0, max_iter=5000).fit(x[tr], y[tr])
        hits += int((lr.predict(x[te]) == y[te]).sum())
        losses.append(log_loss(y[te], lr.predict_proba(x[te]), labels=lr.classes_))
    return hits / len(y), float(np.mean(losses))


def _outer(fold: str, setting: dict[str, Any], seed: int) -> dict[str, Any]:
    cfg = ActionConfig(**{**FLOW_PROFILE, **setting, "model": "flow", "group": "person",
                          "holdout_groups": (fold,), "seed": seed, "threads": 1,
                          "device": "cpu"})
    with tempfile.TemporaryDirectory() as run:
        start = time.perf_counter()
        train_action(SHARED_DATA / FOLDER, cfg, run, progress=False)
        train_s = time.perf_counter() - start
        rep = evaluate_action(f"{run}/last.safetensors", SHARED_DATA / FOLDER, groups=fold)
    n = len(rep["clips"])
    return {"fold": fold, "seed": seed, "setting": setting, "n": n,
            "correct": round(rep["val_accuracy"] * n), "accuracy": rep["val_accuracy"],
            "confusion": rep["confusion"], "train_s": train_s}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    pin_threads(1)
    if not (SHARED_DATA / FOLDER).is_dir():
        print(f"skip: {SHARED_DATA / FOLDER} not found")
        return
    seeds = [int(s) for s in args.seeds.split(",")]
    ds = clip_dataset(SHARED_DATA / FOLDER, group="person")
    takes = clip_dataset(SHARED_DATA / FOLDER, group="trial").groups
    persons, labels = ds.groups, np.array([it.label for it in ds])
    settings = _settings()
    start = time.perf_counter()
    layouts = _layouts(ds.items, ds.classes, settings)
    layout_s = time.perf_counter() - start
    default = ActionConfig(**FLOW_PROFILE)
    fixed = {k: getattr(default, k) for k in GRID}
    rows, choices = [], []
    for fold in sorted(set(persons)):
        train = persons != fold
        start = time.perf_counter()
        scores = [_inner(x[train], labels[train], takes[train]) for x in layouts]
        select_s = time.perf_counter() - start
        best = min(range(len(settings)), key=lambda k: (-scores[k][0], scores[k][1]))
        choices.append({"fold": fold, "chosen": settings[best], "inner_accuracy": scores[best][0],
                        "inner_log_loss": scores[best][1], "select_s": select_s,
                        "fixed_inner_accuracy": scores[settings.index(fixed)][0],
                        "settings_at_best_inner_accuracy": sum(
                            s[0] == scores[best][0] for s in scores)})
        for seed in seeds:
            rows.append({**_outer(fold, settings[best], seed), "protocol": "nested"})
            rows.append({**_outer(fold, fixed, seed), "protocol": "fixed flow-profile"})
    summary = []
    for protocol, seed in itertools.product(("nested", "fixed flow-profile"), seeds):
        mine = [r for r in rows if r["protocol"] == protocol and r["seed"] == seed]
        n = sum(r["n"] for r in mine)
        summary.append({"protocol": protocol, "seed": seed,
                        "accuracy": sum(r["correct"] for r in mine) / n, "clips": n,
                        "per_fold": {r["fold"]: f"{r['correct']}/{r['n']}" for r in mine},
                        "train_s_per_fold": sum(r["train_s"] for r in mine) / len(mine)})
    print_table(["fold", "chosen (inner)", "inner acc", "inner log-loss", "select s"],
                [[c["fold"], c["chosen"], c["inner_accuracy"], c["inner_log_loss"],
                  c["select_s"]] for c in choices])
    print_table(["protocol", "seed", "per held-out person", "accuracy", "train s / fold"],
                [[s["protocol"], s["seed"], s["per_fold"], s["accuracy"],
                  s["train_s_per_fold"]] for s in summary])
    print("results:", record("action", {
        "bench": "action_arms_nested_logo", "grid": GRID, "fixed": fixed,
        "layout_s": layout_s, "choices": choices, "summary": summary, "runs": rows}))


if __name__ == "__main__":
    main()
