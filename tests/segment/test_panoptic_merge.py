"""Panoptic FPN's merge heuristic on hand-made instance and stuff outputs, and the
connected-component baseline on a perfect semantic map."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.segment.panoptic import panoptic_from_semantic, panoptic_quality_score
from oculi.segment.panoptic_merge import components_as_instances, merge_panoptic
from tests.panoptic.scenes import THINGS, scene


def test_merge_places_by_score_drops_overlaps_and_small_stuff():
    stuff = np.array([[0, 0, 0, -1, -1, -1],
                      [1, 1, 1, -1, -1, -1],
                      [1, 1, 5, 1, 1, 1]])
    a = np.zeros((3, 6), bool)
    a[0:2, 3:5] = True                                   # score .9, car (2)
    b = np.zeros((3, 6), bool)
    b[0:2, 4:6] = True                                   # score .8, car: overlap 2/4 = .5 -> kept
    c = np.zeros((3, 6), bool)
    c[0:2, 3:6] = True                                   # score .7, person: 4/6 taken -> dropped
    d = np.zeros((3, 6), bool)
    d[2, 0] = True                                       # score .3: below the threshold
    out = merge_panoptic(stuff, np.stack([c, a, d, b]), [0.7, 0.9, 0.3, 0.8], [3, 2, 3, 2],
                         min_stuff_area=2)
    expected = np.array([[0, 0, 0, 2001, 2001, 2002],
                         [1000, 1000, 1000, 2001, 2001, 2002],
                         [1000, 1000, -1, 1000, 1000, 1000]])   # stuff 5: one pixel -> void
    assert out.tolist() == expected.tolist()
    # a stricter overlap threshold drops b too; its pixels are "things" in stuff: void
    strict = merge_panoptic(stuff, np.stack([a, b]), [0.9, 0.8], [2, 2], overlap_threshold=0.4)
    assert strict[0].tolist() == [0, 0, 0, 2001, 2001, -1]


def test_merge_rejects_bad_shapes():
    from oculi.core.errors import ShapeError

    with pytest.raises(ShapeError, match="masks"):
        merge_panoptic(np.zeros((4, 4), int), np.zeros((1, 3, 4), bool), [1.0], [2])
    with pytest.raises(ShapeError, match="scores"):
        merge_panoptic(np.zeros((4, 4), int), np.zeros((2, 4, 4), bool), [1.0], [2, 2])


def test_baseline_components_give_the_truth_from_a_perfect_semantic_map():
    _, label = scene(3)
    truth = panoptic_from_semantic(label, THINGS, ignore_index=4)
    sem = np.where(label == 4, 0, label)                 # void pixels predicted as sky
    parts = components_as_instances(sem, THINGS)
    pred = merge_panoptic(**parts)
    r = panoptic_quality_score(truth, pred, things=THINGS, stuff=[0, 1])
    assert r["pq"] == pytest.approx(1.0)
    assert r["things"]["n"] == 2 and parts["masks"].shape[0] == len(np.unique(truth[truth >= 2000]))
