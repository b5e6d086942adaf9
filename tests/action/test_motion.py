"""Motion history: MHI/MEI of known motion, Hu moments against their invariance, the baseline
classifier on synthetic motions and leave-one-actor-out on Weizmann."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.action import (
    MotionHistoryClassifier,
    classification_scores,
    clip_dataset,
    hu_moments,
    leave_group_out_scores,
    load_clip,
    motion_energy,
    motion_history,
    motion_masks,
)
from oculi.core.errors import DataError, ShapeError
from tests.action._synthetic import KINDS, synthetic_clip


def test_mhi_of_a_dot_moving_right_is_a_ramp_that_decays():
    masks = np.zeros((6, 1, 6), bool)
    for t in range(6):
        masks[t, 0, t] = True
    np.testing.assert_allclose(motion_history(masks)[0], np.arange(1, 7) / 6)
    # tau = 3: marks older than 3 frames have faded to 0
    np.testing.assert_allclose(motion_history(masks, tau=3)[0], [0, 0, 0, 1 / 3, 2 / 3, 1])
    assert motion_energy(masks, tau=3)[0].tolist() == [False] * 3 + [True] * 3
    assert motion_history(np.zeros((3, 2, 2), bool)).max() == 0


def test_frame_difference_masks_mark_the_moving_square():
    frames = np.zeros((3, 40, 40, 3), np.uint8)
    for t in range(3):
        frames[t, 10:20, 5 + 5 * t:15 + 5 * t] = 200         # a square moving 5 px right per frame
    masks = motion_masks(frames, source="difference", blur=0, open_size=0)
    assert masks.shape == (2, 40, 40)
    # leading and trailing 5-px strips change, the overlap and background do not
    expected = np.zeros((40, 40), bool)
    expected[10:20, 5:10] = expected[10:20, 15:20] = True
    np.testing.assert_array_equal(masks[0], expected)
    sil = motion_masks((frames[..., 0] > 0).astype(np.uint8))        # auto: binary -> silhouettes
    assert sil.shape == (3, 40, 40) and sil[2, 15, 22]
    with pytest.raises(ShapeError):
        motion_masks(frames[:1], source="difference")


def test_hu_moments_are_rotation_invariant_so_up_equals_right():
    right = synthetic_clip("slide", 3, size=64)
    right[:] = 0
    for t in range(right.shape[0]):
        right[t, 28:36, 10 + 2 * t:18 + 2 * t] = 1
    up = np.rot90(right, k=1, axes=(1, 2)).copy()                    # the same motion, upwards
    clf = MotionHistoryClassifier()
    np.testing.assert_allclose(clf.features(up), clf.features(right), atol=1e-6)
    assert hu_moments(np.zeros((5, 5))).tolist() == [0.0] * 7


@pytest.mark.parametrize("classifier", ["knn", "svm"])
def test_classifier_separates_synthetic_motions(classifier):
    if classifier == "svm":
        pytest.importorskip("sklearn")
    train = [(synthetic_clip(k, s), k) for k in KINDS for s in range(8)]
    test = [(synthetic_clip(k, 100 + s), k) for k in KINDS for s in range(6)]
    clf = MotionHistoryClassifier(classifier=classifier).fit(*zip(*train, strict=True))
    pred = clf.predict([c for c, _ in test])
    scores = classification_scores([k for _, k in test], pred)
    assert scores["accuracy"] >= 0.9, scores
    assert set(clf.classes_) == set(KINDS)


def test_classifier_needs_fit_and_scores_count_correctly():
    with pytest.raises(DataError, match="fit"):
        MotionHistoryClassifier().predict([synthetic_clip("grow", 0)])
    s = classification_scores([0, 0, 0, 1], [0, 1, 1, 1], [0, 1, 2])
    assert s["accuracy"] == 0.5 and s["mean_class_accuracy"] == pytest.approx((1 / 3 + 1) / 2)
    assert s["confusion"] == [[1, 2, 0], [0, 1, 0], [0, 0, 0]]


def test_weizmann_leave_one_actor_out_above_floor(shared_data):
    ds = clip_dataset(shared_data / "action_weizmann")
    clf = MotionHistoryClassifier()
    features = clf.features_of([load_clip(it) for it in ds])
    scores = leave_group_out_scores(clf, features, [it.label for it in ds], ds.groups)
    assert len(scores["folds"]) == 6 and sum(f["n"] for f in scores["folds"]) == 63
    # measured 0.635 (k-NN, silhouettes, whole-clip MHI); chance is 0.10
    assert scores["accuracy"] >= 0.55, scores
