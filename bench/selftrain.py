"""Noisy Student self-training against the supervised baseline on hymenoptera (ants vs bees),
EfficientNet-Lite0 with its ImageNet weights (offline).

Protocol (issue 25): the val images' labels are hidden and the images form the unlabelled pool;
accuracy is measured on the same val labels. ``--setting full``: all 244 labelled train images;
``--setting labels20``: 20 % of each train class labelled, the other 80 % of train joins the val
images in the pool. Rows, all with the same network, recipe (the plain fine-tuning recipe of
``bench.train``: AdamW, backbone LR 1e-4, head 10x, frozen BatchNorm statistics, constant LR,
crop 160, batch 32) and epochs per round:

* ``supervised``: labelled images only (this is also the first teacher);
* ``supervised_noise``: labelled images only, with the students' noise (RandAugment, dropout,
  stochastic depth): separates what the noise does from what the pseudo-labels do;
* ``student1``, ``student2``...: Noisy Student rounds (soft pseudo-labels from the previous
  round's final weights, class-balanced, the students' noise).

Reported per row: the final-epoch val top-1 (no checkpoint chosen on the val labels) and the best
epoch's, wall time; per student the accuracy of its pseudo-labels on the pool's hidden labels.
One JSON line per invocation goes to bench/results/selftrain.jsonl.

Run: ``.venv/bin/python -m bench.selftrain [--setting full] [--seed 0] [--epochs 5]
[--iterations 2] [--no-noise-baseline]``
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads


def recipe(args: argparse.Namespace):
    from oculi.classify import ClassifyConfig

    return ClassifyConfig.plain(
        model=args.model, pretrained=not args.scratch, epochs=args.epochs, batch_size=32,
        image_size=args.image_size, eval_size=args.eval_size, lr=args.lr, head_lr_scale=10.0,
        freeze_bn=True, weight_decay=0.02, seed=args.seed, workers=0, cache_images=True,
        threads=args.threads)


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.symlink_to(src.resolve())


def labels20(data: Path, work: Path, fraction: float, seed: int) -> tuple[Path, Path]:
    """A data root whose train/ keeps ``fraction`` of each class (symlinks) and val/ = the real
    val; the pool holds the rest of train and the val images (as symlinks, class names hidden
    in the link names only: the pool is read without labels)."""
    from oculi.classify import scan_folder

    root, pool = work / "data", work / "pool"
    train = scan_folder(data / "train")
    rng = random.Random(seed)
    for k, name in enumerate(train.classes):
        paths = [p for p, t in train.samples if t == k]
        rng.shuffle(paths)
        n = max(2, round(fraction * len(paths)))
        for p in paths[:n]:
            _link(p, root / "train" / name / p.name)
        for p in paths[n:]:
            _link(p, pool / f"train_{name}_{p.name}")
    (root / "val").symlink_to((data / "val").resolve())
    for p in sorted((data / "val").rglob("*")):
        if p.is_file():
            _link(p, pool / f"val_{p.parent.name}_{p.name}")
    return root, pool


def pseudo_accuracy(csv_path: Path) -> dict[str, float]:
    """Accuracy of a round's pseudo-labels against the pool's hidden labels (the class folder
    of the real file), over all pool images and over the selected ones (with copies)."""
    right = n = right_sel = n_sel = 0
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            truth = Path(row["path"]).resolve().parent.name
            ok = truth == row["class"]
            right, n = right + ok, n + 1
            copies = int(row["copies"])
            right_sel, n_sel = right_sel + ok * copies, n_sel + copies
    return {"pool_accuracy": right / max(n, 1), "selected_accuracy": right_sel / max(n_sel, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--setting", choices=["full", "labels20"], default="full")
    ap.add_argument("--fraction", type=float, default=0.2, help="labels20: labelled fraction.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=5, help="Epochs of every round.")
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--image-size", type=int, default=160)
    ap.add_argument("--eval-size", type=int, default=None)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--model", default="efficientnet_lite0")
    ap.add_argument("--scratch", action="store_true", help="No ImageNet weights (smoke runs).")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", type=Path, default=SHARED_DATA / "hymenoptera")
    ap.add_argument("--no-noise-baseline", action="store_true")
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="Keep the run folders here.")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"skip: {args.data} not found", file=sys.stderr)
        return 0
    threads = pin_threads(args.threads)
    import dataclasses

    from oculi.classify import train_classifier
    from oculi.classify.selftrain import student_config

    work = args.keep or Path(tempfile.mkdtemp(prefix="oculi-bench-selftrain-"))
    if args.setting == "full":
        data, pool = args.data, args.data / "val"
    else:
        data, pool = labels20(args.data, work / "split", args.fraction, args.seed)
    base = recipe(args)
    runs: dict[str, dict] = {}
    t0 = time.perf_counter()
    train_classifier(data, dataclasses.replace(base, unlabeled=str(pool),
                                               iterations=args.iterations),
                     work / "noisy_student", progress=False)
    ns_wall = time.perf_counter() - t0
    for line in (work / "noisy_student" / "metrics.jsonl").read_text().splitlines():
        r = json.loads(line)
        name = "supervised" if r["round"] == "teacher" else r["round"]
        runs[name] = {"final_val_top1": r["val_top1"], "best_val_top1": r["best_val_top1"],
                      "wall_s": r["wall_s"]}
        if "pseudo" in r:
            runs[name]["pseudo"] = r["pseudo"] | pseudo_accuracy(
                Path(r["run_dir"]) / "pseudo_labels.csv")
    if not args.no_noise_baseline:
        noisy = student_config(dataclasses.replace(base, unlabeled=str(pool)))
        t1 = time.perf_counter()
        res = train_classifier(data, noisy, work / "supervised_noise", progress=False)
        runs["supervised_noise"] = {"final_val_top1": res.history[-1]["val_top1"],
                                    "best_val_top1": res.best_metric,
                                    "wall_s": time.perf_counter() - t1}
    ref = runs["supervised"]
    rows = []
    for name, r in runs.items():
        extra = r.get("pseudo", {})
        rows.append([name, r["final_val_top1"], r["best_val_top1"],
                     r["final_val_top1"] - ref["final_val_top1"], r["wall_s"],
                     r["wall_s"] / ref["wall_s"], extra.get("selected", "-"),
                     extra.get("pool_accuracy", "-")])
    print_table(["row", "final val top-1", "best val top-1", "final - supervised", "wall s",
                 "time / supervised", "pseudo images", "pseudo-label acc"], rows)
    print(f"{args.setting}, seed {args.seed}, {args.epochs} epochs per round, "
          f"{threads} thread(s); Noisy Student total {ns_wall:.0f} s")
    if not args.no_record:
        record("selftrain", {
            "bench": "noisy_student_efficientnet_lite0_hymenoptera", "setting": args.setting,
            "fraction": args.fraction if args.setting == "labels20" else 1.0, "seed": args.seed,
            "threads": threads, "epochs_per_round": args.epochs, "iterations": args.iterations,
            "image_size": args.image_size, "noisy_student_wall_s": ns_wall, "runs": runs,
            "config": dataclasses.replace(base, unlabeled=str(pool),
                                          iterations=args.iterations).to_dict()})
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
