"""Scores of a clip classifier: accuracy, mean class accuracy, confusion matrix, group folds.

    >>> s = classification_scores(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b"])
    >>> s["accuracy"], s["mean_class_accuracy"], s["confusion"]
    (0.75, 0.75, [[1, 1], [0, 2]])
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from oculi.action.splits import leave_one_group_out
from oculi.core.errors import DataError


class FeatureClassifier(Protocol):
    def fit_features(self, features: np.ndarray, labels: np.ndarray) -> Any: ...
    def predict_features(self, features: np.ndarray) -> np.ndarray: ...


def classification_scores(y_true: Sequence[object] | np.ndarray,
                          y_pred: Sequence[object] | np.ndarray,
                          classes: Sequence[object] | None = None) -> dict[str, Any]:
    """Top-1 accuracy, mean class accuracy and the confusion matrix.

    Args:
        y_true, y_pred: ``(N,)`` labels.
        classes: the class order of the matrix (default: the sorted labels of both).

    Returns:
        ``accuracy`` and ``mean_class_accuracy`` (mean recall over the classes present in
        ``y_true``) as floats in [0, 1], ``confusion`` (C x C ints; row = true, column =
        predicted), ``classes`` and ``n``.
    """
    t, p = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    if t.shape != p.shape or t.ndim != 1 or len(t) == 0:
        raise DataError(f"y_true, y_pred: expected two (N,) arrays with N > 0, got {t.shape} "
                        f"and {p.shape}")
    names = list(classes) if classes is not None else sorted(set(t) | set(p), key=str)
    lookup = {c: i for i, c in enumerate(names)}
    unknown = (set(t) | set(p)) - set(lookup)
    if unknown:
        raise DataError(f"classes: labels {sorted(map(str, unknown))} are not among {names}")
    conf = np.zeros((len(names), len(names)), dtype=np.int64)
    np.add.at(conf, ([lookup[x] for x in t], [lookup[x] for x in p]), 1)
    support = conf.sum(axis=1)
    present = support > 0
    recall = np.diag(conf)[present] / support[present]
    return {"accuracy": float(np.trace(conf) / len(t)),
            "mean_class_accuracy": float(recall.mean()),
            "confusion": conf.tolist(), "classes": [str(c) for c in names], "n": len(t)}


def leave_group_out_scores(model: FeatureClassifier, features: np.ndarray,
                           labels: Sequence[object] | np.ndarray,
                           groups: Sequence[object] | np.ndarray) -> dict[str, Any]:
    """Leave-one-group-out evaluation on precomputed features.

    Each group is held out in turn; ``model`` is fitted on the rest and predicts it. The scores
    pool the predictions of all folds.

    Args:
        model: anything with ``fit_features`` / ``predict_features`` (e.g.
            :class:`~oculi.action.MotionHistoryClassifier`); refitted for every fold.
        features: ``(N, D)`` features, one row per clip.
        labels: ``(N,)`` class labels.
        groups: ``(N,)`` group values (actor, person).

    Returns:
        :func:`classification_scores` of the pooled predictions, plus ``folds``: per held-out
        group its ``accuracy`` and ``n``, and ``fit_s`` (seconds of fitting, summed).
    """
    x = np.asarray(features)
    y = np.asarray(labels, dtype=object)
    pred = np.empty(len(y), dtype=object)
    folds, fit_s = [], 0.0
    for group, train, test in leave_one_group_out(groups):
        start = time.perf_counter()
        model.fit_features(x[train], y[train])
        fit_s += time.perf_counter() - start
        pred[test] = model.predict_features(x[test])
        folds.append({"group": group, "n": len(test),
                      "accuracy": float(np.mean(pred[test] == y[test]))})
    scores = classification_scores(y, pred, sorted(set(y), key=str))
    return {**scores, "folds": folds, "fit_s": fit_s}
