"""Panoptic quality (Kirillov et al., 2019) with COCO's void and crowd rules.

A *panoptic map* is an HxW ``int64`` array: every pixel holds ``category * label_divisor +
instance`` (``label_divisor`` 1000 by default, the Cityscapes encoding), ``-1`` is **void**
(unlabelled: left out of the score). A stuff category has one segment per image (its instance
part is ignored: all its pixels are one segment); a thing category has one segment per instance
id ``1..divisor-1``. In the *ground truth*, a thing pixel with instance 0 belongs to that
category's **crowd** region (a group not split into instances, as COCO's ``iscrowd`` and
Cityscapes' ``car`` without an id); in a prediction instance 0 is an ordinary segment.

Per image and category (only segments of the same category are compared):

* a true and a predicted segment *match* when their IoU is **above 0.5** (strictly; at most one
  match each, by construction); the union leaves out the predicted segment's pixels that are
  void in the truth, ``IoU = |P ∩ T| / (|P| + |T| − |P ∩ T| − |P ∩ void|)``; crowd regions match
  nothing;
* an unmatched true segment is a false negative (FN); an unmatched predicted segment is a false
  positive (FP) unless more than half of it lies on void or on its own category's crowd region;
* over a data set the counts add: ``PQ = Σ IoU(matches) / (TP + FP/2 + FN/2)``,
  ``SQ = Σ IoU / TP`` (0 without a match), ``RQ = TP / (TP + FP/2 + FN/2)``, so ``PQ = SQ x RQ``
  per category. A category with no segment on either side is left out; the averages over
  things, stuff and all are plain means of the per-category values (COCO's panopticapi).

    >>> import numpy as np
    >>> true = panoptic_map(np.array([[0, 0, 1, 1]]), np.array([[0, 0, 1, 1]]), things=[1])
    >>> true.tolist()
    [[0, 0, 1001, 1001]]
    >>> pred = np.array([[0, 0, 0, 1001]])            # thing IoU 1/2: no match
    >>> r = panoptic_quality_score(true, pred, things=[1], stuff=[0])
    >>> r["per_class"]["1"]["fp"], r["per_class"]["1"]["fn"], round(r["stuff"]["pq"], 4)
    (1, 1, 0.6667)

Ground truth from a semantic label image: :func:`panoptic_from_semantic` (instances = connected
components of each thing category) and, for the shared CamVid labels, :func:`camvid_panoptic`
(things Car, Pedestrian, Bicyclist, SignSymbol, Pole; void = label 11).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from oculi.core.errors import DTypeError, ParameterError, ShapeError, ValueRangeError

#: default ``category * LABEL_DIVISOR + instance`` encoding of panoptic maps
LABEL_DIVISOR = 1000
#: the void value of a panoptic map
VOID = -1

#: CamVid (SegNet's 11-class version) class names in label order; label 11 is void
CAMVID_CLASSES = ("Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence",
                  "Car", "Pedestrian", "Bicyclist")
#: CamVid's thing categories: Pole, SignSymbol, Car, Pedestrian, Bicyclist
CAMVID_THINGS = (2, 6, 8, 9, 10)
#: CamVid's stuff categories: Sky, Building, Road, Pavement, Tree, Fence
CAMVID_STUFF = (0, 1, 3, 4, 5, 7)
#: CamVid's void (unlabelled) label
CAMVID_VOID = 11


def _int_map(a: Any, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise DTypeError(f"{name}: expected an integer map, got {arr.dtype}")
    if arr.ndim != 2:
        raise ShapeError(f"{name}: expected an HxW map, got shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


def _categories(values: Iterable[int], name: str) -> tuple[int, ...]:
    out = tuple(sorted({int(v) for v in values}))
    if any(v < 0 for v in out):
        raise ParameterError(f"{name}: categories must be >= 0, got {list(out)}")
    return out


def panoptic_map(semantic: np.ndarray, instances: np.ndarray, things: Iterable[int], *,
                 ignore_index: int | None = None,
                 label_divisor: int = LABEL_DIVISOR) -> np.ndarray:
    """Combine a semantic map and an instance map into a panoptic map.

    Args:
        semantic: HxW integer category per pixel (>= 0).
        instances: HxW integer instance id per pixel (0 .. ``label_divisor`` − 1); read only on
            pixels of a thing category (0 there: the category's crowd region, in a truth).
        things: the thing categories; every other category is stuff (one segment).
        ignore_index: a semantic label that is void (None: none).
        label_divisor: the encoding's divisor.

    Returns:
        HxW int64 ``category * label_divisor + instance`` (stuff: instance 0), ``-1`` on void.

    Raises:
        ShapeError: the maps differ in shape. ValueRangeError: a negative category or an
            instance id outside ``0..label_divisor-1`` on a thing pixel.
    """
    sem = _int_map(semantic, "semantic")
    ins = _int_map(instances, "instances")
    if sem.shape != ins.shape:
        raise ShapeError(f"instances: expected the shape of semantic {sem.shape}, got {ins.shape}")
    void = sem == ignore_index if ignore_index is not None else np.zeros(sem.shape, bool)
    if sem.size and int(sem[~void].min(initial=0)) < 0:
        raise ValueRangeError("semantic: categories must be >= 0 (or the ignore_index)")
    thing = np.isin(sem, _categories(things, "things")) & ~void
    if thing.any() and (int(ins[thing].min()) < 0 or int(ins[thing].max()) >= label_divisor):
        raise ValueRangeError(f"instances: ids on thing pixels must lie in 0..{label_divisor - 1}, "
                              f"got {int(ins[thing].min())}..{int(ins[thing].max())}")
    out = sem * label_divisor + np.where(thing, ins, 0)
    out[void] = VOID
    return out


def panoptic_from_semantic(semantic: np.ndarray, things: Iterable[int], *,
                           ignore_index: int | None = None, connectivity: int = 1,
                           label_divisor: int = LABEL_DIVISOR) -> np.ndarray:
    """A panoptic map whose instances are the connected components of each thing category.

    Args:
        semantic: HxW integer category per pixel.
        things: the thing categories (instances: their 4- or 8-connected components).
        ignore_index: a semantic label that is void.
        connectivity: 1 (4-neighbours) or 2 (8-neighbours).
        label_divisor: the encoding's divisor; components of one category beyond
            ``label_divisor - 1`` raise.

    Returns:
        HxW int64 panoptic map (see :func:`panoptic_map`).
    """
    from scipy import ndimage

    from oculi.core.checks import check_choice

    check_choice(connectivity, (1, 2), "connectivity")
    sem = _int_map(semantic, "semantic")
    structure = ndimage.generate_binary_structure(2, connectivity)
    ins = np.zeros(sem.shape, np.int64)
    for c in _categories(things, "things"):
        lab, n = ndimage.label(sem == c, structure)
        if n >= label_divisor:
            raise ValueRangeError(f"semantic: category {c} has {n} components, more than the "
                                  f"label_divisor {label_divisor} can encode — raise it")
        ins += lab
    return panoptic_map(sem, ins, things, ignore_index=ignore_index, label_divisor=label_divisor)


def camvid_panoptic(label: np.ndarray | str | os.PathLike[str]) -> np.ndarray:
    """CamVid's ground-truth panoptic map: things Pole, SignSymbol, Car, Pedestrian, Bicyclist
    (instances: 4-connected components of each), stuff the other six classes, label 11 void.

    Args:
        label: an HxW CamVid label image (class index 0..11) or the path of its PNG
            (``seg_camvid/*/label/*.png`` of the shared data).

    Returns:
        HxW int64 panoptic map (divisor :data:`LABEL_DIVISOR`).
    """
    if isinstance(label, (str, os.PathLike)):
        from oculi.io import read_image

        label = read_image(label, mode="unchanged")
    return panoptic_from_semantic(label, CAMVID_THINGS, ignore_index=CAMVID_VOID)


def _segments(ids: np.ndarray, stuff: np.ndarray, divisor: int) -> np.ndarray:
    """Stuff pixels collapsed to one segment id per category (void kept)."""
    cat = np.floor_divide(ids, divisor)
    return np.where((ids >= 0) & np.isin(cat, stuff), cat * divisor, ids)


class PanopticQuality:
    """Streaming PQ / SQ / RQ over a data set of (truth, prediction) panoptic map pairs.

    Args:
        things: thing categories.
        stuff: stuff categories (disjoint from ``things``).
        class_names: ``{category: name}`` or a sequence indexed by category (names in the
            result; default the category number as a string).
        label_divisor: the panoptic maps' encoding.

    Per-category counts ``tp``, ``fp``, ``fn`` and the matched IoU sum add image by image;
    :meth:`compute` turns them into scores (module docstring for the rules).
    """

    def __init__(self, things: Iterable[int], stuff: Iterable[int], *,
                 class_names: Sequence[str] | dict[int, str] | None = None,
                 label_divisor: int = LABEL_DIVISOR) -> None:
        self.things = _categories(things, "things")
        self.stuff = _categories(stuff, "stuff")
        if set(self.things) & set(self.stuff):
            raise ParameterError(f"stuff: categories {sorted(set(self.things) & set(self.stuff))}"
                                 " are also things — each category is one or the other")
        if not self.things and not self.stuff:
            raise ParameterError("things, stuff: no category given")
        self.categories = tuple(sorted(self.things + self.stuff))
        self.label_divisor = int(label_divisor)
        names = (dict(class_names) if isinstance(class_names, dict)
                 else dict(enumerate(class_names or ())))
        self.names = {c: str(names.get(c, c)) for c in self.categories}
        k = len(self.categories)
        self.tp, self.fp, self.fn = (np.zeros(k, np.int64) for _ in range(3))
        self.iou_sum = np.zeros(k, np.float64)
        self.images = 0

    def _check_categories(self, ids: np.ndarray, name: str) -> None:
        cats = np.unique(np.floor_divide(ids[ids >= 0], self.label_divisor))
        unknown = sorted(set(cats.tolist()) - set(self.categories))
        if unknown:
            raise ValueRangeError(f"{name}: categories {unknown[:8]} are neither things nor stuff "
                                  f"(known: {list(self.categories)}) — map them to void (-1)")
        if ids.size and int(ids.min()) < VOID:
            raise ValueRangeError(f"{name}: ids must be >= -1 (void), found {int(ids.min())}")

    def update(self, true: np.ndarray, pred: np.ndarray) -> dict[str, np.ndarray]:
        """Add one image.

        Args:
            true: HxW integer ground-truth panoptic map (``-1`` void; thing instance 0 crowd).
            pred: HxW integer predicted panoptic map (``-1``: no segment).

        Returns:
            This image's per-category counts: ``tp``, ``fp``, ``fn`` (int64) and ``iou_sum``
            (float64), each ``(len(categories),)`` in :attr:`categories` order.

        Raises:
            ShapeError, DTypeError: not equal-shape 2-D integer maps. ValueRangeError: a
                category outside ``things`` and ``stuff``, or an id below -1.
        """
        t, p = _int_map(true, "true"), _int_map(pred, "pred")
        if t.shape != p.shape:
            raise ShapeError(f"pred: expected the shape of true {t.shape}, got {p.shape}")
        self._check_categories(t, "true")
        self._check_categories(p, "pred")
        stuff = np.asarray(self.stuff, np.int64)
        counts = _image_counts(_segments(t.ravel(), stuff, self.label_divisor),
                               _segments(p.ravel(), stuff, self.label_divisor),
                               self.things, self.label_divisor)
        index = {c: i for i, c in enumerate(self.categories)}
        out = {k: np.zeros(len(self.categories), np.float64 if k == "iou_sum" else np.int64)
               for k in ("tp", "fp", "fn", "iou_sum")}
        for key, per_cat in counts.items():
            for c, v in per_cat.items():
                out[key][index[c]] += v
        self.tp += out["tp"]
        self.fp += out["fp"]
        self.fn += out["fn"]
        self.iou_sum += out["iou_sum"]
        self.images += 1
        return out

    def compute(self) -> dict[str, Any]:
        """Scores from the counts so far.

        Returns:
            ``pq``, ``sq``, ``rq``, ``n`` (categories averaged) over all categories; the same
            under ``things`` and ``stuff``; ``per_class`` ``{name: {pq, sq, rq, tp, fp, fn,
            iou_sum}}`` (NaN scores for a category with no segment); ``images``.
        """
        den = self.tp + 0.5 * self.fp + 0.5 * self.fn
        present = den > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            sq = np.where(self.tp > 0, self.iou_sum / np.maximum(self.tp, 1), 0.0)
            rq = np.where(present, self.tp / np.where(present, den, 1.0), 0.0)
        pq = sq * rq
        per_class = {}
        for i, c in enumerate(self.categories):
            nan = not present[i]
            per_class[self.names[c]] = {
                "category": c, "thing": c in self.things,
                "pq": math.nan if nan else float(pq[i]), "sq": math.nan if nan else float(sq[i]),
                "rq": math.nan if nan else float(rq[i]), "tp": int(self.tp[i]),
                "fp": int(self.fp[i]), "fn": int(self.fn[i]), "iou_sum": float(self.iou_sum[i])}

        def average(group: tuple[int, ...]) -> dict[str, float | int]:
            sel = np.array([c in group for c in self.categories]) & present
            if not sel.any():
                return {"pq": math.nan, "sq": math.nan, "rq": math.nan, "n": 0}
            return {"pq": float(pq[sel].mean()), "sq": float(sq[sel].mean()),
                    "rq": float(rq[sel].mean()), "n": int(sel.sum())}

        return {**average(self.categories), "things": average(self.things),
                "stuff": average(self.stuff), "per_class": per_class, "images": self.images}


def _image_counts(t: np.ndarray, p: np.ndarray, things: tuple[int, ...], divisor: int
                  ) -> dict[str, dict[int, float]]:
    """Per-category ``tp``/``fp``/``fn``/``iou_sum`` of one image (flat segment-id arrays)."""
    t_ids, t_inv, t_area = np.unique(t, return_inverse=True, return_counts=True)
    p_ids, p_inv, p_area = np.unique(p, return_inverse=True, return_counts=True)
    joint, inter = np.unique(t_inv.ravel().astype(np.int64) * p_ids.size + p_inv.ravel(),
                             return_counts=True)
    ti, pj = np.divmod(joint, p_ids.size)
    t_seg, p_seg = t_ids[ti], p_ids[pj]
    t_cat, p_cat = np.floor_divide(t_seg, divisor), np.floor_divide(p_seg, divisor)
    t_crowd_of = np.isin(t_ids // divisor, things) & (t_ids % divisor == 0) & (t_ids >= 0)
    # each predicted segment's pixels on truth void, and on its own category's crowd region
    on_void = np.zeros(p_ids.size, np.int64)
    np.add.at(on_void, pj[t_seg == VOID], inter[t_seg == VOID])
    on_crowd = np.zeros(p_ids.size, np.int64)
    own_crowd = t_crowd_of[ti] & (t_cat == p_cat)
    np.add.at(on_crowd, pj[own_crowd], inter[own_crowd])
    # candidate pairs: both real segments of one category, truth not crowd
    cand = (t_seg >= 0) & (p_seg >= 0) & (t_cat == p_cat) & ~t_crowd_of[ti]
    union = p_area[pj] + t_area[ti] - inter - on_void[pj]
    iou = inter / np.maximum(union, 1)
    match = cand & (iou > 0.5)
    counts: dict[str, dict[int, float]] = {"tp": {}, "fp": {}, "fn": {}, "iou_sum": {}}

    def add(key: str, cats: np.ndarray, values: np.ndarray | None = None) -> None:
        vals = np.ones(cats.size) if values is None else values
        for c, v in zip(cats.tolist(), vals.tolist(), strict=True):
            counts[key][c] = counts[key].get(c, 0) + v

    add("tp", t_cat[match])
    add("iou_sum", t_cat[match], iou[match])
    t_matched = np.zeros(t_ids.size, bool)
    t_matched[ti[match]] = True
    p_matched = np.zeros(p_ids.size, bool)
    p_matched[pj[match]] = True
    fn = (t_ids >= 0) & ~t_crowd_of & ~t_matched
    add("fn", t_ids[fn] // divisor)
    fp = (p_ids >= 0) & ~p_matched & ((on_void + on_crowd) * 2 <= p_area)
    add("fp", p_ids[fp] // divisor)
    return counts


def panoptic_quality_score(true: np.ndarray | Sequence[np.ndarray],
                           pred: np.ndarray | Sequence[np.ndarray], *, things: Iterable[int],
                           stuff: Iterable[int],
                           class_names: Sequence[str] | dict[int, str] | None = None,
                           label_divisor: int = LABEL_DIVISOR) -> dict[str, Any]:
    """PQ / SQ / RQ of one panoptic map pair or of two equal-length lists of them (counts add
    over the images; segments are never matched across images).

    Args:
        true, pred: HxW integer panoptic maps (see the module docstring), or lists of them.
        things, stuff, class_names, label_divisor: as :class:`PanopticQuality`.

    Returns:
        :meth:`PanopticQuality.compute`'s dict.
    """
    single = isinstance(true, np.ndarray) and np.asarray(true).ndim == 2
    ts = [true] if single else list(true)
    ps = [pred] if single else list(pred)
    if len(ts) != len(ps):
        raise ShapeError(f"pred: expected {len(ts)} maps (one per truth), got {len(ps)}")
    metric = PanopticQuality(things, stuff, class_names=class_names,
                             label_divisor=label_divisor)
    for t, p in zip(ts, ps, strict=True):
        metric.update(t, p)
    return metric.compute()
