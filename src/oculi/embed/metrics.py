"""Retrieval metrics of an embedding: recall@k, mAP@R and k-NN accuracy.

Queries are matched against a gallery by Euclidean distance; with no separate gallery every
item is a query against all the others (leave-one-out). A query's relevant items are the
gallery items of its class; queries whose class has no item in the gallery (besides
themselves) are left out, as pytorch-metric-learning's ``AccuracyCalculator`` does.

* recall@k: the fraction of queries with at least one relevant item among their k nearest
  (the metric-learning "Recall@K" of Song et al. 2016; recall@1 = precision@1).
* mAP@R (Musgrave et al. 2020, "A metric learning reality check"): with R the number of
  relevant items, the mean over queries of (1/R) * sum_{i<=R} P(i) * rel(i), where P(i) is the
  precision among the i nearest and rel(i) is 1 when the i-th nearest is relevant.
* k-NN accuracy: the majority label of the k nearest is the query's (ties: the smallest label).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from oculi.core.errors import ShapeError

#: the recall@k values reported
RECALL_KS = (1, 2, 4, 8)


def _as_tensor(x: np.ndarray | torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x).to(dtype)


def nearest(query: torch.Tensor, gallery: torch.Tensor, k: int, *, exclude_self: bool,
            chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances and indices ``(Q, k)`` of each query's ``k`` nearest gallery rows (ascending);
    ``exclude_self`` drops gallery row i for query i (query = gallery)."""
    dists, idx = [], []
    g2 = gallery.square().sum(1)
    for s in range(0, len(query), chunk):
        q = query[s:s + chunk]
        d = (q.square().sum(1, keepdim=True) + g2[None] - 2 * q @ gallery.T).clamp_min(0)
        if exclude_self:
            rows = torch.arange(len(q))
            d[rows, rows + s] = torch.inf
        v, i = d.topk(k, dim=1, largest=False)
        dists.append(v.sqrt())
        idx.append(i)
    return torch.cat(dists), torch.cat(idx)


def retrieval_metrics(query: np.ndarray | torch.Tensor, query_labels: np.ndarray | torch.Tensor,
                      gallery: np.ndarray | torch.Tensor | None = None,
                      gallery_labels: np.ndarray | torch.Tensor | None = None, *,
                      ks: Sequence[int] = RECALL_KS, knn_k: int = 5) -> dict[str, float]:
    """Recall@k, mAP@R and k-NN accuracy of ``query`` embeddings against ``gallery``.

    Args:
        query: ``(Q, D)`` float embeddings.
        query_labels: ``(Q,)`` int.
        gallery: ``(G, D)`` float, or None: the queries themselves, leave-one-out.
        gallery_labels: ``(G,)`` int (with ``gallery``).
        ks: the k of recall@k.
        knn_k: neighbours voting in the k-NN accuracy.

    Returns:
        ``recall_at_{k}`` for each k, ``map_at_r``, ``knn_accuracy`` (fractions in [0, 1]) and
        ``queries`` (the number scored).

    Raises:
        ShapeError: embeddings and labels of different lengths, or a gallery smaller than the
            largest k.
    """
    q = _as_tensor(query, torch.float64)
    ql = _as_tensor(query_labels, torch.int64)
    loo = gallery is None
    g = q if loo else _as_tensor(gallery, torch.float64)
    gl = ql if loo else _as_tensor(gallery_labels, torch.int64)
    if q.ndim != 2 or len(ql) != len(q) or g.ndim != 2 or len(gl) != len(g) or \
            g.shape[1] != q.shape[1]:
        raise ShapeError(f"embeddings/labels: expected (Q, D)/(Q,) and (G, D)/(G,), got "
                         f"{tuple(q.shape)}/{tuple(ql.shape)} and {tuple(g.shape)}/"
                         f"{tuple(gl.shape)}")
    classes, counts = torch.unique(gl, return_counts=True)
    count_of = dict(zip(classes.tolist(), counts.tolist(), strict=True))
    r = torch.tensor([count_of.get(c, 0) for c in ql.tolist()]) - (1 if loo else 0)
    kmax = max(max(ks), knn_k, int(r.max()) if len(r) else 1)
    available = len(g) - (1 if loo else 0)
    if available < max(max(ks), knn_k):
        raise ShapeError(f"gallery: {available} item(s), fewer than k = {max(max(ks), knn_k)}")
    _, idx = nearest(q, g, min(kmax, available), exclude_self=loo)
    rel = gl[idx] == ql[:, None]
    scored = r > 0
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall_at_{k}"] = float(rel[:, :k].any(1)[scored].double().mean())
    ranks = torch.arange(1, rel.shape[1] + 1, dtype=torch.float64)
    within_r = ranks[None] <= r[:, None]
    prec = rel.double().cumsum(1) / ranks[None]
    ap = (prec * rel * within_r).sum(1) / r.clamp_min(1)
    out["map_at_r"] = float(ap[scored].mean())
    votes = gl[idx[:, :knn_k]]
    n_labels = int(max(gl.max(), ql.max())) + 1
    tally = torch.zeros(len(q), n_labels).scatter_add_(1, votes, torch.ones(votes.shape))
    out["knn_accuracy"] = float((tally.argmax(1) == ql).double().mean())
    out["queries"] = float(scored.sum())
    return out


__all__ = ["RECALL_KS", "nearest", "retrieval_metrics"]
