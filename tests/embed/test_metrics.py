"""Retrieval metrics against pytorch-metric-learning's AccuracyCalculator and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ShapeError
from oculi.embed.metrics import retrieval_metrics

pml_acc = pytest.importorskip("pytorch_metric_learning.utils.accuracy_calculator")


def _data(seed, n=300, classes=7, dim=8, noise=1.2):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    emb = rng.normal(size=(classes, dim))[labels] + noise * rng.normal(size=(n, dim))
    return emb.astype(np.float32), labels


@pytest.mark.parametrize("loo", [True, False])
def test_map_at_r_and_precision_equal_pml(loo):
    import torch

    emb, labels = _data(0)
    from pytorch_metric_learning.distances import LpDistance
    from pytorch_metric_learning.utils.inference import CustomKNN

    knn = CustomKNN(LpDistance(normalize_embeddings=False))
    calc = pml_acc.AccuracyCalculator(include=("precision_at_1", "mean_average_precision_at_r"),
                                      k="max_bin_count", knn_func=knn)
    if loo:
        ref = calc.get_accuracy(torch.tensor(emb), torch.tensor(labels), torch.tensor(emb),
                                torch.tensor(labels), ref_includes_query=True)
        ours = retrieval_metrics(emb, labels)
    else:
        q, g = slice(0, 100), slice(100, None)
        ref = calc.get_accuracy(torch.tensor(emb[q]), torch.tensor(labels[q]),
                                torch.tensor(emb[g]), torch.tensor(labels[g]),
                                ref_includes_query=False)
        ours = retrieval_metrics(emb[q], labels[q], emb[g], labels[g])
    assert 0.2 < ours["recall_at_1"] < 0.95  # neither trivial nor hopeless
    assert ours["recall_at_1"] == pytest.approx(ref["precision_at_1"], abs=1e-9)
    assert ours["map_at_r"] == pytest.approx(ref["mean_average_precision_at_r"], abs=1e-7)


def test_recall_at_k_and_knn_accuracy_brute_force():
    from sklearn.neighbors import KNeighborsClassifier

    emb, labels = _data(1)
    q, ql, g, gl = emb[:80], labels[:80], emb[80:], labels[80:]
    ours = retrieval_metrics(q, ql, g, gl, knn_k=5)
    d = ((q[:, None] - g[None]) ** 2).sum(-1)
    order = np.argsort(d, axis=1, kind="stable")
    for k in (1, 2, 4, 8):
        hit = (gl[order[:, :k]] == ql[:, None]).any(1)
        assert ours[f"recall_at_{k}"] == pytest.approx(hit.mean())
    assert ours["recall_at_1"] < ours["recall_at_8"]
    knn = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(g, gl)
    assert ours["knn_accuracy"] == pytest.approx((knn.predict(q) == ql).mean())


def test_lone_queries_left_out_and_shapes_checked():
    emb, labels = _data(2, n=60)
    labels[0] = 99  # a class with one item: no relevant neighbour, not scored
    assert retrieval_metrics(emb, labels)["queries"] == 59
    with pytest.raises(ShapeError):
        retrieval_metrics(emb, labels[:-1])
    with pytest.raises(ShapeError, match="gallery"):
        retrieval_metrics(emb[:5], labels[:5], ks=(1, 8))
