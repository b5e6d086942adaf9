"""Activity recognition on real clips: the motion-history baseline, group-wise cross-validation.

Weizmann silhouettes (``../shared/data/action_weizmann``, 63 clips, 10 actions, 6 actors):
leave-one-actor-out — train on 5 actors, test on the 6th, rotate. The ud810 arm clips
(``action_arms``, 18 RGB clips, 3 gestures, 2 persons): leave-one-person-out. Each clip is decoded
once and its 14 MEI/MHI Hu features computed once; every fold refits the classifier (k-NN in numpy,
or scikit-learn's SVC when installed). Accuracy pools the predictions of all folds; mean class
accuracy is the mean recall. Learned models: bench/action_train.py (``--data arms --models
flow-profile``: the motion profile of the arm clips) and bench/action_nested.py (its settings
chosen by leave-one-take-out on the training person only), reported beside these lines.

Run: ``.venv/bin/python -m bench.action``
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

from bench._common import SHARED_DATA, print_table, record
from oculi.action import MotionHistoryClassifier, clip_dataset, leave_group_out_scores, read_clips
from oculi.core.timing import pin_threads

#: (data set, group column, variant name, classifier options)
RUNS = (
    ("action_weizmann", "actor", "silhouette", {"source": "silhouette"}),
    ("action_weizmann", "actor", "silhouette-difference",
     {"source": "difference", "threshold": 0.5, "blur": 0, "open_size": 0}),
    ("action_arms", "person", "frame-difference", {}),
)


def _run_set(name: str, group: str, variants: list[tuple[str, dict[str, Any]]]) -> list[dict]:
    start = time.perf_counter()
    clips, ds = read_clips(clip_dataset(SHARED_DATA / name, group=group))
    decode_s = time.perf_counter() - start
    labels = [it.label for it in ds]
    classifiers = ["knn"] + (["svm"] if importlib.util.find_spec("sklearn") else [])
    rows = []
    for variant, options in variants:
        for classifier in classifiers:
            model = MotionHistoryClassifier(classifier=classifier, **options)
            t0 = time.perf_counter()
            features = model.features_of(clips)
            feature_s = time.perf_counter() - t0
            s = leave_group_out_scores(model, features, labels, ds.groups)
            rows.append({"data": name, "protocol": f"leave-one-{group}-out", "variant": variant,
                         "classifier": classifier, "accuracy": s["accuracy"],
                         "mean_class_accuracy": s["mean_class_accuracy"],
                         "folds": {f["group"]: f["accuracy"] for f in s["folds"]},
                         "confusion": s["confusion"], "classes": s["classes"], "clips": len(ds),
                         "skipped": len(ds.bad), "decode_s": decode_s, "feature_s": feature_s,
                         "fit_s": s["fit_s"]})
    return rows


def main() -> None:
    pin_threads()
    sets: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
    for name, group, variant, options in RUNS:
        sets.setdefault((name, group), []).append((variant, options))
    rows: list[dict] = []
    for (name, group), variants in sets.items():
        if not (SHARED_DATA / name).is_dir():
            print(f"skip {name}: not found under {SHARED_DATA}")
            continue
        rows.extend(_run_set(name, group, variants))
    if not rows:
        return
    print_table(["data", "variant", "classifier", "accuracy", "mean class acc", "features s",
                 "fit s"],
                [[r["data"], r["variant"], r["classifier"], r["accuracy"],
                  r["mean_class_accuracy"], r["feature_s"], r["fit_s"]] for r in rows])
    print("results:", record("action", {"bench": "motion_history_baseline", "runs": rows}))


if __name__ == "__main__":
    main()
