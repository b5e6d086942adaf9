"""Panoptic FPN's inference merge (Kirillov, Girshick, He & Dollár, 2019): instance masks and a
stuff map become one panoptic map (encoding of :mod:`oculi.segment.panoptic`).

The paper's heuristic, as Detectron2 implements it:

1. instances scored below ``score_threshold`` are dropped; the rest are placed in decreasing
   score order; an instance whose mask lies more than ``overlap_threshold`` of its area on
   pixels already placed is dropped, otherwise it takes its not yet placed pixels;
2. the stuff map fills the pixels no instance took; a stuff category left with fewer than
   ``min_stuff_area`` pixels becomes void, and so do the pixels the semantic branch calls
   "thing" that no instance covers.

    >>> import numpy as np
    >>> stuff = np.array([[0, 0, -1, -1]])                  # -1: the semantic "things" class
    >>> masks = np.array([[[0, 0, 1, 1]], [[0, 1, 1, 1]]], bool)
    >>> merge_panoptic(stuff, masks, [0.9, 0.8], [8, 9]).tolist()   # 2nd: 2/3 on the 1st: dropped
    [[0, 0, 8001, 8001]]

The baseline without an instance branch (:func:`components_as_instances`): every connected
component of a thing category in a full semantic map is one instance of score 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from oculi.core.errors import ShapeError, ValueRangeError
from oculi.segment.panoptic import LABEL_DIVISOR, VOID


def merge_panoptic(stuff: np.ndarray, masks: np.ndarray, scores: Sequence[float] | np.ndarray,
                   categories: Sequence[int] | np.ndarray, *, score_threshold: float = 0.5,
                   overlap_threshold: float = 0.5, min_stuff_area: int = 0,
                   label_divisor: int = LABEL_DIVISOR) -> np.ndarray:
    """Merge instances and a stuff map into a panoptic map (module docstring for the rules).

    Args:
        stuff: HxW integer: a stuff category per pixel (>= 0), or -1 where the semantic branch
            predicts a thing (or nothing).
        masks: ``(n, H, W)`` bool instance masks (or float in [0, 1], cut at 0.5).
        scores: ``(n,)`` instance confidences.
        categories: ``(n,)`` thing category of each instance (>= 0).
        score_threshold: instances scored below this are left out.
        overlap_threshold: an instance with more than this fraction of its mask on pixels
            already taken by higher-scored instances is left out.
        min_stuff_area: a stuff category covering fewer pixels (after the instances) is void.
        label_divisor: the panoptic encoding's divisor.

    Returns:
        HxW int64 panoptic map: ``category * label_divisor + k`` for the ``k``-th placed
        instance of a category (k from 1, in decreasing score), ``category * label_divisor``
        for stuff, -1 void.

    Raises:
        ShapeError: masks of another size than ``stuff``, or scores/categories not one per mask.
        ValueRangeError: a negative category, or more instances of one category than the
            divisor can encode.
    """
    st = np.asarray(stuff)
    if st.ndim != 2:
        raise ShapeError(f"stuff: expected an HxW map, got shape {st.shape}")
    m = np.asarray(masks)
    if m.ndim == 4 and m.shape[1] == 1:
        m = m[:, 0]
    if m.size == 0:
        m = np.zeros((0, *st.shape), bool)
    if m.ndim != 3 or m.shape[1:] != st.shape:
        raise ShapeError(f"masks: expected (n, {st.shape[0]}, {st.shape[1]}), got {m.shape}")
    m = m if m.dtype == bool else m > 0.5
    s = np.asarray(scores, np.float64).ravel()
    c = np.asarray(categories, np.int64).ravel()
    if s.size != m.shape[0] or c.size != m.shape[0]:
        raise ShapeError(f"scores, categories: expected {m.shape[0]} values each (one per mask), "
                         f"got {s.size} and {c.size}")
    if c.size and int(c.min()) < 0:
        raise ValueRangeError(f"categories: expected >= 0, got {int(c.min())}")
    out = np.full(st.shape, VOID, np.int64)
    taken = np.zeros(st.shape, bool)
    count: dict[int, int] = {}
    for i in np.argsort(-s, kind="stable"):
        if s[i] < score_threshold:
            break
        area = int(m[i].sum())
        if area == 0 or (m[i] & taken).sum() > overlap_threshold * area:
            continue
        k = count.get(int(c[i]), 0) + 1
        if k >= label_divisor:
            raise ValueRangeError(f"categories: more than {label_divisor - 1} instances of "
                                  f"category {int(c[i])} — raise label_divisor")
        count[int(c[i])] = k
        new = m[i] & ~taken
        out[new] = int(c[i]) * label_divisor + k
        taken |= new
    free = ~taken & (st >= 0)
    cats, areas = np.unique(st[free], return_counts=True)
    for cat, area in zip(cats.tolist(), areas.tolist(), strict=True):
        if area >= min_stuff_area:
            out[free & (st == cat)] = cat * label_divisor
    return out


def components_as_instances(semantic: np.ndarray, things: Iterable[int], *,
                            connectivity: int = 1) -> dict[str, Any]:
    """The instances of a semantic-only model: each connected component of a thing category.

    Args:
        semantic: HxW integer category per pixel.
        things: thing categories.
        connectivity: 1 (4-neighbours) or 2 (8-neighbours).

    Returns:
        ``stuff`` (HxW int64: the category on stuff pixels, -1 on thing pixels), ``masks``
        ``(n, H, W)`` bool, ``scores`` ``(n,)`` ones, ``categories`` ``(n,)`` int64 — the
        arguments of :func:`merge_panoptic`.
    """
    from oculi.segment.instances import label_components

    sem = np.asarray(semantic).astype(np.int64)
    if sem.ndim != 2:
        raise ShapeError(f"semantic: expected an HxW map, got shape {sem.shape}")
    thing_set = sorted({int(t) for t in things})
    masks, cats = [], []
    for t in thing_set:
        lab = label_components(sem == t, connectivity=connectivity)
        for k in range(1, int(lab.max()) + 1):
            masks.append(lab == k)
            cats.append(t)
    stack = np.stack(masks) if masks else np.zeros((0, *sem.shape), bool)
    return {"stuff": np.where(np.isin(sem, thing_set), -1, sem), "masks": stack,
            "scores": np.ones(len(cats)), "categories": np.asarray(cats, np.int64)}
