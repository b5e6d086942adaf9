"""Do the clip models use time? The single-frame model against TSM and the 3-D CNNs on moving
digits (:mod:`oculi.action.synthetic`): eight motions whose single frames are identically
distributed, so a model that sees one frame can do no better than chance (1/8).

One data set is generated per run (train clips from MNIST train digits, ``val`` clips from train
digits held out of them, test clips from the MNIST test digits), every model is trained with the
``action`` task on ``train/`` (validating on ``val``), and the **last** checkpoint is scored on
``test/``. Accuracy, mean class accuracy and training seconds per model and seed; training times
side by side in one process on a loaded 2-core CPU, one thread.

Run: ``.venv/bin/python -m bench.action_synthetic [--models frame,tsm,r2plus1d,x3d]
[--seeds 0,1] [--clips 1600] [--epochs 12]``; one JSON line in bench/results/action.jsonl.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import print_table, record
from oculi.action.config import ActionConfig
from oculi.action.synthetic import MOTIONS, write_moving_digits
from oculi.action.task import evaluate_action, train_action
from oculi.core.timing import pin_threads

#: the settings of every run: 32-pixel grey clips, 8 of 16 frames, nothing that moves or mirrors
#: the clip (left and right are different classes), every clip decoded once
SETTINGS: dict[str, Any] = {"size": 32, "channels": 1, "clip_len": 8, "flip": False,
                            "crop_scale": 1.0, "repeat": 1, "batch_size": 16, "cache": True,
                            "holdout_groups": ("val",)}
#: bench model name -> extra config fields
MODELS: dict[str, dict[str, Any]] = {"frame": {}, "tsn": {}, "tsm": {}, "r2plus1d": {},
                                     "x3d": {"width": 24}}


def run(data: Path, model: str, epochs: int, seed: int, threads: int) -> dict[str, Any]:
    """Train ``model`` on ``data/train`` and score its last checkpoint on ``data/test``."""
    cfg = ActionConfig(**{**SETTINGS, **MODELS[model], "model": model, "epochs": epochs,
                          "seed": seed, "threads": threads, "device": "cpu"})
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        fit = train_action(data / "train", cfg, out, progress=False)
        train_s = time.perf_counter() - start
        rep = evaluate_action(f"{out}/last.safetensors", data / "test", batch_size=32)
    return {"model": model, "seed": seed, "accuracy": rep["val_accuracy"],
            "mean_class_accuracy": rep["val_mean_class_accuracy"],
            "val_accuracy_last": fit.history[-1].get("val_accuracy") if fit.history else None,
            "train_s": train_s, "epochs": epochs, "confusion": rep["confusion"],
            "classes": rep["classes"], "test_clips": len(rep["clips"])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="frame,tsm,r2plus1d",
                        help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--seeds", default="0", help="comma-separated training seeds")
    parser.add_argument("--clips", type=int, default=1600, help="training clips")
    parser.add_argument("--val-clips", type=int, default=200)
    parser.add_argument("--test-clips", type=int, default=800)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-record", action="store_true", help="print only (trial runs)")
    args = parser.parse_args()
    pin_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        start = time.perf_counter()
        made = write_moving_digits(data, clips=args.clips, val_clips=args.val_clips,
                                   test_clips=args.test_clips, seed=args.data_seed)
        made["generate_s"] = time.perf_counter() - start
        rows = [run(data, m, args.epochs, s, args.threads)
                for s in seeds for m in args.models.split(",")]
    print_table(["model", "seed", "test accuracy", "mean class acc.", "train s", "epochs"],
                [[r["model"], r["seed"], r["accuracy"], r["mean_class_accuracy"], r["train_s"],
                  r["epochs"]] for r in rows])
    line = {"bench": "action_synthetic_motion", "data": made, "chance": 1 / len(MOTIONS),
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in SETTINGS.items()},
            "threads": args.threads, "runs": rows}
    if args.no_record:
        return
    print("results:", record("action", line))


if __name__ == "__main__":
    main()
