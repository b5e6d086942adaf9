"""Samplers: the index arithmetic of TSN segments, dense windows and multi-clip test."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.action import DenseClip, MultiClip, UniformSegments
from oculi.core.errors import DataError, ParameterError


def test_uniform_segments_test_mode_takes_segment_centres():
    assert UniformSegments(5)(10).tolist() == [0, 2, 4, 6, 8]
    # segments [0,25) [25,50) [50,75) [75,100): centres 12, 37, 62, 87
    assert UniformSegments(4)(100).tolist() == [12, 37, 62, 87]
    assert UniformSegments(3)(3).tolist() == [0, 1, 2]


def test_uniform_segments_train_mode_draws_inside_each_segment():
    sampler = UniformSegments(3, train=True)
    rng = np.random.default_rng(0)
    draws = np.stack([sampler(10, rng) for _ in range(400)])
    # n=10, K=3: segments [0,4) [4,7) [7,10) — every frame of each segment is drawn, none outside
    assert sorted(set(draws[:, 0])) == [0, 1, 2, 3]
    assert sorted(set(draws[:, 1])) == [4, 5, 6]
    assert sorted(set(draws[:, 2])) == [7, 8, 9]
    assert sampler(10, 5).tolist() == sampler(10, 5).tolist()       # a seed repeats


def test_dense_clip_centre_and_random_start():
    sampler = DenseClip(4, stride=3)
    assert sampler.span == 10 and sampler.min_frames == 10
    assert sampler(20).tolist() == [5, 8, 11, 14]                  # room 10, centred start 5
    assert sampler(10).tolist() == [0, 3, 6, 9]
    starts = {int(DenseClip(4, 3, train=True)(20, s)[0]) for s in range(300)}
    assert starts == set(range(11))                                 # every start 0..10


def test_multi_clip_spans_the_clip_evenly():
    idx = MultiClip(3, 4, stride=2)(20)
    assert idx.shape == (3, 4)
    assert idx[0].tolist() == [0, 2, 4, 6] and idx[-1].tolist() == [13, 15, 17, 19]
    assert np.all(np.diff(idx[:, 0]) > 0)
    assert MultiClip(1, 4)(10).tolist() == [[3, 4, 5, 6]]


def test_too_short_clips_and_bad_options_raise():
    with pytest.raises(DataError, match="at least 10"):
        DenseClip(4, stride=3)(9)
    with pytest.raises(DataError):
        UniformSegments(8)(7)
    with pytest.raises(ParameterError):
        DenseClip(0)
    with pytest.raises(ParameterError):
        MultiClip(2, 3, stride=0)
