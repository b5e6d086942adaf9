"""The P x K sampler: every batch holds P classes with K images each."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from oculi.core.errors import DataError
from oculi.embed.sampler import ClassBalancedSampler


def test_p_classes_k_each_and_epochs_differ():
    labels = np.repeat(np.arange(12), [9, 3, 20, 5, 5, 5, 8, 7, 6, 9, 4, 30])
    s = ClassBalancedSampler(labels, batch_size=16, samples_per_class=4, seed=3)
    order = list(s)
    assert len(order) == len(s) == (len(labels) // 16) * 16
    for b in range(0, len(order), 16):
        counts = Counter(labels[order[b:b + 16]].tolist())
        assert sorted(counts.values()) == [4, 4, 4, 4]
    first_pass = list(s)
    s.set_epoch(1)
    assert list(s) != first_pass
    s.set_epoch(0)
    assert list(s) == first_pass  # seeded by (seed, epoch): exact resume


def test_small_class_uses_all_its_images_before_repeating():
    labels = np.array([0] * 3 + [1] * 40)
    s = ClassBalancedSampler(labels, batch_size=6, samples_per_class=3, seed=0)
    first = list(s)[:6]
    assert sorted(i for i in first if labels[i] == 0) == [0, 1, 2]


def test_fewer_classes_than_p_fills_the_batch_evenly():
    labels = np.repeat(np.arange(3), 50)
    s = ClassBalancedSampler(labels, batch_size=20, samples_per_class=4, seed=0)
    assert s.classes_per_batch == 3
    counts = Counter(labels[list(s)[:20]].tolist())
    assert sorted(counts.values()) == [6, 7, 7]


def test_one_class_is_refused():
    with pytest.raises(DataError, match="at least 2"):
        ClassBalancedSampler([5] * 10, batch_size=8, samples_per_class=4)
