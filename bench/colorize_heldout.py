"""The colourisation classifier test on a large held-out photo set, with paired statistics.

The photos: ``oculi.colorize.heldout.HELDOUT_SETS`` under ``../shared/data`` (fixed before any
model was scored on them; docs/colorize.md lists them) — ~470 photos none of the runs trained on
(they train on ``hymenoptera/train``). Each photo's label is its ImageNet class where one
exists (``hymenoptera/val``: ant or bee), otherwise the classifier's top-1 on the true-colour
photo. oculi's ImageNet EfficientNet-Lite0 labels the grey, each recoloured and the true-colour
version (224-pixel centre crops); a version is correct when its 1000-way top-1 equals the label.

Reported per version: accuracy (all photos, the labelled ones, the pseudo-labelled ones) and
mean Hasler-Süsstrunk colourfulness; per pair of versions: exact McNemar p on the per-photo
outcomes and paired-bootstrap 95% CIs (10,000 resamples) of the accuracy and colourfulness
differences. Pairs: every model against the grey image, every ``classification*`` run against
regression (the issue's criterion), the U-Net against classification, and any two runs named
``X`` and ``X_*``. ``--reuse CSV --reused NAME=RUN`` reads the versions of an earlier run's
per-photo CSV instead of computing them again (same photos and labels, checked). Frames of
one video and views of one scene are counted as independent photos.

One JSON line goes to ``bench/results/colorize_heldout.jsonl``, the per-photo outcomes to
``bench/results/colorize_heldout_photos.csv``.

Run (through the CPU slot wrapper; runs from ``python -m bench.colorize train ...``):
``.venv/bin/python -m bench.colorize_heldout --run regression=RUN --run classification=RUN
--run unet=RUN``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import RESULTS, SHARED_DATA, print_table, record

PHOTOS_CSV = RESULTS / "colorize_heldout_photos.csv"


def _pairs(names: list[str]) -> list[tuple[str, str]]:
    pairs = [(n, "grey") for n in names]
    if "regression" in names:
        pairs += [(n, "regression") for n in names if n.startswith("classification")]
    if "unet" in names and "classification" in names:
        pairs.append(("unet", "classification"))
    pairs += [(a, b) for a in names for b in names if b.startswith(a + "_")]
    return pairs


def _accuracies(r: dict[str, Any]) -> dict[str, Any]:
    lab = r["labelled"]
    out = {}
    for k, c in r["correct"].items():
        out[k] = {"accuracy": round(float(c.mean()), 4),
                  "accuracy_labelled": round(float(c[lab].mean()), 4) if lab.any() else None,
                  "accuracy_pseudo": round(float(c[~lab].mean()), 4) if (~lab).any() else None,
                  "colourfulness": round(float(r["colourfulness"][k].mean()), 2)}
    return out


def _write_photos(r: dict[str, Any]) -> None:
    from oculi.core.atomic import write_text_atomic

    versions = list(r["correct"])
    lines = [",".join(["photo", "labelled", "label", *(f"top1_{v}" for v in versions),
                       *(f"colourfulness_{v}" for v in versions)])]
    for i, p in enumerate(r["photos"]):
        lines.append(",".join([_rel(p), str(int(r["labelled"][i])), str(int(r["label"][i])),
                               *(str(int(r["top1"][v][i])) for v in versions),
                               *(f"{r['colourfulness'][v][i]:.4f}" for v in versions)]))
    write_text_atomic(PHOTOS_CSV, "\n".join(lines) + "\n")


def _rel(path: str) -> str:
    return path.removeprefix(str(SHARED_DATA) + "/")


def _reuse(r: dict[str, Any], csv: Path, names: list[str]) -> None:
    """Add the versions ``names`` of an earlier run's per-photo CSV to ``r`` (same photos)."""
    import csv as csvlib

    with open(csv, newline="") as f:
        rows = {row["photo"]: row for row in csvlib.DictReader(f)}
    photos = [_rel(p) for p in r["photos"]]
    if sorted(photos) != sorted(rows) or any(
            int(rows[p]["label"]) != k for p, k in zip(photos, r["label"], strict=True)):
        raise SystemExit(f"{csv}: not the same photos and labels as this run")
    for v in names:
        top1 = np.array([int(rows[p][f"top1_{v}"]) for p in photos])
        r["top1"][v], r["correct"][v] = top1, top1 == r["label"]
        r["colourfulness"][v] = np.array([float(rows[p][f"colourfulness_{v}"]) for p in photos])


def evaluate(runs: dict[str, str], reuse: str | None = None,
             reused: dict[str, str] | None = None) -> None:
    from collections import Counter

    from oculi.colorize.heldout import HELDOUT_SETS, classifier_test, compare, heldout_photos

    photos = heldout_photos(SHARED_DATA)
    r = classifier_test(runs, photos)
    if reuse:
        _reuse(r, Path(reuse), list(reused))
        true = r["correct"].pop("true")  # keep the order grey, models, true
        r["correct"]["true"] = true
        runs = {**runs, **reused}
    acc = _accuracies(r)
    tests = []
    for a, b in _pairs(list(runs)):
        t = compare(r, a, b)
        tests.append({k: (round(v, 4) if isinstance(v, float) else
                          [round(x, 4) for x in v] if isinstance(v, list) else v)
                      for k, v in t.items()})
    print_table(["version", "accuracy", "labelled", "pseudo", "colourfulness"],
                [[k, v["accuracy"], v["accuracy_labelled"], v["accuracy_pseudo"],
                  v["colourfulness"]] for k, v in acc.items()])
    print_table(["a", "b", "acc a", "acc b", "a only", "b only", "McNemar p", "diff", "CI95"],
                [[t["a"], t["b"], t["accuracy_a"], t["accuracy_b"], t["a_only"], t["b_only"],
                  t["p"], t["difference"], str(t["ci95"])] for t in tests])
    _write_photos(r)
    record("colorize_heldout", {
        "data": "oculi.colorize.heldout.HELDOUT_SETS (shared data, never trained on)",
        "sets": [s[0] for s in HELDOUT_SETS], "n": len(r["photos"]),
        "n_labelled": int(r["labelled"].sum()), "per_set": dict(Counter(r["groups"])),
        "skipped": {k.removeprefix(str(SHARED_DATA) + "/"): v for k, v in r["skipped"].items()},
        "classifier": "efficientnet_lite0 (ImageNet, oculi registry)", "size": 224,
        "runs": runs, "versions": acc, "tests": tests,
        "note": "label: ImageNet class where one exists (hymenoptera val), else the classifier's "
                "top-1 on the true-colour photo; McNemar exact, bootstrap 10,000 resamples"})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", action="append", required=True, help="NAME=RUN_FOLDER")
    p.add_argument("--reuse", help="the per-photo CSV of an earlier run: its versions named by "
                   "--reused are read from it, not computed again")
    p.add_argument("--reused", action="append", default=[], help="NAME=RUN_FOLDER (recorded)")
    a = p.parse_args()
    if not (SHARED_DATA / "hymenoptera").is_dir():
        print(f"skipped: {SHARED_DATA} has no held-out photos")
        return
    evaluate(dict(r.split("=", 1) for r in a.run), a.reuse,
             dict(r.split("=", 1) for r in a.reused))


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
