"""Instance-segmentation metrics: one-to-one matching by IoU, F1, the DSB 2018 score, PQ.

Inputs are *label images*: integer HxW arrays where 0 is background and every object carries its
own id (ids need not be contiguous, e.g. ``{0, 3, 17}``; an id may cover several blobs — it is one
object). Overlaps of all true/predicted pairs come from one contingency table (a ``bincount`` over
the pixels' joint ids, kept sparse), so no loop runs over pixels or over pairs of objects.

Matching at a threshold ``t``: a true object and a predicted object are a pair candidate when their
IoU is **above** ``t`` (strictly). For ``t >= 0.5`` each object has at most one candidate (two
predictions cannot both cover more than half of one union), so the candidates are the matches. Below
0.5 the one-to-one assignment maximises the number of matches, then their summed IoU
(``scipy.optimize.linear_sum_assignment`` on the candidate sub-matrix). Then

* ``TP`` = matches, ``FP`` = unmatched predictions, ``FN`` = unmatched true objects;
* ``precision = TP/(TP+FP)``, ``recall = TP/(TP+FN)``, ``F1 = 2TP/(2TP+FP+FN)``;
* ``mean_iou`` = mean IoU of the matches (= SQ, the segmentation quality);
* ``PQ = Σ IoU(matches) / (TP + FP/2 + FN/2) = SQ x RQ`` with ``RQ = F1`` (Kirillov et al., 2019;
  PQ's own threshold is 0.5);
* the Data Science Bowl 2018 score of an image: the mean over ``t = 0.50, 0.55, ..., 0.95`` of
  ``TP/(TP+FP+FN)``; over a dataset, the mean of the per-image scores (the competition's rule).

    >>> import numpy as np
    >>> true = np.array([[1, 1, 0, 2, 2]])
    >>> pred = np.array([[5, 5, 0, 0, 7]])          # object 2 only half found (IoU 0.5)
    >>> m = match_instances(true, pred, 0.5)
    >>> m.tp, m.fp, m.fn, round(m.f1, 3)
    (1, 1, 1, 0.5)
    >>> round(dsb_score(true, pred), 3)              # 1/3 at every threshold
    0.333

Edge cases: an image with no true and no predicted objects scores nothing (it is left out of the
DSB mean, adds no counts); an empty prediction gives ``TP = FP = 0`` (precision is NaN, recall 0);
an empty truth gives ``TP = FN = 0`` (recall NaN, precision 0). Streaming over a dataset:
:class:`InstanceMetrics` adds the counts image by image (micro averages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from oculi.core.errors import DTypeError, ShapeError, ValueRangeError

#: The Data Science Bowl 2018 IoU thresholds 0.50, 0.55, ..., 0.95.
DSB_THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


def _check_labels(labels: Any, name: str) -> np.ndarray:
    a = np.asarray(labels)
    if a.dtype == bool or not np.issubdtype(a.dtype, np.integer):
        raise DTypeError(
            f"{name}: expected an integer label image (0 = background, one id per object), got "
            f"{a.dtype} — label a binary mask first, e.g. with oculi.segment.label_components"
        )
    if a.size and int(a.min()) < 0:
        raise ValueRangeError(f"{name}: ids must be >= 0, found {int(a.min())}")
    return a


@dataclass
class Overlaps:
    """Pairwise overlaps of the objects of two label images.

    Attributes:
        true_ids: ``(T,)`` ids of the true objects (sorted, background excluded).
        pred_ids: ``(P,)`` ids of the predicted objects.
        true_area: ``(T,)`` int64 pixel counts; ``pred_area``: ``(P,)``.
        pairs: ``(K, 2)`` int64 indices ``(i, j)`` into ``true_ids`` / ``pred_ids`` of every pair
            that shares at least one pixel.
        intersection: ``(K,)`` int64 shared pixels of each pair; ``iou``: ``(K,)`` float64.
    """

    true_ids: np.ndarray
    pred_ids: np.ndarray
    true_area: np.ndarray
    pred_area: np.ndarray
    pairs: np.ndarray
    intersection: np.ndarray
    iou: np.ndarray

    def iou_matrix(self) -> sparse.csr_matrix:
        """``(T, P)`` sparse IoU matrix (zero where objects do not touch)."""
        t, p = len(self.true_ids), len(self.pred_ids)
        return sparse.csr_matrix((self.iou, (self.pairs[:, 0], self.pairs[:, 1])), shape=(t, p))


def instance_overlaps(true: np.ndarray, pred: np.ndarray) -> Overlaps:
    """Areas, intersections and IoUs of all overlapping (true, predicted) object pairs.

    Args:
        true, pred: HxW (or any equal shape) integer label images, 0 = background.

    Raises:
        ShapeError: the shapes differ. DTypeError: not integer arrays. ValueRangeError: ids < 0.
    """
    t = _check_labels(true, "true")
    p = _check_labels(pred, "pred")
    if t.shape != p.shape:
        raise ShapeError(
            f"pred: expected the shape of true {t.shape}, got {p.shape} — resize the prediction"
        )
    t_ids, t_inv = np.unique(t.ravel(), return_inverse=True)
    p_ids, p_inv = np.unique(p.ravel(), return_inverse=True)
    # index 0 is background only when id 0 occurs; shift so that background is always index 0
    t_off = 0 if (t_ids.size and t_ids[0] == 0) else 1
    p_off = 0 if (p_ids.size and p_ids[0] == 0) else 1
    ti = t_inv.ravel().astype(np.int64) + t_off
    pj = p_inv.ravel().astype(np.int64) + p_off
    nt, npr = t_ids.size + t_off, p_ids.size + p_off
    table = sparse.coo_matrix(
        (np.ones(ti.size, np.int64), (ti, pj)), shape=(nt, npr)
    ).tocsr()  # duplicates summed: the contingency table
    table.sum_duplicates()
    true_area = np.asarray(table.sum(1)).ravel()[1:]
    pred_area = np.asarray(table.sum(0)).ravel()[1:]
    coo = table[1:, 1:].tocoo()
    i, j, inter = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.int64)
    keep = inter > 0
    i, j, inter = i[keep], j[keep], inter[keep]
    iou = inter / (true_area[i] + pred_area[j] - inter)
    return Overlaps(
        true_ids=t_ids[t_ids != 0] if t_off == 0 else t_ids,
        pred_ids=p_ids[p_ids != 0] if p_off == 0 else p_ids,
        true_area=true_area.astype(np.int64),
        pred_area=pred_area.astype(np.int64),
        pairs=np.stack([i, j], 1) if i.size else np.zeros((0, 2), np.int64),
        intersection=inter,
        iou=iou.astype(np.float64),
    )


@dataclass
class InstanceMatch:
    """The one-to-one matching of two label images at one IoU threshold.

    Attributes:
        threshold: IoU a match must exceed.
        true_ids, pred_ids: ``(TP,)`` ids of the matched objects, pairwise.
        ious: ``(TP,)`` float64 IoU of each match.
        n_true, n_pred: objects in the truth and in the prediction.
    """

    threshold: float
    true_ids: np.ndarray
    pred_ids: np.ndarray
    ious: np.ndarray
    n_true: int
    n_pred: int

    @property
    def tp(self) -> int:
        return int(self.ious.size)

    @property
    def fp(self) -> int:
        return self.n_pred - self.tp

    @property
    def fn(self) -> int:
        return self.n_true - self.tp

    @property
    def precision(self) -> float:
        return self.tp / self.n_pred if self.n_pred else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / self.n_true if self.n_true else float("nan")

    @property
    def f1(self) -> float:
        den = self.n_true + self.n_pred
        return 2 * self.tp / den if den else float("nan")

    @property
    def mean_iou(self) -> float:
        """Mean IoU of the matches (SQ); NaN without matches."""
        return float(self.ious.mean()) if self.tp else float("nan")

    @property
    def pq(self) -> float:
        """Panoptic quality ``Σ IoU / (TP + FP/2 + FN/2)``."""
        den = self.tp + 0.5 * (self.fp + self.fn)
        return float(self.ious.sum() / den) if den else float("nan")

    @property
    def accuracy(self) -> float:
        """``TP / (TP + FP + FN)``, the DSB 2018 per-threshold score."""
        den = self.tp + self.fp + self.fn
        return self.tp / den if den else float("nan")


def _match(ov: Overlaps, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (into true_ids, pred_ids) and IoUs of the matches at ``threshold``."""
    cand = ov.iou > threshold
    i, j, iou = ov.pairs[cand, 0], ov.pairs[cand, 1], ov.iou[cand]
    if threshold >= 0.5 or iou.size == 0:
        return i, j, iou
    from scipy.optimize import linear_sum_assignment

    rows, r_inv = np.unique(i, return_inverse=True)
    cols, c_inv = np.unique(j, return_inverse=True)
    # weight = big + IoU: any extra match outweighs every IoU sum (at most min(T, P) < big)
    big = float(min(rows.size, cols.size) + 1)
    w = np.zeros((rows.size, cols.size))
    w[r_inv, c_inv] = big + iou
    r, c = linear_sum_assignment(w, maximize=True)
    ok = w[r, c] > 0
    r, c = r[ok], c[ok]
    return rows[r], cols[c], w[r, c] - big


def match_instances(true: np.ndarray, pred: np.ndarray, threshold: float = 0.5) -> InstanceMatch:
    """Match predicted to true objects one to one by IoU above ``threshold``.

    Args:
        true, pred: integer label images of one shape (0 = background).
        threshold: IoU in [0, 1) a match must exceed.

    Returns:
        An :class:`InstanceMatch` (TP/FP/FN, precision, recall, F1, mean matched IoU, PQ).
    """
    _check_threshold(threshold)
    return _match_from(instance_overlaps(true, pred), threshold)


def _match_from(ov: Overlaps, threshold: float) -> InstanceMatch:
    i, j, iou = _match(ov, threshold)
    return InstanceMatch(
        threshold=float(threshold),
        true_ids=ov.true_ids[i],
        pred_ids=ov.pred_ids[j],
        ious=iou,
        n_true=len(ov.true_ids),
        n_pred=len(ov.pred_ids),
    )


def _is_dsb(t: float) -> bool:
    return any(abs(t - d) < 1e-6 for d in DSB_THRESHOLDS)


def _check_threshold(t: float) -> None:
    if not 0 <= t < 1:
        raise ValueRangeError(f"threshold: expected an IoU in [0, 1), got {t}")


def dsb_score(
    true: np.ndarray, pred: np.ndarray, thresholds: tuple[float, ...] = DSB_THRESHOLDS
) -> float:
    """The Data Science Bowl 2018 score of one image: mean over ``thresholds`` of
    ``TP/(TP+FP+FN)``, in [0, 1]; NaN when neither image has an object."""
    ov = instance_overlaps(true, pred)
    if not len(ov.true_ids) and not len(ov.pred_ids):
        return float("nan")
    return float(np.mean([_match_from(ov, t).accuracy for t in thresholds]))


def panoptic_quality(
    true: np.ndarray, pred: np.ndarray, threshold: float = 0.5
) -> dict[str, float]:
    """Panoptic quality of one image for one class: ``{"pq", "sq", "rq"}`` (``pq = sq * rq``;
    NaN where undefined)."""
    m = match_instances(true, pred, threshold)
    return {"pq": m.pq, "sq": m.mean_iou, "rq": m.f1}


class InstanceMetrics:
    """Instance metrics accumulated image by image (counts summed: micro averages).

    Args:
        threshold: the IoU threshold of the headline numbers (0.5).
        thresholds: further thresholds to report in ``per_threshold``; counts are always kept at
            the DSB thresholds 0.50..0.95 as well.

    ``compute()`` returns, at ``threshold``: ``tp``, ``fp``, ``fn``, ``precision``, ``recall``,
    ``f1``, ``mean_iou`` (= ``sq``), ``pq``, ``rq``; ``dsb`` (mean over images of the per-image DSB
    score; images without objects left out), ``dsb_pooled`` (``TP/(TP+FP+FN)`` of the counts
    pooled over images, averaged over the DSB thresholds), ``per_threshold`` (a list of
    ``{"threshold", "tp", "fp", "fn", "precision", "recall", "f1", "accuracy", "mean_iou",
    "pq"}``), and the ``images`` / ``true_objects`` / ``pred_objects`` counts.

        >>> import numpy as np
        >>> im = InstanceMetrics()
        >>> im.update(np.array([[1, 1, 0, 2]]), np.array([[4, 4, 0, 0]]))
        >>> r = im.compute()
        >>> r["tp"], r["fn"], round(r["f1"], 4)
        (1, 1, 0.6667)
    """

    def __init__(self, threshold: float = 0.5, *, thresholds: tuple[float, ...] = ()) -> None:
        for t in (threshold, *thresholds):
            _check_threshold(t)
        every = {round(float(t), 6) for t in (*DSB_THRESHOLDS, threshold, *thresholds)}
        self.thresholds = tuple(sorted(every))
        self._dsb = np.array([_is_dsb(t) for t in self.thresholds])
        self.threshold = float(threshold)
        self.reset()

    def reset(self) -> None:
        k = len(self.thresholds)
        self.tp = np.zeros(k, np.int64)
        self.iou_sum = np.zeros(k, np.float64)
        self.n_true = 0
        self.n_pred = 0
        self.images = 0
        self.dsb_scores: list[float] = []

    def update(self, true: np.ndarray, pred: np.ndarray) -> None:
        """Add one image (HxW label images) or a batch (``(N, H, W)``, image by image)."""
        t, p = np.asarray(true), np.asarray(pred)
        if t.ndim == 3 and p.ndim == 3:
            for a, b in zip(t, p, strict=True):
                self.update(a, b)
            return
        ov = instance_overlaps(t, p)
        self.images += 1
        self.n_true += len(ov.true_ids)
        self.n_pred += len(ov.pred_ids)
        acc = []
        for k, thr in enumerate(self.thresholds):
            m = _match_from(ov, thr)
            self.tp[k] += m.tp
            self.iou_sum[k] += float(m.ious.sum())
            if self._dsb[k]:
                acc.append(m.accuracy)
        if len(ov.true_ids) or len(ov.pred_ids):
            self.dsb_scores.append(float(np.mean(acc)))

    def _row(self, k: int) -> dict[str, Any]:
        tp = int(self.tp[k])
        fp, fn = self.n_pred - tp, self.n_true - tp
        nan = float("nan")
        return {
            "threshold": self.thresholds[k],
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": tp / self.n_pred if self.n_pred else nan,
            "recall": tp / self.n_true if self.n_true else nan,
            "f1": 2 * tp / (self.n_true + self.n_pred) if self.n_true + self.n_pred else nan,
            "accuracy": tp / (tp + fp + fn) if tp + fp + fn else nan,
            "mean_iou": float(self.iou_sum[k] / tp) if tp else nan,
            "pq": float(self.iou_sum[k] / (tp + 0.5 * (fp + fn))) if tp + fp + fn else nan,
        }

    def compute(self) -> dict[str, Any]:
        rows = [self._row(k) for k in range(len(self.thresholds))]
        head = next(r for r in rows if abs(r["threshold"] - self.threshold) < 1e-6)
        dsb_rows = [r["accuracy"] for r, d in zip(rows, self._dsb, strict=True) if d]
        return {
            **{k: head[k] for k in ("tp", "fp", "fn", "precision", "recall", "f1", "mean_iou")},
            "pq": head["pq"],
            "sq": head["mean_iou"],
            "rq": head["f1"],
            "threshold": self.threshold,
            "dsb": float(np.mean(self.dsb_scores)) if self.dsb_scores else float("nan"),
            "dsb_pooled": float(np.mean(dsb_rows)) if dsb_rows else float("nan"),
            "per_threshold": rows,
            "images": self.images,
            "true_objects": self.n_true,
            "pred_objects": self.n_pred,
        }
