"""Multi-object tracking metrics: CLEAR MOT, the ID measures and HOTA, written in oculi.

* **CLEAR MOT** (Bernardin & Stiefelhagen 2008): per frame, a ground-truth object keeps the track
  it was matched to last if they still overlap by ``iou_threshold``; the others are assigned by a
  maximum-cardinality, minimum-distance (``1 - IoU``) Hungarian matching. A match to another track
  than the object's last one is an identity switch (IDSW). ``MOTA = 1 - (FN + FP + IDSW) / GT``.
  **MOTP here is the mean IoU of the matches** (higher is better; MOTChallenge's and TrackEval's
  convention); motmetrics reports the mean *distance* ``1 - IoU``, i.e. ``1 - motp``.
* **ID measures** (Ristani et al. 2016): IDTP is the best global one-to-one matching of
  trajectories, counting the frames where a matched pair overlaps by ``iou_threshold``;
  ``IDF1 = 2 IDTP / (GT + predictions)``.
* **HOTA** (Luiten et al. 2021): per frame, detections are matched by the Hungarian algorithm on
  ``IoU x global alignment`` (the association-aware score), then for each ``alpha`` in 0.05, 0.10,
  ..., 0.95 the matches with IoU >= alpha count as TP; ``DetA = TP / (TP + FN + FP)``,
  ``AssA`` = mean over TPs of the TP's trajectory-pair Jaccard, ``HOTA(alpha) = sqrt(DetA AssA)``
  and HOTA, DetA, AssA are the means over the 19 thresholds.

The counting follows motmetrics (CLEAR, ID measures) and TrackEval (HOTA): the tests compare
each number with those libraries to 1e-3. TrackEval's own CLEAR differs in one rule: it favours
only the pairs matched in the *previous frame*, where motmetrics (and oculi) keep an object's last
track even across frames in which the object was missed — so after a missed frame TrackEval may
count a switch that motmetrics does not (MOTA differs by a few 1e-3 in such cases).
:func:`motchallenge_filter` applies MOTChallenge's ground-truth rules before scoring
(pedestrians with ``consider = 1``; predictions that match a distractor are dropped).

    >>> import numpy as np
    >>> from oculi.track.mot_io import MOTRows
    >>> box = [0.0, 0.0, 10.0, 20.0]
    >>> gt = MOTRows(frames=[1, 2, 3], ids=[1, 1, 1], boxes=[box] * 3)
    >>> pred = MOTRows(frames=[1, 2, 3], ids=[7, 7, 8], boxes=[box] * 3)  # id changes in frame 3
    >>> m = evaluate_mot(gt, pred)
    >>> m.idsw, round(m.mota, 4), round(m.idf1, 4)
    (1, 0.6667, 0.6667)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from oculi.core.errors import DataError, ParameterError
from oculi.track.mot_io import MOTRows

__all__ = [
    "DISTRACTOR_CLASSES",
    "HOTA_ALPHAS",
    "MOTMetrics",
    "evaluate_mot",
    "iou_matrix",
    "motchallenge_filter",
]

#: MOTChallenge ground-truth classes whose matched predictions are ignored (MOT16/17): person on
#: vehicle, static person, distractor, reflection
DISTRACTOR_CLASSES = (2, 7, 8, 12)
#: the class MOTChallenge evaluates
PEDESTRIAN = 1
#: HOTA's localisation thresholds: 0.05, 0.10, ..., 0.95
HOTA_ALPHAS = np.arange(0.05, 0.99, 0.05)  # built as TrackEval builds them (same float values)
_EPS = np.finfo(float).eps


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every pair of boxes.

    Args:
        a: ``(N, 4)`` ``xyxy`` pixels.
        b: ``(M, 4)`` ``xyxy`` pixels.

    Returns:
        ``(N, M)`` float64 IoU in [0, 1] (0 for a pair whose union is empty).
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def motchallenge_filter(gt: MOTRows, results: MOTRows, *, iou_threshold: float = 0.5,
                        distractors: Sequence[int] = DISTRACTOR_CLASSES,
                        keep_class: int = PEDESTRIAN) -> tuple[MOTRows, MOTRows]:
    """MOTChallenge's evaluation rules (MOT16/17, as the official TrackEval applies them).

    Per frame, predictions are matched one-to-one to *all* ground-truth boxes (any class, any
    ``consider`` flag) by the Hungarian algorithm maximising the summed IoU over pairs with
    IoU >= ``iou_threshold``; a prediction matched to a distractor (classes 2, 7, 8, 12) is
    removed: it is neither a true nor a false positive. Then only ground truth of class
    ``keep_class`` (pedestrian) with ``consider`` = 1 is kept.

    Args:
        gt: ground truth with ``scores`` = the consider flag and ``classes``.
        results: tracker output.
        iou_threshold: overlap for the distractor matching.
        distractors: the ignored classes.
        keep_class: the evaluated class.

    Returns:
        ``(gt_kept, results_kept)``.
    """
    gt_by = dict(gt.by_frame())
    keep = np.ones(len(results), dtype=bool)
    row_index = np.arange(len(results))
    order = np.argsort(results.frames, kind="stable")
    frames_sorted = results.frames[order]
    for t in np.unique(results.frames).tolist():
        g = gt_by.get(t)
        if g is None or len(g) == 0:
            continue
        idx = row_index[order[np.searchsorted(frames_sorted, t):
                              np.searchsorted(frames_sorted, t, side="right")]]
        sim = iou_matrix(g.boxes, results.boxes[idx])
        sim[sim < iou_threshold - _EPS] = 0.0
        rows, cols = linear_sum_assignment(-sim)
        ok = sim[rows, cols] > _EPS
        rows, cols = rows[ok], cols[ok]
        keep[idx[cols[np.isin(g.classes[rows], distractors)]]] = False
    gt_kept = gt.select((gt.scores != 0) & (gt.classes == keep_class))
    return gt_kept, results.select(keep)


@dataclass
class MOTMetrics:
    """Counts of one sequence (or several, :meth:`combine`) and the metrics derived from them.

    Attributes:
        num_frames: frames scored.
        num_gt: ground-truth boxes.
        num_pred: predicted boxes.
        num_gt_ids: ground-truth trajectories.
        num_pred_ids: predicted trajectories.
        tp: CLEAR matches (switches included).
        fp: predictions not matched.
        fn: ground-truth boxes not matched.
        idsw: identity switches.
        iou_sum: summed IoU of the CLEAR matches.
        mt: trajectories matched in >= 80 % of their frames (mostly tracked).
        pt: trajectories matched in 20–80 % (partially tracked).
        ml: trajectories matched in < 20 % (mostly lost).
        idtp: ID true positives (frames of the globally matched trajectory pairs).
        hota_tp: ``(19,)`` HOTA true positives per alpha of :data:`HOTA_ALPHAS`.
        hota_fn: ``(19,)`` HOTA false negatives.
        hota_fp: ``(19,)`` HOTA false positives.
        hota_ass: ``(19,)`` sum over the TPs of their association Jaccard (AssA x TP).
        hota_loc: ``(19,)`` summed IoU of the HOTA TPs.
    """

    num_frames: int = 0
    num_gt: int = 0
    num_pred: int = 0
    num_gt_ids: int = 0
    num_pred_ids: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    idsw: int = 0
    iou_sum: float = 0.0
    mt: int = 0
    pt: int = 0
    ml: int = 0
    idtp: int = 0
    hota_tp: np.ndarray = field(default_factory=lambda: np.zeros(len(HOTA_ALPHAS)))
    hota_fn: np.ndarray = field(default_factory=lambda: np.zeros(len(HOTA_ALPHAS)))
    hota_fp: np.ndarray = field(default_factory=lambda: np.zeros(len(HOTA_ALPHAS)))
    hota_ass: np.ndarray = field(default_factory=lambda: np.zeros(len(HOTA_ALPHAS)))
    hota_loc: np.ndarray = field(default_factory=lambda: np.zeros(len(HOTA_ALPHAS)))

    @property
    def mota(self) -> float:
        """``1 - (FN + FP + IDSW) / GT``, at most 1 and possibly negative (without ground
        truth: 1 when there is no error, else -inf, as motmetrics)."""
        errors = self.fn + self.fp + self.idsw
        return 1.0 - errors / self.num_gt if self.num_gt else (1.0 if errors == 0 else -np.inf)

    @property
    def motp(self) -> float:
        """Mean IoU of the CLEAR matches, in [0, 1] (1 - motmetrics' ``motp``); NaN without
        matches."""
        return self.iou_sum / self.tp if self.tp else float("nan")

    @property
    def recall(self) -> float:
        """CLEAR matches / ground-truth boxes."""
        return self.tp / self.num_gt if self.num_gt else float("nan")

    @property
    def precision(self) -> float:
        """CLEAR matches / predicted boxes."""
        return self.tp / self.num_pred if self.num_pred else float("nan")

    @property
    def idf1(self) -> float:
        """``2 IDTP / (GT + predictions)`` in [0, 1]."""
        total = self.num_gt + self.num_pred
        return 2 * self.idtp / total if total else 1.0

    @property
    def idp(self) -> float:
        """ID precision ``IDTP / predictions``."""
        return self.idtp / self.num_pred if self.num_pred else float("nan")

    @property
    def idr(self) -> float:
        """ID recall ``IDTP / GT``."""
        return self.idtp / self.num_gt if self.num_gt else float("nan")

    @property
    def deta_alpha(self) -> np.ndarray:
        """``(19,)`` DetA per alpha."""
        return self.hota_tp / np.maximum(1.0, self.hota_tp + self.hota_fn + self.hota_fp)

    @property
    def assa_alpha(self) -> np.ndarray:
        """``(19,)`` AssA per alpha."""
        return self.hota_ass / np.maximum(1.0, self.hota_tp)

    @property
    def hota_alpha(self) -> np.ndarray:
        """``(19,)`` HOTA per alpha."""
        return np.sqrt(self.deta_alpha * self.assa_alpha)

    @property
    def hota(self) -> float:
        """HOTA, the mean over alpha of ``sqrt(DetA AssA)``, in [0, 1]."""
        return float(self.hota_alpha.mean())

    @property
    def deta(self) -> float:
        """Detection accuracy, mean over alpha."""
        return float(self.deta_alpha.mean())

    @property
    def assa(self) -> float:
        """Association accuracy, mean over alpha."""
        return float(self.assa_alpha.mean())

    @property
    def loca(self) -> float:
        """Localisation accuracy (mean IoU of the HOTA TPs), mean over alpha."""
        return float((np.maximum(1e-10, self.hota_loc) / np.maximum(1e-10, self.hota_tp)).mean())

    def summary(self) -> dict[str, float]:
        """The headline numbers: MOTA, MOTP, IDF1, HOTA, DetA, AssA, counts."""
        return {"MOTA": self.mota, "MOTP": self.motp, "IDF1": self.idf1, "HOTA": self.hota,
                "DetA": self.deta, "AssA": self.assa, "LocA": self.loca, "IDP": self.idp,
                "IDR": self.idr, "recall": self.recall, "precision": self.precision,
                "FP": self.fp, "FN": self.fn, "IDSW": self.idsw, "MT": self.mt, "PT": self.pt,
                "ML": self.ml, "GT": self.num_gt, "predictions": self.num_pred,
                "gt_ids": self.num_gt_ids, "pred_ids": self.num_pred_ids,
                "frames": self.num_frames}

    def to_dict(self) -> dict[str, Any]:
        """Every count (arrays as lists) and the :meth:`summary` numbers, JSON-friendly."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.tolist() if isinstance(v, np.ndarray) else v
        return {"summary": self.summary(), "counts": out}

    @classmethod
    def combine(cls, parts: Sequence[MOTMetrics]) -> MOTMetrics:
        """Metrics over several sequences: counts are summed (as motmetrics and TrackEval do:
        MOTA, IDF1 and HOTA of the pooled counts, not the mean of the per-sequence values)."""
        out = cls()
        for f in fields(cls):
            setattr(out, f.name, sum((getattr(p, f.name) for p in parts), getattr(out, f.name)))
        return out


@dataclass
class _Frame:
    """One frame's data as contiguous indices: ``gt (n,)``, ``pred (m,)`` and ``iou (n, m)``."""

    gt: np.ndarray
    pred: np.ndarray
    iou: np.ndarray


def evaluate_mot(gt: MOTRows, results: MOTRows, *, iou_threshold: float = 0.5,
                 motchallenge: bool = False,
                 frames: Sequence[int] | np.ndarray | None = None) -> MOTMetrics:
    """CLEAR MOT, ID measures and HOTA of one sequence.

    Args:
        gt: ground truth (ids unique within a frame).
        results: tracker output (ids unique within a frame).
        iou_threshold: overlap for a CLEAR or ID match (HOTA uses its own alphas).
        motchallenge: apply :func:`motchallenge_filter` first (pedestrians with consider = 1;
            predictions on distractors ignored). Off: every row of ``gt`` counts.
        frames: the frames to score (default: every frame of ``gt`` or ``results``); rows of
            other frames are ignored.

    Returns:
        :class:`MOTMetrics`.

    Raises:
        ParameterError: ``iou_threshold`` outside (0, 1].
        DataError: an id repeated within a frame.
    """
    if not 0 < iou_threshold <= 1:
        raise ParameterError(f"iou_threshold: expected a number in (0, 1], got {iou_threshold}")
    if motchallenge:
        gt, results = motchallenge_filter(gt, results)
    if frames is None:
        frames = np.union1d(gt.frame_numbers(), results.frame_numbers())
    frames = np.asarray(frames, dtype=np.int64)
    gt_ids, gt_idx = np.unique(gt.ids, return_inverse=True)
    pr_ids, pr_idx = np.unique(results.ids, return_inverse=True)
    gt = MOTRows(gt.frames, gt_idx, gt.boxes)
    results = MOTRows(results.frames, pr_idx, results.boxes)
    data = []
    for (t, g), (_, p) in zip(gt.by_frame(frames), results.by_frame(frames), strict=True):
        for what, rows in (("ground truth", g), ("results", p)):
            if len(np.unique(rows.ids)) != len(rows):
                raise DataError(f"{what}: an id appears twice in frame {t}")
        data.append(_Frame(g.ids, p.ids, iou_matrix(g.boxes, p.boxes)))
    n_gt_ids, n_pr_ids = len(gt_ids), len(pr_ids)
    present_gt = np.isin(np.arange(n_gt_ids), np.concatenate([f.gt for f in data] or [[]]))
    present_pr = np.isin(np.arange(n_pr_ids), np.concatenate([f.pred for f in data] or [[]]))
    out = MOTMetrics(num_frames=len(frames),
                     num_gt=sum(len(f.gt) for f in data),
                     num_pred=sum(len(f.pred) for f in data),
                     num_gt_ids=int(present_gt.sum()), num_pred_ids=int(present_pr.sum()))
    _clear(data, n_gt_ids, iou_threshold, out)
    out.idtp = _id_true_positives(data, n_gt_ids, n_pr_ids, iou_threshold)
    _hota(data, n_gt_ids, n_pr_ids, out)
    return out


def _clear_match(f: _Frame, last: np.ndarray, threshold: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """CLEAR matching of one frame: continued correspondences first, then the Hungarian
    matching of maximum cardinality and minimum total distance on the rest."""
    valid = f.iou >= threshold - _EPS
    n, m = valid.shape
    used_g = np.zeros(n, dtype=bool)
    used_p = np.zeros(m, dtype=bool)
    rows: list[int] = []
    cols: list[int] = []
    prev = last[f.gt] if n else np.zeros(0, dtype=np.int64)
    for i in np.flatnonzero(prev >= 0).tolist():
        js = np.flatnonzero((f.pred == prev[i]) & ~used_p)
        if js.size and valid[i, js[0]]:
            used_g[i] = used_p[js[0]] = True
            rows.append(i)
            cols.append(int(js[0]))
    free_g, free_p = np.flatnonzero(~used_g), np.flatnonzero(~used_p)
    if free_g.size and free_p.size:
        sub = valid[np.ix_(free_g, free_p)]
        # every valid pair is worth more than any change of distances: cardinality first
        big = min(sub.shape) + 2.0
        cost = np.where(sub, (1.0 - f.iou[np.ix_(free_g, free_p)]) - big, 0.0)
        r, c = linear_sum_assignment(cost)
        ok = sub[r, c]
        rows += free_g[r[ok]].tolist()
        cols += free_p[c[ok]].tolist()
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def _clear(data: list[_Frame], n_gt_ids: int, threshold: float, out: MOTMetrics) -> None:
    """CLEAR MOT counts (TP, FP, FN, IDSW, IoU sum) and MT/PT/ML into ``out``."""
    last = np.full(n_gt_ids, -1, dtype=np.int64)
    matched = np.zeros(n_gt_ids)
    present = np.zeros(n_gt_ids)
    for f in data:
        rows, cols = _clear_match(f, last, threshold)
        g, p = f.gt[rows], f.pred[cols]
        out.idsw += int(((last[g] >= 0) & (last[g] != p)).sum())
        last[g] = p
        out.tp += len(rows)
        out.fn += len(f.gt) - len(rows)
        out.fp += len(f.pred) - len(rows)
        out.iou_sum += float(f.iou[rows, cols].sum())
        np.add.at(matched, g, 1)
        np.add.at(present, f.gt, 1)
    ratio = matched[present > 0] / present[present > 0]
    out.mt = int((ratio >= 0.8).sum())
    out.ml = int((ratio < 0.2).sum())
    out.pt = len(ratio) - out.mt - out.ml


def _id_true_positives(data: list[_Frame], n_gt_ids: int, n_pr_ids: int,
                       threshold: float) -> int:
    """IDTP: the maximum-weight one-to-one matching of trajectories, the weight of a pair being
    the frames where both are present and overlap by ``threshold``."""
    if n_gt_ids == 0 or n_pr_ids == 0:
        return 0
    overlap = np.zeros((n_gt_ids, n_pr_ids))
    for f in data:
        gi, pj = np.nonzero(f.iou >= threshold - _EPS)
        np.add.at(overlap, (f.gt[gi], f.pred[pj]), 1)
    r, c = linear_sum_assignment(-overlap)
    return int(overlap[r, c].sum())


def _hota(data: list[_Frame], n_gt_ids: int, n_pr_ids: int, out: MOTMetrics) -> None:
    """HOTA counts per alpha into ``out`` (two passes: global alignment, then matching)."""
    alphas = HOTA_ALPHAS[:, None]
    # pass 1: soft co-occurrence of trajectories -> global alignment score A(g, p)
    co = np.zeros((n_gt_ids, n_pr_ids))
    gt_count = np.zeros(n_gt_ids)
    pr_count = np.zeros(n_pr_ids)
    for f in data:
        np.add.at(gt_count, f.gt, 1)
        np.add.at(pr_count, f.pred, 1)
        if f.iou.size:
            s = f.iou
            denom = s.sum(0)[None, :] + s.sum(1)[:, None] - s
            soft = np.divide(s, denom, out=np.zeros_like(s), where=denom > _EPS)
            np.add.at(co, (f.gt[:, None], f.pred[None, :]), soft)
    total = gt_count[:, None] + pr_count[None, :] - co
    align = np.divide(co, total, out=np.zeros_like(co), where=total > 0)
    # pass 2: per frame, match on IoU x alignment; count TPs per alpha
    pair_tp = np.zeros((len(HOTA_ALPHAS), n_gt_ids, n_pr_ids))
    for f in data:
        n, m = len(f.gt), len(f.pred)
        hit = np.zeros((len(HOTA_ALPHAS), 0), dtype=bool)
        if n and m:
            r, c = linear_sum_assignment(-(align[np.ix_(f.gt, f.pred)] * f.iou))
            sim = f.iou[r, c]
            hit = sim[None, :] >= alphas - _EPS
            out.hota_loc += (hit * sim[None, :]).sum(1)
            a_idx, k = np.nonzero(hit)
            np.add.at(pair_tp, (a_idx, f.gt[r[k]], f.pred[c[k]]), 1)
        tp = hit.sum(1)
        out.hota_tp += tp
        out.hota_fn += n - tp
        out.hota_fp += m - tp
    denom = np.maximum(1.0, gt_count[None, :, None] + pr_count[None, None, :] - pair_tp)
    out.hota_ass += (pair_tp * pair_tp / denom).sum(axis=(1, 2))
