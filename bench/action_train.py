"""Learned clip classifiers on the Weizmann silhouettes, beside the motion-history baseline.

Weizmann (``../shared/data/action_weizmann``, 63 clips, 10 actions, 6 actors), the ``aligned``
silhouettes (centred on the actor), leave-one-actor-out: train on 5 actors, test on the 6th. Each
model (the (2+1)-D 3-D CNN, TSM, the centre-frame 2-D model) is trained from scratch with the
``action`` task's defaults on one torch thread, and its **last** checkpoint scores the held-out
actor (no checkpoint is selected on the test actor). The motion-history baseline is
``bench/action.py`` (63.5-68.3 % leave-one-actor-out, bench/results/action.jsonl).

Run: ``.venv/bin/python -m bench.action_train [--folds daria,denis] [--models r2plus1d,tsm]
[--epochs 20]`` (every fold is about 2 minutes per model on this CPU).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from bench._common import SHARED_DATA, print_table, record
from oculi.action import clip_dataset
from oculi.action.config import ActionConfig
from oculi.action.task import evaluate_action, train_action
from oculi.core.timing import pin_threads

DATA = SHARED_DATA / "action_weizmann"


def _fold(model: str, actor: str, epochs: int) -> dict:
    cfg = ActionConfig(model=model, key="aligned", group="actor", holdout_groups=(actor,),
                       epochs=epochs, threads=1, device="cpu")
    with tempfile.TemporaryDirectory() as run:
        start = time.perf_counter()
        fit = train_action(DATA, cfg, run, progress=False)
        train_s = time.perf_counter() - start
        rep = evaluate_action(f"{run}/last.safetensors", DATA, groups=actor)
    return {"model": model, "fold": actor, "accuracy": rep["val_accuracy"],
            "mean_class_accuracy": rep["val_mean_class_accuracy"], "n": len(rep["clips"]),
            "correct": round(rep["val_accuracy"] * len(rep["clips"])),
            "confusion": rep["confusion"], "train_s": train_s, "epochs": epochs,
            "skipped": len(getattr(fit, "skipped", []) or [])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", default="", help="held-out actors (default: all six)")
    parser.add_argument("--models", default="r2plus1d,tsm,frame")
    parser.add_argument("--epochs", type=int, default=ActionConfig.epochs)
    args = parser.parse_args()
    pin_threads(1)
    if not DATA.is_dir():
        print(f"skip: {DATA} not found")
        return
    actors = sorted({str(g) for g in clip_dataset(DATA, group="actor").groups})
    folds = args.folds.split(",") if args.folds else actors
    rows = [_fold(m, a, args.epochs) for m in args.models.split(",") for a in folds]
    summary = []
    for m in args.models.split(","):
        mine = [r for r in rows if r["model"] == m]
        n = sum(r["n"] for r in mine)
        summary.append({"model": m, "folds": [r["fold"] for r in mine],
                        "accuracy": sum(r["correct"] for r in mine) / n, "clips": n,
                        "train_s_per_fold": sum(r["train_s"] for r in mine) / len(mine)})
    print_table(["model", "folds", "accuracy", "clips", "train s / fold"],
                [[s["model"], ",".join(s["folds"]), s["accuracy"], s["clips"],
                  s["train_s_per_fold"]] for s in summary])
    print("results:", record("action", {"bench": "action_learned_weizmann_loao",
                                        "baseline_loao_accuracy": [0.635, 0.683],
                                        "summary": summary, "runs": rows}))


if __name__ == "__main__":
    main()
