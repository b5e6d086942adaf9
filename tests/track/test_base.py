from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError, UnknownNameError
from oculi.track import (
    SingleTracker,
    TrackResult,
    check_box,
    check_frame,
    create_tracker,
    single_trackers,
    xywh_to_xyxy,
    xyxy_to_xywh,
)


def test_check_box_inside_is_float32_and_unchanged():
    box = check_box([10, 20.5, 40, 60], (100, 200, 3))
    assert box.dtype == np.float32
    assert box.tolist() == [10.0, 20.5, 40.0, 60.0]


def test_check_box_clips_a_box_partly_outside():
    assert check_box([-5, -1, 30, 250], (100, 200)).tolist() == [0.0, 0.0, 30.0, 100.0]
    assert check_box([190, 90, 210, 120], (100, 200)).tolist() == [190.0, 90.0, 200.0, 100.0]


@pytest.mark.parametrize(("box", "words"), [
    ([10, 10, 10, 30], "zero-size"),            # zero width
    ([10, 30, 20, 30], "zero-size"),            # zero height
    ([30, 10, 20, 40], "zero-size"),            # negative width
    ([250, 10, 300, 40], "outside the 200x100 frame"),
    ([-50, -50, -1, -1], "outside the 200x100 frame"),
    ([0, 0, np.nan, 10], "finite"),
    ([0, 0, np.inf, 10], "finite"),
])
def test_check_box_rejects(box, words):
    with pytest.raises(ParameterError, match=words) as err:
        check_box(box, (100, 200, 3), name="--init")
    assert str(err.value).startswith("--init: ")


def test_check_box_needs_four_numbers():
    with pytest.raises(ShapeError, match="4 numbers"):
        check_box([1, 2, 3], (10, 10))
    with pytest.raises(ShapeError, match="4 numbers"):
        check_box("abc", (10, 10))


def test_xywh_xyxy_round_trip():
    xywh = np.array([[1.5, 2, 3, 4], [10, 20, 30, 40]])
    xyxy = xywh_to_xyxy(xywh)
    assert xyxy.dtype == np.float32
    assert xyxy.tolist() == [[1.5, 2, 4.5, 6], [10, 20, 40, 60]]
    assert np.array_equal(xyxy_to_xywh(xyxy), xywh.astype(np.float32))
    assert xyxy_to_xywh([0, 0, 5, 7]).tolist() == [0, 0, 5, 7]
    with pytest.raises(ShapeError):
        xywh_to_xyxy(np.zeros((3, 5)))


def test_check_frame():
    frame = np.zeros((20, 30, 3), np.uint8)
    assert check_frame(frame) is frame
    with pytest.raises(ShapeError):
        check_frame(np.zeros((20, 30), np.uint8))
    with pytest.raises(TypeError):
        check_frame(np.zeros((20, 30, 3), np.float32))


def test_registry_contract():
    names = single_trackers.names()
    for expected in ("csrt", "kcf", "mil", "mosse", "medianflow", "tld", "boosting"):
        assert expected in names
    for entry in single_trackers.entries():
        assert entry.meta["family"] in ("opencv", "opencv-legacy", "siamese", "oculi")
        assert "needs" in entry.meta
    tracker = create_tracker("CSRT")
    assert isinstance(tracker, SingleTracker)
    with pytest.raises(UnknownNameError, match="did you mean 'csrt'"):
        create_tracker("csrtt")
    with pytest.raises(ParameterError, match="unknown parameter"):
        create_tracker("kcf", padding=2)


def test_track_result_is_frozen():
    res = TrackResult(np.zeros(4, np.float32), float("nan"), False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.lost = True  # type: ignore[misc]
